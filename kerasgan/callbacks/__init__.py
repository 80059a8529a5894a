"""Training callbacks for GANs: sample grids and loss curves per epoch."""

from kerasgan.callbacks.loss_curves import LossCurves
from kerasgan.callbacks.sample_grid import SampleGrid

__all__ = ["LossCurves", "SampleGrid"]
