"""What is specific to sngan, acgan, cgan_projection and DiffAugment (the
registry-wide checks of tests/test_variants.py cover the rest)."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from support import COMPILED, QUICK_STEP, random_images, random_labels

import kerasgan
from kerasgan import architectures, augment, losses
from kerasgan.architectures import (
    AuxiliaryClassifierDiscriminator,
    ConditionalBatchNormalization,
)
from kerasgan.backend import input_gradients

pytestmark = pytest.mark.backends

SMALL = (16, 16, 1)


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _sn_layers(model):
    return [
        layer for layer in model.layers if isinstance(layer, keras.layers.SpectralNormalization)
    ]


def _top_singular_value(kernel):
    kernel = _np(kernel)
    return float(np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0])


# ------------------------------------------------------------ spectral norm
def _training_calls(model, inputs, n):
    """`model(inputs, training=True)`, `n` times, keeping what each call assigns.

    On JAX the calls run compiled (one `jax.jit` of a stateless call): called
    op by op, Keras' `SpectralNormalization` compiles its `ops.cond` anew at
    every call (about 0.3 s each)."""
    if keras.backend.backend() != "jax":
        for _ in range(n):
            model(inputs, training=True)
        return
    import jax

    def call(values):
        with keras.StatelessScope(state_mapping=list(zip(model.weights, values))) as scope:
            model(inputs, training=True)
        return [scope.get_current_value(v) for v in model.weights]

    call = jax.jit(call)
    values = [v.value for v in model.weights]
    for _ in range(n):
        values = call(values)
    for variable, value in zip(model.weights, values):
        variable.assign(value)


@pytest.mark.parametrize(
    "build",
    [
        lambda: architectures.sn_dcgan_discriminator(SMALL, base_filters=4),
        lambda: architectures.resnet_discriminator(SMALL, num_classes=3, base_filters=4),
    ],
    ids=["dcgan", "resnet_projection"],
)
def test_spectral_norm_brings_every_kernel_to_unit_spectral_norm(build):
    d = build()
    sn = _sn_layers(d)
    # Every conv / dense of the discriminator is wrapped, and there is no batch norm.
    assert sn
    for layer in d.layers:
        assert not isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)), layer.name
        assert not isinstance(layer, keras.layers.BatchNormalization), layer.name
    before = [_top_singular_value(layer.layer.kernel) for layer in sn]
    assert max(abs(s - 1.0) for s in before) > 0.2  # the check below can fail
    x = random_images(8, SMALL)
    inputs = [x, random_labels(8) % 3] if len(d.inputs) == 2 else x
    _training_calls(d, inputs, 40)  # one power iteration per training call
    after = [_top_singular_value(layer.layer.kernel) for layer in sn]
    for layer, s in zip(sn, after):
        assert abs(s - 1.0) < 0.05, (layer.name, s)


def test_sngan_defaults_per_architecture():
    gan = kerasgan.create("sngan", image_shape=SMALL, base_filters=4)
    gan.compile()
    assert gan.adversarial_loss == "hinge" and gan.d_steps == 1 and gan.architecture == "dcgan"
    assert _sn_layers(gan.discriminator)
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert float(opt.learning_rate) == pytest.approx(2e-4)
        assert (opt.beta_1, opt.beta_2) == (0.5, 0.999)

    res = kerasgan.create("sngan", image_shape=(32, 32, 3), base_filters=4, architecture="resnet")
    res.compile()
    assert res.d_steps == 5 and res.get_config()["architecture"] == "resnet"
    assert res.discriminator.get_layer("features").__class__.__name__ == "GlobalSumPooling2D"
    assert res.generator.output_shape == (None, 32, 32, 3)
    for opt in (res.d_optimizer, res.g_optimizer):
        assert float(opt.learning_rate) == pytest.approx(2e-4)
        assert (opt.beta_1, opt.beta_2) == (0.0, 0.9)
    # The class defaults stay those of the "dcgan" architecture.
    assert kerasgan.SNGAN.default_optimizer["beta_1"] == 0.5
    assert (
        kerasgan.create("sngan", image_shape=SMALL, architecture="resnet", d_steps=2).d_steps == 2
    )
    with pytest.raises(ValueError, match="architecture must be one of"):
        kerasgan.create("sngan", image_shape=SMALL, architecture="vgg")


def test_resnet_cgan_projection_trains_a_step_and_round_trips(tmp_path):
    gan = kerasgan.create(
        "cgan_projection",
        image_shape=SMALL,
        num_classes=3,
        architecture="resnet",
        base_filters=4,
        d_steps=1,
        latent_dim=8,
    )
    assert any(isinstance(layer, ConditionalBatchNormalization) for layer in gan.generator.layers)
    gan.compile(jit_compile=QUICK_STEP)
    history = gan.fit(random_images(8, SMALL), random_labels(8) % 3, batch_size=8, verbose=0)
    assert all(math.isfinite(v[0]) for v in history.history.values())
    path = str(tmp_path / "proj.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.architecture == "resnet" and loaded.d_steps == 1
    np.testing.assert_array_equal(
        loaded.generate(4, labels=1, seed=3), gan.generate(4, labels=1, seed=3)
    )


# ------------------------------------------------------------------- acgan
def test_class_cross_entropy_matches_hand_values():
    logits = [[2.0, -1.0, 0.5], [0.0, 0.0, 0.0], [-30.0, 30.0, 1.0]]
    labels = [0, 2, 1]

    def hand(row, label):
        m = max(row)
        return -(row[label] - m - math.log(sum(math.exp(v - m) for v in row)))

    expected = sum(hand(r, y) for r, y in zip(logits, labels)) / 3
    value = float(_np(losses.class_cross_entropy(np.array(logits, "float32"), labels)))
    assert value == pytest.approx(expected, rel=1e-5)
    # (batch, 1) labels and float16 logits give the same float32 value.
    column = np.array(labels, "int32").reshape(-1, 1)
    low = losses.class_cross_entropy(np.array(logits, "float16"), column)
    assert keras.ops.dtype(low) == "float32"
    assert float(_np(low)) == pytest.approx(expected, rel=1e-3)
    assert hand([0.0, 0.0, 0.0], 2) == pytest.approx(math.log(3))


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _tiny_acgan(class_loss_weight=1.0):
    """An AC-GAN on 2x2 images with hand-set weights: G ignores z and draws a
    constant image; D is linear, so every logit can be computed by hand."""
    z = keras.Input((3,))
    labels = keras.Input((1,), dtype="int32")
    g_dense = keras.layers.Dense(4, kernel_initializer="zeros")
    image = keras.layers.Reshape((2, 2, 1))(g_dense(z))
    generator = keras.Model([z, labels], keras.layers.Activation("tanh")(image))
    g_dense.bias.assign([0.5, -0.25, 0.0, 1.0])

    images = keras.Input((2, 2, 1))
    d_labels = keras.Input((1,), dtype="int32")
    flat = keras.layers.Flatten()(images)
    source = keras.layers.Dense(1, name="source")
    classes = keras.layers.Dense(3, name="classes")
    network = keras.Model([images, d_labels], [source(flat), classes(flat)])
    source.kernel.assign([[1.0], [-2.0], [0.5], [0.0]])
    source.bias.assign([0.1])
    classes.kernel.assign([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0], [0.5, 0.5, 0.5], [-1.0, 0.0, 1.0]])
    classes.bias.assign([0.0, 0.2, -0.2])
    gan = kerasgan.create(
        "acgan",
        generator=generator,
        discriminator=network,
        num_classes=3,
        class_loss_weight=class_loss_weight,
    )
    params = {
        "ws": np.array([1.0, -2.0, 0.5, 0.0]),
        "bs": 0.1,
        "wc": np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0], [0.5, 0.5, 0.5], [-1.0, 0.0, 1.0]]),
        "bc": np.array([0.0, 0.2, -0.2]),
        "fake": np.tanh([0.5, -0.25, 0.0, 1.0]),
    }
    return gan, params


def _hand_ce(logits, label):
    m = max(logits)
    return -(logits[label] - m - math.log(sum(math.exp(v - m) for v in logits)))


def test_acgan_objectives_match_hand_values():
    w = 0.5
    gan, p = _tiny_acgan(class_loss_weight=w)
    assert isinstance(gan.discriminator, AuxiliaryClassifierDiscriminator)
    real = np.array([[1.0, 0.0, -1.0, 0.5], [0.0, 0.5, 0.5, -0.5]], "float32")
    labels = np.array([[2], [0]], "int32")
    fake = np.tile(p["fake"], (2, 1)).astype("float32")

    def heads(x):
        return x @ p["ws"] + p["bs"], x @ p["wc"] + p["bc"]

    real_s, real_c = heads(real.astype("float64"))
    fake_s, fake_c = heads(fake.astype("float64"))
    y = labels.ravel()
    adv_d = np.mean([_softplus(-s) for s in real_s]) + np.mean([_softplus(s) for s in fake_s])
    cls_real = np.mean([_hand_ce(list(c), t) for c, t in zip(real_c, y)])
    cls_fake = np.mean([_hand_ce(list(c), t) for c, t in zip(fake_c, y)])

    t = keras.ops.convert_to_tensor
    d_loss, logs = gan.discriminator_objective(
        t(real.reshape(2, 2, 2, 1)), t(fake.reshape(2, 2, 2, 1)), t(labels), training=False
    )
    assert float(_np(d_loss)) == pytest.approx(adv_d + w * (cls_real + cls_fake), rel=1e-5)
    assert float(_np(logs["cls_loss"])) == pytest.approx(cls_real + cls_fake, rel=1e-5)

    g_loss, _ = gan.generator_objective(2, t(labels), training=False)
    adv_g = np.mean([_softplus(-s) for s in fake_s])
    assert float(_np(g_loss)) == pytest.approx(adv_g + w * cls_fake, rel=1e-5)


def test_acgan_discriminator_heads_and_errors(tmp_path):
    d = architectures.acgan_discriminator(SMALL, num_classes=4, base_filters=4)
    x, y = random_images(3, SMALL), np.zeros((3, 1), "int32")
    source, classes = d([x, y], return_class_logits=True)
    assert source.shape == (3, 1) and classes.shape == (3, 4)
    np.testing.assert_allclose(_np(d([x, y])), _np(source), rtol=1e-6)
    # Labels are not an input to the prediction.
    np.testing.assert_allclose(_np(d([x, y + 3])), _np(source), rtol=1e-6)
    assert d.output_shape == (None, 1) and d.num_classes == 4
    path = str(tmp_path / "d.keras")
    d.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, AuxiliaryClassifierDiscriminator)
    np.testing.assert_allclose(
        _np(loaded([x, y], return_class_logits=True)[1]), _np(classes), rtol=1e-6
    )

    one_head = kerasgan.architectures.dcgan_discriminator(SMALL, num_classes=4, base_filters=4)
    with pytest.raises(ValueError, match="two outputs"):
        kerasgan.create("acgan", image_shape=SMALL, num_classes=4, discriminator=one_head)
    with pytest.raises(ValueError, match="class head has 4 outputs but num_classes=5"):
        kerasgan.create("acgan", image_shape=SMALL, num_classes=5, discriminator=d)
    with pytest.raises(ValueError, match="class-conditional"):
        kerasgan.create("acgan", image_shape=SMALL)


# --------------------------------------------------------------- projection
@pytest.mark.parametrize(
    "build",
    [
        lambda: architectures.sn_dcgan_discriminator(SMALL, num_classes=5, base_filters=4),
        lambda: architectures.resnet_discriminator(SMALL, num_classes=5, base_filters=4),
    ],
    ids=["dcgan", "resnet"],
)
def test_projection_discriminator_output_is_psi_plus_inner_product(build):
    d = build()
    x, y = random_images(6, SMALL), np.array([[0], [1], [2], [3], [4], [2]], "int32")
    _training_calls(d, [x, y], 3)  # move the kernels away from their initial values
    out = _np(d([x, y], training=False)).astype("float64")
    phi = _np(keras.Model(d.inputs, d.get_layer("features").output)([x, y])).astype("float64")
    psi = d.get_layer("psi_sn").layer
    embed = _np(d.get_layer("class_embedding_sn").layer.kernel).astype("float64")  # (5, F)
    expected = phi @ _np(psi.kernel).astype("float64")
    if psi.use_bias:
        expected = expected + _np(psi.bias)
    expected = expected[:, 0] + np.sum(embed[y[:, 0]] * phi, axis=1)
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-4, atol=1e-4)
    # The label matters.
    assert not np.allclose(out, _np(d([x, (y + 1) % 5], training=False)))


def test_conditional_batch_norm_uses_per_class_scale_and_offset():
    layer = ConditionalBatchNormalization(3, epsilon=1e-3)
    x = np.random.default_rng(0).normal(size=(4, 2, 2, 2)).astype("float32")
    zeros = np.zeros((4, 1), "int32")
    layer([x, zeros])  # build
    # Freshly built: gamma = 1, beta = 0 for every class (plain batch norm).
    np.testing.assert_allclose(
        _np(layer([x, zeros], training=True)), _np(layer([x, zeros + 2], training=True))
    )
    gammas = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]], "float32")
    betas = np.array([[0.0, 0.0], [1.0, -2.0], [0.5, 0.5]], "float32")
    layer.gamma.embeddings.assign(gammas)
    layer.beta.embeddings.assign(betas)
    labels = np.array([[0], [1], [2], [1]], "int32")
    out = _np(layer([x, labels], training=True))
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    x_hat = (x - mean) / np.sqrt(var + 1e-3)
    expected = (
        x_hat * gammas[labels[:, 0]][:, None, None, :] + betas[labels[:, 0]][:, None, None, :]
    )
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    # Same input, two labels, two outputs.
    a = _np(layer([x, zeros], training=True))
    b = _np(layer([x, zeros + 1], training=True))
    assert not np.allclose(a, b)
    config = layer.get_config()
    assert config["num_classes"] == 3
    assert ConditionalBatchNormalization.from_config(config).num_classes == 3


# --------------------------------------------------------------- DiffAugment
def _positive_images(n=4, shape=(16, 16, 3), seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 1.0, (n,) + shape).astype("float32")


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_diff_augment_keeps_shape_and_dtype(policy, dtype):
    x = keras.ops.cast(_positive_images(), dtype)
    y = augment.diff_augment(x, policy, seed=0)
    assert tuple(y.shape) == tuple(x.shape)
    assert keras.ops.dtype(y) == dtype


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_diff_augment_is_differentiable(policy):
    x = keras.ops.convert_to_tensor(_positive_images())
    weights = keras.ops.convert_to_tensor(
        np.random.default_rng(1).normal(size=x.shape).astype("float32")
    )
    seed = keras.random.SeedGenerator(3)
    grad = input_gradients(lambda x: augment.diff_augment(x, policy, seed=seed) * weights, x)
    assert grad is not None
    grad = _np(grad)
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)


def test_translation_shifts_each_image_with_zero_fill():
    x = _positive_images(6, (16, 16, 2))
    y = _np(augment.random_translation(x, keras.random.SeedGenerator(4)))
    assert not np.array_equal(x, y)
    shift = 2  # round(16 / 8)
    shifts = set()
    for xi, yi in zip(x, y):
        padded = np.pad(xi, ((shift, shift), (shift, shift), (0, 0)))
        matches = [
            (dy, dx)
            for dy in range(-shift, shift + 1)
            for dx in range(-shift, shift + 1)
            if np.array_equal(
                yi, padded[shift + dy : shift + dy + 16, shift + dx : shift + dx + 16]
            )
        ]
        assert matches, "an image is not a zero-filled shift of its input"
        shifts.add(matches[0])
    assert len(shifts) > 1  # drawn per image


def test_cutout_zeroes_one_rectangle_of_at_most_half_the_sides():
    x = _positive_images(8, (16, 16, 3))
    y = _np(augment.random_cutout(x, keras.random.SeedGenerator(5)))
    for xi, yi in zip(x, y):
        cut = np.all(yi == 0, axis=-1)
        assert cut.any()
        np.testing.assert_array_equal(yi[~cut], xi[~cut])  # the rest is untouched
        rows, cols = np.where(cut)
        r0, r1, c0, c1 = rows.min(), rows.max(), cols.min(), cols.max()
        assert cut[r0 : r1 + 1, c0 : c1 + 1].all()  # a solid rectangle
        assert r1 - r0 + 1 <= 8 and c1 - c0 + 1 <= 8
    # Away from the borders the rectangle is exactly half the sides: some image shows it.
    sizes = {int(np.all(yi == 0, axis=-1).sum()) for yi in y}
    assert 64 in sizes or len(sizes) > 1


def test_diff_augment_seeds_and_policies():
    x = _positive_images()
    a = _np(augment.diff_augment(x, "color,translation,cutout", seed=7))
    b = _np(augment.diff_augment(x, "color,translation,cutout", seed=7))
    c = _np(augment.diff_augment(x, "color,translation,cutout", seed=8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    gen = keras.random.SeedGenerator(1)
    assert not np.array_equal(
        _np(augment.diff_augment(x, "color", seed=gen)),
        _np(augment.diff_augment(x, "color", seed=gen)),
    )
    assert augment.diff_augment(x, None) is x and augment.diff_augment(x, "") is x
    assert augment.parse_policy(" color, cutout ") == ("color", "cutout")
    assert augment.parse_policy(["translation"]) == ("translation",)
    with pytest.raises(ValueError, match="Unknown DiffAugment policy 'flip'"):
        augment.parse_policy("color,flip")
    with pytest.raises(ValueError, match="twice"):
        augment.parse_policy("color,color")
    with pytest.raises(ValueError, match="Unknown DiffAugment"):
        kerasgan.create("dcgan", image_shape=SMALL, diffaugment="zoom")


def test_variant_with_diffaugment_trains_compiled_and_round_trips(tmp_path):
    gan = kerasgan.create(
        "acgan",
        image_shape=SMALL,
        num_classes=3,
        base_filters=4,
        latent_dim=8,
        diffaugment="color, translation,cutout",
        seed=0,
    )
    assert gan.diffaugment == "color,translation,cutout"
    x = random_images(8, SMALL)
    # While training the discriminator sees freshly augmented images each call.
    labels = np.zeros((8, 1), "int32")
    first = _np(gan._discriminate(x, labels, training=True))
    assert not np.allclose(first, _np(gan._discriminate(x, labels, training=True)))
    np.testing.assert_array_equal(
        _np(gan._discriminate(x, labels, training=False)),
        _np(gan._discriminate(x, labels, training=False)),
    )
    gan.compile(jit_compile=COMPILED)
    history = gan.fit(x, random_labels(8) % 3, batch_size=8, epochs=1, verbose=0)
    assert {"d_loss", "g_loss", "cls_loss"} <= set(history.history)
    assert all(math.isfinite(v[0]) for v in history.history.values())

    config = gan.get_config()
    assert config["diffaugment"] == "color,translation,cutout"
    assert config["class_loss_weight"] == 1.0
    clone = kerasgan.ACGAN.from_config(config)
    assert clone.diffaugment == gan.diffaugment
    path = str(tmp_path / "acgan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.diffaugment == "color,translation,cutout"
    np.testing.assert_array_equal(loaded.generate(4, seed=1), gan.generate(4, seed=1))
    assert kerasgan.create("dcgan", image_shape=SMALL, base_filters=4).diffaugment is None
