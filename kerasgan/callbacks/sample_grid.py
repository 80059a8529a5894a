"""`SampleGrid`: a PNG of samples from fixed noise every few epochs."""

from __future__ import annotations

import os

import keras


class SampleGrid(keras.callbacks.Callback):
    """Writes `directory/samples_epoch_NNN.png` every `every` epochs.

    The noise (and, for a conditional model, the labels: one row per class) is
    the same at every epoch, so grids compare across epochs and show mode
    collapse as rows of identical images.

    Args:
        directory: output folder (created when missing).
        every: write every `every` epochs (and never in between).
        n: images per grid.
        seed: noise seed shared by every grid.
        filename: pattern with an `{epoch}` field (1-based).

    Example:
        >>> gan.fit(ds, epochs=20, callbacks=[kerasgan.callbacks.SampleGrid("runs/samples")])
    """

    def __init__(
        self,
        directory,
        every: int = 1,
        n: int = 64,
        seed: int = 1234,
        filename: str = "samples_epoch_{epoch:03d}.png",
    ):
        super().__init__()
        if every < 1 or n < 1:
            raise ValueError(f"every and n must be >= 1; got every={every}, n={n}.")
        self.directory = os.fspath(directory)
        self.every = int(every)
        self.n = int(n)
        self.seed = seed
        self.filename = filename
        self.written = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        path = os.path.join(self.directory, self.filename.format(epoch=epoch + 1))
        self.written.append(self.model.save_sample_grid(path, n=self.n, seed=self.seed))
