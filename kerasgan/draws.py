"""Random draws of a GAN step: noise, penalty interpolation factors, augmentations.

Every random number kerasgan draws while training goes through `normal`,
`uniform` and `randint` here, with the model's `keras.random.SeedGenerator`
as `seed`. Passing an `InjectedDraws` instead (as `gan.seed_generator`) makes
the draws come from NumPy in call order, so the same step computes the same
numbers on TensorFlow, JAX and PyTorch (whose random generators differ):
that is how kerasgan's cross-backend equivalence tests inject them.
"""

from __future__ import annotations

from typing import TypeAlias

import keras
import numpy as np

from kerasgan._typing import Shape, Tensor

__all__ = ["InjectedDraws", "normal", "randint", "uniform"]


class InjectedDraws:
    """Draws from a NumPy generator, in call order, with a record of each.

    Use it where a `SeedGenerator` is expected by `kerasgan.draws` (a
    GANModel's `seed_generator`, `diff_augment(..., seed=)`). Each draw is
    made when the op is traced or run, so use it with eager steps
    (`compile(run_eagerly=True)` on TensorFlow and PyTorch,
    `jit_compile=False` on JAX) when several steps must differ.

    Args:
        seed: seed of `numpy.random.default_rng`.
    """

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        #: `(kind, shape)` of every draw so far.
        self.record: list[tuple[str, tuple[int, ...]]] = []

    def _static(self, shape: Shape) -> tuple[int, ...]:
        return tuple(int(keras.ops.convert_to_numpy(d)) for d in shape)

    def normal(self, shape: Shape, dtype: str = "float32") -> Tensor:
        shape = self._static(shape)
        self.record.append(("normal", shape))
        return keras.ops.convert_to_tensor(self.rng.standard_normal(shape).astype(dtype))

    def uniform(
        self, shape: Shape, minval: float = 0.0, maxval: float = 1.0, dtype: str = "float32"
    ) -> Tensor:
        shape = self._static(shape)
        self.record.append(("uniform", shape))
        value = self.rng.uniform(minval, maxval, shape).astype(dtype)
        return keras.ops.convert_to_tensor(value)

    def randint(self, shape: Shape, minval: int, maxval: int, dtype: str = "int32") -> Tensor:
        shape = self._static(shape)
        self.record.append(("randint", shape))
        value = self.rng.integers(int(minval), int(maxval), shape).astype(dtype)
        return keras.ops.convert_to_tensor(value)


#: What `seed=` takes: a `keras.random.SeedGenerator`, an `InjectedDraws`, or as
#: in `keras.random`, an int or `None`.
Seed: TypeAlias = keras.random.SeedGenerator | InjectedDraws | int | None


def normal(shape: Shape, seed: Seed, dtype: str = "float32") -> Tensor:
    """`keras.random.normal(shape, seed=seed)`, or the next injected draw."""
    if isinstance(seed, InjectedDraws):
        return seed.normal(shape, dtype)
    return keras.random.normal(shape, dtype=dtype, seed=seed)


def uniform(
    shape: Shape, minval: float, maxval: float, seed: Seed, dtype: str = "float32"
) -> Tensor:
    """`keras.random.uniform(shape, minval, maxval, seed=seed)`, or the next injected draw."""
    if isinstance(seed, InjectedDraws):
        return seed.uniform(shape, minval, maxval, dtype)
    return keras.random.uniform(shape, minval, maxval, dtype=dtype, seed=seed)


def randint(shape: Shape, minval: int, maxval: int, seed: Seed, dtype: str = "int32") -> Tensor:
    """`keras.random.randint(shape, minval, maxval, seed=seed)`, or the next injected draw."""
    if isinstance(seed, InjectedDraws):
        return seed.randint(shape, minval, maxval, dtype)
    return keras.random.randint(shape, minval, maxval, dtype=dtype, seed=seed)
