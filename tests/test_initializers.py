"""kerasgan.architectures.initializers: Keras' distributions, drawn with NumPy
(no random-number program compiled per weight shape on JAX), reproducible under
`keras.utils.set_random_seed`, and used by every default network."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from support import image_shape_for, make_gan

import kerasgan
from kerasgan.architectures import initializers

pytestmark = pytest.mark.backends

SHAPE = (3, 3, 64, 96)  # a conv kernel: fan_in 576, fan_out 864
FAN_IN, FAN_OUT = 3 * 3 * 64, 3 * 3 * 96


def _draw(init, shape=SHAPE, dtype=None) -> np.ndarray:
    return keras.ops.convert_to_numpy(init(shape, dtype=dtype))


@pytest.mark.parametrize(
    "ours, std, bound, bounded",
    [
        # glorot uniform: limit sqrt(6 / (fan_in + fan_out)), std limit / sqrt(3)
        (initializers.glorot_uniform(seed=1), np.sqrt(2.0 / (FAN_IN + FAN_OUT)), None, True),
        # he normal: truncated at 2 std of the untruncated draw, rescaled to sqrt(2 / fan_in)
        (initializers.he_normal(seed=1), np.sqrt(2.0 / FAN_IN), None, True),
        (
            initializers.VarianceScaling(0.5, "fan_out", "untruncated_normal", seed=1),
            np.sqrt(0.5 / FAN_OUT),
            None,
            False,
        ),
        (initializers.RandomNormal(0.1, 0.02, seed=1), 0.02, None, False),
        (initializers.RandomUniform(-0.05, 0.05, seed=1), 0.1 / np.sqrt(12.0), 0.05, True),
    ],
    ids=["glorot_uniform", "he_normal", "variance_scaling", "random_normal", "random_uniform"],
)
def test_distributions_match_keras(ours, std, bound, bounded):
    """Mean, standard deviation and (for the bounded ones) range as Keras' own
    initializer of the same configuration gives them, and as the formulas say."""
    config = {k: v for k, v in ours.get_config().items() if k != "seed"}
    name = type(ours).__name__
    theirs = getattr(keras.initializers, name)(**config, seed=7)
    a, b = _draw(ours), _draw(theirs)
    assert a.shape == SHAPE and a.dtype == np.float32
    assert abs(a.mean() - b.mean()) < 0.02 * b.std() + 1e-3 * abs(b.mean())
    assert a.std() == pytest.approx(b.std(), rel=0.02)
    if std is not None:
        assert a.std() == pytest.approx(std, rel=0.02)
    if bound is not None:
        assert np.abs(a).max() <= bound
    if bounded:  # the same support: the extremes of 55 296 draws reach its ends
        assert np.abs(a - a.mean()).max() == pytest.approx(np.abs(b - b.mean()).max(), rel=0.03)


def test_truncated_normal_stays_within_two_standard_deviations():
    init = initializers.VarianceScaling(1.0, "fan_in", "truncated_normal", seed=3)
    x = _draw(init, (256, 256))
    untruncated_std = np.sqrt(1.0 / 256) / 0.87962566103423978
    assert np.abs(x).max() <= 2.0 * untruncated_std + 1e-6
    assert np.abs(x).max() > 1.9 * untruncated_std  # the tails are there, cut at 2


def test_seeds_reproduce_and_each_call_draws_anew():
    a, b = initializers.RandomNormal(seed=5), initializers.RandomNormal(seed=5)
    first = _draw(a, (4, 4))
    np.testing.assert_array_equal(first, _draw(b, (4, 4)))
    # a shared instance gives each weight its own values (Keras' repeat its first draw)
    assert not np.array_equal(first, _draw(a, (4, 4)))
    assert not np.array_equal(first, _draw(initializers.RandomNormal(seed=6), (4, 4)))


def test_set_random_seed_makes_default_networks_reproducible():
    def build(seed):
        keras.utils.set_random_seed(seed)
        gan = make_gan("dcgan")
        return [keras.ops.convert_to_numpy(w) for w in gan.generator.weights]

    a, b, c = build(3), build(3), build(4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    kernels = [i for i, w in enumerate(a) if w.ndim > 1]
    assert kernels and not any(np.array_equal(a[i], c[i]) for i in kernels)


def test_dtype_and_config_round_trip():
    init = initializers.VarianceScaling(2.0, "fan_avg", "uniform", seed=11)
    assert keras.backend.standardize_dtype(init((2, 3), dtype="bfloat16").dtype) == "bfloat16"
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(init))
    assert type(again) is initializers.VarianceScaling
    assert (
        again.get_config()
        == init.get_config()
        == {
            "scale": 2.0,
            "mode": "fan_avg",
            "distribution": "uniform",
            "seed": 11,
        }
    )
    fresh = initializers.VarianceScaling(**init.get_config())
    np.testing.assert_array_equal(_draw(again, (5, 5)), _draw(fresh, (5, 5)))


def test_get_keeps_a_users_initializer_and_maps_keras_names():
    mine = keras.initializers.Orthogonal()
    assert initializers.get(mine) is mine
    assert type(initializers.get("glorot_uniform")) is initializers.VarianceScaling
    assert isinstance(initializers.get("he_normal"), initializers.HostInitializer)
    assert isinstance(initializers.get("zeros"), keras.initializers.Zeros)


def test_bad_arguments_say_what_is_expected():
    with pytest.raises(ValueError, match="mode must be one of"):
        initializers.VarianceScaling(1.0, "fan_sideways")
    with pytest.raises(ValueError, match="distribution must be one of"):
        initializers.VarianceScaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="scale must be positive"):
        initializers.VarianceScaling(0.0)
    with pytest.raises(ValueError, match="seed must be an int"):
        initializers.RandomNormal(seed="one")


@pytest.mark.parametrize("variant", kerasgan.list_variants())
def test_default_networks_draw_no_weight_with_a_keras_random_initializer(variant, monkeypatch):
    """Every random weight of every variant's default networks is drawn by a
    NumPy initializer: on JAX, each Keras random draw of a new weight shape
    compiles a program of its own. (Keras' SpectralNormalization draws its
    power-iteration vector itself.)"""
    import traceback

    from keras.src.initializers import random_initializers

    draws = []

    def recording(name):
        original = getattr(random_initializers.random, name)

        def draw(shape, *args, **kwargs):
            callers = "".join(traceback.format_stack(limit=30))
            if "spectral_normalization" not in callers:
                draws.append(f"{name}{tuple(shape)}")
            return original(shape, *args, **kwargs)

        return draw

    for name in ("normal", "uniform", "truncated_normal"):
        monkeypatch.setattr(random_initializers.random, name, recording(name))
    make_gan(variant, image_shape=image_shape_for(variant, (32, 32, 1)))
    assert not draws, f"Keras random initializers drew {draws}"
