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
        has_backup = any(
            os.path.exists(p) for p in (self._weights_path, self._training_metadata_path)
        )
        try:
            super().on_train_begin(logs)
            record = self._read_record()
        except (OSError, ValueError, KeyError, TypeError) as e:
            if not has_backup:
                raise
            from kerasgan.saving import ModelFileError, short_message

            raise ModelFileError(
                f"Cannot resume from the backup in {self.backup_dir}: "
                f"{short_message(str(e)).rstrip('.')}. The backup is damaged or was written "
                f"for another model; delete {self.backup_dir} (or train into another folder) "
                "to start over."
            ) from None
        self.previous_time_s = 0.0
        try:
            self.previous_time_s = float(record.get("train_time_s", 0.0))
        except (ValueError, TypeError):
            pass  # a record written by Keras itself has no clock

    def _read_record(self) -> dict:
        """The epoch record of the backup (`{}` if none); its epoch must be a count."""
        if not os.path.exists(self._training_metadata_path):
            return {}
        with open(self._training_metadata_path) as f:
            record = json.load(f)
        epoch = record.get("epoch") if isinstance(record, dict) else None
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(
                f"{self._training_metadata_path} records epoch {epoch!r}, not a number of epochs"
            )
        return record

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
