"""Numerical core of GAN evaluation metrics, NumPy-only and in float64.

- `FeatureStatistics` / `frechet_distance`: FID (Heusel et al. 2017).
- `kernel_distance`: KID (Bińkowski et al. 2018).
- `inception_score`: IS (Salimans et al. 2016).
- `precision_recall`: improved precision and recall (Kynkäänniemi et al. 2019).

>>> from kerasgan.metrics import FeatureStatistics
>>> real = FeatureStatistics.from_features(real_feats)
>>> fake = FeatureStatistics.from_features(fake_feats)
>>> fid = real.frechet_distance(fake)
"""

from kerasgan.metrics.scores import inception_score, kernel_distance, precision_recall
from kerasgan.metrics.statistics import FeatureStatistics, frechet_distance

__all__ = [
    "FeatureStatistics",
    "frechet_distance",
    "inception_score",
    "kernel_distance",
    "precision_recall",
]
