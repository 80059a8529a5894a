"""`BackupAndRestore` whose checkpoint can't be half-written."""

from __future__ import annotations

import json
import os

import keras


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' `BackupAndRestore` with atomic checkpoint writes.

    Keras writes `latest.weights.h5` in place, so a process killed during that
    write leaves a corrupt backup and the run cannot resume. Here the weights
    and the epoch record are written to temporary files and renamed over the
    old ones, so the backup is always a complete checkpoint.
    """

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        tmp_weights = self._weights_path[: -len(".weights.h5")] + ".tmp.weights.h5"
        self.model.save_weights(filepath=tmp_weights, overwrite=True)
        tmp_metadata = self._training_metadata_path + ".tmp"
        with open(tmp_metadata, "w") as f:
            json.dump({"epoch": self._current_epoch, "batch": self._last_batch_seen}, f)
        os.replace(tmp_weights, self._weights_path)
        os.replace(tmp_metadata, self._training_metadata_path)
