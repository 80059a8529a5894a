"""Exact resume: an interrupted run continues bit-for-bit like an uninterrupted one (CPU).

Both networks, both optimizers (slots and iteration counters), the EMA generator
and the noise generator's state are saved; with the same data order the
continued run must match an uninterrupted run of the same length exactly.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from support import make_gan, random_images, random_labels

import kerasgan

BATCH, N, M = 8, 3, 2  # N steps, interrupt, M more steps
# a compiled step where the backend has one (XLA, jax.jit); PyTorch runs eagerly
JIT = "auto" if keras.backend.backend() == "torch" else True

pytestmark = pytest.mark.backends


#: ADA whose probability moves every 2 steps: the interrupted run stops
#: between two updates, with half-gathered statistics to carry over
ADA = {"ada": "bgc", "ada_target": 0.0, "ada_p": 0.2, "ada_interval": 2, "ada_speed_img": 800}


def fresh(variant):
    keras.utils.set_random_seed(0)
    kwargs = {"num_classes": 10} if variant == "cgan" else {}
    jit = JIT
    if variant == "dcgan_ada":
        variant, kwargs = "dcgan", ADA
        # ADA under XLA: tests/test_ada.py; a TensorFlow graph compiles it in a fraction
        jit = False if keras.backend.backend() == "tensorflow" else JIT
    gan = make_gan(variant, base_filters=4, latent_dim=8, seed=0, **kwargs)
    gan.compile(jit_compile=jit)
    return gan


def data(variant, start, stop):
    x = random_images(BATCH * (N + M), seed=1)[BATCH * start : BATCH * stop]
    y = random_labels(BATCH * (N + M), seed=2)[BATCH * start : BATCH * stop]
    return (x, y) if variant == "cgan" else (x, None)


def state(gan):
    # the model's own variables (ADA's) have paths under its name (dcgan_3/...)
    out = {w.path.removeprefix(f"{gan.name}/"): w.numpy() for w in gan.weights}
    for opt in (gan.d_optimizer, gan.g_optimizer):
        out.update({f"{opt.name}/{v.path}": v.numpy() for v in opt.variables})
    return out


def assert_same(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


#: on JAX, whose steps take longest to compile, the two that carry the most
#: state (a gradient penalty's critic steps; ADA and EMA) in `make test`
@pytest.mark.parametrize(
    "variant",
    [
        pytest.param("dcgan", marks=pytest.mark.extended_on("jax")),
        "wgan_gp",
        pytest.param("cgan", marks=pytest.mark.extended_on("jax")),
        "dcgan_ada",
    ],
)
def test_save_load_resume_is_bit_exact(variant, tmp_path):
    """N steps, saved; the same model then runs M more steps without interruption
    (the control) while a model loaded from the file runs the same M steps."""
    straight = fresh(variant)
    straight.enable_ema(0.9)
    x, y = data(variant, 0, N)
    straight.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    straight.save(tmp_path / "mid.keras")
    resumed = keras.saving.load_model(tmp_path / "mid.keras")

    x, y = data(variant, N, N + M)
    straight.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    resumed.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)

    assert int(keras.ops.convert_to_numpy(resumed.g_optimizer.iterations)) == N + M
    assert_same(state(straight), state(resumed))
    if variant == "dcgan_ada":  # ADA's probability moved, and was carried over
        assert float(resumed.ada.p) != ADA["ada_p"]
    kwargs = {"labels": 3} if variant == "cgan" else {}
    np.testing.assert_array_equal(
        straight.generate(4, **kwargs), resumed.generate(4, **kwargs)
    )  # unseeded: the noise generator's state was restored too


def test_backup_and_restore_resume_is_bit_exact(tmp_path):
    """Epoch-level resume through kerasgan.callbacks.BackupAndRestore: two epochs in
    one go vs one epoch, a fresh process-like model, and the second epoch."""
    x, _ = data("dcgan", 0, N + M)
    straight = fresh("dcgan")
    straight.fit(x, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                raise KeyboardInterrupt

    backup = str(tmp_path / "backup")
    first = fresh("dcgan")
    with pytest.raises(KeyboardInterrupt):
        first.fit(
            x,
            batch_size=BATCH,
            epochs=2,
            shuffle=False,
            verbose=0,
            callbacks=[kerasgan.callbacks.BackupAndRestore(backup), Interrupt()],
        )
    resumed = fresh("dcgan")
    history = resumed.fit(
        x,
        batch_size=BATCH,
        epochs=2,
        shuffle=False,
        verbose=0,
        callbacks=[kerasgan.callbacks.BackupAndRestore(backup)],
    )
    assert len(history.history["d_loss"]) == 1  # only epoch 2 ran
    assert_same(state(straight), state(resumed))


# ------------------------------------------------------------ the data order
def _npz(tmp_path, n=40):
    """A small image file for kerasgan.data.load: uint8 images, 5 batches of 8."""
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, (n, 28, 28, 1), dtype=np.uint8)
    path = str(tmp_path / "images.npz")
    np.savez(path, images=images)
    return path


@pytest.mark.parametrize("steps_per_epoch", [None, 3])
def test_resume_with_a_seeded_pipeline_sees_the_same_batches(tmp_path, steps_per_epoch):
    """`kerasgan.data.load(..., seed=S)`: the order of each pass over the data
    follows the seed and the model's step count, so training 2 + 3 epochs with
    a save, a reload and a freshly built pipeline in between ends bit-identical
    to 5 epochs straight (whole passes, and 3-step epochs that cut passes of 5
    batches in the middle)."""
    path = _npz(tmp_path)

    def pipeline():
        return kerasgan.data.load(path, batch_size=BATCH, seed=7)

    fit = {"steps_per_epoch": steps_per_epoch, "verbose": 0}
    straight = fresh("dcgan")
    straight.fit(pipeline(), epochs=5, **fit)

    first = fresh("dcgan")
    first.fit(pipeline(), epochs=2, **fit)
    first.save(tmp_path / "mid.keras")
    resumed = keras.saving.load_model(tmp_path / "mid.keras")
    resumed.fit(pipeline(), epochs=3, **fit)
    assert_same(state(straight), state(resumed))

    # without the position the order would restart: a control that can fail
    restarted = keras.saving.load_model(tmp_path / "mid.keras")
    shuffled = kerasgan.data.load(path, batch_size=BATCH, seed=None)
    restarted.fit(shuffled if steps_per_epoch is None else shuffled.repeat(), epochs=3, **fit)
    a, b = state(straight), state(restarted)
    assert any(not np.array_equal(a[k], b[k]) for k in a)


# ------------------------------------------------- mid-epoch backups (save_freq)
class _Crash(Exception):
    """Stands for a kill: what is on disk is what a killed process leaves."""


class _CrashAt(keras.callbacks.Callback):
    """Raises after the `step`-th step of the run (counted over every session:
    the generator optimizer's iterations), after the backup callback ran."""

    def __init__(self, step):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations)) == self.step:
            raise _Crash


@pytest.mark.parametrize(
    "data_kind, crashes",
    [
        ("arrays", (7,)),
        # on TensorFlow, a seeded pipeline killed mid-epoch is also the subject of
        # tests/test_chaos.py's fit-script test: here it is `extended` there
        pytest.param("seeded", (4, 13), marks=pytest.mark.extended_on("tensorflow")),
        ("seeded-steps", (5, 11)),
    ],
)
def test_mid_epoch_backups_resume_bit_exact(tmp_path, data_kind, crashes):
    """`BackupAndRestore(save_freq=2)`, crashed mid-epoch (between two backups,
    so a step is trained again) once or several times and resumed each time
    with a fresh model: the final weights, both optimizers, EMA, ADA's p and
    noise state, and every logged epoch loss equal an uninterrupted run's
    bit for bit (arrays fitted in order; a seeded kerasgan.data.load pipeline
    of 5 batches an epoch; the same cut into 3-step epochs)."""
    path = _npz(tmp_path)

    def run(callbacks=()):
        keras.utils.set_random_seed(0)
        gan = make_gan("dcgan", base_filters=4, latent_dim=8, seed=0, ema_decay=0.9, **ADA)
        gan.compile(jit_compile=False if keras.backend.backend() == "tensorflow" else JIT)
        if data_kind == "arrays":
            x = random_images(BATCH * 5, seed=1)
            fit = {"x": x, "batch_size": BATCH, "shuffle": False}
        else:
            fit = {"x": kerasgan.data.load(path, batch_size=BATCH, seed=7)}
            if data_kind == "seeded-steps":
                fit["steps_per_epoch"] = 3
        history = gan.fit(epochs=4, verbose=0, callbacks=list(callbacks), **fit)
        return gan, history.history

    straight, straight_logs = run()
    backup = str(tmp_path / "backup")
    for step in crashes:
        with pytest.raises(_Crash):
            run([kerasgan.callbacks.BackupAndRestore(backup, save_freq=2), _CrashAt(step)])
    resumed, resumed_logs = run([kerasgan.callbacks.BackupAndRestore(backup, save_freq=2)])

    assert_same(state(straight), state(resumed))
    steps = 5 if data_kind != "seeded-steps" else 3
    assert int(resumed.g_optimizer.iterations.numpy()) == 4 * steps
    # the epochs the last session ran, the first of them resumed mid-way
    ran = len(resumed_logs["d_loss"])
    assert ran == 4 - (crashes[-1] - 1) // steps
    for name, values in resumed_logs.items():
        assert values == straight_logs[name][-ran:], name
