"""`BackupAndRestore` whose checkpoint can't be half-written, and that keeps the training time."""

from __future__ import annotations

import json
import os
import time

import keras


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' `BackupAndRestore` with atomic checkpoint writes and a training clock.

    Keras writes `latest.weights.h5` in place, so a process killed during that
    write leaves a corrupt backup and the run cannot resume. Here the weights
    and the epoch record are written to temporary files and renamed over the
    old ones, so the backup is always a complete checkpoint.

    The epoch record also keeps `train_time_s`, the seconds spent in `fit` up
    to the backup, summed over every interrupted session; after a resume,
    `previous_time_s` holds what earlier sessions spent, so a run can report
    its real total training time.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.previous_time_s = 0.0
        self._session_start = None

    def on_train_begin(self, logs=None):
        self._session_start = time.time()
        super().on_train_begin(logs)
        self.previous_time_s = 0.0
        try:
            with open(self._training_metadata_path) as f:
                self.previous_time_s = float(json.load(f).get("train_time_s", 0.0))
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # no backup yet (a fresh run) or one written by Keras itself

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        tmp_weights = self._weights_path[: -len(".weights.h5")] + ".tmp.weights.h5"
        self.model.save_weights(filepath=tmp_weights, overwrite=True)
        tmp_metadata = self._training_metadata_path + ".tmp"
        elapsed = self.previous_time_s + time.time() - (self._session_start or time.time())
        with open(tmp_metadata, "w") as f:
            record = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
            json.dump({**record, "train_time_s": round(elapsed, 3)}, f)
        os.replace(tmp_weights, self._weights_path)
        os.replace(tmp_metadata, self._training_metadata_path)
