"""ADA's augmentation pipeline (kerasgan.ada.ada_augment) and its probability
update (kerasgan.ada.ada_p_update)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerasgan import ada, draws
from kerasgan.backend import input_gradients

pytestmark = pytest.mark.backends

BACKEND = keras.backend.backend()
PIPELINES = ["b", "g", "c", "bg", "gc", "bgc"]


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _images(n=8, shape=(8, 8, 3), low=-1.0, high=1.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, (n,) + shape).astype("float32")


def _forced(images, name, probability=1.0, seed=0):
    """Only the transformation `name`, with `probability`."""
    return _np(ada._augment(images, {name: probability}, keras.random.SeedGenerator(seed)))


def _changed(x, y):
    """Per image: does `y` differ from `x` anywhere?"""
    return np.any(x != y, axis=(1, 2, 3))


# ------------------------------------------------------------------ basics
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("pipeline", ["b", "g", "c", "bgc"])
def test_keeps_shape_and_dtype(pipeline, dtype):
    x = keras.ops.cast(_images(), dtype)
    y = ada.ada_augment(x, 0.5, seed=0, pipeline=pipeline)
    assert tuple(y.shape) == tuple(x.shape)
    assert keras.ops.dtype(y) == dtype


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("pipeline", PIPELINES)
def test_p_zero_is_the_exact_identity(pipeline, channels):
    x = _images(shape=(8, 8, channels))
    x[0] = 1.0  # the range's ends pass unchanged too
    x[1] = -1.0
    y = _np(ada.ada_augment(x, 0.0, seed=1, pipeline=pipeline))
    np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize("pipeline", ["g", "c", "bg", "gc", "bgc"])
def test_p_one_changes_every_image(pipeline):
    x = _images()
    y = _np(ada.ada_augment(x, 1.0, seed=2, pipeline=pipeline))
    assert _changed(x, y).all()


def test_p_one_blitting_changes_nearly_every_image():
    # Each of x-flip, 90-degree rotation and integer translation can draw the
    # identity (i = 0, k = 0, a shift rounding to 0): an 8x8 image stays as it
    # is with probability 1/2 * 1/4 * (1/2)^2 = 1/32.
    x = _images(16)
    y = _np(ada.ada_augment(x, 1.0, seed=3, pipeline="b"))
    assert _changed(x, y).mean() >= 0.75


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("pipeline", PIPELINES)
def test_output_stays_in_range(pipeline, channels):
    x = _images(shape=(8, 8, channels))
    x[0] = 1.0
    x[1] = -1.0
    y = _np(ada.ada_augment(x, 1.0, seed=4, pipeline=pipeline))
    assert np.all(np.isfinite(y))
    assert y.min() >= -1.0 and y.max() <= 1.0


@pytest.mark.parametrize("pipeline", ["b", "g", "c"])
def test_gradients_reach_the_images(pipeline):
    x = keras.ops.convert_to_tensor(_images(low=-0.5, high=0.5))
    weights = keras.ops.convert_to_tensor(
        np.random.default_rng(1).normal(size=x.shape).astype("float32")
    )
    seed = keras.random.SeedGenerator(5)
    grad = input_gradients(lambda x: ada.ada_augment(x, 1.0, seed, pipeline) * weights, x)
    assert grad is not None
    grad = _np(grad)
    assert np.all(np.isfinite(grad))
    assert np.all(np.any(grad != 0, axis=(1, 2, 3)))  # every image


# -------------------------------------------------- whole-pixel transforms
def test_xflip_matrix_flips_exactly():
    x = _images()
    flip = ada._xflip_inv(np.ones(8, "float32"))
    np.testing.assert_array_equal(_np(ada._resample(x, flip)), x[:, :, ::-1])


def test_forced_xflip_flips_or_keeps_each_image_exactly():
    x = _images(16)
    y = _forced(x, "xflip")
    flipped = np.array([np.array_equal(yi, xi[:, ::-1]) for xi, yi in zip(x, y)])
    kept = np.array([np.array_equal(yi, xi) for xi, yi in zip(x, y)])
    assert np.all(flipped | kept)
    assert flipped.any() and kept.any()  # i ~ U{0, 1} when applied


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_rot90_matrix_rotates_exactly(k):
    x = _images()
    rotation = ada._rot90_inv(np.full(8, k, "int32"))
    # Counterclockwise in (x right, y up) is clockwise on screen (y down).
    expected = np.rot90(x, -k, axes=(1, 2))
    np.testing.assert_array_equal(_np(ada._resample(x, rotation)), expected)


def test_forced_rot90_gives_exact_quarter_turns():
    x = _images(16)
    y = _forced(x, "rotate90")
    turns = set()
    for xi, yi in zip(x, y):
        matches = [k for k in range(4) if np.array_equal(yi, np.rot90(xi, k))]
        assert matches, "an image is not an exact quarter turn of its input"
        turns.add(matches[0])
    assert len(turns) > 1


@pytest.mark.parametrize("dx, dy", [(2, -1), (-3, 0), (0, 7)])
def test_integer_translation_matrix_copies_reflected_pixels(dx, dy):
    x = _images()
    shift = ada._translation_inv(np.full(8, dx, "float32"), np.full(8, dy, "float32"))
    y = _np(ada._resample(x, shift))
    padded = np.pad(x, ((0, 0), (7, 7), (7, 7), (0, 0)), mode="reflect")
    # Content moves by (dx, dy): output (i, j) reads input (i - dy, j - dx).
    expected = padded[:, 7 - dy : 7 - dy + 8, 7 - dx : 7 - dx + 8]
    np.testing.assert_array_equal(y, expected)


def test_forced_integer_translation_shifts_whole_pixels_with_reflection():
    x = _images(16)
    y = _forced(x, "xint")
    most = 1  # round(0.125 * 8)
    padded = np.pad(x, ((0, 0), (most, most), (most, most), (0, 0)), mode="reflect")
    shifts = set()
    for b, yi in enumerate(y):
        matches = [
            (dy, dx)
            for dy in range(-most, most + 1)
            for dx in range(-most, most + 1)
            if np.array_equal(yi, padded[b, most + dy : most + dy + 8, most + dx : most + dx + 8])
        ]
        assert matches, "an image is not a reflect-padded whole-pixel shift of its input"
        shifts.add(matches[0])
    assert len(shifts) > 1


# ----------------------------------------------------------- probabilities
def test_xflip_probability_is_half_of_p():
    # As in the paper, an applied x-flip draws i ~ U{0, 1}: P(flipped) = p / 2.
    x = _images(2048, (2, 2, 1))
    x[:, :, 1] = x[:, :, 0] + 0.5  # never symmetric
    for p, expected in [(0.5, 0.25), (1.0, 0.5)]:
        y = _forced(x, "xflip", p, seed=6)
        flipped = np.all(y == x[:, :, ::-1], axis=(1, 2, 3))
        assert flipped.mean() == pytest.approx(expected, abs=0.06)  # 6 sigma


def test_any_rotation_has_probability_p():
    # Pre- and post-rotation each use p_rot = 1 - sqrt(1 - p).
    seed = keras.random.SeedGenerator(7)
    for p in (0.5, 1.0):
        m = _np(ada._geometric_matrix(4096, {"rotate": p}, seed, 8, 8))
        rotated = np.any(np.abs(m - np.eye(3)) > 1e-6, axis=(1, 2))
        assert rotated.mean() == pytest.approx(p, abs=0.05)  # 6 sigma
    # Rotations keep lengths: orthogonal 2x2 blocks, no translation.
    np.testing.assert_allclose(
        np.einsum("bij,bkj->bik", m[:, :2, :2], m[:, :2, :2]),
        np.broadcast_to(np.eye(2), (4096, 2, 2)),
        atol=1e-5,
    )


# ------------------------------------------------------------------- color
def test_brightness_and_contrast_act_per_image():
    x = _images(low=-0.1, high=0.1)
    shifted = _forced(x, "brightness")
    offset = shifted - x
    np.testing.assert_allclose(offset, offset[:, :1, :1, :1] * np.ones_like(x), atol=1e-6)
    scaled = _forced(x, "contrast")
    gain = scaled / x
    np.testing.assert_allclose(gain, gain[:, :1, :1, :1] * np.ones_like(x), rtol=1e-4)


def test_luma_flip_reflects_along_the_luma_axis():
    x = _images(16, low=-0.3, high=0.3)
    y = _forced(x, "lumaflip")
    reflected = x - 2.0 * x.mean(axis=-1, keepdims=True)  # x - 2 v v^T x
    flipped = np.array([np.allclose(yi, ri, atol=1e-6) for yi, ri in zip(y, reflected)])
    kept = np.array([np.array_equal(yi, xi) for yi, xi in zip(y, x)])
    assert np.all(flipped | kept) and flipped.any() and kept.any()


@pytest.mark.parametrize("name", ["hue", "saturation"])
def test_hue_and_saturation_keep_luma(name):
    x = _images(low=-0.02, high=0.02)
    y = _forced(x, name)
    assert np.abs(y).max() < 1.0  # not clipped
    np.testing.assert_allclose(y.mean(axis=-1), x.mean(axis=-1), atol=1e-6)
    chroma_x = np.linalg.norm(x - x.mean(axis=-1, keepdims=True), axis=-1)
    chroma_y = np.linalg.norm(y - y.mean(axis=-1, keepdims=True), axis=-1)
    assert _changed(x, y).all()
    if name == "hue":  # a rotation around the luma axis keeps the chroma's length
        np.testing.assert_allclose(chroma_y, chroma_x, atol=1e-6)
    else:  # saturation scales it, by one factor per image
        ratio = chroma_y / chroma_x
        np.testing.assert_allclose(ratio, ratio[:, :1, :1] * np.ones_like(ratio), rtol=1e-3)


def test_grayscale_color_is_affine_and_ignores_hue_and_saturation():
    x = _images(shape=(8, 8, 1), low=-0.1, high=0.1)
    gen = keras.random.SeedGenerator(8)
    same = _np(ada._augment(x, {"hue": 1.0, "saturation": 1.0}, gen))
    np.testing.assert_array_equal(same, x)
    y = _np(ada.ada_augment(x, 1.0, seed=9, pipeline="c"))
    assert _changed(x, y).all()
    for xi, yi in zip(x, y):
        inside = np.abs(yi) < 1.0
        gain, offset = np.polyfit(xi[inside], yi[inside], 1)
        np.testing.assert_allclose(yi[inside], gain * xi[inside] + offset, atol=1e-5)


# ------------------------------------------------------------------- seeds
def test_seeds():
    x = _images()
    a = _np(ada.ada_augment(x, 0.8, seed=7))
    b = _np(ada.ada_augment(x, 0.8, seed=7))
    c = _np(ada.ada_augment(x, 0.8, seed=8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    gen = keras.random.SeedGenerator(0)
    assert not np.array_equal(_np(ada.ada_augment(x, 0.8, gen)), _np(ada.ada_augment(x, 0.8, gen)))
    first, second = draws.InjectedDraws(3), draws.InjectedDraws(3)
    np.testing.assert_array_equal(
        _np(ada.ada_augment(x, 0.8, first)), _np(ada.ada_augment(x, 0.8, second))
    )
    assert len(first.record) == 2  # one uniform and one normal block for every transformation


def _compiled_augment(pipeline):
    """`(x, p) -> ada_augment(x, p, seed=gen, pipeline)` under XLA, with a
    `SeedGenerator`, and the list of its traces."""
    gen = keras.random.SeedGenerator(0)
    traces = []
    if BACKEND == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=True)
        def call(x, p):
            traces.append(1)
            return ada.ada_augment(x, p, seed=gen, pipeline=pipeline)

        return call, traces
    if BACKEND == "jax":
        import jax

        @jax.jit
        def stateless(x, p, state):
            traces.append(1)
            with keras.StatelessScope(state_mapping=[(gen.state, state)]) as scope:
                y = ada.ada_augment(x, p, seed=gen, pipeline=pipeline)
            return y, scope.get_current_value(gen.state)

        def call(x, p):
            y, state = stateless(x, p, gen.state.value)
            gen.state.assign(state)
            return y

        return call, traces
    pytest.skip("XLA compiles on the TensorFlow and JAX backends; PyTorch runs eagerly")


def test_compiles_under_xla_with_p_traced():
    call, traces = _compiled_augment("bgc")
    x = keras.ops.convert_to_tensor(_images())

    def p(value):
        return keras.ops.convert_to_tensor(value, "float32")

    np.testing.assert_array_equal(_np(call(x, p(0.0))), _np(x))
    first, second = _np(call(x, p(1.0))), _np(call(x, p(1.0)))
    assert _changed(_np(x), first).all() and _changed(_np(x), second).all()
    assert not np.array_equal(first, second)  # the SeedGenerator advances
    assert first.min() >= -1.0 and first.max() <= 1.0
    assert len(traces) == 1  # p is an input, not a constant


# ---------------------------------------------------------------- p update
STEP = 64 * 4 / 500_000  # batch_size * interval / speed_img


@pytest.mark.parametrize(
    "p, sign_sum, count, expected",
    [
        (0.5, 8.0, 10, 0.5 + STEP),  # r_t = 0.8 > 0.6: rises
        (0.5, 2.0, 10, 0.5 - STEP),  # r_t = 0.2: falls
        (0.5, -10.0, 10, 0.5 - STEP),
        (0.5, 6.0, 10, 0.5),  # r_t == target: sign(0) = 0
        (0.5, 0.0, 0, 0.5),  # nothing seen
        (0.0001, 0.0, 10, 0.0),  # clipped at 0
        (0.0, -5.0, 10, 0.0),
        (0.9999, 10.0, 10, 1.0),  # clipped at 1
        (1.0, 10.0, 10, 1.0),
    ],
)
def test_p_update_hand_computed(p, sign_sum, count, expected):
    new = float(_np(ada.ada_p_update(p, sign_sum, count, batch_size=64)))
    assert new == pytest.approx(expected, abs=1e-7)


def test_p_update_options():
    new = ada.ada_p_update(0.25, 9.0, 10, batch_size=32, target=0.95, interval=2, speed_img=1000)
    assert float(_np(new)) == pytest.approx(0.25 - 32 * 2 / 1000)
    new = ada.ada_p_update(keras.ops.convert_to_tensor(0.25), 9.0, 10, batch_size=32, target=0.8)
    assert float(_np(new)) == pytest.approx(0.25 + 32 * 4 / 500_000)


def test_p_rises_when_d_overfits_and_falls_otherwise():
    rng = np.random.default_rng(0)
    batch, interval = 16, 4
    n = batch * interval

    def run(logits_of_step, steps=10, p=0.3):
        trace = [p]
        for step in range(steps):
            logits = keras.ops.convert_to_tensor(logits_of_step(step))
            sign_sum = keras.ops.sum(keras.ops.sign(logits))
            p = ada.ada_p_update(p, sign_sum, n, batch_size=batch, interval=interval)
            trace.append(float(_np(p)))
        return np.array(trace)

    # An overfitting D: confident (positive logits) on every real image.
    overfit = run(lambda _: np.abs(rng.normal(size=n)).astype("float32") + 0.1)
    np.testing.assert_allclose(np.diff(overfit), batch * interval / 500_000, atol=1e-7)
    # A D that cannot tell: half positive, half negative (r_t = 0 < 0.6).
    unsure = run(lambda _: np.where(np.arange(n) % 2 == 0, 1.0, -1.0).astype("float32"))
    np.testing.assert_allclose(np.diff(unsure), -batch * interval / 500_000, atol=1e-7)
    # Overfitting, then not: p goes up, then back down.
    switch = run(lambda s: np.full(n, 2.0 if s < 5 else -2.0, "float32"))
    assert switch.argmax() == 5 and switch[-1] == pytest.approx(switch[0], abs=1e-6)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("pipeline", ["bgx", "b,g", "bb", "", None, "BGC"])
def test_bad_pipeline_names_the_letters(pipeline):
    with pytest.raises(ValueError, match="'b'.*'g'.*'c'|'bgc'") as error:
        ada.ada_augment(_images(1), 0.5, pipeline=pipeline)
    assert "bgc" in str(error.value)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ada.ada_augment(_images(1), 1.5)
    with pytest.raises(ValueError, match="batch of images"):
        ada.ada_augment(_images(1)[0], 0.5)
    with pytest.raises(ValueError, match="1 or 3 channels"):
        ada.ada_augment(_images(1, (8, 8, 2)), 0.5, pipeline="c")
    # The geometric groups take any number of channels.
    assert tuple(ada.ada_augment(_images(1, (8, 8, 2)), 0.5, seed=0, pipeline="bg").shape) == (
        1,
        8,
        8,
        2,
    )
    assert ada.parse_pipeline("cgb") == ("b", "g", "c")
