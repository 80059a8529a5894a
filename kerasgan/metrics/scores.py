"""Sample-based GAN scores on precomputed features or class probabilities.

- `kernel_distance`: KID, Bińkowski et al. 2018, "Demystifying MMD GANs".
- `inception_score`: IS, Salimans et al. 2016, "Improved Techniques for Training GANs".
- `precision_recall`: Kynkäänniemi et al. 2019, "Improved Precision and Recall
  Metric for Assessing Generative Models".

All are NumPy-only and deterministic for a given `seed`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

__all__ = ["inception_score", "kernel_distance", "precision_recall"]

#: Floor under probabilities before taking logs in `inception_score`.
LOG_EPSILON = 1e-12


def _features(x: npt.ArrayLike, name: str, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} must have shape (n, d) with n, d >= 1; got {x.shape}.")
    x = x.astype(dtype, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return x


def _unbiased_mmd2(x: np.ndarray, y: np.ndarray, degree: int, gamma: float, coef: float) -> float:
    """Unbiased MMD^2 estimate with the polynomial kernel, equal-size `x` and `y`."""
    m = x.shape[0]
    k_xx = (gamma * (x @ x.T) + coef) ** degree
    k_yy = (gamma * (y @ y.T) + coef) ** degree
    k_xy = (gamma * (x @ y.T) + coef) ** degree
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return within - 2.0 * k_xy.mean()


def kernel_distance(
    features1: npt.ArrayLike,
    features2: npt.ArrayLike,
    num_subsets: int = 100,
    subset_size: int = 1000,
    degree: int = 3,
    gamma: float | None = None,
    coef: float = 1.0,
    seed: int = 0,
) -> tuple[float, float]:
    """Kernel Inception Distance (KID; Bińkowski et al. 2018).

    The unbiased estimate of the squared MMD with the polynomial kernel
    `k(x, y) = (gamma x.y + coef)^degree`, averaged over `num_subsets` random
    pairs of subsets (drawn without replacement within each subset). Unlike FID
    the estimator is unbiased, so it can be slightly negative when the
    distributions match. Computed in float64.

    Args:
        features1, features2: arrays of shape `(n1, d)` and `(n2, d)`.
        num_subsets: number of subset pairs to average over.
        subset_size: samples per subset; capped at `min(n1, n2)` (needs >= 2).
        degree, gamma, coef: kernel parameters; `gamma` defaults to `1 / d`.
        seed: seed of the subset sampler.

    Returns:
        `(mean, std)` of the per-subset estimates (std with ddof 0, as in the
        reference code; 0 when `num_subsets == 1`).

    Example:
        >>> kid, kid_std = kernel_distance(real_feats, fake_feats, num_subsets=50)
    """
    x = _features(features1, "features1")
    y = _features(features2, "features2")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"feature dimensions differ: {x.shape[1]} and {y.shape[1]}.")
    if num_subsets < 1:
        raise ValueError(f"num_subsets must be >= 1; got {num_subsets}.")
    m = min(int(subset_size), x.shape[0], y.shape[0])
    if m < 2:
        raise ValueError(f"kernel_distance needs subsets of at least 2 samples; got {m}.")
    gamma = 1.0 / x.shape[1] if gamma is None else float(gamma)
    rng = np.random.default_rng(seed)
    values = np.empty(num_subsets)
    for i in range(num_subsets):
        xs = x[rng.choice(x.shape[0], m, replace=False)]
        ys = y[rng.choice(y.shape[0], m, replace=False)]
        values[i] = _unbiased_mmd2(xs, ys, degree, gamma, coef)
    return float(values.mean()), float(values.std())


def inception_score(probabilities: npt.ArrayLike, splits: int = 10) -> tuple[float, float]:
    """Inception Score (Salimans et al. 2016): `exp(E_x KL(p(y|x) || p(y)))`.

    The samples are cut into `splits` contiguous, near-equal parts (as in the
    reference code); in each, `p(y)` is the mean prediction of that part.
    Logs are taken of `max(p, 1e-12)`, so zero probabilities are safe (they
    contribute `0 * log(...) = 0`). Float64 throughout.

    Args:
        probabilities: `(n, classes)` class probabilities (rows sum to 1,
            e.g. softmax outputs), with `n >= splits`.
        splits: number of parts to average over.

    Returns:
        `(mean, std)` of the per-split scores (std with ddof 0). Ranges from
        1 (all predictions equal) to `classes` (confident and evenly spread).

    Example:
        >>> inception_score(np.eye(10)[np.arange(100) % 10], splits=1)
        (10.0, 0.0)
    """
    p = _features(probabilities, "probabilities")
    n = p.shape[0]
    if splits < 1 or n < splits:
        raise ValueError(f"need 1 <= splits <= n; got splits={splits} with n={n}.")
    if np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-3):
        raise ValueError("probabilities must be non-negative with rows summing to 1.")
    log_p = np.log(np.maximum(p, LOG_EPSILON))
    scores = np.empty(splits)
    for k in range(splits):
        lo, hi = k * n // splits, (k + 1) * n // splits
        part, log_part = p[lo:hi], log_p[lo:hi]
        log_py = np.log(np.maximum(part.mean(axis=0), LOG_EPSILON))
        kl = np.sum(part * (log_part - log_py), axis=1)
        scores[k] = np.exp(kl.mean())
    return float(scores.mean()), float(scores.std())


def _sq_norms(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x.astype(np.float64), x.astype(np.float64))


def _batched_sq_distances(
    a: np.ndarray, b: np.ndarray, batch_size: int
) -> Iterator[tuple[int, np.ndarray]]:
    """Yields `(start, D)` with `D[i, j] = ||a[start + i] - b[j]||^2` (float32, >= 0)."""
    a_norms, b_norms = _sq_norms(a).astype(np.float32), _sq_norms(b).astype(np.float32)
    for start in range(0, a.shape[0], batch_size):
        stop = min(start + batch_size, a.shape[0])
        d = a[start:stop] @ b.T
        d *= -2.0
        d += a_norms[start:stop, None]
        d += b_norms[None, :]
        np.maximum(d, 0.0, out=d)
        yield start, d


def _knn_sq_radii(x: np.ndarray, k: int, batch_size: int) -> np.ndarray:
    """Squared distance of each row of `x` to its k-th nearest other row."""
    radii = np.empty(x.shape[0], np.float32)
    for start, d in _batched_sq_distances(x, x, batch_size):
        rows = np.arange(d.shape[0])
        d[rows, start + rows] = np.inf  # exclude self
        radii[start : start + d.shape[0]] = np.partition(d, k - 1, axis=1)[:, k - 1]
    return radii


def _coverage(
    queries: np.ndarray, support: np.ndarray, sq_radii: np.ndarray, batch_size: int
) -> float:
    """Fraction of `queries` within `sqrt(sq_radii[j])` of some `support[j]`."""
    inside = 0
    for _, d in _batched_sq_distances(queries, support, batch_size):
        inside += int(np.count_nonzero(np.any(d <= sq_radii[None, :], axis=1)))
    return inside / queries.shape[0]


def precision_recall(
    real_features: npt.ArrayLike, fake_features: npt.ArrayLike, k: int = 3, batch_size: int = 1024
) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its samples, of radius
    the distance to the sample's k-th nearest neighbour in the same set
    (itself excluded). Precision is the fraction of fake samples inside the
    real manifold (sample quality); recall the fraction of real samples
    inside the fake manifold (coverage, e.g. low under mode collapse).

    Distances come from `||a||^2 + ||b||^2 - 2 a.b` with a float32 matmul on
    features centred at the real mean (translation-invariant, and centring
    shrinks the norms and thus the cancellation error); norms are summed in
    float64. At most `batch_size x max(n_real, n_fake)` distances exist at once.

    Args:
        real_features, fake_features: arrays of shape `(n_real, d)`, `(n_fake, d)`.
        k: neighbourhood size (the paper uses 3); needs `k < n` for both sets.
        batch_size: rows of the distance matrix computed at a time.

    Returns:
        `(precision, recall)`, both in [0, 1].

    Example:
        >>> precision, recall = precision_recall(real_feats, fake_feats, k=3)
    """
    real = _features(real_features, "real_features")
    fake = _features(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature dimensions differ: {real.shape[1]} and {fake.shape[1]}.")
    if not 1 <= k < min(real.shape[0], fake.shape[0]):
        raise ValueError(f"need 1 <= k < number of samples in each set; got k={k}.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
    centre = real.mean(axis=0)
    real = (real - centre).astype(np.float32)
    fake = (fake - centre).astype(np.float32)
    real_radii = _knn_sq_radii(real, k, batch_size)
    fake_radii = _knn_sq_radii(fake, k, batch_size)
    precision = _coverage(fake, real, real_radii, batch_size)
    recall = _coverage(real, fake, fake_radii, batch_size)
    return precision, recall
