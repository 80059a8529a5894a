"""`SampleGrid`: a PNG (and a TensorBoard image) of samples from fixed noise every few epochs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Literal, cast

import keras
import numpy as np

from kerasgan._typing import StrPath
from kerasgan.utils import write_png


class SampleGrid(keras.callbacks.Callback):
    """Writes `directory/samples_epoch_NNN.png` every `every` epochs.

    The noise (and, for a conditional model, the labels: one row per class) is
    the same at every epoch, so grids compare across epochs and show mode
    collapse as rows of identical images.

    When a `keras.callbacks.TensorBoard` callback is in the same `fit` call,
    each grid is also written as an image summary named `samples` (step = the
    epoch, 1-based) to its `log_dir/samples` run, so TensorBoard's Images tab
    shows the grid's history with a slider. Pass `tensorboard=` a log folder
    (or a TensorBoard callback) to choose the folder, or `False` to turn it off.

    Args:
        directory: output folder (created when missing).
        every: write every `every` epochs (and never in between).
        n: images per grid.
        seed: noise seed shared by every grid.
        filename: pattern with an `{epoch}` field (1-based).
        tensorboard: `None` (follow a TensorBoard callback of the same `fit`),
            `False`, a log folder, or a `keras.callbacks.TensorBoard`.

    Example:
        >>> gan.fit(ds, epochs=20, callbacks=[
        ...     kerasgan.callbacks.SampleGrid("runs/samples"),
        ...     keras.callbacks.TensorBoard("runs/logs")])   # grids in TensorBoard too
    """

    def __init__(
        self,
        directory: StrPath,
        every: int = 1,
        n: int = 64,
        seed: int = 1234,
        filename: str = "samples_epoch_{epoch:03d}.png",
        tensorboard: StrPath | keras.callbacks.TensorBoard | Literal[False] | None = None,
    ) -> None:
        super().__init__()
        if every < 1 or n < 1:
            raise ValueError(f"every and n must be >= 1; got every={every}, n={n}.")
        self.directory = os.fspath(directory)
        self.every = int(every)
        self.n = int(n)
        self.seed = seed
        self.filename = filename
        self.tensorboard = tensorboard
        #: Paths of the grids written so far.
        self.written: list[str] = []
        self._writer: Any = None  # a tf.summary writer, opened at the first grid
        self._writer_dir: str | None = None

    def link_tensorboard(self, callbacks: Iterable[keras.callbacks.Callback] | None) -> None:
        """Called by `GANModel.fit` with its callbacks: follows a TensorBoard one."""
        if self.tensorboard is None:
            for cb in callbacks or ():
                if isinstance(cb, keras.callbacks.TensorBoard):
                    self._set_log_dir(cb.log_dir)
                    return
            self._set_log_dir(None)

    def _set_log_dir(self, log_dir: str | None) -> None:
        if log_dir != self._writer_dir:
            self._close_writer()
            self._writer_dir = log_dir

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if isinstance(self.tensorboard, keras.callbacks.TensorBoard):
            self._set_log_dir(self.tensorboard.log_dir)
        elif self.tensorboard not in (None, False):  # a log folder (`not in` does not narrow)
            self._set_log_dir(os.fspath(cast(StrPath, self.tensorboard)))
        elif self.tensorboard is False:
            self._set_log_dir(None)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if (epoch + 1) % self.every:
            return
        grid = self.model.sample_grid(n=self.n, seed=self.seed)
        path = os.path.join(self.directory, self.filename.format(epoch=epoch + 1))
        self.written.append(write_png(grid, path))
        if self._writer_dir is not None:
            self._write_summary(grid, epoch + 1)

    def _write_summary(self, grid: np.ndarray, step: int) -> None:
        import tensorflow as tf

        if self._writer is None:
            log_dir = cast(str, self._writer_dir)  # set: on_epoch_end checked
            self._writer = tf.summary.create_file_writer(os.path.join(log_dir, "samples"))
        with self._writer.as_default():
            tf.summary.image("samples", grid[None], step=step, max_outputs=1)
        self._writer.flush()

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._close_writer()
