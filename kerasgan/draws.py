"""Random draws of a GAN step: noise, penalty interpolation factors, augmentations.

Every random number kerasgan draws while training goes through `normal`,
`uniform` and `randint` here, with the model's `keras.random.SeedGenerator`
as `seed`. Passing an `InjectedDraws` instead (as `gan.seed_generator`) makes
the draws come from NumPy in call order, so the same step computes the same
numbers on TensorFlow, JAX and PyTorch (whose random generators differ):
that is how kerasgan's cross-backend equivalence tests inject them.
"""

from __future__ import annotations

import keras
import numpy as np

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

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        #: `(kind, shape)` of every draw so far.
        self.record: list[tuple[str, tuple]] = []

    def _static(self, shape):
        shape = tuple(int(keras.ops.convert_to_numpy(d)) for d in shape)
        return shape

    def normal(self, shape, dtype="float32"):
        shape = self._static(shape)
        self.record.append(("normal", shape))
        return keras.ops.convert_to_tensor(self.rng.standard_normal(shape).astype(dtype))

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype="float32"):
        shape = self._static(shape)
        self.record.append(("uniform", shape))
        value = self.rng.uniform(minval, maxval, shape).astype(dtype)
        return keras.ops.convert_to_tensor(value)

    def randint(self, shape, minval, maxval, dtype="int32"):
        shape = self._static(shape)
        self.record.append(("randint", shape))
        value = self.rng.integers(int(minval), int(maxval), shape).astype(dtype)
        return keras.ops.convert_to_tensor(value)


def normal(shape, seed, dtype="float32"):
    """`keras.random.normal(shape, seed=seed)`, or the next injected draw."""
    if isinstance(seed, InjectedDraws):
        return seed.normal(shape, dtype)
    return keras.random.normal(shape, dtype=dtype, seed=seed)


def uniform(shape, minval, maxval, seed, dtype="float32"):
    """`keras.random.uniform(shape, minval, maxval, seed=seed)`, or the next injected draw."""
    if isinstance(seed, InjectedDraws):
        return seed.uniform(shape, minval, maxval, dtype)
    return keras.random.uniform(shape, minval, maxval, dtype=dtype, seed=seed)


def randint(shape, minval, maxval, seed, dtype="int32"):
    """`keras.random.randint(shape, minval, maxval, seed=seed)`, or the next injected draw."""
    if isinstance(seed, InjectedDraws):
        return seed.randint(shape, minval, maxval, dtype)
    return keras.random.randint(shape, minval, maxval, dtype=dtype, seed=seed)
