"""Numerical core of kerasgan.metrics, checked against closed forms and SciPy."""

import warnings

import numpy as np
import pytest
import scipy.linalg

from kerasgan.metrics import (
    FeatureStatistics,
    frechet_distance,
    inception_score,
    kernel_distance,
    precision_recall,
)


def _random_cov(rng, d, scale=1.0):
    a = rng.normal(size=(d, d)) * scale
    return a @ a.T / d + 0.1 * np.eye(d)


def _scipy_frechet(mu1, s1, mu2, s2, eps=1e-6):
    """The classic formula (pytorch-fid style): sqrtm of the product, `.real` guard."""
    covmean, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(s1.shape[0]) * eps
        covmean = scipy.linalg.sqrtm((s1 + offset) @ (s2 + offset))
    if np.iscomplexobj(covmean):
        assert np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3)
        covmean = covmean.real
    diff = mu1 - mu2
    return diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


# FeatureStatistics ---------------------------------------------------------------


def test_streaming_uneven_batches_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 6)) @ rng.normal(size=(6, 6)) + 3.0
    stats = FeatureStatistics()
    for batch in np.split(x, [1, 2, 9, 60, 61, 150]):
        stats.update(batch)
    assert stats.count == 200 and stats.dim == 6
    np.testing.assert_allclose(stats.mean, x.mean(axis=0), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(stats.covariance, np.cov(x, rowvar=False), rtol=1e-12, atol=1e-13)
    assert stats.covariance.dtype == np.float64
    np.testing.assert_array_equal(stats.covariance, stats.covariance.T)


def test_merge_equals_single_stream():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(90, 4))
    a = FeatureStatistics.from_features(x[:31])
    b = FeatureStatistics.from_features(x[31:])
    a.merge(b).merge(FeatureStatistics())
    np.testing.assert_allclose(a.covariance, np.cov(x, rowvar=False), rtol=1e-12)
    assert a.count == 90


def test_float32_large_offset_covariance_is_accurate():
    # float32 features near 1e4 with spread 1e-2: E[xx^T] - E[x]E[x]^T cancels
    # ~8 of float64's digits (and all of float32's); the centred update does not.
    rng = np.random.default_rng(2)
    x = (1e4 + rng.normal(scale=0.01, size=(3000, 4))).astype(np.float32)
    exact = np.cov(x.astype(np.float64), rowvar=False)
    stats = FeatureStatistics()
    for row in x[:200]:
        stats.update(row[None])  # the worst case: one vector at a time
    for batch in np.array_split(x[200:], 7):
        stats.update(batch)
    np.testing.assert_allclose(stats.covariance, exact, rtol=1e-9, atol=1e-9 * exact.max())
    x64 = x.astype(np.float64)
    naive = (x64.T @ x64 - 3000 * np.outer(x64.mean(0), x64.mean(0))) / 2999
    assert np.abs(naive - exact).max() > 1e3 * np.abs(stats.covariance - exact).max()


def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    stats = FeatureStatistics.from_features(rng.normal(size=(50, 5)).astype(np.float32))
    path = tmp_path / "sub" / "real_stats.npz"
    assert stats.save(path) == str(path)
    loaded = FeatureStatistics.load(path)
    assert loaded.count == 50 and loaded.dim == 5
    np.testing.assert_array_equal(loaded.mean, stats.mean)
    np.testing.assert_array_equal(loaded.covariance, stats.covariance)
    assert [p.name for p in path.parent.iterdir()] == ["real_stats.npz"]  # no temp left
    more = rng.normal(size=(10, 5))
    loaded.update(more)
    assert loaded.count == 60  # a loaded accumulator keeps streaming


def test_errors_are_clear(tmp_path):
    stats = FeatureStatistics()
    with pytest.raises(ValueError, match="empty batch"):
        stats.update(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="empty"):
        _ = stats.mean
    with pytest.raises(ValueError, match=r"shape \(n, d\)"):
        stats.update(np.zeros(3))
    with pytest.raises(ValueError, match="empty"):
        stats.save(tmp_path / "x.npz")
    stats.update(np.ones((1, 3)))
    with pytest.raises(ValueError, match="at least 2"):
        _ = stats.covariance
    with pytest.raises(ValueError, match="dimension 3"):
        stats.update(np.ones((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        stats.update(np.full((2, 3), np.nan))


# frechet_distance ----------------------------------------------------------------


def test_frechet_diagonal_closed_form():
    rng = np.random.default_rng(4)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    s1, s2 = rng.uniform(0.1, 3, size=8), rng.uniform(0.1, 3, size=8)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    value = frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-12)
    assert frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2)) == 4.0


def test_frechet_matches_scipy_sqrtm_reference():
    rng = np.random.default_rng(5)
    for d in (3, 32):
        mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
        s1, s2 = _random_cov(rng, d), _random_cov(rng, d, scale=2.0)
        ref = _scipy_frechet(mu1, s1, mu2, s2)
        assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(ref, rel=1e-9)
        # symmetric in its arguments
        ab, ba = frechet_distance(mu1, s1, mu2, s2), frechet_distance(mu2, s2, mu1, s1)
        assert ab == pytest.approx(ba, rel=1e-10)


def test_frechet_identical_statistics_is_zero():
    rng = np.random.default_rng(6)
    stats = FeatureStatistics.from_features(rng.normal(size=(500, 64)) * 5 + 2)
    assert 0.0 <= stats.frechet_distance(stats) < 1e-6
    mu, cov = stats.mean, stats.covariance
    assert frechet_distance(mu, cov, mu, cov) < 1e-6


def test_frechet_singular_covariances():
    rng = np.random.default_rng(7)
    # fewer samples than dimensions: rank-deficient covariances
    a = FeatureStatistics.from_features(rng.normal(size=(10, 32)))
    b = FeatureStatistics.from_features(rng.normal(size=(12, 32)) + 0.5)
    with pytest.warns(RuntimeWarning, match="singular"):
        value = a.frechet_distance(b)
    assert np.isfinite(value) and value > 0
    ref = _scipy_frechet(a.mean, a.covariance, b.mean, b.covariance)
    assert value == pytest.approx(ref, rel=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert 0.0 <= a.frechet_distance(a) < 1e-6
        assert frechet_distance(np.zeros(4), np.zeros((4, 4)), np.ones(4), np.zeros((4, 4))) == (
            pytest.approx(4.0)
        )


def test_frechet_from_samples_matches_closed_form():
    rng = np.random.default_rng(8)
    d, n = 4, 20000
    mu1, mu2 = np.zeros(d), np.full(d, 0.5)
    s1, s2 = _random_cov(rng, d), _random_cov(rng, d, scale=1.5)
    exact = frechet_distance(mu1, s1, mu2, s2)
    x = rng.multivariate_normal(mu1, s1, size=n)
    y = rng.multivariate_normal(mu2, s2, size=n)
    estimate = FeatureStatistics.from_features(x).frechet_distance(
        FeatureStatistics.from_features(y)
    )
    assert estimate == pytest.approx(exact, rel=0.05, abs=0.02)


def test_frechet_shape_errors():
    with pytest.raises(ValueError, match="shape"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(2), np.eye(2))


# kernel_distance -----------------------------------------------------------------


def _direct_unbiased_mmd2(x, y, degree=3, coef=1.0):
    gamma = 1.0 / x.shape[1]
    m = len(x)

    def k(a, b):
        return (gamma * float(np.dot(a, b)) + coef) ** degree

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return xx / (m * (m - 1)) + yy / (m * (m - 1)) - 2 * xy / (m * m)


def test_kernel_distance_matches_direct_mmd():
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(30, 5)), rng.normal(size=(30, 5)) + 0.3
    # one subset of the full size is a permutation of each set: MMD^2_u is unchanged
    mean, std = kernel_distance(x, y, num_subsets=1, subset_size=1000)
    assert mean == pytest.approx(_direct_unbiased_mmd2(x, y), rel=1e-10)
    assert std == 0.0


def test_kernel_distance_same_vs_different():
    rng = np.random.default_rng(10)
    x, y = rng.normal(size=(400, 16)), rng.normal(size=(400, 16))
    same_mean, same_std = kernel_distance(x, y, num_subsets=20, subset_size=100)
    diff_mean, diff_std = kernel_distance(x, y * 1.5 + 0.5, num_subsets=20, subset_size=100)
    assert same_std >= 0 and diff_std >= 0
    assert abs(same_mean) < max(3 * same_std, 1e-2)
    assert diff_mean > 10 * max(abs(same_mean), same_std) and diff_mean > 3 * diff_std
    # deterministic for a seed
    assert kernel_distance(x, y, num_subsets=3, subset_size=50, seed=1) == kernel_distance(
        x, y, num_subsets=3, subset_size=50, seed=1
    )


# inception_score -----------------------------------------------------------------


def test_inception_score_bounds():
    classes, n = 10, 200
    uniform = np.full((n, classes), 1.0 / classes, dtype=np.float32)
    assert inception_score(uniform)[0] == pytest.approx(1.0, abs=1e-6)
    spread = np.eye(classes)[np.arange(n) % classes]
    mean, std = inception_score(spread, splits=10)
    assert mean == pytest.approx(classes, rel=1e-9) and std == pytest.approx(0.0, abs=1e-9)
    collapsed = np.eye(classes)[np.zeros(n, dtype=int)]
    assert inception_score(collapsed)[0] == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="sum"):
        inception_score(np.ones((20, 3)))


# precision_recall ----------------------------------------------------------------


def test_precision_recall_extremes():
    rng = np.random.default_rng(11)
    real = rng.normal(size=(150, 8)).astype(np.float32)
    assert precision_recall(real, real.copy()) == (1.0, 1.0)
    assert precision_recall(real, real + 100.0) == (0.0, 0.0)


def test_precision_recall_mode_collapse_and_batching():
    rng = np.random.default_rng(12)
    centres = np.array([[15.0, 15.0], [15.0, -15.0], [-15.0, 15.0], [-15.0, -15.0]])
    real = np.concatenate([c + rng.normal(size=(200, 2)) for c in centres])
    fake = centres[0] + rng.normal(size=(200, 2))
    precision, recall = precision_recall(real, fake, k=3, batch_size=4096)
    assert precision >= 0.9
    assert recall <= 0.25
    assert precision_recall(real, fake, k=3, batch_size=37) == (precision, recall)
