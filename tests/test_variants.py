"""Registry-wide tests: every registered variant gets build, compiled fit, saving
and generation tests with no extra test code, on every backend (the step is
compiled with XLA on TensorFlow and JAX; PyTorch runs it eagerly)."""

from __future__ import annotations

import glob
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from support import (
    COMPILED,
    NUM_CLASSES,
    QUICK_STEP,
    TEST_SIZES,
    fit_args,
    image_shape_for,
    is_conditional,
    make_gan,
    random_images,
    random_labels,
    slow_on_tensorflow,
    step_test_shape,
)

import kerasgan
import kerasgan.testing

pytestmark = pytest.mark.backends

BACKEND = keras.backend.backend()
VARIANTS = kerasgan.list_variants()
BATCH = 16
N = 32  # two steps per epoch


#: The default networks' shapes are Keras layer arithmetic, the same on every backend;
#: JAX compiles every variable initializer of a new shape (~0.2 s each), so it builds one.
BUILD_SHAPES = [(28, 28, 1), (32, 32, 3), (64, 64, 3)] if BACKEND != "jax" else [(32, 32, 3)]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("image_shape", BUILD_SHAPES)
def test_default_networks_build_for_image_shape(variant, image_shape):
    image_shape = image_shape_for(variant, image_shape)  # R3GAN: powers of two
    gan = make_gan(variant, image_shape=image_shape, small=False)
    assert gan.image_shape == image_shape
    assert gan.generator.output_shape == (None,) + image_shape
    assert gan.discriminator.output_shape == (None, 1)
    assert gan.latent_dim == kerasgan.get(variant).default_latent_dim
    # called eagerly: compiling `predict` for 30 full-size networks costs minutes
    # on JAX; generate() itself is test_generate_shapes_ranges_seeds_and_labels'
    z = np.random.default_rng(0).standard_normal((3, gan.latent_dim)).astype("float32")
    labels = np.zeros((3, 1), "int32")
    x = keras.ops.convert_to_numpy(gan((z, labels) if is_conditional(variant) else z))
    assert x.shape == (3,) + image_shape
    assert x.dtype == np.float32
    assert np.all(np.abs(x) <= 1.0)
    inputs = [x, labels] if is_conditional(variant) else x
    assert gan.discriminator(inputs).shape == (3, 1)


def checker_for(variant: str, **kwargs) -> kerasgan.testing.VariantChecker:
    """kerasgan.testing's harness for a built-in variant, at the test widths."""
    small = {k: v for k, v in TEST_SIZES.get(variant, {}).items()}
    small.update(kwargs)
    return kerasgan.testing.VariantChecker(
        variant,
        image_shape=step_test_shape(variant),
        num_classes=NUM_CLASSES,
        batch_size=BATCH,
        jit_compile=COMPILED,
        # training on after a reload: the quickest step to build (a TensorFlow
        # graph, eager for the largest graphs; every variant's XLA step is
        # test_fit_compiled's)
        jit_compile_after_load=QUICK_STEP,
        run_eagerly_after_load=slow_on_tensorflow(variant),
        **small,
    )


@pytest.fixture(scope="module", params=VARIANTS)
def checker(request):
    """Each variant's harness, sharing one model trained by test_fit."""
    return checker_for(request.param)


# Every built-in variant passes kerasgan.testing, the harness that plugin authors use.
def test_fit_compiled_updates_both_networks(checker):
    checker.check_fit()
    # XLA compiles the step on TensorFlow and JAX; PyTorch runs it eagerly.
    assert checker.trained.jit_compile is (BACKEND != "torch")
    assert checker.trained.train_function is not None


def test_generate_shapes_ranges_seeds_and_labels(checker):
    checker.check_generate()
    if checker.num_classes:
        gan = checker.trained
        with pytest.raises(ValueError, match=r"\[0, 9\]"):
            gan.generate(2, labels=[0, NUM_CLASSES])
        with pytest.raises(ValueError, match="one or n"):
            gan.generate(3, labels=[1, 2])


def test_config_round_trip(checker):
    checker.check_config_round_trip()


def test_save_load_round_trip_keeps_images_and_optimizers(checker, tmp_path):
    loaded = checker.check_saving_round_trip(str(tmp_path))
    gan = checker.trained
    assert loaded.get_config()["latent_dim"] == gan.latent_dim
    assert loaded.num_classes == gan.num_classes and loaded.d_steps == gan.d_steps


def test_preset_round_trip(checker, tmp_path):
    checker.check_preset_round_trip(str(tmp_path))


def test_bad_inputs_get_clear_errors(checker):
    checker.check_bad_inputs()


#: JAX without XLA runs the step op by op, each op compiled on first use: minutes
#: for the StyleGAN2/R3GAN/projection graphs and 3 min for the conditional one.
#: There it runs op by op for the unconditional DCGAN-family variants and
#: compiled for `cgan` (tf.data with labels); tests/test_backends.py checks every
#: variant's JAX step against TensorFlow's.
TF_DATA_CASES = (
    [(v, False) for v in VARIANTS]
    if BACKEND != "jax"
    else [(v, False) for v in ("dcgan", "lsgan", "wgan_gp", "r1gan")] + [("cgan", True)]
)


@pytest.mark.parametrize("variant, jit_compile", TF_DATA_CASES)
def test_fit_on_tf_data_and_evaluate(variant, jit_compile):
    shape = step_test_shape(variant)
    gan = make_gan(variant, image_shape=shape, base_filters=16)  # eager steps: small networks
    # the subject is the dataset's path into fit and evaluate, not the step:
    # on TensorFlow, the variants whose graph takes 20-30 s to build run eagerly
    eager = slow_on_tensorflow(variant)
    gan.compile(jit_compile=jit_compile, run_eagerly=eager)
    x = random_images(BATCH, shape)  # one step per epoch (slow on JAX)
    elements = (x, random_labels(BATCH)) if is_conditional(variant) else x
    ds = tf.data.Dataset.from_tensor_slices(elements).batch(BATCH)
    history = gan.fit(ds, epochs=2, verbose=0)
    assert len(history.history["d_loss"]) == 2
    assert all(math.isfinite(v) for v in history.history["g_loss"])
    logs = gan.evaluate(ds, verbose=0, return_dict=True)
    assert {"d_loss", "g_loss"} <= set(logs)
    assert all(math.isfinite(v) for v in logs.values())


def test_a_dataset_of_unknown_length_counts_each_step_once():
    """At the end of a dataset of unknown length, the step whose batch never came
    updates nothing, not even the optimizers' step counters (Keras' own count ran
    ahead by one per epoch in a TensorFlow graph)."""
    gan = make_gan("dcgan", base_filters=8)
    gan.compile(jit_compile=False if BACKEND == "tensorflow" else COMPILED)
    ds = tf.data.Dataset.from_tensor_slices(random_images(20)).filter(lambda x: True).batch(4)
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    gan.fit(ds, epochs=2, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == 10
    assert int(gan.d_optimizer.iterations.numpy()) == 10


def test_losses_reach_tensorboard(tmp_path):
    gan = make_gan("dcgan")
    gan.compile(jit_compile=COMPILED)
    x, _ = fit_args("dcgan", BATCH)
    logdir = str(tmp_path / "tb")
    gan.fit(
        x, batch_size=BATCH, epochs=2, verbose=0, callbacks=[keras.callbacks.TensorBoard(logdir)]
    )
    tags = set()
    for path in glob.glob(os.path.join(logdir, "train", "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            tags.update(v.tag for v in event.summary.value)
    assert {"epoch_d_loss", "epoch_g_loss"} <= tags


def test_wgan_gp_runs_d_steps_critic_updates_per_generator_update():
    gan = make_gan("wgan_gp")
    assert gan.d_steps == 5 and gan.gradient_penalty_weight == 10.0
    # the compiled step's count is test_fit_compiled's (kerasgan.testing checks it)
    gan.compile(jit_compile=QUICK_STEP)
    gan.fit(random_images(BATCH), batch_size=BATCH, epochs=1, verbose=0)  # one step
    assert int(gan.g_optimizer.iterations.numpy()) == 1
    assert int(gan.d_optimizer.iterations.numpy()) == 5


@pytest.mark.parametrize(
    "variant, loss, lr, beta_1, beta_2",
    [("dcgan", "non_saturating", 2e-4, 0.5, 0.999), ("wgan_gp", "wasserstein", 1e-4, 0.5, 0.9)],
)
def test_paper_defaults(variant, loss, lr, beta_1, beta_2):
    gan = make_gan(variant)
    gan.compile()
    assert gan.adversarial_loss == loss
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(opt, keras.optimizers.Adam)
        assert float(opt.learning_rate) == pytest.approx(lr)
        assert opt.beta_1 == beta_1 and opt.beta_2 == beta_2
    assert gan.d_optimizer is not gan.g_optimizer


class _HostIdentity(keras.layers.Layer):
    """A layer that runs a Python function on the host: XLA cannot compile it."""

    def call(self, x):
        y = tf.py_function(lambda a: a, [x], tf.float32)
        return tf.reshape(y, tf.shape(x))


@pytest.mark.skipif(
    BACKEND != "tensorflow", reason="tf.py_function: a TensorFlow host op that XLA refuses"
)
def test_jit_compile_true_really_compiles_with_xla():
    """A host-side op fails to compile under XLA: proof that XLA is not silently off."""
    generator = kerasgan.architectures.dcgan_generator((16, 16, 1), latent_dim=8, base_filters=8)
    images = keras.Input((16, 16, 1))
    x = _HostIdentity()(images)
    x = keras.layers.Flatten()(x)
    discriminator = keras.Model(images, keras.layers.Dense(1)(x))
    x_train = random_images(8, (16, 16, 1))

    gan = kerasgan.create("dcgan", generator=generator, discriminator=discriminator)
    gan.compile(jit_compile=False)
    history = gan.fit(x_train, batch_size=4, epochs=1, verbose=0)
    assert math.isfinite(history.history["d_loss"][0])

    gan.compile(jit_compile=True)
    assert gan.jit_compile is True
    xla_refused = r"unsupported operations when trying to compile graph \S+ on XLA"
    with pytest.raises(Exception, match=xla_refused):
        gan.fit(x_train, batch_size=4, epochs=1, verbose=0)


def test_steps_per_execution_and_summary(capsys):
    gan = make_gan("dcgan", base_filters=8)
    # Keras' PyTorch trainer runs one step per execution
    gan.compile(jit_compile=COMPILED, steps_per_execution=1 if BACKEND == "torch" else 2)
    history = gan.fit(random_images(N), batch_size=8, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations.numpy()) == N // 8
    assert math.isfinite(history.history["g_loss"][0])
    gan.summary()
    out = capsys.readouterr().out
    assert "generator" in out and "discriminator" in out
