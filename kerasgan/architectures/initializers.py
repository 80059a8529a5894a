"""Weight initializers drawn with NumPy, used by kerasgan's default networks.

They give the distributions of Keras' own `RandomNormal`, `RandomUniform` and
`VarianceScaling` (so `GlorotUniform` and `HeNormal` too), drawn on the host
with NumPy instead of the backend's random-number ops. On JAX, each Keras
random initializer of a new weight shape compiles a random-number program of
its own (about a second each on a CPU), so building a network of many shapes
took tens of seconds there; these take milliseconds on every backend and give
the same values on TensorFlow, JAX and PyTorch for the same seed.

Seeds: an initializer without `seed` takes one from Python's `random` when it
is made (as Keras' do), so `keras.utils.set_random_seed` makes a model's
initial weights reproducible. Each call draws new values (a shared instance
gives each weight its own), in the order of the calls.

Example:

    >>> from kerasgan.architectures import initializers
    >>> layer = keras.layers.Dense(8, kernel_initializer=initializers.get("he_normal"))
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

#: Keras' factor that gives a normal truncated at two standard deviations
#: the standard deviation asked for.
_TRUNCATION_STD = 0.87962566103423978


class HostInitializer(keras.initializers.Initializer):
    """Base class: `sample(rng, shape)` draws float64 values with NumPy.

    Args:
        seed: an int for reproducible values; `None` takes one from Python's
            `random` (seeded by `keras.utils.set_random_seed`).
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"seed must be an int or None; got {seed!r}.")
        self._init_seed = None if seed is None else int(seed)
        self._seed: int = random.randint(1, 10**9) if seed is None else int(seed)
        self._calls = 0

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        shape = tuple(int(d) for d in shape)
        rng = np.random.default_rng([self._seed, self._calls])
        self._calls += 1
        values = np.asarray(self.sample(rng, shape), dtype="float32").reshape(shape)
        return keras.ops.convert_to_tensor(values, dtype=dtype or keras.config.floatx())

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._init_seed}


@keras.saving.register_keras_serializable("kerasgan")
class RandomNormal(HostInitializer):
    """Normal values: `initializers.RandomNormal(mean, stddev)`'s distribution."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean = float(mean)
        self.stddev = float(stddev)

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return self.mean + self.stddev * rng.standard_normal(shape)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@keras.saving.register_keras_serializable("kerasgan")
class RandomUniform(HostInitializer):
    """Uniform values in `[minval, maxval)`: `keras.initializers.RandomUniform`'s distribution."""

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval = float(minval)
        self.maxval = float(maxval)

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(self.minval, self.maxval, shape)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape, as Keras counts them: a kernel
    `(..., inputs, outputs)` has `inputs` (`outputs`) times its receptive field."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


@keras.saving.register_keras_serializable("kerasgan")
class VarianceScaling(HostInitializer):
    """`initializers.VarianceScaling(scale, mode, distribution)`'s distribution.

    Args:
        scale: the variance is `scale / n`, `n` the fan given by `mode`.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"truncated_normal"` (at two standard deviations, rescaled
            to the variance), `"untruncated_normal"` or `"uniform"`.
        seed: as for `HostInitializer`.
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"scale must be positive; got {scale!r}.")
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}; got {mode!r}.")
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {self.DISTRIBUTIONS}; got {distribution!r}."
            )
        self.scale = float(scale)
        self.mode = mode
        self.distribution = distribution

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, shape)
        values = rng.standard_normal(shape)
        if self.distribution == "untruncated_normal":
            return math.sqrt(variance) * values
        outside = np.abs(values) > 2.0
        while outside.any():  # redrawn: a normal truncated at two standard deviations
            values[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(values) > 2.0
        return math.sqrt(variance) / _TRUNCATION_STD * values

    def get_config(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            **super().get_config(),
        }


def glorot_uniform(seed: int | None = None) -> VarianceScaling:
    """Keras' default kernel initializer (`"glorot_uniform"`), drawn with NumPy."""
    return VarianceScaling(1.0, "fan_avg", "uniform", seed=seed)


def he_normal(seed: int | None = None) -> VarianceScaling:
    """`"he_normal"`: truncated normal of variance `2 / fan_in`, drawn with NumPy."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed=seed)


#: The names `get` draws with NumPy; Keras' constant ones ("zeros", "ones", ...)
#: compile nothing random and are returned as Keras makes them.
_NAMED: dict[str, Callable[[], HostInitializer]] = {
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "random_normal": RandomNormal,
    "uniform": RandomUniform,
    "random_uniform": RandomUniform,
}


def get(identifier: str | keras.initializers.Initializer) -> keras.initializers.Initializer:
    """An initializer for `identifier`: the NumPy-drawn one for the names above
    (`"glorot_uniform"`, `"he_normal"`, `"random_normal"`, `"uniform"`,
    `"random_uniform"`), else Keras' own (`keras.initializers.get`); an
    initializer object is returned as it is (a user's choice is kept)."""
    if isinstance(identifier, str) and identifier.lower() in _NAMED:
        return _NAMED[identifier.lower()]()
    return keras.initializers.get(identifier)
