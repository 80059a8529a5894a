"""GAN evaluation end to end: images -> feature network -> FID, KID, PR, IS.

>>> net = InceptionV3Features()                      # or ClassifierFeatures.load(...)
>>> real = real_statistics(net, "fashion_mnist", n=10000, cache_dir="~/.cache/kerasgan")
>>> scores = evaluate(gan, net, real, n=10000, seed=0)
>>> scores["fid"], scores["protocol"]["n_fake"]

Generated images are made, featurized and dropped one batch at a time; only
their feature vectors (and class probabilities, for IS) are kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from kerasgan._typing import StrPath
from kerasgan.metrics.scores import inception_score, kernel_distance, precision_recall
from kerasgan.metrics.statistics import FeatureStatistics

if TYPE_CHECKING:
    from kerasgan.metrics.features import FeatureNetwork

__all__ = [
    "METRICS",
    "RealStatistics",
    "evaluate",
    "fid_spread",
    "parse_metrics",
    "real_statistics",
]

#: Metric names `evaluate` knows, and the result keys each adds.
METRICS = {
    "fid": ("fid",),
    "kid": ("kid", "kid_std"),
    "pr": ("precision", "recall"),
    "is": ("is", "is_std"),
}


@dataclasses.dataclass
class RealStatistics:
    """Features of `count` real images: Gaussian statistics (FID) and the vectors (KID, PR)."""

    statistics: FeatureStatistics
    features: np.ndarray
    feature_network: str
    source: str
    split: str
    n: int
    cache_path: str | None = None

    @property
    def count(self) -> int:
        return int(self.features.shape[0])


def _source_name(data: Any, name: str | None) -> str | None:
    if name is not None:
        return str(name)
    if isinstance(data, (str, os.PathLike)):
        spec = os.path.expanduser(os.fspath(data))
        return os.path.abspath(spec) if os.path.exists(spec) else spec
    if isinstance(data, np.ndarray):
        return f"array-{hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()[:12]}"
    return None


def _real_batches(data: Any, split: str, batch_size: int) -> Iterator[np.ndarray]:
    """Yields float32 image batches from a dataset name/path, an array, or a tf.data.Dataset."""
    if isinstance(data, (str, os.PathLike)):
        from kerasgan import data as kdata

        data = kdata.load(
            data, split=split, batch_size=batch_size, shuffle=False, drop_remainder=False
        )
    if not hasattr(data, "as_numpy_iterator"):
        array = np.asarray(data)
        if array.ndim != 4:
            raise TypeError(
                "real data must be a dataset name or path, images of shape (n, H, W, C), or "
                f"a tf.data.Dataset; got {type(data).__name__} {array.shape}."
            )
        for start in range(0, array.shape[0], batch_size):
            yield array[start : start + batch_size]
        return
    spec = data.element_spec[0] if isinstance(data.element_spec, tuple) else data.element_spec
    if len(spec.shape) == 3:
        data = data.batch(batch_size)
    for element in data.as_numpy_iterator():
        yield element[0] if isinstance(element, tuple) else element


def _cache_path(
    cache_dir: StrPath, feature_net: FeatureNetwork, source: str, split: str, n: int
) -> str:
    key = f"{feature_net.name}__{source}__{split}__n{n}"
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", key)[-120:].strip("_.")
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return os.path.join(os.path.expanduser(os.fspath(cache_dir)), f"{readable}-{digest}")


def _load_cached(path: str, meta: dict[str, Any]) -> tuple[FeatureStatistics, np.ndarray] | None:
    try:
        with np.load(path + ".features.npz", allow_pickle=False) as data:
            if json.loads(str(data["meta"])) != meta:
                return None
            features = data["features"]
        return FeatureStatistics.load(path + ".stats.npz"), features
    except (OSError, ValueError, KeyError):
        return None


def _compute_real(
    feature_net: FeatureNetwork, data: Any, n: int, split: str, batch_size: int
) -> tuple[FeatureStatistics, np.ndarray]:
    stats, kept, count = FeatureStatistics(), [], 0
    for images in _real_batches(data, split, batch_size):
        images = images[: n - count]
        if images.shape[0] == 0:
            break
        feats = feature_net.features(images)
        stats.update(feats)
        kept.append(feats)
        count += images.shape[0]
        if count >= n:
            break
    if count < 2:
        raise ValueError(f"need at least 2 real images for the statistics; got {count}.")
    return stats, np.concatenate(kept)


def real_statistics(
    feature_net: FeatureNetwork,
    data: Any,
    n: int = 10000,
    cache_dir: StrPath | None = None,
    batch_size: int = 256,
    split: str = "train",
    name: str | None = None,
) -> RealStatistics:
    """Features of the first `n` real images (fewer if the source has fewer).

    Args:
        feature_net: a `FeatureNetwork` (see `kerasgan.metrics.features`).
        data: a dataset name or path for `kerasgan.data.load` (read in order,
            unshuffled), an array of images in [-1, 1], or a `tf.data.Dataset`
            of images or `(images, labels)`, batched or not.
        n: number of real images.
        cache_dir: when set, the result is saved there (`<key>.features.npz`
            and `<key>.stats.npz`, each written atomically) and loaded from
            there next time. The key holds the feature network's name (which
            includes a digest of its weights), the source, `split` and `n`.
            Arrays are keyed by a digest of their contents; a tf.data.Dataset
            needs `name=` to be cached.
        batch_size: images per batch.
        split: split of a dataset name/path.
        name: the source's name in the cache key and the protocol.
    """
    if int(n) < 2:
        raise ValueError(f"n must be >= 2 real images; got {n}.")
    n = int(n)
    if not isinstance(data, (str, os.PathLike)) and not hasattr(data, "as_numpy_iterator"):
        data = np.asarray(data)[:n]
    source = _source_name(data, name)
    path = None
    if cache_dir is not None:
        if source is None:
            raise ValueError("pass name=... to cache the statistics of a tf.data.Dataset.")
        path = _cache_path(cache_dir, feature_net, source, split, n)
        meta = {"feature_network": feature_net.name, "source": source, "split": split, "n": n}
        cached = _load_cached(path, meta)
        if cached is not None:
            return RealStatistics(*cached, feature_net.name, source, split, n, path)
    stats, features = _compute_real(feature_net, data, n, split, batch_size)
    if path is not None:
        buffer = io.BytesIO()
        np.savez(buffer, features=features, meta=np.array(json.dumps(meta)))
        from kerasgan.utils.files import write_atomically

        write_atomically(buffer.getvalue(), path + ".features.npz")
        stats.save(path + ".stats.npz")  # written last: marks a complete entry
    return RealStatistics(stats, features, feature_net.name, source or "dataset", split, n, path)


def parse_metrics(metrics: str | Iterable[str]) -> tuple[str, ...]:
    """`"fid,kid"` or `("fid", "kid")` -> `("fid", "kid")`; raises for unknown names."""
    if isinstance(metrics, str):
        metrics = metrics.split(",")
    metrics = tuple(dict.fromkeys(m.strip().lower() for m in metrics if m.strip()))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise ValueError(
            f"unknown metric(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(METRICS)}."
        )
    return metrics


def check_crop(crop: int | Sequence[int] | None) -> tuple[int, int] | None:
    """`crop` as `(height, width)` (an int means a square), or None."""
    if crop is None:
        return None
    sizes = (crop, crop) if isinstance(crop, (int, np.integer)) else tuple(crop)
    if len(sizes) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in sizes
    ):
        raise ValueError(f"crop must be a positive int or (height, width); got {crop!r}.")
    return int(sizes[0]), int(sizes[1])


def center_crop(images: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    """The central `crop = (height, width)` of images `(n, H, W, C)`.

    The inverse of `kerasgan.data.load(..., pad_to=N)`'s padding: the first
    row kept is `(H - height) // 2`, as many pixels as the padding put before.
    """
    h, w = crop
    if images.shape[1] < h or images.shape[2] < w:
        raise ValueError(
            f"cannot crop {images.shape[1]}x{images.shape[2]} images to {h}x{w}: crop must "
            "not be larger than the generated images."
        )
    top, left = (images.shape[1] - h) // 2, (images.shape[2] - w) // 2
    return images[:, top : top + h, left : left + w]


def _fake_batches(
    gan: Any,
    n: int,
    seed: int | None,
    batch_size: int,
    ema: bool,
    crop: tuple[int, int] | None = None,
) -> Iterator[np.ndarray]:
    """Yields batches of generated images (or slices of an array of images)."""
    if crop is not None:
        for images in _fake_batches(gan, n, seed, batch_size, ema):
            yield center_crop(np.asarray(images), crop)
        return
    if not hasattr(gan, "generate"):
        array = np.asarray(gan)
        if array.ndim != 4 or array.shape[0] < n:
            raise ValueError(f"need n={n} fake images of shape (n, H, W, C); got {array.shape}.")
        for start in range(0, n, batch_size):
            yield array[start : min(start + batch_size, n)]
        return
    num_classes = getattr(gan, "num_classes", None)
    num_batches = -(-n // batch_size)
    seeds = None if seed is None else np.random.SeedSequence(seed).generate_state(num_batches)
    for i, start in enumerate(range(0, n, batch_size)):
        size = min(batch_size, n - start)
        kwargs = {"seed": None if seeds is None else int(seeds[i] % (2**31 - 1))}
        if num_classes:
            kwargs["labels"] = (np.arange(start, start + size) % num_classes).astype("int32")
        if ema:
            kwargs["ema"] = True
        yield gan.generate(size, batch_size=size, **kwargs)


def evaluate(
    gan: Any,
    feature_net: FeatureNetwork | None = None,
    real: Any = None,
    metrics: str | Iterable[str] = ("fid", "kid", "pr", "is"),
    n: int = 10000,
    seed: int | None = 0,
    batch_size: int = 256,
    ema: bool = False,
    *,
    split: str = "train",
    n_real: int | None = None,
    cache_dir: StrPath | None = None,
    kid_subsets: int = 100,
    kid_subset_size: int = 1000,
    pr_k: int = 3,
    is_splits: int = 10,
    crop: int | Sequence[int] | None = None,
) -> dict[str, Any]:
    """Scores `n` generated images against real ones.

    Args:
        gan: a `GANModel` (or any object with `generate(n, labels=, seed=,
            batch_size=, ema=)` and `num_classes`), or an array of images in
            [-1, 1] (the first `n` are used). Conditional models get labels
            cycling over the classes.
        feature_net: a `FeatureNetwork`; default `InceptionV3Features()`.
        real: `RealStatistics`, or real data for `real_statistics`.
        metrics: names from `METRICS` ("fid", "kid", "pr", "is"), or "fid,kid".
        n: generated images.
        seed: noise seed; batch `i` uses a seed derived from it, so the
            images depend on (`seed`, `batch_size`), both in the protocol.
        batch_size: images generated (and featurized) at a time.
        ema: generate with the EMA generator.
        split, n_real, cache_dir: for `real_statistics` when `real` is data
            (`n_real` defaults to `n`).
        kid_subsets, kid_subset_size: KID subsets (size capped by the counts).
        pr_k: neighbourhood size of precision/recall.
        is_splits: IS splits (capped at `n`).
        crop: `(height, width)` (or an int, for a square): score the central
            part of each generated image. For a model trained on padded
            images, e.g. 28x28 Fashion-MNIST with `kerasgan.data.load(...,
            pad_to=32)`, `crop=28` compares the same image area as the
            unpadded real images (resizing the whole 32x32 canvas instead
            would shrink every garment).

    Returns:
        `{"fid", "kid", "kid_std", "precision", "recall", "is", "is_std"}` (the
        requested ones, as floats) and `"protocol"`: what was measured how.
    """
    metrics = parse_metrics(metrics)
    crop = check_crop(crop)
    if isinstance(n, bool) or int(n) < 2:
        raise ValueError(f"n must be >= 2 generated images; got {n}.")
    n = int(n)
    if feature_net is None:
        from kerasgan.metrics.features import InceptionV3Features

        feature_net = InceptionV3Features()
    if real is None:
        raise ValueError("pass real=: a dataset name or path, real images, or RealStatistics.")
    want_probs = "is" in metrics
    if want_probs and feature_net.num_classes is None:
        raise ValueError(f"IS needs class probabilities; {feature_net.name} has no classifier.")
    start_time = time.time()
    if not isinstance(real, RealStatistics):
        real = real_statistics(
            feature_net, real, n_real or n, cache_dir=cache_dir, batch_size=batch_size, split=split
        )
    elif real.feature_network != feature_net.name:
        raise ValueError(
            f"real statistics were computed with {real.feature_network}, not {feature_net.name}."
        )
    stats, feat_batches, probs = FeatureStatistics(), [], []
    for images in _fake_batches(gan, n, seed, batch_size, ema, crop):
        f, p = feature_net.extract(images, probabilities=want_probs)
        stats.update(f)
        if "kid" in metrics or "pr" in metrics:
            feat_batches.append(f)
        if want_probs:
            assert p is not None  # extract(probabilities=True) returns them
            probs.append(p)
    # for KID and PR (with n >= 2 there is at least one batch)
    feats = (
        np.concatenate(feat_batches)
        if feat_batches
        else np.zeros((0, feature_net.feature_dim), "float32")
    )
    result: dict[str, Any] = {}
    if "fid" in metrics:
        result["fid"] = real.statistics.frechet_distance(stats)
    subset = min(kid_subset_size, n, real.count)
    if "kid" in metrics:
        kid = kernel_distance(real.features, feats, kid_subsets, subset, seed=seed or 0)
        result["kid"], result["kid_std"] = kid
    if "pr" in metrics:
        result["precision"], result["recall"] = precision_recall(real.features, feats, k=pr_k)
    if want_probs:
        result["is"], result["is_std"] = inception_score(np.concatenate(probs), min(is_splits, n))
    result = {k: float(v) for k, v in result.items()}
    result["protocol"] = {
        "metrics": list(metrics),
        "feature_network": feature_net.name,
        "input_shape": list(feature_net.input_shape),
        "feature_dim": int(feature_net.feature_dim),
        "n_fake": n,
        "n_real": real.count,
        "real_source": real.source,
        "real_split": real.split,
        "seed": seed,
        "batch_size": int(batch_size),
        "ema": bool(ema),
        "crop": list(crop) if crop else None,
        "conditional": bool(getattr(gan, "num_classes", None)),
        "kid_subsets": int(kid_subsets) if "kid" in metrics else None,
        "kid_subset_size": subset if "kid" in metrics else None,
        "pr_k": int(pr_k) if "pr" in metrics else None,
        "is_splits": min(is_splits, n) if want_probs else None,
        "wall_time_s": round(time.time() - start_time, 2),
    }
    return result


#: Images per draw of `fid_spread` (what `kerasgan eval --record` stores for `zoo check`).
SPREAD_N = 2000


def fid_spread(
    gan: Any,
    feature_net: FeatureNetwork,
    real: Any,
    n: int = SPREAD_N,
    seeds: Iterable[int] = range(1, 9),
    *,
    split: str = "test",
    batch_size: int = 256,
    ema: bool = False,
    crop: int | Sequence[int] | None = None,
    cache_dir: StrPath | None = None,
) -> dict[str, Any]:
    """The FID of a smaller sample, drawn several times: what one draw of `n`
    generated images scores against the first `n` real images, and how much it
    varies from draw to draw.

    A full-size FID (10 000 vs 10 000) is slow to recompute; this is the cheap
    check that goes with it. A model card stores the spread next to the full
    score, and `kerasgan.zoo.check_scores` later draws `n` new images with
    another seed and checks that their FID lies within a few standard
    deviations of `mean`, so a card cannot drift from its weights unnoticed.
    FID depends on the sample sizes, so a smaller-sample FID is compared with
    draws of the same size, never with the full score.

    Args:
        gan, feature_net, batch_size, ema, crop: as for `evaluate`.
        real: real data for `real_statistics` (a dataset name or path, images,
            or `RealStatistics` of at least `n` images, of which the first `n`
            are used).
        n: generated (and real) images per draw.
        seeds: one generation seed per draw (at least 2).
        split, cache_dir: for `real_statistics` when `real` is data.

    Returns:
        `{"fids", "mean", "std"}` (the standard deviation over draws, ddof=1)
        and the protocol: `n`, `seeds`, `split`, `batch_size`, `ema`, `crop`,
        `feature_network`.
    """
    seeds = [int(s) for s in seeds]
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"fid_spread needs at least 2 different seeds; got {seeds}.")
    n = int(n)
    if isinstance(real, RealStatistics):
        if real.count < n:
            raise ValueError(f"real statistics hold {real.count} images; the draws need {n}.")
        if real.count > n:
            features = real.features[:n]
            real = dataclasses.replace(
                real, statistics=FeatureStatistics.from_features(features), features=features, n=n
            )
    else:
        real = real_statistics(
            feature_net, real, n, cache_dir=cache_dir, batch_size=batch_size, split=split
        )
    fids = [
        evaluate(
            gan,
            feature_net,
            real,
            metrics="fid",
            n=n,
            seed=s,
            batch_size=batch_size,
            ema=ema,
            crop=crop,
        )["fid"]
        for s in seeds
    ]
    return {
        "fids": [float(f) for f in fids],
        "mean": float(np.mean(fids)),
        "std": float(np.std(fids, ddof=1)),
        "n": n,
        "seeds": seeds,
        "split": real.split,
        "batch_size": int(batch_size),
        "ema": bool(ema),
        "crop": list(check_crop(crop) or ()) or None,
        "feature_network": feature_net.name,
    }
