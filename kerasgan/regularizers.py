"""Discriminator regularizers as pure functions of a discriminator callable.

Each function takes `discriminator`, any callable mapping a batch of images to
logits (a `keras.Model`, or a plain function in tests), and returns an
unweighted scalar penalty in float32. The model multiplies by its weight.
"""

from __future__ import annotations

from collections.abc import Callable

from keras import ops

from kerasgan import draws
from kerasgan._typing import Tensor
from kerasgan.backend import input_gradients, replica_rows
from kerasgan.draws import Seed

__all__ = ["gradient_penalty", "r1_penalty", "r2_penalty"]

#: Added under the square root of the gradient norm: a zero gradient would
#: otherwise give an infinite derivative (NaN) for sqrt at 0.
NORM_EPSILON = 1e-12


def _per_sample_sq_norm(grads: Tensor) -> Tensor:
    grads = ops.cast(grads, "float32")
    axes = tuple(range(1, len(grads.shape)))
    return ops.sum(ops.square(grads), axis=axes)


def gradient_penalty(
    discriminator: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    *,
    alpha: Tensor | None = None,
    seed: Seed = None,
    target: float = 1.0,
) -> Tensor:
    """Two-sided gradient penalty of WGAN-GP (Gulrajani et al. 2017, Algorithm 1).

    `x_hat = real + alpha * (fake - real)` with `alpha ~ U[0, 1]` drawn once per
    sample and broadcast over the image axes; the penalty is
    `E[(||grad D(x_hat)||_2 - target)^2]`.

    Args:
        discriminator: callable `images -> logits` (labels already bound for a
            conditional critic).
        real: real images, shape `(B, ...)`.
        fake: generated images, same shape.
        alpha: optional interpolation factors of shape `(B,)`; drawn uniformly
            in [0, 1] when omitted.
        seed: seed or `keras.random.SeedGenerator` for drawing `alpha`.
        target: the target norm (1 in the paper).
    """
    real = ops.cast(real, "float32")
    fake = ops.cast(fake, "float32")
    batch = ops.shape(real)[0]
    if alpha is None:
        alpha = replica_rows(lambda n: draws.uniform((n,), 0.0, 1.0, seed=seed), batch)
    alpha = ops.reshape(ops.cast(alpha, "float32"), (-1,) + (1,) * (len(real.shape) - 1))
    x_hat = real + alpha * (fake - real)
    grads = input_gradients(discriminator, x_hat)
    norm = ops.sqrt(_per_sample_sq_norm(grads) + NORM_EPSILON)
    return ops.mean(ops.square(norm - target))


def r1_penalty(discriminator: Callable[[Tensor], Tensor], real: Tensor) -> Tensor:
    """R1 penalty `E[||grad D(x)||^2]` on real data (Mescheder et al. 2018).

    The paper's regularizer is `gamma / 2` times this value.
    """
    real = ops.cast(real, "float32")
    grads = input_gradients(discriminator, real)
    return ops.mean(_per_sample_sq_norm(grads))


def r2_penalty(discriminator: Callable[[Tensor], Tensor], fake: Tensor) -> Tensor:
    """R2 penalty `E[||grad D(G(z))||^2]` on generated data (Mescheder et al.
    2018; with R1, the regularizer of R3GAN, Huang et al. 2024).

    The regularizer is `gamma / 2` times this value.
    """
    fake = ops.cast(fake, "float32")
    grads = input_gradients(discriminator, fake)
    return ops.mean(_per_sample_sq_norm(grads))
