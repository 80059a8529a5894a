"""ADA inside the train step: `GANModel(..., ada="bgc")` augments every
discriminator call while training, adapts `p` from the real logits, logs it
as `ada_p` and saves it (exact resume: tests/test_resume_exact.py)."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from support import random_images

import kerasgan

pytestmark = pytest.mark.backends

SMALL = (16, 16, 1)
# jax.jit on JAX; a TensorFlow graph on TensorFlow (ADA under TensorFlow's XLA,
# which compiles it far more slowly: tests/test_ada.py)
COMPILED = {"jax": True, "tensorflow": False}.get(keras.backend.backend(), "auto")


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _gan(**kwargs):
    kwargs.setdefault("ada", "bgc")
    return kerasgan.create(
        "dcgan", image_shape=SMALL, base_filters=4, latent_dim=8, seed=0, **kwargs
    )


def _state(gan):
    a = gan.ada
    return tuple(float(_np(v)) for v in (a.p, a.sign_sum, a.count, a.batches))


def test_p_follows_the_sign_of_the_real_logits_every_interval():
    """Fed synthetic logits: p rises by batch * interval / speed when D is
    confident on reals (r_t above the target), falls otherwise, and only on
    every `interval`-th step, which starts the statistics afresh."""
    gan = _gan(ada_target=0.6, ada_p=0.5, ada_interval=3, ada_speed_img=1200)
    step = 4 * 3 / 1200  # batch 4
    overfit = np.array([[2.0], [1.5], [0.3], [4.0]], "float32")  # r_t = 1
    gan.observe_real_logits(overfit)
    gan.ada.step(4)
    gan.observe_real_logits(overfit)
    gan.ada.step(4)
    assert _state(gan) == (0.5, 8.0, 8.0, 2.0)  # gathering, p unchanged
    gan.observe_real_logits(np.array([[1.0], [1.0], [1.0], [-1.0]], "float32"))  # r_t = 0.5
    gan.ada.step(4)
    # r_t = (4 + 4 + 2) / 12 = 0.83 > 0.6: up, statistics reset
    np.testing.assert_allclose(_state(gan), (0.5 + step, 0.0, 0.0, 0.0), rtol=1e-6)
    for _ in range(3):  # r_t = 0.5 < 0.6: down
        gan.observe_real_logits(np.array([[1.0], [1.0], [1.0], [-1.0]], "float32"))
        gan.ada.step(4)
    np.testing.assert_allclose(_state(gan), (0.5, 0.0, 0.0, 0.0), rtol=1e-6)


def test_p_stays_in_zero_one():
    gan = _gan(ada_target=0.6, ada_p=0.99, ada_interval=1, ada_speed_img=8)  # step 0.5
    gan.observe_real_logits(np.ones((4, 1), "float32"))
    gan.ada.step(4)
    assert _state(gan)[0] == 1.0
    for _ in range(3):
        gan.observe_real_logits(-np.ones((4, 1), "float32"))
        gan.ada.step(4)
    assert _state(gan)[0] == 0.0


def test_fixed_p_without_a_target():
    gan = _gan(ada_target=None, ada_p=0.3)
    gan.observe_real_logits(np.ones((4, 1), "float32"))
    gan.ada.step(4)
    assert _state(gan) == pytest.approx((0.3, 0.0, 0.0, 0.0))


def test_discriminator_sees_augmented_images_only_while_training():
    x = random_images(8, SMALL)
    never = _gan(ada_target=None, ada_p=0.0)
    np.testing.assert_array_equal(_np(never._augment(x, training=True)), x)
    always = _gan(ada_target=None, ada_p=1.0)
    augmented = _np(always._augment(x, training=True))
    assert augmented.shape == x.shape
    assert np.all(np.any(augmented != x, axis=(1, 2, 3)))
    assert augmented.min() >= -1.0 and augmented.max() <= 1.0
    np.testing.assert_array_equal(_np(always._augment(x, training=False)), x)
    np.testing.assert_array_equal(
        _np(always._discriminate(x, training=False)), _np(always._discriminate(x, training=False))
    )


def test_fit_adapts_logs_and_round_trips_p(tmp_path):
    """Compiled fit: `ada_p` is logged per epoch, moves in whole steps
    (batch 8 * interval 2 / speed 800 = 0.02) and is saved with the model."""
    gan = _gan(ada_target=0.0, ada_p=0.5, ada_interval=2, ada_speed_img=800)
    gan.compile(jit_compile=COMPILED)
    history = gan.fit(random_images(32, SMALL), batch_size=8, epochs=2, verbose=0)
    logged = history.history["ada_p"]
    assert len(logged) == 2 and all(math.isfinite(v) for v in history.history["d_loss"])
    # each epoch: 4 steps, 2 updates of -0.02, 0 (r_t exactly 0) or +0.02
    for before, after in zip([0.5] + logged[:-1], logged):
        moves = (after - before) / 0.02
        assert abs(moves - round(moves)) < 1e-4 and abs(round(moves)) <= 2, (before, after)
    assert logged[-1] == pytest.approx(_state(gan)[0])
    assert 0.0 <= logged[-1] <= 1.0

    config = gan.get_config()
    assert {k: config[k] for k in ("ada", "ada_target", "ada_p", "ada_interval")} == {
        "ada": "bgc",
        "ada_target": 0.0,
        "ada_p": 0.5,
        "ada_interval": 2,
    }
    gan.ada.sign_sum.assign(3.0)  # mid-interval statistics are saved too
    gan.ada.count.assign(8.0)
    gan.ada.batches.assign(1.0)
    path = str(tmp_path / "ada.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.ada.pipeline == "bgc" and loaded.ada.interval == 2
    assert _state(loaded) == _state(gan)
    clone = kerasgan.DCGAN.from_config(config)
    assert _state(clone) == (0.5, 0.0, 0.0, 0.0)  # a fresh model starts at ada_p
    assert kerasgan.create("dcgan", image_shape=SMALL, base_filters=4).get_config()["ada"] is None
    # StyleGAN2 has ADA by default; turned off, it stays off through its config
    style = kerasgan.create(
        "stylegan2", image_shape=SMALL, base_filters=4, max_filters=8, w_dim=8, mapping_layers=1
    )
    assert style.ada.pipeline == "bgc" and style.ada.target == 0.6
    plain = kerasgan.create(
        "stylegan2",
        image_shape=SMALL,
        base_filters=4,
        max_filters=8,
        w_dim=8,
        mapping_layers=1,
        ada=None,
    )
    assert kerasgan.get("stylegan2").from_config(plain.get_config()).ada is None


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"ada": "bgx"}, "unknown letter 'x'"),
        ({"ada": "bgc", "diffaugment": "color"}, "Use one augmentation"),
        ({"ada": "bgc", "ada_target": 1.5}, r"ada_target .* must be in \[0, 1\)"),
        ({"ada": "bgc", "ada_p": -0.1}, r"ada_p .* must be in \[0, 1\]"),
        ({"ada": "bgc", "ada_interval": 0}, "ada_interval must be an integer >= 1"),
        ({"ada": "bgc", "ada_speed_img": 0}, "ada_speed_img must be > 0"),
    ],
)
def test_bad_ada_arguments_say_what_to_pass(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _gan(**kwargs)


def test_color_group_needs_one_or_three_channels():
    with pytest.raises(ValueError, match="1 or 3 channels.*ada='bg'"):
        kerasgan.create("dcgan", image_shape=(16, 16, 2), base_filters=4, ada="bgc")
    gan = kerasgan.create("dcgan", image_shape=(16, 16, 2), base_filters=4, ada="bg")
    assert gan.ada.pipeline == "bg"
