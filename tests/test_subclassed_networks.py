"""Subclassed (non-functional) generators and discriminators.

A `keras.Model` subclass with its own `call` has no `inputs`/`outputs`:
`GANModel` finds the image shape by calling it on symbolic noise, which also
builds it. Unbuilt, Keras' JAX and PyTorch trainers would build the whole
`GANModel` by calling it on a batch of *images* (its `call` takes noise) and
fail. Here such networks construct, compile, train, generate, save and load on
every backend.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kerasgan

pytestmark = pytest.mark.backends

LATENT = 16
SHAPE = (8, 8, 1)
CLASSES = 3


@keras.saving.register_keras_serializable(package="kerasgan_tests")
class SubclassedGenerator(keras.Model):
    def __init__(self, filters=8, side=8, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.side = filters, side
        self.dense = keras.layers.Dense((side // 2) ** 2 * filters)
        self.reshape = keras.layers.Reshape((side // 2, side // 2, filters))
        self.norm = keras.layers.BatchNormalization()
        self.up = keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same")

    def call(self, z, training=False):
        x = keras.ops.relu(self.norm(self.reshape(self.dense(z)), training=training))
        return keras.ops.tanh(self.up(x))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "side": self.side}


@keras.saving.register_keras_serializable(package="kerasgan_tests")
class SubclassedDiscriminator(keras.Model):
    def __init__(self, filters=8, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv = keras.layers.Conv2D(filters, 4, strides=2, padding="same")
        self.flatten = keras.layers.Flatten()
        self.out = keras.layers.Dense(1)

    def call(self, images, training=False):
        x = keras.ops.leaky_relu(self.conv(images), 0.2)
        return self.out(self.flatten(x))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


@keras.saving.register_keras_serializable(package="kerasgan_tests")
class SubclassedConditionalGenerator(keras.Model):
    """Takes `[z, labels]` (labels: int `(batch, 1)`), as conditional variants call it."""

    def __init__(self, num_classes=CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.embed = keras.layers.Embedding(num_classes, 4)
        self.dense = keras.layers.Dense(8 * 8, activation="tanh")
        self.reshape = keras.layers.Reshape(SHAPE)

    def call(self, inputs, training=False):
        z, labels = inputs
        e = keras.ops.reshape(self.embed(labels), (-1, 4))
        return self.reshape(self.dense(keras.ops.concatenate([z, e], axis=-1)))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="kerasgan_tests")
class SubclassedConditionalDiscriminator(keras.Model):
    def __init__(self, num_classes=CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.embed = keras.layers.Embedding(num_classes, 8 * 8)
        self.flatten = keras.layers.Flatten()
        self.out = keras.layers.Dense(1)

    def call(self, inputs, training=False):
        images, labels = inputs
        e = keras.ops.reshape(self.embed(labels), (-1,) + SHAPE)
        return self.out(self.flatten(keras.ops.concatenate([images, e], axis=-1)))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def _images(n=16, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n,) + SHAPE).astype("float32")


def _gan(**kwargs):
    return kerasgan.GANModel(
        generator=SubclassedGenerator(),
        discriminator=SubclassedDiscriminator(),
        latent_dim=LATENT,
        seed=0,
        **kwargs,
    )


def test_construct_builds_both_networks():
    gan = _gan()
    assert gan.image_shape == SHAPE
    assert gan.generator.built and gan.discriminator.built
    assert gan.generator.trainable_variables and gan.discriminator.trainable_variables


def test_compile_fit_generate():
    gan = _gan()
    gan.compile()
    before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    history = gan.fit(_images(), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][0]) and np.isfinite(history["g_loss"][0])
    assert int(gan.g_optimizer.iterations.numpy()) == 2
    after = [w.numpy() for w in gan.generator.trainable_weights]
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    images = gan.generate(5, seed=0)
    assert images.shape == (5,) + SHAPE and np.all(np.abs(images) <= 1)
    np.testing.assert_array_equal(images, gan.generate(5, seed=0))
    evaluated = gan.evaluate(_images(8), batch_size=8, verbose=0, return_dict=True)
    assert set(evaluated) == {"d_loss", "g_loss"}


def test_save_load_round_trip(tmp_path):
    gan = _gan()
    gan.compile()
    gan.fit(_images(), batch_size=8, epochs=1, verbose=0)
    path = tmp_path / "subclassed.keras"
    gan.save(path)
    for load in (kerasgan.load_model, keras.saving.load_model):
        loaded = load(path)
        assert type(loaded.generator) is SubclassedGenerator
        assert type(loaded.discriminator) is SubclassedDiscriminator
        assert loaded.image_shape == SHAPE and loaded.latent_dim == LATENT
        np.testing.assert_allclose(
            loaded.generate(4, seed=1), gan.generate(4, seed=1), rtol=1e-5, atol=1e-6
        )
        assert int(loaded.g_optimizer.iterations.numpy()) == 2
    loaded.fit(_images(), batch_size=8, epochs=1, verbose=0)  # and it trains on
    assert int(loaded.g_optimizer.iterations.numpy()) == 4


def test_save_before_training_and_load(tmp_path):
    gan = _gan()
    gan.compile()
    gan.save(tmp_path / "fresh.keras")
    loaded = kerasgan.load_model(tmp_path / "fresh.keras")
    assert loaded.generator.built and loaded.discriminator.built
    np.testing.assert_allclose(
        loaded.generate(3, seed=0), gan.generate(3, seed=0), rtol=1e-5, atol=1e-6
    )
    loaded.fit(_images(), batch_size=8, epochs=1, verbose=0)


def test_a_variant_with_a_gradient_penalty():
    gan = kerasgan.create(
        "wgan_gp",
        generator=SubclassedGenerator(),
        discriminator=SubclassedDiscriminator(),
        latent_dim=LATENT,
        d_steps=2,
    )
    gan.compile()
    history = gan.fit(_images(8), batch_size=8, epochs=1, verbose=0).history
    assert set(history) == {"d_loss", "g_loss", "gp"}
    assert all(np.isfinite(v[0]) for v in history.values())


def test_conditional_subclassed_networks(tmp_path):
    gan = kerasgan.create(
        "cgan",
        generator=SubclassedConditionalGenerator(),
        discriminator=SubclassedConditionalDiscriminator(),
        latent_dim=LATENT,
        num_classes=CLASSES,
    )
    assert gan.image_shape == SHAPE and gan.generator.built and gan.discriminator.built
    gan.compile()
    labels = np.arange(16, dtype="int32") % CLASSES
    history = gan.fit(_images(), labels, batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(history["d_loss"][0])
    assert gan.generate(6, labels=2).shape == (6,) + SHAPE
    gan.save(tmp_path / "cgan.keras")
    loaded = kerasgan.load_model(tmp_path / "cgan.keras")
    np.testing.assert_allclose(
        loaded.generate(4, labels=[0, 1, 2, 0], seed=3),
        gan.generate(4, labels=[0, 1, 2, 0], seed=3),
        rtol=1e-5,
        atol=1e-6,
    )


def test_sequential_networks_without_an_input():
    """An unbuilt `Sequential` (no `keras.Input`) is built the same way."""
    generator = keras.Sequential(
        [keras.layers.Dense(64, activation="tanh"), keras.layers.Reshape(SHAPE)]
    )
    discriminator = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(1)])
    gan = kerasgan.GANModel(generator, discriminator, latent_dim=LATENT)
    assert gan.image_shape == SHAPE
    gan.compile()
    gan.fit(_images(), batch_size=8, epochs=1, verbose=0)
    assert gan.generate(2, seed=0).shape == (2,) + SHAPE


def test_a_generator_that_makes_no_images_is_reported():
    class Flat(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(64)

        def call(self, z):
            return self.dense(z)  # (batch, 64), not (batch, height, width, channels)

    with pytest.raises(ValueError, match="must make images of shape"):
        kerasgan.GANModel(Flat(), SubclassedDiscriminator(), latent_dim=LATENT)


def test_latent_dim_is_required():
    with pytest.raises(ValueError, match="pass latent_dim"):
        kerasgan.GANModel(SubclassedGenerator(), SubclassedDiscriminator())
    with pytest.raises(ValueError, match="pass latent_dim"):
        kerasgan.create(
            "dcgan", generator=SubclassedGenerator(), discriminator=SubclassedDiscriminator()
        )


def test_create_builds_the_missing_network_for_a_subclassed_one():
    with pytest.raises(ValueError, match="needs image_shape"):
        kerasgan.create("dcgan", generator=SubclassedGenerator(), latent_dim=LATENT)
    gan = kerasgan.create(
        "dcgan",
        image_shape=(16, 16, 1),
        generator=SubclassedGenerator(side=16),
        latent_dim=LATENT,
        base_filters=4,
    )
    assert gan.image_shape == (16, 16, 1) and type(gan.generator) is SubclassedGenerator
    assert gan.discriminator.inputs[0].shape[1:] == (16, 16, 1)  # the default one, built here
