"""`DivergenceGuard`: stop a diverging GAN at the first NaN/Inf, keep the last good model."""

from __future__ import annotations

import math
import os
from typing import Any

import keras
import numpy as np

from kerasgan._typing import StrPath


class DivergenceError(RuntimeError):
    """Training produced NaN/Inf losses or weights; the message names the step and checkpoint."""


class DivergenceGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss or weight, with a clear message.

    After every batch the logged losses (`d_loss`, `g_loss`, `gp`, ... — every
    value in the batch logs) are checked; at every epoch end the weights of
    both networks (and the EMA generator) too. At the first NaN/Inf it raises
    `DivergenceError` naming the epoch, the step and the last good checkpoint.
    Raising (rather than setting `stop_training`) matters: Keras would still
    run every callback's `on_epoch_end`, so `BackupAndRestore` or
    `ModelCheckpoint` later in the list would overwrite their last good files
    with the diverged weights. Put the guard *first* in the callbacks list.

    With `checkpoint=` a path ending in `.keras`, the model is saved there
    (atomically: written next to it, then renamed) at every epoch end whose
    weights are finite, so that file is always the last good model. With
    `restore=True` the in-memory model is also reset to it before raising.

    Args:
        checkpoint: optional `.keras` path for the last good model.
        restore: reload the last good weights into the model on divergence.
        check_weights: also scan the weights at each epoch end.

    Example:
        >>> guard = kerasgan.callbacks.DivergenceGuard("runs/last_good.keras")
        >>> gan.fit(ds, epochs=50, callbacks=[guard, ...])

    The step in the message counts training steps (batches) over the model's
    life, from its generator optimizer's iteration counter.
    """

    def __init__(
        self, checkpoint: StrPath | None = None, restore: bool = False, check_weights: bool = True
    ) -> None:
        super().__init__()
        if checkpoint is not None and not os.fspath(checkpoint).endswith(".keras"):
            raise ValueError(
                f"DivergenceGuard checkpoint must be a .keras path; got {os.fspath(checkpoint)!r}."
            )
        if restore and checkpoint is None:
            raise ValueError("DivergenceGuard(restore=True) needs checkpoint= to restore from.")
        self.checkpoint = None if checkpoint is None else os.fspath(checkpoint)
        self.restore = bool(restore)
        self.check_weights = bool(check_weights)
        self.last_good_epoch: int | None = None  # 1-based epoch of the last good checkpoint
        self._epoch = 0
        self._step = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        opt = getattr(self.model, "g_optimizer", None) or getattr(self.model, "optimizer", None)
        self._step = int(opt.iterations.numpy()) if opt is not None else 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._step += 1
        bad = {k: v for k, v in (logs or {}).items() if _non_finite(v)}
        if bad:
            self._diverged(f"{_describe(bad)} at batch {batch + 1}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.check_weights:
            bad = [w.path for w in self._watched_weights() if not np.all(np.isfinite(w.numpy()))]
            if bad:
                more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
                self._diverged(f"non-finite weights in {', '.join(bad[:3])}{more} at epoch end")
        if self.checkpoint is not None:
            folder = os.path.dirname(os.path.abspath(self.checkpoint))
            os.makedirs(folder, exist_ok=True)
            tmp = os.path.join(folder, f".tmp.{os.getpid()}.{os.path.basename(self.checkpoint)}")
            try:
                self.model.save(tmp)
                os.replace(tmp, self.checkpoint)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
        self.last_good_epoch = epoch + 1

    def _watched_weights(self) -> list[keras.Variable]:
        model = self.model
        nets: list[Any] = [
            getattr(model, n, None) for n in ("generator", "discriminator", "ema_generator")
        ]
        nets = [n for n in nets if n is not None] or [model]
        return [w for net in nets for w in net.weights]

    def _diverged(self, what: str) -> None:
        if self.checkpoint is not None and self.last_good_epoch is not None:
            epoch = self.last_good_epoch
            where = f"the last good model is {self.checkpoint} (end of epoch {epoch})"
            if self.restore:
                self._restore()
                where += "; the model was reset to it"
        elif self.last_good_epoch is not None:
            where = (
                f"the last good state is the end of epoch {self.last_good_epoch} (in your "
                "BackupAndRestore/ModelCheckpoint files, if any)"
            )
        else:
            where = "no epoch finished cleanly, so there is no good checkpoint"
        raise DivergenceError(
            f"Training diverged in epoch {self._epoch + 1}, step {self._step}: {what}; {where}. "
            "Try a lower learning rate, a gradient penalty / R1, or spectral normalization."
        )

    def _restore(self) -> None:
        good = keras.saving.load_model(self.checkpoint, compile=False)
        if len(good.weights) != len(self.model.weights):
            return  # not the same architecture: leave the model as it is
        for mine, theirs in zip(self.model.weights, good.weights):
            mine.assign(theirs)


def _non_finite(value: Any) -> bool:
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _describe(bad: dict) -> str:
    return ", ".join(f"{k}={float(v)}" for k, v in sorted(bad.items()))
