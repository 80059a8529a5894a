"""R3GAN's pieces checked by hand: the RpGAN loss, R2, the grouped
convolution's fast form, the fix-up initialization, the networks' shapes,
and a few training steps, on every backend."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import ops

from kerasgan import _fast_conv, backend, losses, penalties
from kerasgan.architectures import r3gan as networks
from kerasgan.variants.r3gan import R3GAN

pytestmark = pytest.mark.backends

TINY = {"base_filters": 8, "max_filters": 32, "blocks_per_stage": 1, "group_size": 8}


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def softplus(t):
    return np.log1p(np.exp(-np.abs(t))) + np.maximum(t, 0)


def test_relativistic_losses_by_hand():
    real = np.array([[2.0], [-1.0], [0.5]], "float32")
    fake = np.array([[1.0], [0.0], [3.0]], "float32")
    d = float(_np(losses.relativistic_discriminator_loss(real, fake)))
    g = float(_np(losses.relativistic_generator_loss(fake, real)))
    assert d == pytest.approx(np.mean(softplus(fake - real)), rel=1e-6)
    assert g == pytest.approx(np.mean(softplus(real - fake)), rel=1e-6)
    # the pairing is by row: swapping two fakes changes the loss
    swapped = fake[[1, 0, 2]]
    assert float(_np(losses.relativistic_discriminator_loss(real, swapped))) != pytest.approx(d)
    assert losses.get("relativistic")[1].needs_real_logits


def _linear_critic(image_shape, weight):
    x = keras.Input(image_shape)
    h = keras.layers.Flatten()(x)
    out = keras.layers.Dense(
        1, use_bias=False, kernel_initializer=keras.initializers.Constant(weight)
    )(h)
    return keras.Model(x, out)


def _tiny_gan(**kwargs):
    return R3GAN.create(image_shape=(16, 16, 1), latent_dim=4, seed=0, **{**TINY, **kwargs})


def test_generator_objective_pairs_fake_with_real_logits():
    gan = _tiny_gan()
    gan.discriminator = _linear_critic((16, 16, 1), 0.01)
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (4, 16, 16, 1)).astype("float32")
    with pytest.raises(ValueError, match="real=images"):
        gan.generator_objective(4, training=False)
    keras.utils.set_random_seed(1)
    loss, _ = gan.generator_objective(4, training=False, real=real)
    # the same z again: the seed generator restarts from the same state
    gan.seed_generator = keras.random.SeedGenerator(0)
    fake = gan.generator(gan.sample_latent(4))
    gan.seed_generator = keras.random.SeedGenerator(0)
    loss, _ = gan.generator_objective(4, training=False, real=real)
    d_real = real.reshape(4, -1).sum(axis=1) * 0.01
    d_fake = _np(fake).reshape(4, -1).sum(axis=1) * 0.01
    assert float(_np(loss)) == pytest.approx(np.mean(softplus(d_real - d_fake)), rel=1e-5)


def test_r2_penalty_by_hand():
    # D(x) = sum(x^2) / 2 per sample: grad = x, ||grad||^2 = sum(x^2)
    x = keras.Input((3, 3, 1))
    out = keras.layers.Lambda(lambda t: 0.5 * ops.sum(ops.square(t), axis=(1, 2, 3))[:, None])(x)
    gan = _tiny_gan()
    gan.discriminator = keras.Model(x, out)
    fake = np.random.default_rng(1).normal(size=(5, 3, 3, 1)).astype("float32")
    real = np.zeros_like(fake)
    term = penalties.R2Penalty(4.0)
    weighted, logs = term(gan, real, fake, training=False)
    expected = np.mean(np.sum(fake**2, axis=(1, 2, 3)))
    assert float(_np(logs["r2"])) == pytest.approx(expected, rel=1e-5)
    assert float(_np(weighted)) == pytest.approx(0.5 * 4.0 * expected, rel=1e-5)
    gan = _tiny_gan()
    assert [type(p).__name__ for p in gan.penalties] == ["R1Penalty", "R2Penalty"]
    assert gan.r1_weight == gan.r2_weight == 0.05


@pytest.mark.parametrize("groups", [2, 4])
def test_block_diagonal_kernel_computes_the_grouped_convolution(groups):
    rng = np.random.default_rng(groups)
    conv = keras.layers.Conv2D(16, 3, padding="same", groups=groups)
    x = rng.normal(size=(2, 6, 6, 8)).astype("float32")
    conv.build(x.shape)
    conv.kernel.assign(rng.normal(size=conv.kernel.shape).astype("float32"))
    dense = _fast_conv.block_diagonal_kernel(ops.convert_to_tensor(conv.kernel), groups)
    assert tuple(dense.shape) == (3, 3, 8, 16)
    native = _np(ops.conv(ops.convert_to_tensor(x), conv.kernel.value, padding="same"))
    fast = _np(ops.conv(ops.convert_to_tensor(x), dense, padding="same"))
    np.testing.assert_allclose(fast, native, atol=1e-4)
    # off-diagonal blocks are zero: group g's outputs read only group g's inputs
    d = _np(dense).reshape(3, 3, groups, 8 // groups, groups, 16 // groups)
    for a in range(groups):
        for b in range(groups):
            if a != b:
                assert not d[:, :, a, :, b, :].any()

    def loss(kernel):
        return ops.sum(ops.square(ops.conv(ops.convert_to_tensor(x), kernel, padding="same")))

    def loss_fast(kernel):
        return loss(_fast_conv.block_diagonal_kernel(kernel, groups))

    kernel = ops.convert_to_tensor(_np(conv.kernel))
    g_native = _np(backend.input_gradients(loss, kernel))
    g_fast = _np(backend.input_gradients(loss_fast, kernel))
    np.testing.assert_allclose(g_fast, g_native, rtol=1e-4, atol=1e-3)


def test_grouped_layers_use_the_fast_form_where_auto_picks_it():
    gan = _tiny_gan()
    gan.compile()
    grouped = [
        layer.name
        for net in (gan.generator, gan.discriminator)
        for layer in net.layers
        if isinstance(layer, keras.layers.Conv2D) and layer.groups > 1
    ]
    assert grouped
    picked = "grouped" in backend.auto_fast_layers(bool(gan.jit_compile))
    assert all((name in gan.fast_layer_names) == picked for name in grouped)


def test_residual_blocks_start_as_the_identity_with_fixup_scaling():
    g = networks.r3gan_generator((32, 32, 1), 16, base_filters=16, max_filters=64)
    blocks = len(networks.r3gan_widths((32, 32, 1), 16, 64)) * 2
    project = [layer for layer in g.layers if layer.name.endswith("_project")]
    assert len(project) == blocks
    assert all(not np.any(_np(layer.kernel)) for layer in project)
    add = g.get_layer("g1_0_add")
    probe = keras.Model(g.input, [add.input[0], add.output])
    before, after = probe(np.random.default_rng(0).normal(size=(2, 16)).astype("float32"))
    np.testing.assert_allclose(_np(after), _np(before), atol=1e-6)
    # He-normal times L ** (-1/4) for L residual blocks of 3 convolutions
    expand = g.get_layer("g3_0_expand").kernel
    fan_in = expand.shape[2]
    target = math.sqrt(2.0 / fan_in) * blocks**-0.25
    assert np.std(_np(expand)) == pytest.approx(target, rel=0.15)


def test_networks_take_square_power_of_two_images():
    for side in (16, 32, 64):
        g = networks.r3gan_generator((side, side, 3), 16, base_filters=8, max_filters=16)
        d = networks.r3gan_discriminator((side, side, 3), base_filters=8, max_filters=16)
        assert g.output_shape == (None, side, side, 3) and d.output_shape == (None, 1)
    with pytest.raises(ValueError, match="pad_to=32"):
        R3GAN.create(image_shape=(28, 28, 1))
    with pytest.raises(ValueError, match="group_size"):
        networks.r3gan_generator((16, 16, 1), 8, base_filters=12, group_size=16)
    assert networks.r3gan_widths((32, 32, 1), 32, 256) == (256, 128, 64, 32)


def test_conditional_networks_and_a_saved_model_round_trip(tmp_path):
    g = networks.r3gan_generator((16, 16, 1), 4, num_classes=3, **TINY)
    d = networks.r3gan_discriminator((16, 16, 1), num_classes=3, **TINY)
    assert d.get_layer("projection") is not None
    z = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    labels = np.array([[0], [1], [2]], "int32")
    images = _np(g([z, labels]))
    assert _np(d([images, labels])).shape == (3, 1)
    path = str(tmp_path / "r3.keras")
    g.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(_np(again([z, labels])), images, atol=1e-6)


def test_training_steps_are_finite_and_log_both_penalties():
    gan = _tiny_gan(ema_decay=0.9)
    gan.compile(jit_compile="auto")
    x = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    g0 = [w.copy() for w in gan.generator.get_weights()]
    history = gan.fit(x, batch_size=8, epochs=2, verbose=0)
    assert {"d_loss", "g_loss", "r1", "r2"} <= set(history.history)
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert any(not np.array_equal(a, b) for a, b in zip(g0, gan.generator.get_weights()))
    images = gan.generate(4, seed=0, ema=True)
    assert images.shape == (4, 16, 16, 1) and np.abs(images).max() <= 1.0
