"""Training callbacks for GANs: sample grids, loss curves, generator EMA, metrics."""

from kerasgan.callbacks.backup import BackupAndRestore
from kerasgan.callbacks.ema import EMA
from kerasgan.callbacks.guard import DivergenceError, DivergenceGuard
from kerasgan.callbacks.loss_curves import LossCurves
from kerasgan.callbacks.metric_callback import MetricCallback
from kerasgan.callbacks.sample_grid import SampleGrid

__all__ = [
    "BackupAndRestore",
    "DivergenceError",
    "DivergenceGuard",
    "EMA",
    "LossCurves",
    "MetricCallback",
    "SampleGrid",
]
