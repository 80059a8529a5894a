"""`MetricCallback`: FID (or KID, precision, recall, IS) in the logs during `fit`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import keras

from kerasgan._typing import StrPath

if TYPE_CHECKING:
    from kerasgan.metrics.evaluate import RealStatistics
    from kerasgan.metrics.features import FeatureNetwork

#: Metric names the callback logs, and the `evaluate` metric that computes each.
LOGGED_METRICS = {
    "fid": "fid",
    "kid": "kid",
    "precision": "pr",
    "recall": "pr",
    "is": "is",
}


class MetricCallback(keras.callbacks.Callback):
    """Adds a sample-quality metric, e.g. `logs["fid"]`, every `every` epochs.

    The value goes into the epoch's logs, so `History`, the progress bar,
    `LossCurves`, `keras.callbacks.ModelCheckpoint(monitor="fid", mode="min")`
    and `keras.callbacks.EarlyStopping(monitor="fid", mode="min")` see it.
    Keras calls callbacks in list order with one shared logs dict, so
    **MetricCallback must come before ModelCheckpoint / EarlyStopping /
    LossCurves in `callbacks=[...]`**; placed after them they never see the
    value (`History` and the progress bar are appended by Keras, so they
    always do).

    On skipped epochs (`every > 1`) the key is absent by default: `History`
    has one entry per measured epoch and `EarlyStopping` ignores those
    epochs, but Keras 3's `ModelCheckpoint(save_best_only=True)` warns and
    *saves* when its monitor is missing, overwriting the best checkpoint.
    With `every > 1` and such a checkpoint, pass `repeat_last=True`: skipped
    epochs then log the last measured value again, which is no improvement,
    so the best checkpoint is kept (`EarlyStopping`'s patience then counts
    every epoch, and `History` has one value per epoch).

    The real statistics are computed once, at the start of the first `fit`
    (an error in the data or feature network stops training before any
    epoch), and reused; generated images use the same `seed` every time, so
    epochs are compared on the same noise.

    Args:
        metric: "fid", "kid", "precision", "recall" or "is".
        real: real data (dataset name or path, image array, tf.data.Dataset)
            or precomputed `kerasgan.metrics.RealStatistics`.
        feature_net: a `kerasgan.metrics.FeatureNetwork` or a spec for
            `get_feature_network` ("inception", a classifier file or zoo
            name); default "inception" (needs its ImageNet weights).
        every: measure every `every` epochs (1-based: epochs every, 2*every...).
        n: generated images per measurement (and real images, unless `n_real`).
        seed: noise seed of the generated images.
        name: log key (default `metric`), e.g. "fid_ema".
        ema: generate with the model's EMA generator.
        n_real, split, cache_dir, batch_size: as in `kerasgan.metrics.real_statistics`.
        repeat_last: on skipped epochs, log the last measured value again.
        crop: score the central `(height, width)` of the generated images
            (`kerasgan.metrics.evaluate`'s `crop`; e.g. 28 for a model trained
            on Fashion-MNIST padded to 32).
        verbose: print the value after each measurement.

    Example:
        >>> fid = kerasgan.callbacks.MetricCallback("fid", real="fashion_mnist",
        ...     feature_net="fashion-mnist-classifier", every=5, n=2000)
        >>> best = keras.callbacks.ModelCheckpoint("best.keras", monitor="fid", mode="min",
        ...     save_best_only=True)
        >>> gan.fit(ds, epochs=50, callbacks=[fid, best])     # fid BEFORE best
    """

    def __init__(
        self,
        metric: str = "fid",
        real: Any = None,
        feature_net: FeatureNetwork | StrPath | None = None,
        every: int = 1,
        n: int = 2000,
        seed: int | None = 0,
        name: str | None = None,
        ema: bool = False,
        *,
        n_real: int | None = None,
        split: str = "train",
        cache_dir: StrPath | None = None,
        batch_size: int = 256,
        repeat_last: bool = False,
        crop: int | Sequence[int] | None = None,
        verbose: int = 0,
    ) -> None:
        super().__init__()
        from kerasgan.metrics.features import get_feature_network

        if metric not in LOGGED_METRICS:
            raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(LOGGED_METRICS)}.")
        if real is None:
            raise ValueError("MetricCallback needs real=: a dataset name or path, or images.")
        if int(every) < 1 or int(n) < 2:
            raise ValueError(f"every must be >= 1 and n >= 2; got every={every}, n={n}.")
        self.metric = metric
        self.real = real
        self.feature_net = get_feature_network("inception" if feature_net is None else feature_net)
        self.every, self.n, self.seed, self.ema = int(every), int(n), seed, bool(ema)
        self.name = name or metric
        self.n_real, self.split, self.cache_dir = n_real, split, cache_dir
        self.batch_size, self.verbose = int(batch_size), verbose
        self.repeat_last = bool(repeat_last)
        from kerasgan.metrics.evaluate import check_crop

        self.crop = check_crop(crop)
        self.real_statistics: RealStatistics | None = None
        #: `(epoch, value)` of every measurement (epochs 1-based), across fits.
        self.values: list[tuple[int, float]] = []
        #: Protocol of the last measurement (see `kerasgan.metrics.evaluate`).
        self.protocol: dict[str, Any] | None = None

    def _real(self) -> RealStatistics:
        from kerasgan.metrics.evaluate import RealStatistics, real_statistics

        if self.real_statistics is None:
            if isinstance(self.real, RealStatistics):
                self.real_statistics = self.real
            else:
                self.real_statistics = real_statistics(
                    self.feature_net,
                    self.real,
                    self.n_real or self.n,
                    cache_dir=self.cache_dir,
                    batch_size=self.batch_size,
                    split=self.split,
                )
        return self.real_statistics

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._real()

    def measure(self) -> float:
        """The metric for the model now (also usable outside `fit`)."""
        from kerasgan.metrics.evaluate import evaluate

        result = evaluate(
            self.model,
            self.feature_net,
            self._real(),
            metrics=(LOGGED_METRICS[self.metric],),
            n=self.n,
            seed=self.seed,
            batch_size=self.batch_size,
            ema=self.ema,
            crop=self.crop,
        )
        self.protocol = result["protocol"]
        return result[self.metric]

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every:
            if self.repeat_last and self.values and logs is not None:
                logs[self.name] = self.values[-1][1]
            return
        value = self.measure()
        self.values.append((epoch + 1, value))
        if logs is not None:
            logs[self.name] = value
        if self.verbose:
            print(f"Epoch {epoch + 1}: {self.name} = {value:.4f}")
