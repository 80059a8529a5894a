"""Bad input gets one clear error saying what was expected and how to fix it."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from support import QUICK_STEP, make_gan, random_images, random_labels

import kerasgan

pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def dcgan():
    gan = make_gan("dcgan", base_filters=8)
    gan.compile(jit_compile=QUICK_STEP)
    return gan


@pytest.fixture(scope="module")
def cgan():
    gan = make_gan("cgan", base_filters=8)
    gan.compile(jit_compile=QUICK_STEP)
    return gan


@pytest.mark.parametrize(
    "images, match",
    [
        (random_images(8)[..., 0], r"add a channel axis, e\.g\. images\[\.\.\., None\]"),
        (random_images(1)[0], "single image; add a batch axis"),
        (random_images(8, (28, 28, 3)), r"built for 1 channel\(s\) but the images have 3"),
        (random_images(8, (32, 32, 1)), r"resize the images, or build the model with"),
        (np.transpose(random_images(8), (0, 3, 1, 2)), "channels-first"),
        (random_images(8).reshape(8, 784), r"shape \(batch, 28, 28, 1\)"),
    ],
    ids=["no-channel-axis", "single-image", "rgb-vs-gray", "wrong-size", "channels-first", "flat"],
)
def test_wrong_image_shapes(dcgan, images, match):
    with pytest.raises(ValueError, match=match):
        dcgan.fit(images, epochs=1, verbose=0)


def test_uint8_images_not_scaled(dcgan):
    raw = np.random.default_rng(0).integers(0, 256, (8, 28, 28, 1)).astype("uint8")
    with pytest.raises(ValueError, match=r"dtype uint8.*astype\('float32'\) / 127\.5 - 1"):
        dcgan.fit(raw, epochs=1, verbose=0)


def test_float_images_in_0_255_not_scaled(dcgan):
    raw = np.random.default_rng(0).uniform(0, 255, (8, 28, 28, 1)).astype("float32")
    with pytest.raises(ValueError, match=r"values in \[.*\].*127\.5 - 1"):
        dcgan.fit(raw, epochs=1, verbose=0)


def test_dataset_of_unscaled_images(dcgan):
    raw = np.full((8, 28, 28, 1), 200, "uint8")
    with pytest.raises(ValueError, match="dtype uint8"):
        dcgan.fit(tf.data.Dataset.from_tensor_slices(raw).batch(4), epochs=1, verbose=0)
    raw = raw.astype("float32")
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        dcgan.fit(tf.data.Dataset.from_tensor_slices(raw).batch(4), epochs=1, verbose=0)


def test_nan_images(dcgan):
    x = random_images(8)
    x[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        dcgan.fit(x, epochs=1, verbose=0)


def test_labels_missing_for_conditional(cgan):
    with pytest.raises(ValueError, match=r"conditional \(num_classes=10\).*fit\(images, labels\)"):
        cgan.fit(random_images(8), epochs=1, verbose=0)
    ds = tf.data.Dataset.from_tensor_slices(random_images(8)).batch(4)
    with pytest.raises(ValueError, match="needs integer class labels"):
        cgan.fit(ds, epochs=1, verbose=0)


def test_labels_given_to_unconditional(dcgan):
    with pytest.raises(ValueError, match=r"unconditional.*dataset\.map\(lambda x, y: x\)"):
        dcgan.fit(random_images(8), random_labels(8), epochs=1, verbose=0)
    ds = tf.data.Dataset.from_tensor_slices((random_images(8), random_labels(8))).batch(4)
    with pytest.raises(ValueError, match="unconditional"):
        dcgan.fit(ds, epochs=1, verbose=0)


def test_labels_out_of_range(cgan):
    labels = random_labels(8)
    labels[3] = 10
    with pytest.raises(
        ValueError, match=r"expected class ids in \[0, 9\].*got values in \[\d+, 10\]"
    ):
        cgan.fit(random_images(8), labels, epochs=1, verbose=0)
    labels[3] = -1
    ds = tf.data.Dataset.from_tensor_slices((random_images(8), labels)).batch(8)
    with pytest.raises(ValueError, match="out of range"):
        cgan.fit(ds, epochs=1, verbose=0)


def test_labels_wrong_kind(cgan):
    onehot = np.eye(10, dtype="float32")[random_labels(8)]
    with pytest.raises(ValueError, match=r"argmax\(-1\)"):
        cgan.fit(random_images(8), onehot, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="8 images but 4 labels"):
        cgan.fit(random_images(8), random_labels(4), epochs=1, verbose=0)


def test_dict_dataset_elements(dcgan):
    ds = tf.data.Dataset.from_tensor_slices({"image": random_images(8)}).batch(4)
    with pytest.raises(ValueError, match=r"got a dict with keys \['image'\]"):
        dcgan.fit(ds, epochs=1, verbose=0)


@pytest.mark.parametrize("d_steps", [0, -2, 2.5, "5"])
def test_d_steps_must_be_positive_int(d_steps):
    with pytest.raises(ValueError, match=r"d_steps .* must be an integer >= 1"):
        make_gan("wgan_gp", base_filters=8, d_steps=d_steps)


def test_unknown_variant_lists_known_ones():
    with pytest.raises(ValueError, match=r"Unknown GAN variant 'dcgna'\. Known variants: .*dcgan"):
        kerasgan.create("dcgna", image_shape=(28, 28, 1))


def test_fit_before_compile():
    gan = make_gan("dcgan", base_filters=8)
    with pytest.raises(RuntimeError, match=r"Call compile\(\) before fit\(\)"):
        gan.fit(random_images(8), epochs=1, verbose=0)


def test_compile_rejects_keras_loss_and_shared_optimizer():
    import keras

    gan = make_gan("dcgan", base_filters=8)
    with pytest.raises(ValueError, match="does not take 'loss'"):
        gan.compile(loss="mse")
    opt = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="two separate optimizer instances"):
        gan.compile(opt, opt)


def test_generate_bad_arguments(cgan):
    with pytest.raises(ValueError, match="positive integer"):
        cgan.generate(0)
    with pytest.raises(ValueError, match="integer class ids"):
        cgan.generate(2, labels=[0.5, 1.5])


def test_image_shape_too_small_for_default_networks():
    with pytest.raises(ValueError, match="at least 16x16"):
        kerasgan.create("dcgan", image_shape=(8, 8, 1))
    with pytest.raises(ValueError, match=r"\(height, width, channels\)"):
        kerasgan.create("dcgan", image_shape=(28, 28))


def test_images_in_unit_range_are_accepted(dcgan):
    """[0, 1] data is a valid range; it trains (no false alarm)."""
    x = (random_images(8) + 1) / 2
    history = dcgan.fit(x, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
