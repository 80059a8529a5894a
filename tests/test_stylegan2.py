"""StyleGAN2's pieces checked by hand: demodulation, equalized learning rate,
minibatch standard deviation, style mixing, truncation, the path-length
penalty and its moving average, lazy-regularization optimizers, EMA ramp-up.
(Training, saving and loading are covered with every variant in test_variants.)"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras import ops

import kerasgan
from kerasgan.architectures import stylegan2 as sg
from kerasgan.draws import InjectedDraws

pytestmark = pytest.mark.backends


def np_(x):
    if hasattr(x, "detach"):  # a PyTorch tensor that requires grad
        x = x.detach()
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


class RecordingDraws(InjectedDraws):
    """InjectedDraws that keep the values they returned, in order."""

    def __init__(self, seed=0):
        super().__init__(seed)
        self.values = []

    def normal(self, shape, dtype="float32"):
        out = super().normal(shape, dtype)
        self.values.append(np_(out))
        return out

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype="float32"):
        out = super().uniform(shape, minval, maxval, dtype)
        self.values.append(np_(out))
        return out

    def randint(self, shape, minval, maxval, dtype="int32"):
        out = super().randint(shape, minval, maxval, dtype)
        self.values.append(np_(out))
        return out


def tiny(**kwargs):
    kw = dict(
        image_shape=(16, 16, 1),
        latent_dim=6,
        w_dim=4,
        mapping_layers=2,
        base_filters=4,
        max_filters=8,
        seed=0,
        ada=None,  # ADA's tests: tests/test_ada_training.py
    )
    kw.update(kwargs)
    return kerasgan.create("stylegan2", **kw)


def test_demodulation_gives_unit_output_variance():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 16, 16, 32)).astype("float32")
    w = rng.standard_normal((8, 16)).astype("float32")
    for scale in (1.0, 10.0):  # larger styles: demodulation undoes them
        conv = sg.ModulatedConv2D(64, 3)
        y = np_(conv([x, scale * w]))
        inner = y[:, 1:-1, 1:-1]  # away from the zero padding
        assert abs(inner.var() - 1.0) < 0.1, (scale, inner.var())
        plain = sg.ModulatedConv2D(64, 3, demodulate=False)
        plain.build([x.shape, w.shape])
        plain.set_weights(conv.get_weights())
        var = np_(plain([x, scale * w]))[:, 1:-1, 1:-1].var()
        # without demodulation the variance follows the styles' mean square
        styles = np_(conv.styles(scale * w))
        assert var == pytest.approx(np.mean(styles**2), rel=0.15)
    assert var > 5.0  # the scale-10 styles really were large


def test_demodulation_matches_normalizing_the_modulated_weights():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 5, 3)).astype("float32")
    w = rng.standard_normal((2, 4)).astype("float32")
    conv = sg.ModulatedConv2D(2, 3)
    y = np_(conv([x, w]))
    s = np_(conv.styles(w))
    kernel = np_(conv.kernel) / math.sqrt(9 * 3)
    for i in range(2):  # the fused form: one modulated, normalized kernel per sample
        k = kernel * s[i][None, None, :, None]
        k = k / np.sqrt((k**2).sum(axis=(0, 1, 2), keepdims=True) + 1e-8)
        ref = np_(ops.conv(x[i : i + 1], k.astype("float32"), padding="same"))
        np.testing.assert_allclose(y[i : i + 1], ref, rtol=1e-4, atol=1e-5)


def test_equalized_learning_rate_scaling():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    layer = sg.EqualizedDense(32, lr_multiplier=0.01, bias_init=1.0)
    x = rng.standard_normal((64, 256)).astype("float32")
    y = np_(layer(x))
    kernel, bias = np_(layer.kernel), np_(layer.bias)
    # stored as N(0, 1 / m^2); used as kernel * m / sqrt(fan_in), bias * m
    assert kernel.std() == pytest.approx(100.0, rel=0.05)
    np.testing.assert_allclose(bias * 0.01, 1.0, rtol=1e-6)
    ref = x @ (kernel * 0.01 / math.sqrt(256)) + bias * 0.01
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    assert np.std(y - 1.0) == pytest.approx(1.0, rel=0.1)  # unit-variance outputs
    conv = sg.EqualizedConv2D(8, 3, use_bias=False)
    xi = rng.standard_normal((2, 6, 6, 5)).astype("float32")
    out = np_(conv(xi))
    ref = np_(ops.conv(xi, (np_(conv.kernel) / math.sqrt(45)).astype("float32"), padding="same"))
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


def test_minibatch_stddev_by_hand():
    rng = np.random.default_rng(0)
    for batch, group in ((8, 4), (6, 3), (3, 3), (5, 1)):
        x = rng.standard_normal((batch, 4, 4, 6)).astype("float32")
        y = np_(sg.MinibatchStdDev(group_size=4, num_channels=2)(x))
        assert y.shape == (batch, 4, 4, 8)
        np.testing.assert_allclose(y[..., :6], x, rtol=1e-6)
        m = batch // group
        for n in range(batch):
            members = x[[n % m + k * m for k in range(group)]].astype("float64")
            std = np.sqrt(members.var(axis=0) + 1e-8)  # (4, 4, 6)
            want = [std[..., :3].mean(), std[..., 3:].mean()]
            np.testing.assert_allclose(y[n, 0, 0, 6:], want, rtol=1e-4)
            np.testing.assert_allclose(y[n, ..., 6:], np.broadcast_to(want, (4, 4, 2)), rtol=1e-4)


def test_style_mixing_takes_the_second_w_from_the_cutoff_on():
    gan = tiny(style_mixing_prob=1.0)
    gan.seed_generator = draws = RecordingDraws(3)
    z = np.random.default_rng(0).standard_normal((5, 6)).astype("float32")
    ws = np_(gan._styles(ops.convert_to_tensor(z), update_average=False))
    z2, cutoff, _ = draws.values
    g = gan.generator
    assert ws.shape == (5, g.num_ws, 4)
    w1, w2 = np_(g.mapping(z)), np_(g.mapping(z2.astype("float32")))
    cutoff = int(cutoff)
    assert 1 <= cutoff < g.num_ws
    np.testing.assert_allclose(ws[:, :cutoff], np.repeat(w1[:, None], cutoff, 1), rtol=1e-5)
    rest = g.num_ws - cutoff
    np.testing.assert_allclose(ws[:, cutoff:], np.repeat(w2[:, None], rest, 1), rtol=1e-5)
    off = tiny(style_mixing_prob=0.0)
    ws = np_(off._styles(ops.convert_to_tensor(z), update_average=False))
    np.testing.assert_allclose(
        ws, np.repeat(np_(off.generator.mapping(z))[:, None], off.generator.num_ws, 1), 1e-5
    )


@pytest.mark.extended_on("jax")  # ~60 s of jax.jit compiles; PyTorch and TensorFlow run it
def test_truncation_psi_zero_gives_the_average_image():
    gan = tiny()
    g = gan.generator
    avg = np.random.default_rng(0).standard_normal(4).astype("float32")
    g.w_avg.assign(avg)
    images = gan.generate(6, seed=0, truncation_psi=0.0)
    assert np.abs(images - images[:1]).max() < 1e-6
    mean_image = np_(g.synthesize(g.broadcast(ops.convert_to_tensor(avg[None]))))
    np.testing.assert_allclose(images[:1], mean_image, atol=1e-5)
    full = gan.generate(6, seed=0)
    assert np.abs(full - full[:1]).max() > 1e-3
    np.testing.assert_allclose(gan.generate(6, seed=0, truncation_psi=1.0), full)
    half = gan.generate(6, seed=0, truncation_psi=0.5)
    assert np.abs(half - full).max() > 1e-4  # psi=0.5 is between the two
    # training moves w_avg towards the mapped batch mean, by 1 - 0.995
    z = np.random.default_rng(1).standard_normal((8, 6)).astype("float32")
    w = np_(g.mapping(z))
    g.update_w_avg(ops.convert_to_tensor(w.astype("float32")))
    np.testing.assert_allclose(np_(g.w_avg), w.mean(0) + 0.995 * (avg - w.mean(0)), rtol=1e-5)


def _finite_difference_jtv(g, ws, noises, y, eps=1e-2):
    """d/dws sum(synthesize(ws, noises) * y), by central differences per element."""
    grads = np.zeros_like(ws)
    for layer in range(ws.shape[1]):
        for d in range(ws.shape[2]):
            step = np.zeros_like(ws)
            step[:, layer, d] = eps
            plus = np_(g.synthesize((ws + step).astype("float32"), noises))
            minus = np_(g.synthesize((ws - step).astype("float32"), noises))
            grads[:, layer, d] = ((plus - minus) * y).sum(axis=(1, 2, 3)) / (2 * eps)
    return grads


def test_path_length_penalty_and_its_moving_average_by_hand():
    gan = tiny(style_mixing_prob=0.5, pl_batch_shrink=2)
    g = gan.generator
    for layer in g.convs:  # make the noise matter
        layer.noise_strength.assign(0.3)
    pl_mean = 0.0
    for call in range(2):
        gan.seed_generator = draws = RecordingDraws(10 + call)
        penalty = float(np_(gan.path_length_penalty(8)))
        # draws, in order: z (4 = 8 // 2 images), mixing z, cutoff, coin, noises, y
        z, z2, cutoff, coin, *noises, y = draws.values
        assert z.shape == (4, 6) and y.shape == (4, 16, 16, 1) and len(noises) == len(g.convs)
        w1 = np.repeat(np_(g.mapping(z.astype("float32")))[:, None], g.num_ws, 1)
        w2 = np.repeat(np_(g.mapping(z2.astype("float32")))[:, None], g.num_ws, 1)
        cut = int(cutoff) if coin < 0.5 else g.num_ws
        ws = np.where(np.arange(g.num_ws)[None, :, None] >= cut, w2, w1)
        noises = [n.astype("float32") for n in noises]
        y = (y / 16.0).astype("float32")  # divided by sqrt(H * W)
        grads = np_(
            kerasgan.backend.input_gradients(
                lambda w, noises=noises, y=y: g.synthesize(w, noises) * ops.convert_to_tensor(y),
                ops.convert_to_tensor(ws.astype("float32")),
            )
        )
        # the Jacobian product itself, against central differences (the leaky
        # ReLUs' kinks make single elements differ; their overall size agrees)
        approx = _finite_difference_jtv(g, ws, noises, y)
        assert np.linalg.norm(approx - grads) < 0.1 * np.linalg.norm(grads)
        lengths = np.sqrt((grads**2).sum(axis=2).mean(axis=1))
        pl_mean = pl_mean + 0.01 * (lengths.mean() - pl_mean)
        assert float(np_(gan.pl_mean)) == pytest.approx(pl_mean, rel=2e-3)
        assert penalty == pytest.approx(np.mean((lengths - pl_mean) ** 2), rel=2e-2)
        assert lengths.mean() > 1e-3


def test_lazy_regularization_optimizers_logs_and_ema_rampup():
    gan = tiny(pl_interval=2, r1_interval=2)
    gan.compile()
    d, g = gan.d_optimizer, gan.g_optimizer
    c = 2 / 3
    assert float(np_(d.learning_rate)) == pytest.approx(0.0025 * c)
    assert float(np_(g.learning_rate)) == pytest.approx(0.0025 * c)
    assert d.beta_2 == pytest.approx(0.99**c) and d.beta_1 == 0.0
    defaults = tiny()
    defaults.compile()
    assert float(np_(defaults.d_optimizer.learning_rate)) == pytest.approx(0.0025 * 16 / 17)
    assert float(np_(defaults.g_optimizer.learning_rate)) == pytest.approx(0.0025 * 4 / 5)
    assert defaults.r1_weight == pytest.approx(0.0002 * 256 / 64)  # gamma = 0.0002 res^2 / 64
    x = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
    history = gan.fit(x, batch_size=4, epochs=1, verbose=0).history
    assert {"d_loss", "g_loss", "r1", "pl"} <= set(history)
    assert all(math.isfinite(v[-1]) for v in history.values())
    assert history["pl"][-1] > 0 and float(np_(gan.pl_mean)) > 0
    # EMA half-life: min(10k images per 32 of batch, 5% of the images seen)
    decay = float(np_(gan.ema_decay_now(64)))  # after 4 generator steps
    assert decay == pytest.approx(0.5 ** (64 / (5 * 64 * 0.05)), rel=1e-5)
    gan.g_optimizer.iterations.assign(10**6)
    assert float(np_(gan.ema_decay_now(64))) == pytest.approx(0.5 ** (64 / 20000), rel=1e-6)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="power of two >= 16"):
        tiny(image_shape=(28, 28, 1))
    with pytest.raises(ValueError, match="unconditional"):
        tiny(num_classes=3)
    with pytest.raises(ValueError, match="style_mixing_prob"):
        tiny(style_mixing_prob=1.5)
    with pytest.raises(TypeError, match="StyleGAN2Generator"):
        kerasgan.StyleGAN2(
            kerasgan.DCGAN.build_generator((16, 16, 1), 4, base_filters=4),
            tiny().discriminator,
        )
