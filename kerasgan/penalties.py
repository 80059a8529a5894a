"""Regularization terms of the discriminator objective, as objects.

A `GANModel` holds a list of penalties (`gan.penalties`) and adds them to the
discriminator loss in one loop. Each penalty has a `name` (its unweighted
value is logged under it), a `weight`, and an optional lazy `interval`
(Karras et al. 2020: computed every `interval`-th discriminator update and
weighted by `interval`, so its average contribution is unchanged).

Built in:
- `GradientPenalty(weight)`: WGAN-GP's `weight * E[(||grad D(x_hat)|| - 1)^2]`.
- `R1Penalty(gamma, interval)`: `gamma / 2 * E[||grad D(x)||^2]` on real data.
- `R2Penalty(gamma, interval)`: the same on generated data.

Write your own by subclassing `Penalty` and implementing `value(...)` with
`keras.ops` and `kerasgan.backend.input_gradients`: it then runs on every
backend (second-order gradients included). A variant adds it in its
`build_penalties` (return `super().build_penalties() + [MyPenalty(1.0)]`).

Example:
    >>> gan = kerasgan.create("r1gan", image_shape=(28, 28, 1))
    >>> gan.penalties
    [R1Penalty(weight=10.0, interval=1)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from keras import ops

from kerasgan import backend, regularizers
from kerasgan._typing import Tensor

__all__ = ["GradientPenalty", "Penalty", "R1Penalty", "R2Penalty"]


def _check_interval(interval: Any) -> int:
    if isinstance(interval, bool) or not isinstance(interval, (int, np.integer)) or interval < 1:
        raise ValueError(f"A lazy penalty's interval must be an integer >= 1; got {interval!r}.")
    return int(interval)


class Penalty:
    """One weighted regularization term of the discriminator loss.

    Subclasses set `name` and implement `value`. `scale` multiplies the
    weight (1/2 for the R1/R2 convention `gamma / 2 * E||grad||^2`).

    Args:
        weight: multiplier of the unweighted value (must be > 0).
        interval: compute every `interval`-th discriminator update while
            training, weighted by `interval` (lazy regularization); 1 = every
            update.
    """

    name = "penalty"
    scale = 1.0

    def __init__(self, weight: float, interval: int = 1) -> None:
        weight = float(weight)
        if not weight > 0:
            raise ValueError(f"The {self.name} weight must be > 0; got {weight}.")
        self.weight = weight
        self.interval = _check_interval(interval)

    def value(
        self, model: keras.Model, real: Tensor, fake: Tensor, labels: Tensor | None, training: bool
    ) -> Tensor:
        """The unweighted penalty, a float32 scalar."""
        raise NotImplementedError

    def __call__(
        self,
        model: keras.Model,
        real: Tensor,
        fake: Tensor,
        labels: Tensor | None = None,
        training: bool = True,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """`(weighted loss, logs)`; logs hold `name` and `name + "_due"` (1.0
        where the penalty was computed this update, else 0.0)."""
        lazy = training and self.interval > 1
        if lazy:
            due = ops.equal(ops.mod(model.d_optimizer.iterations, self.interval), 0)
            value = backend.cond(
                due,
                lambda: ops.cast(self.value(model, real, fake, labels, training), "float32"),
                lambda: ops.zeros((), "float32"),
            )
            due = ops.cast(due, "float32")
        else:
            value = ops.cast(self.value(model, real, fake, labels, training), "float32")
            due = ops.ones((), "float32")
        weight = self.scale * self.weight * (self.interval if lazy else 1)
        return weight * value, {self.name: value, f"{self.name}_due": due}

    def get_config(self) -> dict[str, Any]:
        return {"weight": self.weight, "interval": self.interval}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _critic(
    model: keras.Model, labels: Tensor | None, training: bool
) -> Callable[[Tensor], Tensor]:
    return lambda x: model._discriminate(x, labels, training=training)


class GradientPenalty(Penalty):
    """WGAN-GP (Gulrajani et al. 2017): `weight * E[(||grad D(x_hat)||_2 - 1)^2]`
    at `x_hat = x + alpha (G(z) - x)`, `alpha ~ U[0, 1]` per sample (drawn
    from the model's seed generator)."""

    name = "gp"

    def value(
        self, model: keras.Model, real: Tensor, fake: Tensor, labels: Tensor | None, training: bool
    ) -> Tensor:
        return regularizers.gradient_penalty(
            _critic(model, labels, training), real, fake, seed=model.seed_generator
        )


class R1Penalty(Penalty):
    """R1 (Mescheder et al. 2018): `gamma / 2 * E[||grad D(x)||^2]` on real images."""

    name = "r1"
    scale = 0.5

    def value(
        self, model: keras.Model, real: Tensor, fake: Tensor, labels: Tensor | None, training: bool
    ) -> Tensor:
        return regularizers.r1_penalty(_critic(model, labels, training), real)


class R2Penalty(Penalty):
    """R2 (Mescheder et al. 2018): `gamma / 2 * E[||grad D(G(z))||^2]` on generated images."""

    name = "r2"
    scale = 0.5

    def value(
        self, model: keras.Model, real: Tensor, fake: Tensor, labels: Tensor | None, training: bool
    ) -> Tensor:
        return regularizers.r2_penalty(_critic(model, labels, training), fake)


def loss_tracker(name: str) -> keras.metrics.Mean:
    """A `keras.metrics.Mean` for a loss, marked as one to minimize (what
    `EarlyStopping`/`ModelCheckpoint(mode="auto")` read)."""
    tracker = keras.metrics.Mean(name=name)
    tracker._direction = "down"
    return tracker


class LastValue(keras.metrics.Metric):
    """A metric whose result is the last value given (a state, such as
    ADA's probability, rather than an average)."""

    def __init__(self, name: str, dtype: str = "float32") -> None:
        super().__init__(name=name, dtype=dtype)
        self.value = self.add_variable(shape=(), initializer="zeros", name="value", dtype=dtype)

    def update_state(self, value: Tensor, sample_weight: Tensor | None = None) -> None:
        self.value.assign(ops.cast(ops.reshape(value, ()), self.dtype))

    def result(self) -> Tensor:
        return ops.convert_to_tensor(self.value)

    def reset_state(self) -> None:
        self.value.assign(ops.zeros((), self.dtype))
