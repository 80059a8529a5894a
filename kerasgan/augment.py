"""DiffAugment: differentiable augmentation of every image the discriminator sees.

Zhao, Liu, Lin, Zhu & Han, "Differentiable Augmentation for Data-Efficient GAN
Training", NeurIPS 2020, arXiv:2006.10738.

The same random transformations are applied to real and generated images
before every discriminator call, in the discriminator updates and in the
generator update alike. They are differentiable, so the generator learns
through them, and the discriminator never sees un-augmented images while
training. The policies follow the authors' reference implementation:

- `"color"`: per-image brightness `x + (u - 0.5)`, saturation
  `(x - mean_c) * 2u + mean_c` (channel mean; no effect on grayscale) and
  contrast `(x - mean) * (u + 0.5) + mean` (image mean), `u ~ U[0, 1)`, in
  this order;
- `"translation"`: per-image integer shifts of up to 1/8 of the height and of
  the width (rounded), filling with zeros;
- `"cutout"`: per-image zeroing of one square of half the height and width,
  at a random position (clipped at the borders).

Everything is written with `keras.ops` and draws its random numbers from a
`keras.random.SeedGenerator`, so it compiles under XLA (`jit_compile=True`).
Images are channels-last `(batch, height, width, channels)` with static
height and width.

Example:
    >>> x = kerasgan.augment.diff_augment(images, "color,translation,cutout", seed=0)
    >>> gan = kerasgan.create("dcgan", image_shape=(28, 28, 1), diffaugment="translation,cutout")
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import ops

from kerasgan import draws
from kerasgan._typing import Tensor
from kerasgan.backend import replica_rows
from kerasgan.draws import Seed

__all__ = [
    "POLICIES",
    "TRANSLATION_RATIO",
    "CUTOUT_RATIO",
    "diff_augment",
    "parse_policy",
    "random_brightness",
    "random_contrast",
    "random_cutout",
    "random_saturation",
    "random_translation",
]

#: Largest shift of `"translation"`, as a fraction of the image side (the paper's 1/8).
TRANSLATION_RATIO = 0.125
#: Side of the `"cutout"` square, as a fraction of the image side (the paper's 1/2).
CUTOUT_RATIO = 0.5


def _seed_generator(seed: Seed) -> keras.random.SeedGenerator | draws.InjectedDraws:
    if isinstance(seed, (keras.random.SeedGenerator, draws.InjectedDraws)):
        return seed
    # A new generator creates a variable: pass a SeedGenerator inside compiled steps.
    return keras.random.SeedGenerator(seed)


def _per_image_uniform(x: Tensor, seed: Seed) -> Tensor:
    u = replica_rows(lambda n: draws.uniform((n, 1, 1, 1), 0.0, 1.0, seed=seed), ops.shape(x)[0])
    return ops.cast(u, x.dtype)


def _randint_rows(batch: Tensor, low: int, high: int, seed: Seed) -> Tensor:
    # (batch, 1) integers in [low, high); per replica, a slice of the global draw.
    return replica_rows(lambda n: draws.randint((n, 1), low, high, seed=seed), batch)


def random_brightness(x: Tensor, seed: Seed) -> Tensor:
    """Adds `u - 0.5`, `u ~ U[0, 1)` drawn per image."""
    x = ops.convert_to_tensor(x)
    return x + (_per_image_uniform(x, seed) - 0.5)


def random_saturation(x: Tensor, seed: Seed) -> Tensor:
    """Scales each pixel's distance to its channel mean by `2u`, `u ~ U[0, 1)` per image."""
    x = ops.convert_to_tensor(x)
    mean = ops.mean(x, axis=-1, keepdims=True)
    return (x - mean) * (_per_image_uniform(x, seed) * 2.0) + mean


def random_contrast(x: Tensor, seed: Seed) -> Tensor:
    """Scales the distance to the image mean by `u + 0.5`, `u ~ U[0, 1)` per image."""
    x = ops.convert_to_tensor(x)
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return (x - mean) * (_per_image_uniform(x, seed) + 0.5) + mean


def _static_side(x: Tensor, axis: int) -> int:
    side = x.shape[axis]
    if side is None:
        raise ValueError(
            f"DiffAugment needs images with a static height and width; got shape {tuple(x.shape)}."
        )
    return int(side)


def random_translation(x: Tensor, seed: Seed, ratio: float = TRANSLATION_RATIO) -> Tensor:
    """Shifts each image by whole pixels, up to `ratio` of each side, filling with zeros.

    Each output pixel `(i, j)` reads input pixel `(i + dy, j + dx)` (zero when
    outside), with `dy, dx` drawn uniformly from `[-round(ratio * side),
    round(ratio * side)]` per image. A gather, so gradients reach the input.
    """
    x = ops.convert_to_tensor(x)
    h, w = _static_side(x, 1), _static_side(x, 2)
    shift_h, shift_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    batch = ops.shape(x)[0]
    dy = _randint_rows(batch, -shift_h, shift_h + 1, seed)
    dx = _randint_rows(batch, -shift_w, shift_w + 1, seed)
    # Indices into the image padded with one ring of zeros: out-of-range reads
    # are clipped onto the ring, which holds zeros.
    rows = ops.clip(ops.arange(h, dtype="int32")[None, :] + dy + 1, 0, h + 1)  # (B, H)
    cols = ops.clip(ops.arange(w, dtype="int32")[None, :] + dx + 1, 0, w + 1)  # (B, W)
    first = ops.arange(batch, dtype="int32")[:, None, None] * ((h + 2) * (w + 2))
    index = first + rows[:, :, None] * (w + 2) + cols[:, None, :]  # (B, H, W)
    padded = ops.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    # One flat gather: XLA compiles it, and its gradient, also inside `cond`
    # (lazy R1), where a batched `take_along_axis` gradient does not compile.
    pixels = ops.take(ops.reshape(padded, (-1, x.shape[-1])), ops.reshape(index, (-1,)), axis=0)
    return ops.reshape(pixels, (-1, h, w, x.shape[-1]))


def random_cutout(x: Tensor, seed: Seed, ratio: float = CUTOUT_RATIO) -> Tensor:
    """Zeroes one `ratio * height` by `ratio * width` rectangle per image.

    The rectangle's centre is uniform over the image (as in the reference
    implementation, parts outside the image are dropped).
    """
    # A NumPy batch times a PyTorch tensor is a TypeError: work on a tensor.
    x = ops.convert_to_tensor(x)
    h, w = _static_side(x, 1), _static_side(x, 2)
    size_h, size_w = int(h * ratio + 0.5), int(w * ratio + 0.5)
    batch = ops.shape(x)[0]
    centre_h = _randint_rows(batch, 0, h + (1 - size_h % 2), seed)
    centre_w = _randint_rows(batch, 0, w + (1 - size_w % 2), seed)
    top, left = centre_h - size_h // 2, centre_w - size_w // 2
    rows = ops.arange(h, dtype="int32")[None, :]
    cols = ops.arange(w, dtype="int32")[None, :]
    in_rows = ops.logical_and(rows >= top, rows < top + size_h)  # (B, H)
    in_cols = ops.logical_and(cols >= left, cols < left + size_w)  # (B, W)
    cut = ops.logical_and(in_rows[:, :, None], in_cols[:, None, :])  # (B, H, W)
    keep = ops.cast(ops.logical_not(cut), x.dtype)[..., None]
    return x * keep


#: The policy names and the transformations each one applies, in order.
POLICIES = {
    "color": (random_brightness, random_saturation, random_contrast),
    "translation": (random_translation,),
    "cutout": (random_cutout,),
}


def parse_policy(policy: str | Sequence[str] | bool | None) -> tuple[str, ...]:
    """Normalizes a policy: `"color,translation"` or `["color", "translation"]`
    -> `("color", "translation")`; `None` or `""` -> `()` (no augmentation)."""
    if policy is None or policy is False:
        return ()
    if isinstance(policy, str):
        names = [p.strip() for p in policy.split(",")]
    elif isinstance(policy, (list, tuple)) and all(isinstance(p, str) for p in policy):
        names = [p.strip() for p in policy]
    else:
        raise ValueError(
            "diffaugment must be a comma-separated string of policies, e.g. "
            f"'color,translation,cutout'; got {policy!r}."
        )
    names = [p for p in names if p]
    unknown = [p for p in names if p not in POLICIES]
    if unknown:
        raise ValueError(
            f"Unknown DiffAugment polic{'y' if len(unknown) == 1 else 'ies'} "
            f"{', '.join(map(repr, unknown))}; known: {', '.join(POLICIES)} "
            "(e.g. diffaugment='color,translation,cutout')."
        )
    if len(set(names)) != len(names):
        raise ValueError(f"diffaugment names a policy twice: {policy!r}.")
    return tuple(names)


def diff_augment(
    images: Tensor,
    policy: str | Sequence[str] | None = "color,translation,cutout",
    seed: Seed = None,
) -> Tensor:
    """Applies the DiffAugment `policy` to a batch of images, differentiably.

    Args:
        images: `(batch, height, width, channels)` float tensor (any range;
            kerasgan images are in [-1, 1]).
        policy: comma-separated policy names from `POLICIES`, applied in the
            order given; `None` or `""` returns `images` unchanged.
        seed: a `keras.random.SeedGenerator` (required inside compiled
            functions), an int (the same int gives the same augmentation), or
            `None` (fresh randomness).

    Returns:
        The augmented images, same shape and dtype.
    """
    names = parse_policy(policy)
    if not names:
        return images
    x = ops.convert_to_tensor(images)
    if len(x.shape) != 4:
        raise ValueError(
            f"DiffAugment takes a batch of images (batch, height, width, channels); got "
            f"shape {tuple(x.shape)}."
        )
    seed = _seed_generator(seed)
    for name in names:
        for transform in POLICIES[name]:
            x = transform(x, seed)
    return x
