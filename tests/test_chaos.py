"""Chaos: training killed at random moments, several times, and during checkpoint
writes, continues with nothing lost; a full disk keeps the last good backup.

The random kill schedule's seed is printed (and can be set with
KERASGAN_CHAOS_SEED) so a failure can be replayed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan.callbacks import BackupAndRestore
from kerasgan.callbacks.backup import PENDING_WEIGHTS

BATCH = 8


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _images(n=48):
    return np.random.default_rng(1).uniform(-1, 1, (n, 16, 16, 1)).astype("float32")


def _fresh():
    keras.utils.set_random_seed(0)
    gan = kerasgan.create(
        "dcgan", image_shape=(16, 16, 1), base_filters=4, latent_dim=8, seed=0, ema_decay=0.9
    )
    gan.compile(jit_compile=False)
    return gan


def _state(gan) -> dict:
    out = {w.path.removeprefix(f"{gan.name}/"): w.numpy() for w in gan.weights}
    for opt in (gan.d_optimizer, gan.g_optimizer):
        out.update({f"{opt.name}/{v.path}": v.numpy() for v in opt.variables})
    return out


def _assert_same(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


class _Crash(Exception):
    """Stands for a SIGKILL: the files on disk are what a killed process leaves."""


def _fit(gan, backup, epochs=3):
    x = _images()
    gan.fit(x, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0, callbacks=[backup])


@pytest.mark.parametrize("moment", ["while writing the weights", "after the commit"])
def test_a_kill_during_a_checkpoint_write_loses_nothing(tmp_path, monkeypatch, moment):
    """A process killed while its second backup is half written (the pending
    weights file cut short, the record not yet replaced) resumes from the
    first backup; one killed after the record's commit but before the rename
    resumes from the second. Either way the run ends bit-identical to an
    uninterrupted one."""
    straight = _fresh()
    _fit(straight, BackupAndRestore(str(tmp_path / "straight")))

    folder = str(tmp_path / "backup")
    gan = _fresh()
    real_save = gan.save_weights
    saves = []

    def crashing_save(filepath, overwrite=True, **kwargs):
        saves.append(filepath)
        real_save(filepath, overwrite=overwrite, **kwargs)
        if len(saves) == 2 and moment == "while writing the weights":
            with open(filepath, "r+b") as f:  # the kill lands mid-write
                f.truncate(os.path.getsize(filepath) // 2)
            raise _Crash

    def crashing_replace(src, dst, _real=os.replace):
        _real(src, dst)
        if len(saves) == 2 and dst.endswith("training_metadata.json"):
            raise _Crash  # committed; the pending weights are not in place yet

    monkeypatch.setattr(gan, "save_weights", crashing_save)
    if moment == "after the commit":
        monkeypatch.setattr("kerasgan.utils.files.os.replace", crashing_replace)
    with pytest.raises(_Crash):
        _fit(gan, BackupAndRestore(folder))
    monkeypatch.undo()
    record = json.load(open(os.path.join(folder, "training_metadata.json")))
    pending = os.path.join(folder, PENDING_WEIGHTS)
    assert os.path.exists(pending)  # the half-done save is on disk
    assert record["epoch"] == (1 if moment == "while writing the weights" else 2)

    resumed = _fresh()
    backup = BackupAndRestore(folder, delete_checkpoint=False)
    history = resumed.fit(
        _images(), batch_size=BATCH, epochs=3, shuffle=False, verbose=0, callbacks=[backup]
    )
    assert len(history.history["d_loss"]) == 3 - record["epoch"]
    assert not os.path.exists(pending)
    _assert_same(_state(straight), _state(resumed))


def test_a_full_disk_keeps_the_last_backup_and_says_what_it_needs(tmp_path, monkeypatch):
    folder = str(tmp_path / "backup")
    gan = _fresh()
    real_save = gan.save_weights
    calls = []

    def full_disk(filepath, overwrite=True, **kwargs):
        calls.append(filepath)
        if len(calls) == 2:
            with open(filepath, "wb") as f:
                f.write(b"\0" * 1000)  # some of it got written
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(filepath, overwrite=overwrite, **kwargs)

    monkeypatch.setattr(gan, "save_weights", full_disk)
    with pytest.raises(OSError, match="disk is full") as info:
        _fit(gan, BackupAndRestore(folder))
    message = str(info.value)
    assert os.path.join(folder, "latest.weights.h5") in message
    assert "MB free" in message and "needs at least" in message
    assert "previous file is kept" in message
    assert sorted(os.listdir(folder)) == ["latest.weights.h5", "training_metadata.json"]
    record = json.load(open(os.path.join(folder, "training_metadata.json")))
    assert record["epoch"] == 1
    assert _sha(os.path.join(folder, "latest.weights.h5")) == record["weights_sha256"]

    # a sample grid or history write that finds the disk full: the old file stays
    from kerasgan.utils.files import write_atomically

    target = tmp_path / "history.json"
    target.write_text("{}")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("kerasgan.utils.files.os.replace", no_space)
    with pytest.raises(OSError, match=r"history.json: the disk is full .* previous file is kept"):
        write_atomically(b'{"d_loss": [1.0]}', target)
    assert target.read_text() == "{}" and os.listdir(tmp_path).count("history.json") == 1


def test_a_backup_whose_weights_do_not_match_its_record_is_refused(tmp_path):
    folder = tmp_path / "backup"
    gan = _fresh()
    backup = BackupAndRestore(str(folder), delete_checkpoint=False)
    gan.fit(_images(16), batch_size=BATCH, epochs=1, verbose=0, callbacks=[backup])
    other = _fresh()  # untrained: a complete checkpoint, but not the recorded one
    other.fit(_images(16), batch_size=BATCH, epochs=1, verbose=0)
    other.save_weights(str(folder / "latest.weights.h5"))
    with pytest.raises(kerasgan.saving.ModelFileError, match="not the checkpoint its record"):
        _fresh().fit(_images(16), batch_size=BATCH, epochs=2, verbose=0, callbacks=[backup])


# ------------------------------------------------------ the CLI, killed at random
def _train_argv(out):
    exe = os.path.join(os.path.dirname(sys.executable), "kerasgan")
    return [
        exe,
        "train",
        "dcgan",
        "--epochs",
        "8",
        "--steps-per-epoch",
        "3",
        "--batch-size",
        "8",
        "--samples",
        "4",
        "--seed",
        "0",
        "--no-jit",
        "--set",
        "base_filters=16",
        "--set",
        "ema_decay=0.9",
        "--set",
        "ada=bgc",
        "--set",
        "ada_interval=1",
        "--set",
        "ada_target=0.0",
        "--out",
        str(out),
    ]


def _backed_up(out) -> tuple[int, int]:
    """(epoch, steps of it done) of the backup in `out`; (0, 0) if none."""
    try:
        record = json.loads((out / "backup" / "training_metadata.json").read_text())
        return record["epoch"], record.get("steps_in_epoch", 0)
    except (OSError, ValueError, KeyError):
        return 0, 0


@pytest.mark.slow
def test_kerasgan_train_killed_at_random_moments_ends_like_an_uninterrupted_run(tmp_path):
    """`kerasgan train --backup-every 2` (3-step epochs: backups mid-epoch and
    at epoch ends; EMA, ADA with p moving every step, shuffled real data) is
    SIGKILLed three times at random moments after a backup exists (so also
    while it writes grids, history and backups), resumed with --resume each
    time: the final model (weights, EMA, ADA state, both optimizers) and
    history.json are bit-identical to an uninterrupted run's (which backs up
    at epoch ends only)."""
    seed = int(os.environ.get("KERASGAN_CHAOS_SEED", random.randrange(10**6)))
    print(f"chaos kill schedule seed: {seed} (replay: KERASGAN_CHAOS_SEED={seed})")
    rng = random.Random(seed)
    out = tmp_path / "chaos"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    kills, resume = [], []
    for _ in range(3):
        proc = subprocess.Popen(
            _train_argv(out) + ["--backup-every", "2"] + resume,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        start, deadline = _backed_up(out), time.time() + 300
        while _backed_up(out) == start and proc.poll() is None:
            assert time.time() < deadline, "training made no progress"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.5))  # anywhere in the next epoch(s)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills.append(_backed_up(out))
        proc.wait()
        resume = ["--resume"]
        if not (out / "backup").exists():
            break  # it finished before the kill
    print("killed with backups at (epoch, steps done)", kills)
    assert kills, "no kill landed"
    result = subprocess.run(
        _train_argv(out) + ["--backup-every", "2"] + resume,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]

    straight = tmp_path / "straight"
    result = subprocess.run(
        _train_argv(straight), capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    a = keras.saving.load_model(straight / "dcgan.keras")
    b = keras.saving.load_model(out / "dcgan.keras")
    assert int(b.g_optimizer.iterations.numpy()) == 8 * 3
    assert float(b.ada.p.numpy()) > 0  # ADA's p moved (and was carried through the kills)
    _assert_same(_state(a), _state(b))
    assert (straight / "history.json").read_text() == (out / "history.json").read_text()


#: A user's training script: `fit` on a seeded kerasgan.data.load pipeline with
#: kerasgan's BackupAndRestore backing up every 2 steps (epochs of 5 steps), and
#: a callback that keeps every epoch's logs in epochs.json (a rerun epoch end
#: replaces its entry).
FIT_SCRIPT = """
import json, os, sys
import keras, numpy as np
import kerasgan
from kerasgan.utils.files import write_atomically

data, out, save_freq = sys.argv[1], sys.argv[2], int(sys.argv[3])

class EpochLogs(keras.callbacks.Callback):
    path = os.path.join(out, "epochs.json")
    def on_epoch_end(self, epoch, logs=None):
        done = json.load(open(self.path)) if os.path.exists(self.path) else {}
        done[str(epoch)] = {k: float(v) for k, v in logs.items()}
        write_atomically(json.dumps(done, sort_keys=True).encode(), self.path)

keras.utils.set_random_seed(0)
gan = kerasgan.create("dcgan", image_shape=(28, 28, 1), base_filters=4, latent_dim=8, seed=0,
                      ema_decay=0.9, ada="bgc", ada_target=0.0, ada_p=0.2, ada_interval=2,
                      ada_speed_img=800)
gan.compile(jit_compile=False)
callbacks = [EpochLogs()]
if save_freq:
    callbacks.append(kerasgan.callbacks.BackupAndRestore(os.path.join(out, "backup"),
                                                         save_freq=save_freq))
gan.fit(kerasgan.data.load(data, batch_size=8, seed=7), epochs=4, verbose=0,
        callbacks=callbacks)
gan.save(os.path.join(out, "final.keras"))
"""


@pytest.mark.slow
def test_fit_script_killed_at_random_moments_ends_like_an_uninterrupted_run(tmp_path):
    """A `fit` script with `BackupAndRestore(save_freq=2)` over a seeded
    `kerasgan.data.load` pipeline (5-step epochs: backups mid-epoch, at an
    epoch's last step and at epoch ends) is SIGKILLed three times at random
    moments after a new backup, and rerun each time: the final model
    (weights, EMA, ADA, optimizers, noise) and every epoch's logged losses are
    bit-identical to the same script run straight through without backups."""
    seed = int(os.environ.get("KERASGAN_CHAOS_SEED", random.randrange(10**6)))
    print(f"chaos kill schedule seed: {seed} (replay: KERASGAN_CHAOS_SEED={seed})")
    rng = random.Random(seed)
    images = np.random.default_rng(5).integers(0, 256, (40, 28, 28, 1), dtype=np.uint8)
    data = tmp_path / "images.npz"
    np.savez(data, images=images)
    script = tmp_path / "train.py"
    script.write_text(FIT_SCRIPT)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out, straight = tmp_path / "chaos", tmp_path / "straight"
    out.mkdir()
    straight.mkdir()

    def argv(folder, save_freq):
        return [sys.executable, str(script), str(data), str(folder), str(save_freq)]

    kills = []
    for _ in range(3):
        proc = subprocess.Popen(
            argv(out, 2), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        start, deadline = _backed_up(out), time.time() + 300
        while _backed_up(out) == start and proc.poll() is None:
            assert time.time() < deadline, "training made no progress"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))  # the next steps, backups or epoch end
        if proc.poll() is not None:
            break  # it finished before the kill
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills.append(_backed_up(out))
    print("killed with backups at (epoch, steps done)", kills)
    assert kills, "no kill landed"
    for folder, save_freq in ((out, 2), (straight, 0)):
        result = subprocess.run(
            argv(folder, save_freq), capture_output=True, text=True, timeout=300, env=env
        )
        assert result.returncode == 0, result.stderr[-2000:]
    a = keras.saving.load_model(straight / "final.keras")
    b = keras.saving.load_model(out / "final.keras")
    assert int(b.g_optimizer.iterations.numpy()) == 4 * 5
    _assert_same(_state(a), _state(b))
    logs = json.loads((out / "epochs.json").read_text())
    assert sorted(logs) == ["0", "1", "2", "3"]
    assert logs == json.loads((straight / "epochs.json").read_text())
