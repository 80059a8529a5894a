"""Numerical core of GAN evaluation metrics, NumPy-only and in float64.

- `FeatureStatistics` / `frechet_distance`: FID (Heusel et al. 2017).
- `kernel_distance`: KID (Bińkowski et al. 2018).
- `inception_score`: IS (Salimans et al. 2016).
- `precision_recall`: improved precision and recall (Kynkäänniemi et al. 2019).

End to end, with a feature network (`features`) and generated images (`evaluate`):

- `InceptionV3Features`, `ClassifierFeatures`, `build_domain_classifier`,
  `get_feature_network`: images in [-1, 1] -> features / class probabilities.
- `real_statistics`, `evaluate`: FID, KID, precision/recall and IS of a GAN;
  `fid_spread`: a smaller-sample FID over several draws (a cheap re-check).

>>> from kerasgan.metrics import FeatureStatistics
>>> real = FeatureStatistics.from_features(real_feats)
>>> fake = FeatureStatistics.from_features(fake_feats)
>>> fid = real.frechet_distance(fake)
"""

from kerasgan.metrics.evaluate import (
    RealStatistics,
    center_crop,
    evaluate,
    fid_spread,
    real_statistics,
)
from kerasgan.metrics.features import (
    ClassifierFeatures,
    FeatureNetwork,
    InceptionV3Features,
    MissingWeightsError,
    build_domain_classifier,
    get_feature_network,
)
from kerasgan.metrics.scores import inception_score, kernel_distance, precision_recall
from kerasgan.metrics.statistics import FeatureStatistics, frechet_distance

__all__ = [
    "center_crop",
    "ClassifierFeatures",
    "FeatureNetwork",
    "FeatureStatistics",
    "InceptionV3Features",
    "MissingWeightsError",
    "RealStatistics",
    "build_domain_classifier",
    "evaluate",
    "fid_spread",
    "frechet_distance",
    "get_feature_network",
    "inception_score",
    "kernel_distance",
    "precision_recall",
    "real_statistics",
]
