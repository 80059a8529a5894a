"""kerasgan.testing, the harness for variant authors, catches broken variants
with an error naming the variant and the check (the built-in variants pass it in
tests/test_variants.py, the example plugin in tests/test_registry.py)."""

from __future__ import annotations

import keras
import pytest

import kerasgan
import kerasgan.testing
from kerasgan import registry


@pytest.fixture
def clean_registry():
    saved = dict(registry._REGISTRY)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


def test_unknown_variant_and_unknown_check():
    with pytest.raises(ValueError, match="Unknown GAN variant 'no_such_gan'"):
        kerasgan.testing.run_variant_test("no_such_gan")
    with pytest.raises(ValueError, match=r"Unknown checks \['speed'\]"):
        kerasgan.testing.run_variant_test("dcgan", checks=("build", "speed"))
    with pytest.raises(TypeError, match="registered variant name or a GANModel subclass"):
        kerasgan.testing.VariantChecker(keras.Model)


def test_a_generator_without_tanh_fails_the_build_check(clean_registry):
    @kerasgan.register("harness_unbounded")
    class Unbounded(kerasgan.GANModel):
        @classmethod
        def build_generator(cls, image_shape, latent_dim, num_classes=None, **kwargs):
            z = keras.Input((latent_dim,))
            x = keras.layers.Dense(
                int(image_shape[0] * image_shape[1] * image_shape[2]),
                kernel_initializer=keras.initializers.Constant(1.0),
            )(z)
            x = keras.layers.Lambda(lambda t: 10.0 + keras.ops.abs(t))(x)
            return keras.Model(z, keras.layers.Reshape(image_shape)(x))

    with pytest.raises(
        AssertionError, match=r"\[harness_unbounded: build\] images outside \[-1, 1\]"
    ):
        kerasgan.testing.run_variant_test("harness_unbounded", checks=("build",), base_filters=8)


def test_a_generator_that_never_learns_fails_the_fit_check(clean_registry):
    @kerasgan.register("harness_frozen")
    class Frozen(kerasgan.GANModel):
        def default_optimizer_for(self, name):
            config = dict(self.default_optimizer)
            if name == "g_optimizer":
                config["learning_rate"] = 0.0
            return config

    with pytest.raises(
        AssertionError, match=r"\[harness_frozen: fit\] the generator did not change"
    ):
        kerasgan.testing.run_variant_test(
            "harness_frozen", checks=("fit",), base_filters=8, jit_compile=False
        )


def test_variant_test_case_needs_a_variant():
    class TestNothing(kerasgan.testing.VariantTestCase):
        pass

    with pytest.raises(TypeError, match="set `variant = 'name'`"):
        TestNothing().test_build()


class TestDCGANThroughTheTestCase(kerasgan.testing.VariantTestCase):
    """The base class as a plugin author uses it (one test per check)."""

    variant = "dcgan"
    init_kwargs = {"base_filters": 8, "latent_dim": 16}
    jit_compile = False
