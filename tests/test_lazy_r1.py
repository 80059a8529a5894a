"""r1gan / lsgan specifics: their losses and the lazy R1 schedule."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from support import COMPILED, make_gan, random_images

import kerasgan

pytestmark = pytest.mark.backends


def test_lsgan_and_r1gan_defaults():
    lsgan = make_gan("lsgan", base_filters=8)
    assert lsgan.adversarial_loss == "least_squares"
    r1gan = make_gan("r1gan", base_filters=8)
    assert r1gan.r1_weight == 10.0 and r1gan.r1_interval == 1
    assert not any(
        isinstance(layer, keras.layers.BatchNormalization) for layer in r1gan.discriminator.layers
    )


def test_lazy_r1_runs_every_interval_and_is_scaled():
    gan = make_gan("r1gan", base_filters=8, r1_interval=3, seed=0)
    gan.compile(jit_compile=False)
    real = keras.ops.convert_to_tensor(random_images(4))
    fake = keras.ops.convert_to_tensor(random_images(4, seed=1))
    eager = make_gan("r1gan", base_filters=8, seed=0)  # R1 every update, same weights
    eager.discriminator.set_weights(gan.discriminator.get_weights())
    eager.compile(jit_compile=False)
    full, full_logs = eager.discriminator_objective(real, fake)
    no_penalty = full - 0.5 * 10.0 * full_logs["r1"]
    for step, expect_due in enumerate([1, 0, 0, 1, 0]):
        gan.d_optimizer.iterations.assign(step)
        loss, logs = gan.discriminator_objective(real, fake)
        assert float(logs["r1_due"]) == expect_due
        if expect_due:
            # Every 3rd update carries 3x the penalty.
            np.testing.assert_allclose(
                float(loss),
                float(no_penalty) + 3 * 0.5 * 10.0 * float(full_logs["r1"]),
                rtol=1e-5,
            )
        else:
            np.testing.assert_allclose(float(loss), float(no_penalty), rtol=1e-5)
            assert float(logs["r1"]) == 0.0


def test_lazy_r1_trains_compiled_and_round_trips(tmp_path):
    gan = make_gan("r1gan", base_filters=8, r1_interval=4)
    gan.compile(jit_compile=COMPILED)
    history = gan.fit(random_images(32), batch_size=4, epochs=1, verbose=0)
    assert history.history["r1"][0] > 0  # averaged over the steps that computed it
    gan.save(tmp_path / "r1.keras")
    assert keras.saving.load_model(tmp_path / "r1.keras").r1_interval == 4
    with pytest.raises(ValueError, match="r1_interval must be an integer >= 1"):
        kerasgan.create("r1gan", image_shape=(28, 28, 1), r1_interval=0)
