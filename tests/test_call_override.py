"""Layer overrides belong to the model that installed them: a layer object
shared with another model computes with Keras' own `call` there."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan import _call_override, _fast_conv

pytestmark = pytest.mark.backends


class _Owner:
    pass


def _plus_100(self, x):
    return keras.layers.Dense.call(self, x) + 100.0


def test_override_runs_only_inside_its_owners_steps():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    x = np.ones((1, 3), "float32")
    plain = keras.ops.convert_to_numpy(layer(x))
    owner, other = _Owner(), _Owner()
    with _call_override.installing(owner):
        _call_override.install(layer, _plus_100)
    assert _call_override.installed(layer) is _plus_100
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), plain)
    with _call_override.active(other):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), plain)
    with _call_override.active(owner):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(x)), plain + 100.0)
    # removing it for another owner keeps it; for its owner, Keras' call again
    with _call_override.installing(other):
        _call_override.remove(layer, (_plus_100,))
    assert _call_override.installed(layer) is _plus_100
    with _call_override.installing(owner):
        _call_override.remove(layer, (_plus_100,))
    assert _call_override.installed(layer) is None and "call" not in layer.__dict__


def test_two_models_sharing_a_generator_keep_their_own_layer_forms(tmp_path):
    a = kerasgan.create("dcgan", image_shape=(16, 16, 1), base_filters=8, latent_dim=8, seed=0)
    b = kerasgan.create(
        "dcgan",
        generator=a.generator,
        discriminator=kerasgan.DCGAN.build_discriminator((16, 16, 1), base_filters=8),
        seed=0,
    )
    a.compile(fast_layers=True)
    b.compile(fast_layers=False)
    assert a.fast_layer_names and b.fast_layer_names == []
    # b's compile did not take a's forms away from the shared layers
    assert any(_fast_conv.is_accelerated(layer) for layer in a.generator.layers)
    z = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    # both compute the same function (the forms only regroup sums)
    np.testing.assert_allclose(a.predict(z, verbose=0), b.predict(z, verbose=0), atol=1e-5)
    a.save(tmp_path / "a.keras")  # the owners are not part of the saved state
    assert kerasgan.load_model(tmp_path / "a.keras").generate(2, seed=0).shape == (2, 16, 16, 1)
