"""DivergenceGuard: NaN/Inf stop training with a clear message; the last good model survives."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from support import COMPILED, make_gan, random_images

import kerasgan
from kerasgan.callbacks import DivergenceError, DivergenceGuard

pytestmark = pytest.mark.backends


class Sabotage(keras.callbacks.Callback):
    """Puts a NaN into the generator's first kernel at the start (or end) of an epoch."""

    def __init__(self, epoch, when="begin"):
        super().__init__()
        self.epoch, self.when = epoch, when

    def _poison(self, epoch):
        if epoch == self.epoch:
            w = self.model.generator.weights[0]
            value = w.numpy()
            value.flat[0] = np.nan
            w.assign(value)

    def on_epoch_begin(self, epoch, logs=None):
        if self.when == "begin":
            self._poison(epoch)

    def on_epoch_end(self, epoch, logs=None):
        if self.when == "end":
            self._poison(epoch)


def finite(model):
    return all(np.all(np.isfinite(w.numpy())) for w in model.weights)


def tiny():
    gan = make_gan("dcgan", base_filters=4, latent_dim=8, seed=0)
    gan.compile(jit_compile=COMPILED)
    return gan


def test_nan_loss_stops_training_and_keeps_the_last_good_model(tmp_path):
    gan = tiny()
    ckpt = tmp_path / "last_good.keras"
    guard = DivergenceGuard(ckpt, restore=True)
    backup = kerasgan.callbacks.BackupAndRestore(str(tmp_path / "backup"), delete_checkpoint=False)
    with pytest.raises(DivergenceError) as info:
        gan.fit(
            random_images(32),
            batch_size=8,
            epochs=5,
            verbose=0,
            callbacks=[Sabotage(epoch=2), guard, backup],
        )
    message = str(info.value)
    # epoch 3, its first batch: 2 epochs x 4 batches before it
    assert "diverged in epoch 3, step 9" in message and "at batch 1" in message
    assert "g_loss=nan" in message or "d_loss=nan" in message
    assert f"{ckpt} (end of epoch 2)" in message and "reset to it" in message
    assert guard.last_good_epoch == 2
    assert finite(gan)  # restore=True reset the in-memory model
    saved = keras.saving.load_model(ckpt)
    assert finite(saved)
    np.testing.assert_array_equal(saved.generate(4, seed=1), gan.generate(4, seed=1))
    # The BackupAndRestore after the guard never saw the diverged weights.
    restored = tiny()
    restored.load_weights(str(tmp_path / "backup" / "latest.weights.h5"))
    assert finite(restored)


def test_non_finite_weights_are_caught_at_epoch_end(tmp_path):
    gan = tiny()
    with pytest.raises(DivergenceError, match=r"epoch 1, step 4: non-finite weights in .*kernel"):
        gan.fit(
            random_images(32),
            batch_size=8,
            epochs=3,
            verbose=0,
            callbacks=[Sabotage(epoch=0, when="end"), DivergenceGuard()],
        )


def test_no_good_epoch_and_a_clean_run(tmp_path):
    gan = tiny()
    with pytest.raises(DivergenceError, match="no epoch finished cleanly"):
        gan.fit(
            random_images(16),
            batch_size=8,
            epochs=2,
            verbose=0,
            callbacks=[Sabotage(epoch=0), DivergenceGuard()],
        )
    clean = tiny()
    guard = DivergenceGuard(tmp_path / "ok.keras")
    clean.fit(random_images(16), batch_size=8, epochs=2, verbose=0, callbacks=[guard])
    assert guard.last_good_epoch == 2 and (tmp_path / "ok.keras").exists()
    assert not list(tmp_path.glob(".tmp*"))  # the atomic write left nothing behind


def test_guard_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="must be a .keras path"):
        DivergenceGuard(tmp_path / "x.h5")
    with pytest.raises(ValueError, match="needs checkpoint="):
        DivergenceGuard(restore=True)


def test_cli_train_stops_a_diverging_run_with_exit_code_3(tmp_path, monkeypatch, capsys):
    from kerasgan import cli

    # Adam with a 1e38 learning rate overflows the weights within a few steps.
    dcgan = kerasgan.get("dcgan")
    monkeypatch.setattr(dcgan, "default_optimizer", {"learning_rate": 1e38, "beta_1": 0.5})
    out = tmp_path / "run"
    argv = ["train", "dcgan", "--epochs", "3", "--steps-per-epoch", "4", "--batch-size", "8"]
    code = cli.main(argv + ["--samples", "4", "--no-jit", "--out", str(out)])
    assert code == 3
    err = capsys.readouterr().err
    assert "kerasgan: error: Training diverged in epoch 1, step" in err
    assert "nan" in err or "inf" in err
    assert not (out / "dcgan.keras").exists()  # nothing diverged was saved as the result
