"""`BackupAndRestore` whose checkpoint survives a kill at any moment, resumes
mid-epoch, and keeps the training time."""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

import keras
from keras import ops

from kerasgan.utils.files import disk_full_error, is_disk_full, write_atomically

#: the next checkpoint's weights while it is written and before it is committed
PENDING_WEIGHTS = "pending.weights.h5"


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: str) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """Keras' `BackupAndRestore` with crash-safe checkpoints, exact mid-epoch
    resume and a training clock.

    Keras writes `latest.weights.h5` and the epoch record in place, one after
    the other: a process killed during either write, or between them, leaves
    a corrupt backup or weights that don't match their epoch. Here a save
    writes the weights to `pending.weights.h5`, then commits by atomically
    replacing the record (`training_metadata.json`, which holds the new
    weights' SHA-256), then renames the pending file over
    `latest.weights.h5`. Whenever the process dies, the next run finds either
    the previous checkpoint or the new one, never a mix: a committed pending
    file is moved into place, an uncommitted one deleted.

    With `save_freq=N` it backs up every N steps of an epoch and at the
    epoch's end; the record names the epoch in progress, the steps of it
    done and the epoch's running loss means. Resuming continues that epoch
    where it stopped (Keras' own callback runs it again in full): its steps
    already trained draw their batches and train nothing
    (`GANModel.steps_to_skip`), the loss means go on from the saved ones, and
    the run ends exactly when an uninterrupted one would; a backup taken at
    an epoch's last step reruns only that epoch's end (its callbacks: grids,
    metrics, history). When the data's order is reproducible (a
    `kerasgan.data.load(..., seed=S)` dataset, or arrays / datasets fitted
    with `shuffle=False`) the resumed run is bit-identical to an
    uninterrupted one: weights, optimizers, EMA, ADA's p, the noise and the
    logged epoch losses. Backups at epoch ends only (the default) resume
    exactly too.

    A write that fails (a full disk) raises an `OSError` naming the folder and
    the free space it needs; the previous checkpoint is kept.

    The record also keeps `train_time_s`, the seconds spent in `fit` up to the
    backup, summed over every interrupted session; after a resume,
    `previous_time_s` holds what earlier sessions spent, so a run can report
    its real total training time.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.previous_time_s = 0.0
        self._session_start: float | None = None
        self._pending_path = os.path.join(self.backup_dir, PENDING_WEIGHTS)
        self._epoch_now = 0
        self._steps_in_epoch = 0
        # a resume from a mid-epoch backup: the steps of `_resumed_epoch`
        # trained before it, and the loss trackers' state after them
        self._resumed_epoch: int | None = None
        self._resumed_steps = 0
        self._resumed_metrics: dict[str, list[float]] = {}

    # ------------------------------------------------------------------ restore
    def _finish_commit(self, record: dict) -> None:
        """Moves a committed pending checkpoint into place; drops an uncommitted one."""
        if not os.path.lexists(self._pending_path):
            return
        expected = record.get("weights_sha256")
        if (
            expected
            and os.path.isfile(self._pending_path)
            and not os.path.islink(self._pending_path)
            and _sha256(self._pending_path) == expected
        ):
            os.replace(self._pending_path, self._weights_path)
        else:
            os.remove(self._pending_path)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._session_start = time.time()
        has_backup = any(
            os.path.exists(p) for p in (self._weights_path, self._training_metadata_path)
        )
        try:
            record = self._read_record()
            self._finish_commit(record)
            expected = record.get("weights_sha256")
            if expected and (
                not os.path.isfile(self._weights_path) or _sha256(self._weights_path) != expected
            ):
                raise ValueError(
                    f"{self._weights_path} is not the checkpoint its record "
                    f"({os.path.basename(self._training_metadata_path)}) was written for"
                )
            super().on_train_begin(logs)
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
        self._epoch_now = int(record.get("epoch", 0))
        steps = record.get("steps_in_epoch", 0)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            steps = 0
        self._resumed_epoch, self._resumed_steps, self._resumed_metrics = None, 0, {}
        # mid-epoch (or after its last step): a GANModel goes on from the next step
        # (another model reruns the epoch, as with Keras' own callback)
        if steps and hasattr(self.model, "steps_to_skip"):
            self._resumed_epoch, self._resumed_steps = self._epoch_now, steps
            metrics = record.get("metrics")
            self._resumed_metrics = metrics if isinstance(metrics, dict) else {}
            # Keras' save_freq count: a backup was just made
            self._last_batch_seen, self._batches_seen_since_last_saving = steps - 1, 0
            self.model.steps_to_skip = steps
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

    # --------------------------------------------------------------------- save
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_now, self._steps_in_epoch = epoch, 0
        if epoch == self._resumed_epoch:  # after Keras reset the epoch's metrics
            self._restore_metrics()

    def _restore_metrics(self) -> None:
        """The loss trackers as they were at the backup (the epoch's running
        means go on from there)."""
        for metric in self.model.metrics:
            values = self._resumed_metrics.get(metric.name)
            if isinstance(values, list) and len(values) == len(metric.variables):
                for variable, value in zip(metric.variables, values):
                    variable.assign(ops.cast(value, variable.dtype))

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._steps_in_epoch = batch + 1
        if self._epoch_now == self._resumed_epoch and batch < self._resumed_steps:
            return  # a step trained before the resume, passed over: nothing to save
        super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_now, self._steps_in_epoch = epoch + 1, 0
        self._resumed_epoch = None
        super().on_epoch_end(epoch, logs)  # saves with save_freq="epoch"
        if self.save_freq != "epoch":  # every N steps of an epoch, and at its end
            self._batches_seen_since_last_saving = 0
            self._save_model()

    def _metric_state(self) -> dict[str, list[float]]:
        """Each loss tracker's variables (a mean's total and count), exactly:
        float32 values are floats JSON writes and reads back unchanged."""
        return {
            metric.name: [float(ops.convert_to_numpy(v)) for v in metric.variables]
            for metric in self.model.metrics
        }

    def _save_model(self) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        elapsed = self.previous_time_s + time.time() - (self._session_start or time.time())
        try:
            if os.path.lexists(self._pending_path):  # left by a save that was killed
                os.remove(self._pending_path)
            self.model.save_weights(filepath=self._pending_path, overwrite=True)
            _fsync(self._pending_path)
            record = {
                "epoch": self._epoch_now,
                "steps_in_epoch": self._steps_in_epoch,
                "batch": self._last_batch_seen,
                "train_time_s": round(elapsed, 3),
                "metrics": self._metric_state(),
                "weights_sha256": _sha256(self._pending_path),
            }
            # the commit: from here on the new checkpoint is the backup
            write_atomically(json.dumps(record).encode(), self._training_metadata_path)
        except OSError as e:
            written = 0
            if os.path.lexists(self._pending_path):
                written = os.path.getsize(self._pending_path)
                os.remove(self._pending_path)
            if is_disk_full(e):
                raise disk_full_error(self._weights_path, written) from None
            raise
        os.replace(self._pending_path, self._weights_path)
