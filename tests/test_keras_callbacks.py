"""Keras' own monitor and learning-rate callbacks in `GANModel.fit`.

`EarlyStopping`, `ModelCheckpoint` and `ReduceLROnPlateau` with their default
`mode="auto"` minimize the GAN's losses (Keras cannot tell a direction for
metrics it did not compile), and the learning-rate callbacks drive both
optimizers through `OptimizerPair`, keeping their ratio.

The model here is built so that its losses are deterministic and monotonic:
the generator's last layer scales by 0, so every fake is a zero image whatever
the noise and the generator's weights; the real images are constant; the
discriminator starts far on the right side for real images. Each
discriminator update then lowers its logit for the zero image: `d_loss` goes
down and `g_loss` goes up, every epoch, on every backend.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerasgan

pytestmark = pytest.mark.backends

SHAPE = (4, 4, 1)


def _gan(d_optimizer, g_optimizer):
    generator = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16),
            keras.layers.Reshape(SHAPE),
            keras.layers.Rescaling(0.0),  # every fake is a zero image
        ]
    )
    discriminator = keras.Sequential(
        [
            keras.Input(SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(1, kernel_initializer="ones"),
        ]
    )
    gan = kerasgan.GANModel(generator, discriminator, seed=0)
    gan.compile(d_optimizer, g_optimizer)
    return gan


def _real(n=16):
    return np.full((n,) + SHAPE, 0.9, "float32")


def _lr(optimizer) -> float:
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def test_the_losses_of_this_model_are_monotonic():
    gan = _gan(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.1))
    history = gan.fit(_real(), batch_size=8, epochs=4, verbose=0).history
    assert np.all(np.diff(history["g_loss"]) > 0), history
    assert np.all(np.diff(history["d_loss"]) < 0), history


def test_early_stopping_on_a_rising_loss_stops_without_a_mode():
    gan = _gan(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.1))
    stop = keras.callbacks.EarlyStopping(monitor="g_loss", patience=0)
    history = gan.fit(_real(), batch_size=8, epochs=6, verbose=0, callbacks=[stop]).history
    # epoch 1 sets the best g_loss; epoch 2's is higher: minimizing, patience 0 stops there
    assert len(history["g_loss"]) == 2 and stop.stopped_epoch == 1
    assert stop.mode == "min"


def test_early_stopping_on_a_falling_loss_runs_every_epoch():
    gan = _gan(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.1))
    stop = keras.callbacks.EarlyStopping(monitor="d_loss", patience=0)
    history = gan.fit(_real(), batch_size=8, epochs=4, verbose=0, callbacks=[stop]).history
    assert len(history["d_loss"]) == 4 and stop.stopped_epoch == 0


def test_early_stopping_on_a_validation_loss():
    gan = _gan(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.1))
    stop = keras.callbacks.EarlyStopping(monitor="val_g_loss", patience=0)
    history = gan.fit(
        _real(),
        batch_size=8,
        epochs=6,
        verbose=0,
        validation_data=(_real(8),),
        callbacks=[stop],
    ).history
    assert len(history["val_g_loss"]) == 2 and stop.mode == "min"


def test_model_checkpoint_save_best_only_keeps_the_lowest_loss(tmp_path):
    gan = _gan(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.1))
    best_d = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "d_{epoch:02d}.keras"), monitor="d_loss", save_best_only=True
    )
    best_g = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "g_{epoch:02d}.keras"), monitor="g_loss", save_best_only=True
    )
    last = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "best.keras"), monitor="d_loss", save_best_only=True
    )
    history = gan.fit(
        _real(), batch_size=8, epochs=3, verbose=0, callbacks=[best_d, best_g, last]
    ).history
    # d_loss falls: a new best every epoch; g_loss rises: only the first epoch is best
    assert sorted(p.name for p in tmp_path.glob("d_*.keras")) == [
        "d_01.keras",
        "d_02.keras",
        "d_03.keras",
    ]
    assert sorted(p.name for p in tmp_path.glob("g_*.keras")) == ["g_01.keras"]
    assert best_d.best == pytest.approx(min(history["d_loss"]))
    assert best_g.best == pytest.approx(history["g_loss"][0])
    restored = kerasgan.load_model(tmp_path / "best.keras")
    assert restored.g_optimizer.iterations.numpy() == gan.g_optimizer.iterations.numpy() == 6
    for saved, trained in zip(restored.discriminator.weights, gan.discriminator.weights):
        np.testing.assert_allclose(saved.numpy(), trained.numpy(), rtol=1e-6)


def test_explicit_modes_are_left_alone():
    gan = _gan(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.1))
    stop = keras.callbacks.EarlyStopping(monitor="g_loss", mode="max", patience=0)
    history = gan.fit(_real(), batch_size=8, epochs=3, verbose=0, callbacks=[stop]).history
    assert stop.mode == "max" and len(history["g_loss"]) == 3  # rising: always better


def test_reduce_lr_on_plateau_scales_both_learning_rates():
    gan = _gan(keras.optimizers.SGD(0.4), keras.optimizers.SGD(0.1))
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="g_loss", factor=0.5, patience=0)
    history = gan.fit(_real(), batch_size=8, epochs=3, verbose=0, callbacks=[reduce]).history
    # g_loss rises every epoch: epochs 2 and 3 are plateaus, each halves both rates
    assert _lr(gan.d_optimizer) == pytest.approx(0.1, rel=1e-6)
    assert _lr(gan.g_optimizer) == pytest.approx(0.025, rel=1e-6)
    # (logged at each epoch's end, before that epoch's reduction)
    assert history["learning_rate"] == pytest.approx([0.4, 0.4, 0.2], rel=1e-6)


def test_reduce_lr_on_plateau_min_lr_keeps_the_ratio():
    gan = _gan(keras.optimizers.SGD(0.4), keras.optimizers.SGD(0.1))
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="g_loss", factor=0.5, patience=0, min_lr=0.3)
    gan.fit(_real(), batch_size=8, epochs=3, verbose=0, callbacks=[reduce])
    # the discriminator's rate stops at min_lr; the generator's follows at the same ratio
    assert _lr(gan.d_optimizer) == pytest.approx(0.3, rel=1e-6)
    assert _lr(gan.g_optimizer) == pytest.approx(0.075, rel=1e-6)


@pytest.mark.parametrize(
    "schedule",
    [
        lambda epoch: 1e-3 * 0.5**epoch,  # absolute, Keras' old one-argument form
        lambda epoch, lr: 1e-3 * 0.5**epoch,  # absolute, two arguments
    ],
    ids=["absolute", "absolute-two-args"],
)
def test_learning_rate_scheduler_with_an_absolute_schedule_keeps_the_ratio(schedule):
    # a two-time-scale pair: the discriminator learns 4x faster than the generator
    gan = _gan(keras.optimizers.Adam(4e-4), keras.optimizers.Adam(1e-4))
    scheduler = keras.callbacks.LearningRateScheduler(schedule)
    history = gan.fit(_real(), batch_size=8, epochs=3, verbose=0, callbacks=[scheduler]).history
    # the schedule sets the discriminator's rate; the generator's keeps a quarter of it
    assert _lr(gan.d_optimizer) == pytest.approx(2.5e-4, rel=1e-6)
    assert _lr(gan.g_optimizer) == pytest.approx(6.25e-5, rel=1e-6)
    assert history["learning_rate"] == pytest.approx([1e-3, 5e-4, 2.5e-4], rel=1e-6)


def test_learning_rate_scheduler_with_a_relative_schedule():
    gan = _gan(keras.optimizers.Adam(4e-4), keras.optimizers.Adam(1e-4))
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    gan.fit(_real(), batch_size=8, epochs=3, verbose=0, callbacks=[scheduler])
    assert _lr(gan.d_optimizer) == pytest.approx(4e-4 / 8, rel=1e-6)
    assert _lr(gan.g_optimizer) == pytest.approx(1e-4 / 8, rel=1e-6)


def test_the_rates_set_by_a_callback_are_the_ones_the_step_uses():
    """From the epoch the scheduler sets a learning rate of 0, neither network changes."""
    gan = _gan(keras.optimizers.SGD(0.5), keras.optimizers.SGD(0.1))
    frozen = keras.callbacks.LearningRateScheduler(lambda epoch: 0.5 if epoch == 0 else 0.0)
    snapshots = []
    snapshot = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(
            [w.numpy().copy() for w in gan.discriminator.weights + gan.generator.weights]
        )
    )
    history = gan.fit(
        _real(), batch_size=8, epochs=3, verbose=0, callbacks=[frozen, snapshot]
    ).history
    assert _lr(gan.d_optimizer) == 0.0 and _lr(gan.g_optimizer) == 0.0
    assert history["learning_rate"] == [0.5, 0.0, 0.0]
    for later in snapshots[1:]:
        for a, b in zip(snapshots[0], later):
            np.testing.assert_array_equal(a, b)
