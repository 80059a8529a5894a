"""`LossCurves`: the per-epoch losses as a PNG plot and a JSON history."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import keras

from kerasgan._typing import StrPath
from kerasgan.utils.files import write_atomically
from kerasgan.utils.plot import save_curves

_logger = logging.getLogger("kerasgan")
_told_no_plot = False  # the notice that the PNG cannot be drawn is given once per process


class LossCurves(keras.callbacks.Callback):
    """Redraws `directory/loss_curves.png` and `history.json` after every epoch.

    Every logged value (`d_loss`, `g_loss`, `gp`, metrics such as `fid`) gets
    a curve. With `resume=True` an existing `history.json` is continued, so a
    run restarted by `BackupAndRestore` keeps one complete record (an epoch
    that is run again replaces its earlier entry).

    The PNG is drawn with matplotlib (`pip install 'kerasgan[plots]'`). Without
    it only `history.json` is written, and a one-line notice, once per process,
    says so; `plotted` is the PNG's path once one was written by this callback.

    Args:
        directory: output folder.
        title: plot title.
        resume: continue the history found in `directory`.
        filename: PNG file name.
    """

    def __init__(
        self,
        directory: StrPath,
        title: str | None = None,
        resume: bool = False,
        filename: str = "loss_curves.png",
    ) -> None:
        super().__init__()
        self.directory = os.fspath(directory)
        self.title = title
        self.filename = filename
        self.history_path = os.path.join(self.directory, "history.json")
        self.history: dict[str, list[float]] = {}
        self.plotted: str | None = None
        if resume and os.path.exists(self.history_path):
            self.history = self._read_history()

    def _read_history(self) -> dict[str, list[float]]:
        try:
            with open(self.history_path) as f:
                history = json.load(f)
        except (OSError, ValueError, RecursionError):
            history = None
        numbers = (int, float)
        if not (
            isinstance(history, dict)
            and all(
                isinstance(values, list)
                and all(isinstance(v, numbers) and not isinstance(v, bool) for v in values)
                for values in history.values()
            )
        ):
            raise ValueError(
                f"Cannot resume the loss curves from {self.history_path}: it is not the "
                "history LossCurves writes (a JSON object of lists of numbers). Delete it to "
                "start the curves afresh, or train into another folder."
            )
        return {str(key): [float(v) for v in values] for key, values in history.items()}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for key, value in (logs or {}).items():
            values = self.history.setdefault(key, [])
            del values[epoch:]
            values.append(float(value))
        write_atomically(json.dumps(self.history, indent=1).encode(), self.history_path)
        path = os.path.join(self.directory, self.filename)
        if not self.history:  # nothing logged yet: nothing to draw
            return
        try:
            self.plotted = save_curves(self.history, path, title=self.title)
        except ImportError as e:  # no matplotlib: the run goes on, history.json has it all
            global _told_no_plot
            if not _told_no_plot:
                _told_no_plot = True
                _logger.warning(
                    f"{path} not written. {e} The values are in {self.history_path} (and in "
                    "TensorBoard's scalars, with a keras.callbacks.TensorBoard callback)."
                )
