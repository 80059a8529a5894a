"""The generator EMA: separate variables, the right average, saved, used on demand."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from support import COMPILED, make_gan, random_images, weights_of

import kerasgan

pytestmark = pytest.mark.backends


def _trainable_pairs(gan):
    return [
        (e.numpy(), g.numpy())
        for e, g in zip(gan.ema_generator.weights, gan.generator.weights)
        if g.trainable
    ]


def test_ema_update_is_the_moving_average_and_leaves_training_weights_alone():
    gan = make_gan("dcgan", base_filters=8, seed=0)
    gan.compile(jit_compile=COMPILED)
    gan.fit(random_images(16), batch_size=16, epochs=1, verbose=0)  # traced without EMA
    decay = 0.9
    gan.enable_ema(decay)  # retraces the step with the update
    ema_before = weights_of(gan.ema_generator)
    np.testing.assert_array_equal(ema_before[0], gan.generator.weights[0].numpy())
    gan.fit(random_images(16, seed=1), batch_size=16, epochs=1, verbose=0)  # one step
    g_after = [v.numpy() for v in gan.generator.weights]
    for before, ema, g, var in zip(
        ema_before, gan.ema_generator.weights, g_after, gan.generator.weights
    ):
        expected = decay * before + (1 - decay) * g if var.trainable else g
        np.testing.assert_allclose(ema.numpy(), expected, rtol=1e-5, atol=1e-6)
    # The EMA is its own set of variables, frozen, and not in the optimizers' lists.
    assert not gan.ema_generator.trainable_weights
    ids = {id(v) for v in gan.generator.trainable_variables}
    assert not any(id(v) in ids for v in gan.ema_generator.weights)
    assert any(not np.allclose(e, g) for e, g in _trainable_pairs(gan))


def test_ema_callback_saved_and_used_by_generate(tmp_path):
    gan = make_gan("cgan", base_filters=8, seed=0)
    gan.compile(jit_compile=COMPILED)
    labels = np.arange(32) % 10
    gan.fit(
        random_images(32),
        labels,
        batch_size=16,
        epochs=2,
        verbose=0,
        callbacks=[kerasgan.callbacks.EMA(0.5)],
    )
    assert gan.ema_decay == 0.5
    with_ema = gan.generate(4, labels=3, seed=1, ema=True)
    assert not np.allclose(with_ema, gan.generate(4, labels=3, seed=1))
    path = tmp_path / "ema.keras"
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.ema_decay == 0.5
    np.testing.assert_array_equal(loaded.generate(4, labels=3, seed=1, ema=True), with_ema)
    # The zoo keeps the EMA too.
    kerasgan.zoo.save(gan, "ema-test", dataset="random", zoo_dir=str(tmp_path / "zoo"))
    preset = kerasgan.zoo.load(str(tmp_path / "zoo" / "ema-test"))
    np.testing.assert_array_equal(preset.generate(4, labels=3, seed=1, ema=True), with_ema)
    assert (
        "ema_generator.weights.h5"
        in kerasgan.zoo.info(str(tmp_path / "zoo" / "ema-test"))["sha256"]
    )


def test_ema_errors():
    gan = make_gan("dcgan", base_filters=8)
    with pytest.raises(ValueError, match="needs an EMA generator"):
        gan.generate(2, ema=True)
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        gan.enable_ema(1.0)
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        kerasgan.callbacks.EMA(-0.1)
