"""Streaming Gaussian feature statistics and the Fréchet distance (FID).

FID (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule
Converge to a Local Nash Equilibrium") fits a Gaussian to the features of real
and of generated samples and reports the Fréchet (2-Wasserstein) distance
between the two Gaussians. Everything here is NumPy in float64; the feature
network that produces the vectors lives elsewhere.

>>> stats = FeatureStatistics()
>>> for batch in feature_batches:
...     stats.update(batch)
>>> fid = frechet_distance(stats.mean, stats.covariance, ref.mean, ref.covariance)
"""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
import numpy.typing as npt

from kerasgan._typing import StrPath
from kerasgan.utils.files import write_atomically

__all__ = ["FeatureStatistics", "frechet_distance"]

_FORMAT_VERSION = 1


class FeatureStatistics:
    """Running mean and covariance of feature vectors, in float64.

    Numerics: each batch is reduced exactly in float64 with a two-pass formula
    (batch mean, then the scatter matrix of the *centred* batch), and batches
    are combined with Chan, Golub & LeVeque's (1979) parallel update::

        delta = mean_b - mean_a
        M2 = M2_a + M2_b + outer(delta, delta) * n_a * n_b / (n_a + n_b)

    The alternative, accumulating `sum(x)` and `sum(x x^T)` and forming
    `E[x x^T] - E[x] E[x]^T` at the end, cancels catastrophically when the
    features have a large offset relative to their spread: with offset `c` and
    spread `s` it loses about `log10(c^2 / s^2)` of float64's ~16 digits. The
    centred update never subtracts two large numbers, so its error stays at a
    few ulps of the covariance itself. The same update merges two accumulators
    (e.g. from different workers) with `merge`.

    Args:
        dim: optional feature dimension; otherwise fixed by the first update.

    Example:
        >>> stats = FeatureStatistics()
        >>> stats.update(np.random.rand(100, 8).astype("float32"))
        >>> stats.update(np.random.rand(37, 8))
        >>> stats.count, stats.mean.shape, stats.covariance.shape
        (137, (8,), (8, 8))
    """

    def __init__(self, dim: int | None = None) -> None:
        self._count = 0
        # None until the dimension is known (from `dim` or the first update)
        self._dim: int | None = None
        self._mean: np.ndarray | None = None
        self._m2: np.ndarray | None = None
        if dim is not None:
            self._dim = int(dim)
            self._mean = np.zeros(self._dim)
            self._m2 = np.zeros((self._dim, self._dim))

    @classmethod
    def from_features(cls, features: npt.ArrayLike) -> FeatureStatistics:
        """Statistics of one `(n, d)` array."""
        stats = cls()
        stats.update(features)
        return stats

    @property
    def count(self) -> int:
        """Number of feature vectors seen so far."""
        return self._count

    @property
    def dim(self) -> int | None:
        """Feature dimension, or None before the first update."""
        return self._dim

    @property
    def mean(self) -> np.ndarray:
        """Mean feature vector, shape `(d,)`, float64 (a copy)."""
        if self._count == 0:
            raise ValueError("FeatureStatistics is empty: call update() with features first.")
        assert self._mean is not None  # set by the first update
        return self._mean.copy()

    @property
    def covariance(self) -> np.ndarray:
        """Unbiased (n - 1) covariance, shape `(d, d)`, float64, exactly symmetric."""
        if self._count < 2:
            raise ValueError(f"the covariance needs at least 2 feature vectors; got {self._count}.")
        assert self._m2 is not None  # set by the first update
        cov = self._m2 / (self._count - 1)
        return (cov + cov.T) / 2

    def _check_dim(self, dim: int | None) -> None:
        if self._dim is not None and dim != self._dim:
            raise ValueError(f"expected features of dimension {self._dim}; got {dim}.")

    def _combine(self, n_b: int, mean_b: np.ndarray, m2_b: np.ndarray) -> None:
        if self._count == 0:
            self._count, self._dim = n_b, mean_b.shape[0]
            self._mean, self._m2 = mean_b.copy(), m2_b.copy()
            return
        assert self._mean is not None and self._m2 is not None  # set by the first update
        n_a, n = self._count, self._count + n_b
        delta = mean_b - self._mean
        self._mean = self._mean + delta * (n_b / n)
        self._m2 = self._m2 + m2_b + np.outer(delta, delta) * (n_a * n_b / n)
        self._count = n

    def update(self, features: npt.ArrayLike) -> FeatureStatistics:
        """Adds a batch of feature vectors.

        Args:
            features: array-like of shape `(n, d)` with `n >= 1`, any float dtype.

        Returns:
            self, so calls can be chained.
        """
        x = np.asarray(features)
        if x.ndim != 2:
            raise ValueError(f"features must have shape (n, d); got shape {x.shape}.")
        if x.shape[0] == 0:
            raise ValueError("update() got an empty batch (0 feature vectors).")
        self._check_dim(x.shape[1])
        x = x.astype(np.float64)
        if not np.all(np.isfinite(x)):
            raise ValueError("features contain NaN or infinity.")
        mean_b = x.mean(axis=0)
        centred = x - mean_b
        self._combine(x.shape[0], mean_b, centred.T @ centred)
        return self

    def merge(self, other: FeatureStatistics) -> FeatureStatistics:
        """Adds all the vectors summarised by `other` (exactly, same update); returns self."""
        if other._count == 0:
            return self
        assert other._mean is not None and other._m2 is not None  # set by its first update
        self._check_dim(other._dim)
        self._combine(other._count, other._mean, other._m2)
        return self

    def frechet_distance(self, other: FeatureStatistics, eps: float = 1e-6) -> float:
        """`frechet_distance` between the Gaussians fitted to `self` and `other`."""
        return frechet_distance(self.mean, self.covariance, other.mean, other.covariance, eps)

    def save(self, path: StrPath) -> str:
        """Writes the statistics to `path` as `.npz`, atomically; returns the path.

        The file is written exactly at `path` (no suffix is added) through a
        temporary file in the same folder and `os.replace`.
        """
        if self._count == 0:
            raise ValueError("refusing to save an empty FeatureStatistics.")
        assert self._mean is not None and self._m2 is not None  # set by the first update
        buffer = io.BytesIO()
        np.savez(
            buffer,
            version=np.int64(_FORMAT_VERSION),
            count=np.int64(self._count),
            mean=self._mean,
            m2=self._m2,
        )
        return write_atomically(buffer.getvalue(), path)

    @classmethod
    def load(cls, path: StrPath) -> FeatureStatistics:
        """Reads statistics written by `save`."""
        with np.load(os.fspath(path), allow_pickle=False) as data:  # never unpickles
            missing = {"version", "count", "mean", "m2"} - set(data.files)
            if missing:
                raise ValueError(f"{path} is not a FeatureStatistics file (missing {missing}).")
            try:
                version = int(data["version"])
                count, mean, m2 = int(data["count"]), data["mean"], data["m2"]
            except ValueError as e:  # e.g. a pickled object array
                raise ValueError(
                    f"{path} is not a FeatureStatistics file kerasgan can read: {e}. "
                    "Delete it and compute the statistics again."
                ) from None
            if version != _FORMAT_VERSION:
                raise ValueError(f"{path}: unsupported FeatureStatistics version {version}.")
        d = mean.shape[0]
        if count < 1 or mean.ndim != 1 or m2.shape != (d, d):
            raise ValueError(f"{path}: inconsistent FeatureStatistics contents.")
        stats = cls(d)
        stats._combine(count, mean.astype(np.float64), m2.astype(np.float64))
        return stats

    def __repr__(self) -> str:
        return f"FeatureStatistics(count={self._count}, dim={self._dim})"


def _sqrt_psd(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric square root of a symmetric PSD matrix and its clipped eigenvalues."""
    w, v = np.linalg.eigh(matrix)
    w = np.clip(w, 0.0, None)  # negative eigenvalues of a PSD matrix are round-off
    return (v * np.sqrt(w)) @ v.T, w


def _trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> tuple[float, bool]:
    """`Tr(sqrt(sigma1 sigma2))` and whether the product is numerically singular."""
    root1, _ = _sqrt_psd(sigma1)
    m = root1 @ sigma2 @ root1
    lam = np.linalg.eigvalsh((m + m.T) / 2)
    singular = lam[0] <= lam.shape[0] * np.finfo(np.float64).eps * max(lam[-1], 0.0)
    return float(np.sum(np.sqrt(np.clip(lam, 0.0, None)))), bool(singular)


def frechet_distance(
    mu1: npt.ArrayLike,
    sigma1: npt.ArrayLike,
    mu2: npt.ArrayLike,
    sigma2: npt.ArrayLike,
    eps: float = 1e-6,
) -> float:
    """Fréchet distance between `N(mu1, sigma1)` and `N(mu2, sigma2)` (FID).

    `d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 sqrt(sigma1 sigma2))`
    (Dowson & Landau 1982; used as FID by Heusel et al. 2017), in float64.

    The trace of the matrix square root is computed without `scipy.linalg.sqrtm`:
    `sigma1 sigma2 = R (R sigma2)` with `R = sqrt(sigma1)`, and `AB` and `BA`
    have the same eigenvalues, so `sigma1 sigma2` has the eigenvalues of the
    symmetric PSD matrix `M = R sigma2 R` (even if `sigma1` is singular). Hence
    `Tr sqrt(sigma1 sigma2) = sum(sqrt(eigvalsh(M)))`, with both `R` and the
    eigenvalues from `np.linalg.eigh` and round-off negatives clipped to 0.

    The reference implementation takes `sqrtm` of the non-symmetric product,
    which can come back complex from round-off; it raises if the imaginary
    part of the diagonal exceeds 1e-3 and otherwise keeps `.real`. Here `M` is
    symmetrised before `eigvalsh`, so the eigenvalues are real by construction:
    clipping the tiny negative ones is the counterpart of dropping a round-off
    imaginary part, and the guard has nothing left to catch.

    Like the reference, when the product is (numerically) singular, i.e.
    `min eig(M) <= d * float64_eps * max eig(M)`, e.g. covariances estimated
    from fewer samples than dimensions, `eps * I` is added to both
    covariances (with a `RuntimeWarning`) and the trace recomputed. The
    result is clipped at 0, so it is never negative from round-off.

    Args:
        mu1, mu2: mean vectors, shape `(d,)`.
        sigma1, sigma2: covariance matrices, shape `(d, d)`, symmetric PSD.
        eps: diagonal offset added when the product is singular.

    Returns:
        The squared Fréchet distance as a Python float (this is the FID value).

    Example:
        >>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))
        4.0
    """
    mu1 = np.atleast_1d(np.asarray(mu1, np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,):
        raise ValueError(f"mean vectors must both have shape (d,); got {mu1.shape}, {mu2.shape}.")
    if sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(
            f"covariances must have shape ({d}, {d}); got {sigma1.shape}, {sigma2.shape}."
        )
    for a in (mu1, mu2, sigma1, sigma2):
        if not np.all(np.isfinite(a)):
            raise ValueError("statistics contain NaN or infinity.")
    cov1, cov2 = (sigma1 + sigma1.T) / 2, (sigma2 + sigma2.T) / 2

    tr_covmean, singular = _trace_sqrt_product(cov1, cov2)
    if singular and eps > 0:
        warnings.warn(
            f"frechet_distance: singular product of covariances; adding {eps} to their "
            "diagonals (as the reference FID implementation does).",
            RuntimeWarning,
            stacklevel=2,
        )
        offset = eps * np.eye(d)
        cov1, cov2 = cov1 + offset, cov2 + offset
        tr_covmean, _ = _trace_sqrt_product(cov1, cov2)

    diff = mu1 - mu2
    value = diff @ diff + np.trace(cov1) + np.trace(cov2) - 2.0 * tr_covmean
    return max(float(value), 0.0)
