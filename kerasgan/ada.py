"""ADA: the adaptive discriminator augmentation pipeline and its probability update.

Karras, Aittala, Hellsten, Laine, Lehtinen & Aila, "Training Generative
Adversarial Networks with Limited Data", NeurIPS 2020, arXiv:2006.06676
(Appendix B for the pipeline, Section 3 for the adaptive probability).

The discriminator sees every image, real and generated, through
`ada_augment(images, p)`. Each transformation below is applied to each image
independently with probability `p` (the augmentation probability), and `p`
itself is tuned while training by `ada_p_update` from an overfitting
heuristic: `r_t = E[sign(D(x_real))]`, raised when `r_t` exceeds a target
(0.6), lowered otherwise. As every transformation is differentiable and
applied with `p < 1`, the generator learns through the augmentations without
reproducing them ("non-leaking").

The pipeline is chosen by group letters, applied in the order b, g, c:

- `"b"`, pixel blitting:
  - x-flip: `i ~ U{0, 1}`, flip when `i = 1` (so an image is flipped with
    probability `p / 2`, as in the paper);
  - 90-degree rotations: `k ~ U{0, 1, 2, 3}`, rotate by `k * 90` degrees;
  - integer translation: `t ~ U(-0.125, 0.125)` per axis, times the image
    width (height), rounded to whole pixels.
- `"g"`, general geometric transformations:
  - isotropic scaling: `s ~ lognormal(0, (0.2 ln 2)^2)`, i.e. `s = 2^N(0, 0.2^2)`;
  - pre-rotation: `theta ~ U(-pi, pi)`, with probability `p_rot`;
  - anisotropic scaling: `s ~ lognormal(0, (0.2 ln 2)^2)`, `x` scaled by `s`
    and `y` by `1 / s`;
  - post-rotation: `theta ~ U(-pi, pi)`, with probability `p_rot`;
  - fractional translation: `t ~ N(0, 0.125^2)` per axis, times the width
    (height), in pixels.
  The two rotations use `p_rot = 1 - sqrt(1 - p)`, so that an image is
  rotated (by one or both) with probability `p`.
- `"c"`, color transformations, acting on images in [-1, 1] around 0:
  - brightness: add `b ~ N(0, 0.2^2)` to every channel;
  - contrast: multiply by `c ~ lognormal(0, (0.5 ln 2)^2)`;
  - luma flip: `i ~ U{0, 1}`, reflect along the luma axis `v = (1, 1, 1) / sqrt(3)`
    (`x -> x - 2 v v^T x`) when `i = 1` (probability `p / 2`, as in the paper);
  - hue rotation: rotate by `theta ~ U(-pi, pi)` around the luma axis;
  - saturation: scale the component orthogonal to the luma axis by
    `s ~ lognormal(0, (1 ln 2)^2)`.

All geometric transformations (b and g) of an image are composed into one
3x3 homogeneous matrix, applied once by inverse mapping: every output pixel
reads its source position with bilinear interpolation, reflecting positions
outside the image back into it (no black borders). Whole-pixel transforms
(flips, 90-degree rotations, integer translations) land on pixel centres and
copy pixels exactly. All color transformations are composed into one 4x4
homogeneous color matrix per image. On 1-channel images, brightness, contrast
and luma flip (`x -> -x`) apply; hue and saturation leave a gray pixel
unchanged and are skipped (their random numbers are still drawn). Color
needs 1 or 3 channels; the geometric groups take any number.

Differences from the paper, on purpose:

- the output of the color group is clipped to [-1, 1], so that every
  augmented image is a valid image (the paper does not clip). Geometric
  resampling is a convex combination of input pixels and stays in range;
- the geometric resampling is plain bilinear with reflection; the reference
  implementation also low-pass filters (2x upsampling with a wavelet filter)
  to reduce aliasing;
- the image-space filtering and corruption groups ("f", noise, cutout) of
  the paper's ablations are not implemented; "bgc" is its recommended
  pipeline.

With `p = 0` every image comes back exactly as it was (all matrices are the
identity, which samples pixels exactly); with `p = 1` every transformation
is applied. `p` is a tensor input, so a compiled step (XLA, `jit_compile=True`)
takes each new value without recompiling. Everything is written with
`keras.ops` and draws its random numbers through `kerasgan.draws`.

Example:
    >>> seed = keras.random.SeedGenerator(0)
    >>> p = keras.Variable(0.0, trainable=False)  # the adaptive probability
    >>> x = kerasgan.ada.ada_augment(images, p, seed=seed)  # real and fake alike
    >>> sign_sum += ops.sum(ops.sign(real_logits)); count += batch_size
    >>> # every 4 minibatches:
    >>> p.assign(kerasgan.ada.ada_p_update(p, sign_sum, count, batch_size=64))
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import cast

import keras
import numpy as np
from keras import ops

from kerasgan import draws
from kerasgan._typing import Shape, Tensor
from kerasgan.augment import _seed_generator
from kerasgan.backend import replica_rows
from kerasgan.draws import Seed

__all__ = [
    "ADA_INTERVAL",
    "ADA_SPEED_IMG",
    "ADA_TARGET",
    "GROUPS",
    "AdaptiveAugmentation",
    "ada_augment",
    "ada_p_update",
    "parse_pipeline",
]

#: The transformations of each group, in the order they are applied.
GROUPS = {
    "b": ("xflip", "rotate90", "xint"),
    "g": ("scale", "rotate", "aniso", "xfrac"),
    "c": ("brightness", "contrast", "lumaflip", "hue", "saturation"),
}

#: The paper's target for `r_t = E[sign(D(x_real))]`.
ADA_TARGET = 0.6
#: The paper adjusts `p` every 4 minibatches.
ADA_INTERVAL = 4
#: The paper's speed: `p` can go from 0 to 1 in 500k real images.
ADA_SPEED_IMG = 500_000

XINT_MAX = 0.125  # integer translation, fraction of the image side
SCALE_STD = 0.2  # isotropic scaling, log2 standard deviation
ROTATE_MAX = math.pi  # arbitrary rotation, radians
ANISO_STD = 0.2  # anisotropic scaling, log2 standard deviation
XFRAC_STD = 0.125  # fractional translation, fraction of the image side
BRIGHTNESS_STD = 0.2
CONTRAST_STD = 0.5  # log2 standard deviation
HUE_MAX = math.pi
SATURATION_STD = 1.0  # log2 standard deviation

_LN2 = math.log(2.0)


def parse_pipeline(pipeline: str) -> tuple[str, ...]:
    """`"bgc"` -> `("b", "g", "c")`: the groups, in the order they are applied.

    The letters may come in any order (they are always applied b, g, c);
    anything else is a `ValueError`.
    """
    valid = "".join(GROUPS)
    if not isinstance(pipeline, str) or not pipeline:
        raise ValueError(
            f"ADA pipeline must be a non-empty string of group letters from {valid!r} "
            f"('b' pixel blitting, 'g' geometric, 'c' color; e.g. 'bgc'); got {pipeline!r}."
        )
    unknown = sorted(set(pipeline) - set(valid))
    if unknown or len(set(pipeline)) != len(pipeline):
        problem = (
            f"unknown letter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}"
            if unknown
            else "a repeated letter"
        )
        raise ValueError(
            f"ADA pipeline {pipeline!r} has {problem}; use each of the letters "
            f"'b' (pixel blitting), 'g' (geometric), 'c' (color) at most once, "
            f"e.g. 'bgc', 'bg' or 'c'."
        )
    return tuple(g for g in GROUPS if g in pipeline)


# ------------------------------------------------------------------- draws
#: Uniform and normal numbers per image that each transformation takes.
_UNIFORM_COLS = {
    "xflip": 2, "rotate90": 2, "xint": 3, "scale": 1, "rotate": 4, "aniso": 1, "xfrac": 1,
    "brightness": 1, "contrast": 1, "lumaflip": 2, "hue": 2, "saturation": 1,
}  # fmt: skip
_NORMAL_COLS = {"scale": 1, "aniso": 1, "xfrac": 2, "brightness": 1, "contrast": 1, "saturation": 1}


class _Draws:
    """Every random number of one augmentation call, from two draws.

    One `(batch, U)` uniform and one `(batch, N)` normal draw (per replica,
    its slice of the global batch's), handed out column by column in the
    order the transformations ask. Two random ops instead of two dozen: under
    XLA the random ops cost most of the pipeline's compile time.
    """

    def __init__(
        self,
        seed: keras.random.SeedGenerator | draws.InjectedDraws,
        batch: int | Tensor,
        names: Collection[str],
    ) -> None:
        u_cols = sum(_UNIFORM_COLS[n] for n in names)
        n_cols = sum(_NORMAL_COLS.get(n, 0) for n in names)
        self.u: Tensor = None
        self.n: Tensor = None
        if u_cols:
            self.u = replica_rows(
                lambda rows: draws.uniform((rows, u_cols), 0.0, 1.0, seed=seed), batch
            )
        if n_cols:
            self.n = replica_rows(lambda rows: draws.normal((rows, n_cols), seed=seed), batch)
        self.next_u = self.next_n = 0

    @classmethod
    def of(cls, seed: Seed | _Draws, batch: int | Tensor, names: Collection[str]) -> _Draws:
        return seed if isinstance(seed, cls) else cls(_seed_generator(seed), batch, names)

    def uniform(self, low: float | Tensor, high: float | Tensor, cols: int) -> Tensor:
        out = self.u[:, self.next_u : self.next_u + cols]
        self.next_u += cols
        return low + (high - low) * out

    def normal(self, cols: int) -> Tensor:
        out = self.n[:, self.next_n : self.next_n + cols]
        self.next_n += cols
        return out


def _uniform(
    batch: int | Tensor, seed: _Draws, low: float = 0.0, high: float = 1.0, cols: int = 1
) -> Tensor:
    return seed.uniform(low, high, cols)  # (batch, cols)


def _normal(batch: int | Tensor, seed: _Draws, cols: int = 1) -> Tensor:
    return seed.normal(cols)


def _randint(batch: int | Tensor, high: int, seed: _Draws) -> Tensor:
    u = seed.uniform(0.0, 1.0, 1)[:, 0]
    return ops.minimum(ops.cast(ops.floor(u * high), "int32"), high - 1)


def _applied(batch: int | Tensor, probability: Tensor, seed: _Draws) -> Tensor:
    """(batch,) booleans, true with `probability` (always when it is >= 1)."""
    u = _uniform(batch, seed)[:, 0]
    return ops.logical_or(u < probability, probability >= 1.0)


# ---------------------------------------------------------------- matrices
def _unit(n: int, i: int, j: int) -> np.ndarray:
    m = np.zeros((n, n), "float32")
    m[i, j] = 1.0
    return m


def _identity_plus(n: int, terms: Iterable[tuple[Tensor, np.ndarray]]) -> Tensor:
    """`I + sum(coef * M)` per image: `terms` is `[(coef (B,), M (n, n)), ...]`.

    A coefficient of exactly 0 leaves the identity exact, which keeps
    untransformed images (and `p = 0`) bit-exact.
    """
    out = None
    for coef, m in terms:
        term = ops.cast(coef, "float32")[:, None, None] * ops.convert_to_tensor(m)
        out = term if out is None else out + term
    return out + ops.eye(n, dtype="float32")


def _compose(a: Tensor, b: Tensor) -> Tensor:
    """`a @ b` per image, as a broadcast sum of products.

    Not `matmul`: accelerators may run a float32 matmul in reduced precision
    (TF32), which would no longer keep the identity and whole pixels exact.
    """
    return ops.sum(a[:, :, :, None] * b[:, None, :, :], axis=2)


_XX, _YY = _unit(3, 0, 0), _unit(3, 1, 1)
_XY_SKEW = _unit(3, 0, 1) - _unit(3, 1, 0)  # rotation's sine part, inverse form
_TX, _TY = _unit(3, 0, 2), _unit(3, 1, 2)


def _scale_inv(sx: Tensor, sy: Tensor) -> Tensor:
    """Inverse of scaling x by `sx` and y by `sy`."""
    return _identity_plus(3, [(1.0 / sx - 1.0, _XX), (1.0 / sy - 1.0, _YY)])


def _rotation_inv(cos: Tensor, sin: Tensor) -> Tensor:
    """Inverse of the rotation by the angle of `(cos, sin)` (pixel coordinates)."""
    return _identity_plus(3, [(cos - 1.0, _XX + _YY), (sin, _XY_SKEW)])


def _translation_inv(tx: Tensor, ty: Tensor) -> Tensor:
    """Inverse of the translation by `(tx, ty)` pixels."""
    return _identity_plus(3, [(-tx, _TX), (-ty, _TY)])


def _xflip_inv(i: Tensor) -> Tensor:
    """Inverse of x-flip where `i` is 1 (identity where 0)."""
    return _identity_plus(3, [(-2.0 * i, _XX)])


def _rot90_inv(k: Tensor) -> Tensor:
    """Inverse of the rotation by `k` quarter turns, `k` integers in {0, 1, 2, 3}.

    Cosine and sine come from a table, so the matrix entries are exactly 0, 1 or -1.
    """
    k = ops.cast(k, "int32")
    cos = ops.take(ops.convert_to_tensor(np.array([1, 0, -1, 0], "float32")), k)
    sin = ops.take(ops.convert_to_tensor(np.array([0, 1, 0, -1], "float32")), k)
    return _rotation_inv(cos, sin)


def _geometric_matrix(
    batch: int | Tensor,
    probabilities: dict[str, Tensor],
    seed: Seed | _Draws,
    height: int,
    width: int,
) -> Tensor:
    """(batch, 3, 3) inverse transforms: output pixel -> input pixel position.

    Pixel coordinates are centred on the image (x right, y down, in pixels).
    `probabilities` maps transformation names of the "b" and "g" groups to
    their probability; others are left out (no random numbers drawn).
    """
    seed = _Draws.of(seed, batch, probabilities)
    g = None

    def then(matrix: Tensor) -> None:
        # Transform T applied after the ones so far: G_inv <- G_inv @ T_inv.
        nonlocal g
        g = matrix if g is None else _compose(g, matrix)

    if "xflip" in probabilities:
        on = _applied(batch, probabilities["xflip"], seed)
        i = ops.cast(_randint(batch, 2, seed), "float32")
        then(_xflip_inv(ops.where(on, i, 0.0)))
    if "rotate90" in probabilities:
        on = _applied(batch, probabilities["rotate90"], seed)
        k = _randint(batch, 4, seed)
        then(_rot90_inv(ops.where(on, k, ops.zeros_like(k))))
    if "xint" in probabilities:
        on = _applied(batch, probabilities["xint"], seed)
        t = _uniform(batch, seed, -XINT_MAX, XINT_MAX, cols=2)
        tx, ty = ops.round(t[:, 0] * width), ops.round(t[:, 1] * height)
        then(_translation_inv(ops.where(on, tx, 0.0), ops.where(on, ty, 0.0)))
    if "scale" in probabilities:
        on = _applied(batch, probabilities["scale"], seed)
        s = ops.where(on, ops.exp(_normal(batch, seed)[:, 0] * (SCALE_STD * _LN2)), 1.0)
        then(_scale_inv(s, s))
    if "rotate" in probabilities:
        p = ops.convert_to_tensor(probabilities["rotate"], "float32")
        # P(pre-rotation or post-rotation) = 1 - (1 - p_rot)^2 = p.
        p_rot = 1.0 - ops.sqrt(ops.clip(1.0 - p, 0.0, 1.0))

        def rotation() -> Tensor:
            on = _applied(batch, p_rot, seed)
            theta = _uniform(batch, seed, -ROTATE_MAX, ROTATE_MAX)[:, 0]
            return _rotation_inv(
                ops.where(on, ops.cos(theta), 1.0), ops.where(on, ops.sin(theta), 0.0)
            )

        then(rotation())  # before anisotropic scaling
    if "aniso" in probabilities:
        on = _applied(batch, probabilities["aniso"], seed)
        s = ops.where(on, ops.exp(_normal(batch, seed)[:, 0] * (ANISO_STD * _LN2)), 1.0)
        then(_scale_inv(s, 1.0 / s))
    if "rotate" in probabilities:
        then(rotation())  # after anisotropic scaling
    if "xfrac" in probabilities:
        on = _applied(batch, probabilities["xfrac"], seed)
        t = _normal(batch, seed, cols=2) * XFRAC_STD
        tx, ty = t[:, 0] * width, t[:, 1] * height
        then(_translation_inv(ops.where(on, tx, 0.0), ops.where(on, ty, 0.0)))
    return g


def _reflect(u: Tensor, size: int) -> Tensor:
    """Positions reflected into `[0, size - 1]` (mirror about the edge pixels'
    centres, like `numpy.pad(mode="reflect")`)."""
    if size == 1:
        return ops.zeros_like(u)
    period = 2.0 * (size - 1)
    u = ops.mod(u, period)
    u = ops.where(u > size - 1, period - u, u)
    return ops.clip(u, 0.0, size - 1.0)


def _resample(images: Tensor, matrix: Tensor) -> Tensor:
    """Applies per-image inverse transforms `matrix` (B, 3, 3), bilinearly.

    Output pixel `(i, j)`, at centred coordinates `(x, y) = (j - (W-1)/2,
    i - (H-1)/2)`, reads the input at `matrix @ (x, y, 1)`, reflected into the
    image, with bilinear weights. At whole-pixel positions the weights are
    exactly (1, 0, 0, 0), so the pixel is copied exactly. Differentiable with
    respect to the pixels.
    """
    x = ops.convert_to_tensor(images)
    h, w, c = int(x.shape[1]), int(x.shape[2]), int(x.shape[3])
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    rows, cols = np.meshgrid(
        np.arange(h, dtype="float32"), np.arange(w, dtype="float32"), indexing="ij"
    )
    xs = ops.convert_to_tensor(cols - np.float32(cx))[None]  # (1, H, W)
    ys = ops.convert_to_tensor(rows - np.float32(cy))[None]
    m = ops.cast(matrix, "float32")

    def entry(i: int, j: int) -> Tensor:
        return m[:, i, j][:, None, None]

    u = _reflect(entry(0, 0) * xs + entry(0, 1) * ys + entry(0, 2) + cx, w)  # (B, H, W)
    v = _reflect(entry(1, 0) * xs + entry(1, 1) * ys + entry(1, 2) + cy, h)
    u0, v0 = ops.floor(u), ops.floor(v)
    fu, fv = u - u0, v - v0
    u0, v0 = ops.cast(u0, "int32"), ops.cast(v0, "int32")
    u1, v1 = ops.minimum(u0 + 1, w - 1), ops.minimum(v0 + 1, h - 1)
    batch = ops.shape(x)[0]
    first = ops.arange(batch, dtype="int32")[:, None, None] * (h * w)
    index = ops.stack(
        [first + v0 * w + u0, first + v0 * w + u1, first + v1 * w + u0, first + v1 * w + u1]
    )  # (4, B, H, W)
    weight = ops.stack([(1 - fu) * (1 - fv), fu * (1 - fv), (1 - fu) * fv, fu * fv])
    # One flat gather (as in kerasgan.augment): XLA compiles it and its gradient.
    pixels = ops.take(ops.reshape(x, (-1, c)), ops.reshape(index, (-1,)), axis=0)
    pixels = ops.reshape(pixels, (4, -1, h, w, c))
    return ops.sum(pixels * ops.cast(weight, x.dtype)[..., None], axis=0)


# ------------------------------------------------------------------- color
_LUMA = np.full((4, 4), 0.0, "float32")
_LUMA[:3, :3] = 1.0 / 3.0  # v v^T, v = (1, 1, 1, 0) / sqrt(3)
_RGB = np.diag([1.0, 1.0, 1.0, 0.0]).astype("float32")
_CHROMA = _RGB - _LUMA  # projection orthogonal to the luma axis
_LUMA_CROSS = np.zeros((4, 4), "float32")  # [v]_x, the cross product with v
_LUMA_CROSS[:3, :3] = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]]) / math.sqrt(3.0)
_OFFSET = np.zeros((4, 4), "float32")
_OFFSET[:3, 3] = 1.0


def _color_matrix(
    batch: int | Tensor, probabilities: dict[str, Tensor], seed: Seed | _Draws, channels: int
) -> Tensor | None:
    """(batch, 4, 4) color transforms: `C @ (r, g, b, 1)` is the new color.

    On 1-channel images hue and saturation are drawn but not applied (a gray
    pixel lies on the luma axis, which both leave fixed). `None` when no
    transformation applies (only hue and saturation, on gray images).
    """
    seed = _Draws.of(seed, batch, probabilities)
    c = None

    def then(matrix: Tensor) -> None:
        # Transform T applied after the ones so far: C <- T @ C.
        nonlocal c
        c = matrix if c is None else _compose(matrix, c)

    if "brightness" in probabilities:
        on = _applied(batch, probabilities["brightness"], seed)
        b = _normal(batch, seed)[:, 0] * BRIGHTNESS_STD
        then(_identity_plus(4, [(ops.where(on, b, 0.0), _OFFSET)]))
    if "contrast" in probabilities:
        on = _applied(batch, probabilities["contrast"], seed)
        s = ops.where(on, ops.exp(_normal(batch, seed)[:, 0] * (CONTRAST_STD * _LN2)), 1.0)
        then(_identity_plus(4, [(s - 1.0, _RGB)]))
    if "lumaflip" in probabilities:
        on = _applied(batch, probabilities["lumaflip"], seed)
        i = ops.cast(_randint(batch, 2, seed), "float32")
        # Householder reflection I - 2 v v^T where i = 1.
        then(_identity_plus(4, [(-2.0 * ops.where(on, i, 0.0), _LUMA)]))
    if "hue" in probabilities:
        on = _applied(batch, probabilities["hue"], seed)
        theta = _uniform(batch, seed, -HUE_MAX, HUE_MAX)[:, 0]
        cos, sin = ops.where(on, ops.cos(theta), 1.0), ops.where(on, ops.sin(theta), 0.0)
        if channels > 1:
            # Rodrigues: R = cos I + sin [v]_x + (1 - cos) v v^T, on the RGB block.
            then(_identity_plus(4, [(cos - 1.0, _CHROMA), (sin, _LUMA_CROSS)]))
    if "saturation" in probabilities:
        on = _applied(batch, probabilities["saturation"], seed)
        s = _normal(batch, seed)[:, 0] * (SATURATION_STD * _LN2)
        s = ops.where(on, ops.exp(s), 1.0)
        if channels > 1:
            then(_identity_plus(4, [(s - 1.0, _CHROMA)]))  # v v^T + s (I - v v^T)
    return c


def _apply_color(images: Tensor, matrix: Tensor) -> Tensor:
    x = ops.convert_to_tensor(images)
    m = ops.cast(matrix, x.dtype)
    if x.shape[-1] == 1:
        # A gray value g is the color (g, g, g); the result is the mean of the
        # transformed color's channels.
        gain = ops.mean(ops.sum(m[:, :3, :3], axis=2), axis=1)
        offset = ops.mean(m[:, :3, 3], axis=1)
        return x * gain[:, None, None, None] + offset[:, None, None, None]
    # Written out per channel rather than as a matmul, for the same reason as `_compose`.
    channels = [x[..., j] for j in range(3)]
    out = []
    for i in range(3):
        value = m[:, i, 3][:, None, None]
        for j in range(3):
            value = value + m[:, i, j][:, None, None] * channels[j]
        out.append(value)
    return ops.stack(out, axis=-1)


def _augment(images: Tensor, probabilities: Mapping[str, float | Tensor], seed: Seed) -> Tensor:
    """Applies the transformations named in `probabilities` (name -> probability).

    Names come from `GROUPS`; each transformation is drawn and applied with
    its own probability (`"rotate"`: probability of any rotation). Used by
    `ada_augment`, and by tests to run single transformations.
    """
    x = ops.convert_to_tensor(images)
    if len(x.shape) != 4:
        raise ValueError(
            "ADA takes a batch of images (batch, height, width, channels); got "
            f"shape {tuple(x.shape)}."
        )
    if any(d is None for d in x.shape[1:]):
        raise ValueError(
            f"ADA needs a static height, width and channels; got shape {tuple(x.shape)}."
        )
    h, w, channels = int(x.shape[1]), int(x.shape[2]), int(x.shape[3])
    known = {name for names in GROUPS.values() for name in names}
    unknown = sorted(set(probabilities) - known)
    if unknown:
        raise ValueError(f"Unknown ADA transformations {unknown}; known: {sorted(known)}.")
    probabilities = {
        name: ops.convert_to_tensor(value, "float32") for name, value in probabilities.items()
    }
    geometric = {k: v for k, v in probabilities.items() if k in GROUPS["b"] + GROUPS["g"]}
    color = {k: v for k, v in probabilities.items() if k in GROUPS["c"]}
    if color and channels not in (1, 3):
        raise ValueError(
            f"ADA's color group takes images with 1 or 3 channels; got {channels}. "
            "Use a geometric pipeline ('bg') for these images."
        )
    batch = ops.shape(x)[0]
    seed = _Draws(_seed_generator(seed), batch, list(geometric) + list(color))
    if geometric:
        x = _resample(x, _geometric_matrix(batch, geometric, seed, h, w))
    if color:
        matrix = _color_matrix(batch, color, seed, channels)
        if matrix is not None:  # None: only hue and saturation, on gray images
            x = _apply_color(x, matrix)
        x = ops.clip(x, -1.0, 1.0)
    return x


def ada_augment(
    images: Tensor, p: float | Tensor, seed: Seed = None, pipeline: str = "bgc"
) -> Tensor:
    """Augments a batch of images with ADA's pipeline at probability `p`.

    Args:
        images: `(batch, height, width, channels)` float tensor in [-1, 1],
            static height, width and channels (1 or 3 for the color group).
        p: the augmentation probability in [0, 1]: a float, or a scalar tensor
            (a traced input of a compiled step, e.g. a non-trainable
            `keras.Variable` updated by `ada_p_update`). Each transformation
            is applied to each image with probability `p` (the rotations of
            "g" with `1 - sqrt(1 - p)` each).
        seed: a `keras.random.SeedGenerator` (required inside compiled
            functions), a `kerasgan.draws.InjectedDraws`, an int (the same int
            gives the same augmentation) or `None` (fresh randomness).
        pipeline: the groups to apply, letters from "b" (pixel blitting),
            "g" (geometric), "c" (color); the paper's default is "bgc".

    Returns:
        The augmented images, same shape and dtype; `images` exactly when
        `p` is 0 (and the images are in [-1, 1]).
    """
    groups = parse_pipeline(pipeline)
    if isinstance(p, (int, float)) and not 0.0 <= p <= 1.0:
        raise ValueError(f"ADA's augmentation probability p must be in [0, 1]; got {p}.")
    p = ops.convert_to_tensor(p, "float32")
    probabilities = {name: p for group in groups for name in GROUPS[group]}
    return _augment(images, probabilities, seed)


def ada_p_update(
    p: float | Tensor,
    sign_sum: float | Tensor,
    count: float | Tensor,
    *,
    batch_size: int | Tensor,
    target: float = ADA_TARGET,
    interval: int = ADA_INTERVAL,
    speed_img: float = ADA_SPEED_IMG,
) -> Tensor:
    """ADA's update of the augmentation probability (pure; `keras.ops`).

    `r_t = sign_sum / count` is the mean of `sign(D(x_real))` over the real
    images seen since the last update; a discriminator that overfits is
    confident on its training images, so `r_t` rises towards 1. Then

        p <- clip(p + sign(r_t - target) * batch_size * interval / speed_img, 0, 1)

    The paper's defaults: `target = 0.6`, an update every `interval = 4`
    minibatches, and a step size for which `p` can go from 0 to 1 in
    `speed_img = 500_000` real images. `p` is unchanged when `r_t == target`
    (`sign(0) = 0`) or when `count` is 0 (nothing seen yet).

    Args:
        p: the current probability, a float or scalar tensor.
        sign_sum: `sum(sign(D(x_real)))` over the images since the last update.
        count: the number of those images.
        batch_size: images per minibatch (the global batch; an int or a
            scalar tensor).
        target: the target value of `r_t`.
        interval: minibatches between two updates.
        speed_img: images over which `p` can change by 1.

    Returns:
        The new `p`, a float32 scalar tensor in [0, 1].
    """
    p = ops.convert_to_tensor(p, "float32")
    sign_sum = ops.convert_to_tensor(sign_sum, "float32")
    count = ops.convert_to_tensor(count, "float32")
    r_t = sign_sum / ops.maximum(count, 1.0)
    step = ops.cast(batch_size, "float32") * (float(interval) / float(speed_img))
    adjust = ops.where(count > 0, ops.sign(r_t - target) * step, 0.0)
    return ops.clip(p + adjust, 0.0, 1.0)


class AdaptiveAugmentation:
    """ADA on a model: the probability `p` and its statistics, as model variables.

    `GANModel(..., ada="bgc")` makes one of these; it is not usually built by
    hand. It adds four non-trainable float32 variables to `model` (saved
    with it, so a resumed run continues with the same `p` and the same
    partial statistics): `ada_p`, and the sum of `sign(D(x_real))`, the
    number of real images and the number of minibatches since the last
    update of `p`.

    Args:
        model: the `keras.Model` that owns the variables.
        pipeline: group letters, e.g. `"bgc"` (see `parse_pipeline`).
        target: the target of `r_t = E[sign(D(x_real))]`, in [0, 1); `None`
            keeps `p` fixed at `p` (no adaptation).
        p: the initial probability, in [0, 1].
        interval: minibatches between two updates of `p`.
        speed_img: images over which `p` can change by 1.
    """

    def __init__(
        self,
        model: keras.Model,
        pipeline: str = "bgc",
        target: float | None = ADA_TARGET,
        p: float = 0.0,
        interval: int = ADA_INTERVAL,
        speed_img: float = ADA_SPEED_IMG,
    ) -> None:
        self.pipeline = "".join(parse_pipeline(pipeline))
        if target is not None:
            target = float(target)
            if not 0.0 <= target < 1.0:
                raise ValueError(
                    f"ada_target (the target of E[sign(D(real))]) must be in [0, 1), e.g. "
                    f"0.6, or None for a fixed p; got {target}."
                )
        self.target = target
        p = float(p)
        if not 0.0 <= p <= 1.0:
            raise ValueError(
                f"ada_p (the initial augmentation probability) must be in [0, 1]; got {p}."
            )
        self.initial_p = p
        if isinstance(interval, bool) or int(interval) != interval or interval < 1:
            raise ValueError(
                f"ada_interval must be an integer >= 1 (minibatches); got {interval!r}."
            )
        self.interval = int(interval)
        if not float(speed_img) > 0:
            raise ValueError(f"ada_speed_img must be > 0 (images); got {speed_img!r}.")
        self.speed_img = float(speed_img)

        def variable(name: str, value: float) -> keras.Variable:
            return model.add_weight(
                shape=(),
                initializer=keras.initializers.Constant(value),
                trainable=False,
                dtype="float32",
                name=name,
            )

        self.p = variable("ada_p", p)
        self.sign_sum = variable("ada_sign_sum", 0.0)
        self.count = variable("ada_count", 0.0)
        self.batches = variable("ada_batches", 0.0)

    @property
    def adaptive(self) -> bool:
        return self.target is not None

    def check_image_shape(self, image_shape: Shape) -> None:
        """A `ValueError` if the color group cannot take these images."""
        if "c" in self.pipeline and image_shape[-1] not in (1, 3):
            raise ValueError(
                f"ADA's color group ('c') needs images with 1 or 3 channels; these have "
                f"{image_shape[-1]}. Use ada='bg' (geometric groups only)."
            )

    def augment(self, images: Tensor, seed: Seed) -> Tensor:
        """`images` through the pipeline at the current `p`."""
        return ada_augment(images, self.p, seed=seed, pipeline=self.pipeline)

    def observe(self, real_logits: Tensor) -> None:
        """Adds a discriminator update's real logits to the statistics."""
        if not self.adaptive:
            return
        logits = ops.cast(ops.stop_gradient(ops.convert_to_tensor(real_logits)), "float32")
        self.sign_sum.assign(self.sign_sum + ops.sum(ops.sign(logits)))
        self.count.assign(self.count + ops.cast(ops.shape(logits)[0], "float32"))

    def step(self, batch_size: int | Tensor) -> None:
        """Ends a minibatch: every `interval`-th one updates `p` from the
        statistics (`ada_p_update`) and starts them afresh."""
        if not self.adaptive:
            return
        p, sign_sum, count = (ops.convert_to_tensor(v) for v in (self.p, self.sign_sum, self.count))
        batches = ops.convert_to_tensor(self.batches) + 1.0
        due = batches >= self.interval
        updated = ada_p_update(
            p,
            sign_sum,
            count,
            batch_size=batch_size,
            target=cast(float, self.target),  # adaptive: a target is set
            interval=self.interval,
            speed_img=self.speed_img,
        )
        zero = ops.zeros((), "float32")
        self.p.assign(ops.where(due, updated, p))
        self.sign_sum.assign(ops.where(due, zero, sign_sum))
        self.count.assign(ops.where(due, zero, count))
        self.batches.assign(ops.where(due, zero, batches))

    def get_config(self) -> dict:
        return {
            "ada": self.pipeline,
            "ada_target": self.target,
            "ada_p": self.initial_p,
            "ada_interval": self.interval,
            "ada_speed_img": self.speed_img,
        }
