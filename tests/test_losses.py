"""The adversarial loss pairs against values computed by hand with `math`."""

import math

import numpy as np
import pytest
from keras import ops

import kerasgan
from kerasgan import losses

pytestmark = pytest.mark.backends

NAMES = ["non_saturating", "minimax", "wasserstein", "hinge", "least_squares"]

# Small fixed logits: negatives, zeros, and large magnitudes (numerical stability).
REAL = [2.0, -1.5, 0.0, 30.0, -30.0, 0.25]
FAKE = [-3.0, 0.0, 1.0, -30.0, 30.0, 0.5]


# ----------------------------------------------------------- hand references
def _mean(values):
    return sum(values) / len(values)


def _softplus(x):
    # log(1 + exp(x)), written so that exp never overflows.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x):
    return max(x, 0.0)


def _hand_d(name, real, fake):
    if name in ("non_saturating", "minimax"):
        # -log sigmoid(r) - log(1 - sigmoid(f))
        return _mean([_softplus(-r) for r in real]) + _mean([_softplus(f) for f in fake])
    if name == "wasserstein":
        return _mean(fake) - _mean(real)
    if name == "hinge":
        return _mean([_relu(1 - r) for r in real]) + _mean([_relu(1 + f) for f in fake])
    if name == "least_squares":
        return 0.5 * _mean([(r - 1) ** 2 for r in real]) + 0.5 * _mean([f**2 for f in fake])
    raise AssertionError(name)


def _hand_g(name, fake):
    if name == "non_saturating":
        return _mean([_softplus(-f) for f in fake])  # -log sigmoid(f)
    if name == "minimax":
        return _mean([-_softplus(f) for f in fake])  # log(1 - sigmoid(f))
    if name in ("wasserstein", "hinge"):
        return -_mean(fake)
    if name == "least_squares":
        return 0.5 * _mean([(f - 1) ** 2 for f in fake])
    raise AssertionError(name)


def _approx(expected):
    return pytest.approx(expected, rel=1e-5, abs=1e-6)


def _t(values, shape=None, dtype="float32"):
    x = ops.convert_to_tensor(np.asarray(values, dtype="float32"))
    if shape is not None:
        x = ops.reshape(x, shape)
    return ops.cast(x, dtype)


def _value(x):
    return float(ops.convert_to_numpy(x))


# -------------------------------------------------------------------- values
def test_sanity_of_hand_softplus():
    assert _softplus(0.0) == pytest.approx(math.log(2.0))
    assert _softplus(1.0) == pytest.approx(math.log(1 + math.e))
    assert _softplus(-2.0) == pytest.approx(math.log(1 + math.exp(-2.0)))
    assert _softplus(30.0) == pytest.approx(30.0 + math.log1p(math.exp(-30.0)))


@pytest.mark.parametrize("name", NAMES)
def test_discriminator_loss_matches_hand_value(name):
    d_loss, _ = losses.get(name)
    out = d_loss(_t(REAL, (6, 1)), _t(FAKE, (6, 1)))
    value = _value(out)
    assert math.isfinite(value)
    assert value == _approx(_hand_d(name, REAL, FAKE))


@pytest.mark.parametrize("name", NAMES)
def test_generator_loss_matches_hand_value(name):
    _, g_loss = losses.get(name)
    value = _value(g_loss(_t(FAKE, (6, 1))))
    assert math.isfinite(value)
    assert value == _approx(_hand_g(name, FAKE))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("big", [30.0, -30.0, 80.0, -80.0])
def test_large_logits_are_finite_and_correct(name, big):
    # softplus(±80) would overflow a naive log(1 + exp(x)) in float32.
    d_loss, g_loss = losses.get(name)
    real, fake = [big, big], [big, -big]
    d = _value(d_loss(_t(real, (2, 1)), _t(fake, (2, 1))))
    g = _value(g_loss(_t(fake, (2, 1))))
    assert math.isfinite(d) and math.isfinite(g)
    assert d == _approx(_hand_d(name, real, fake))
    assert g == _approx(_hand_g(name, fake))


def test_known_values_at_zero_logits():
    # D(x) = sigmoid(0) = 1/2 everywhere.
    zeros = _t([0.0, 0.0, 0.0], (3, 1))
    assert _value(losses.non_saturating_discriminator_loss(zeros, zeros)) == _approx(
        2 * math.log(2)
    )
    assert _value(losses.non_saturating_generator_loss(zeros)) == _approx(math.log(2))
    assert _value(losses.minimax_generator_loss(zeros)) == _approx(-math.log(2))
    assert _value(losses.hinge_discriminator_loss(zeros, zeros)) == _approx(2.0)
    assert _value(losses.least_squares_discriminator_loss(zeros, zeros)) == _approx(0.5)
    assert _value(losses.least_squares_generator_loss(zeros)) == _approx(0.5)
    assert _value(losses.wasserstein_discriminator_loss(zeros, zeros)) == _approx(0.0)


def test_minimax_and_non_saturating_share_the_discriminator_loss():
    r, f = _t(REAL, (6, 1)), _t(FAKE, (6, 1))
    assert _value(losses.minimax_discriminator_loss(r, f)) == _approx(
        _value(losses.non_saturating_discriminator_loss(r, f))
    )


# -------------------------------------------------------------- rank / dtype
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(18,), (18, 1), (2, 3, 3, 1), (1, 2, 9)])
def test_any_rank_gives_a_scalar_mean(name, shape):
    rng = np.random.default_rng(0)
    real = [float(v) for v in rng.normal(0.0, 3.0, 18).astype("float32")]
    fake = [float(v) for v in rng.normal(0.0, 3.0, 18).astype("float32")]
    d_loss, g_loss = losses.get(name)
    d = d_loss(_t(real, shape), _t(fake, shape))
    g = g_loss(_t(fake, shape))
    assert tuple(d.shape) == () and tuple(g.shape) == ()
    assert _value(d) == _approx(_hand_d(name, real, fake))
    assert _value(g) == _approx(_hand_g(name, fake))


@pytest.mark.parametrize("name", NAMES)
def test_real_and_fake_batches_may_differ_in_size(name):
    real, fake = REAL[:4], FAKE
    d_loss, _ = losses.get(name)
    d = d_loss(_t(real, (4, 1)), _t(fake, (2, 3, 1)))
    assert _value(d) == _approx(_hand_d(name, real, fake))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_low_precision_inputs_give_float32(name, dtype):
    # Exactly representable in float16 and bfloat16, including a large logit.
    real = [2.0, -1.5, 0.0, 30.0, -0.25]
    fake = [-3.0, 0.0, 1.0, -30.0, 0.5]
    d_loss, g_loss = losses.get(name)
    d = d_loss(_t(real, (5, 1), dtype), _t(fake, (5, 1), dtype))
    g = g_loss(_t(fake, (5, 1), dtype))
    assert ops.dtype(d) == "float32"
    assert ops.dtype(g) == "float32"
    assert _value(d) == _approx(_hand_d(name, real, fake))
    assert _value(g) == _approx(_hand_g(name, fake))


def test_float32_and_float64_inputs_give_float32():
    for dtype in ("float32", "float64"):
        x = _t(FAKE, (6, 1), dtype)
        assert ops.dtype(losses.hinge_generator_loss(x)) == "float32"
        assert ops.dtype(losses.non_saturating_discriminator_loss(x, x)) == "float32"


# ------------------------------------------------------------------- lookup
def test_get_returns_the_right_pair():
    expected = {
        "non_saturating": (
            losses.non_saturating_discriminator_loss,
            losses.non_saturating_generator_loss,
        ),
        "minimax": (losses.minimax_discriminator_loss, losses.minimax_generator_loss),
        "wasserstein": (
            losses.wasserstein_discriminator_loss,
            losses.wasserstein_generator_loss,
        ),
        "hinge": (losses.hinge_discriminator_loss, losses.hinge_generator_loss),
        "least_squares": (
            losses.least_squares_discriminator_loss,
            losses.least_squares_generator_loss,
        ),
        "relativistic": (
            losses.relativistic_discriminator_loss,
            losses.relativistic_generator_loss,
        ),
    }
    assert set(losses.ALL_LOSSES) == set(expected)
    for name, pair in expected.items():
        got = losses.get(name)
        assert tuple(got) == pair
        assert got[0] is pair[0] and got[1] is pair[1]


def test_get_unknown_name_lists_the_known_losses():
    with pytest.raises(ValueError) as info:
        kerasgan.losses.get("nope")
    message = str(info.value)
    assert "nope" in message
    for name in NAMES:
        assert name in message
