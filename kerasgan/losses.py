"""Adversarial losses as pure `keras.ops` functions, in pairs.

Every pair is `<name>_discriminator_loss(real_logits, fake_logits)` and
`<name>_generator_loss(fake_logits)` (relativistic losses, marked
`needs_real_logits`: `<name>_generator_loss(fake_logits, real_logits)`).
Logits may have any shape (one per sample, or a patch map); each function
reduces to a scalar mean. All
computation happens in float32 so that mixed-precision models stay stable.

Look a pair up by name with `kerasgan.losses.get("hinge")`.
"""

from __future__ import annotations

from collections.abc import Callable

from keras import ops

from kerasgan._typing import Tensor

__all__ = [
    "ALL_LOSSES",
    "class_cross_entropy",
    "get",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "non_saturating_discriminator_loss",
    "non_saturating_generator_loss",
    "relativistic_discriminator_loss",
    "relativistic_generator_loss",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]


def _f32(x: Tensor) -> Tensor:
    return ops.cast(x, "float32")


def non_saturating_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Binary cross-entropy: `-log D(x) - log(1 - D(G(z)))` (Goodfellow et al. 2014).

    With `D = sigmoid(logits)`, `-log D = softplus(-l)` and
    `-log(1 - D) = softplus(l)`.
    """
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    """`-log D(G(z))`: the heuristic generator loss of Goodfellow et al. 2014."""
    return ops.mean(ops.softplus(-_f32(fake_logits)))


def minimax_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The discriminator side of the minimax game (same as non-saturating)."""
    return non_saturating_discriminator_loss(real_logits, fake_logits)


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    """`log(1 - D(G(z)))`, the saturating loss of the original minimax game."""
    return ops.mean(-ops.softplus(_f32(fake_logits)))


def wasserstein_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Critic loss `E[D(G(z))] - E[D(x)]` (Arjovsky et al. 2017)."""
    return ops.mean(_f32(fake_logits)) - ops.mean(_f32(real_logits))


def wasserstein_generator_loss(fake_logits: Tensor) -> Tensor:
    """Generator loss `-E[D(G(z))]` (Arjovsky et al. 2017)."""
    return -ops.mean(_f32(fake_logits))


def hinge_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """`E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]` (Lim & Ye 2017; Miyato et al. 2018)."""
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def hinge_generator_loss(fake_logits: Tensor) -> Tensor:
    """`-E[D(G(z))]`, the generator side of the hinge loss."""
    return -ops.mean(_f32(fake_logits))


def least_squares_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """`1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]` (Mao et al. 2017, a=0, b=1)."""
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return 0.5 * ops.mean(ops.square(real_logits - 1.0)) + 0.5 * ops.mean(ops.square(fake_logits))


def least_squares_generator_loss(fake_logits: Tensor) -> Tensor:
    """`1/2 E[(D(G(z)) - 1)^2]` (Mao et al. 2017, c=1)."""
    return 0.5 * ops.mean(ops.square(_f32(fake_logits) - 1.0))


def relativistic_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """RpGAN's `E[softplus(D(G(z_i)) - D(x_i))]` over the batch's (real, fake)
    pairs: the relativistic pairing loss (Jolicoeur-Martineau 2019, "The
    relativistic discriminator"; with R1 and R2 the loss of R3GAN, Huang et
    al. 2024). Both logit tensors have one value per sample, paired by row.
    """
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return ops.mean(ops.softplus(fake_logits - real_logits))


def relativistic_generator_loss(fake_logits: Tensor, real_logits: Tensor) -> Tensor:
    """RpGAN's generator side, `E[softplus(D(x_i) - D(G(z_i)))]`: it needs the
    real images' logits too (`needs_real_logits`), which `GANModel` passes."""
    real_logits, fake_logits = _f32(real_logits), _f32(fake_logits)
    return ops.mean(ops.softplus(real_logits - fake_logits))


#: Generator losses with this attribute are called as `g(fake_logits, real_logits)`.
relativistic_generator_loss.__dict__["needs_real_logits"] = True


def class_cross_entropy(class_logits: Tensor, labels: Tensor) -> Tensor:
    """Mean `-log softmax(class_logits)[label]`: the auxiliary classifier loss of
    AC-GAN (Odena et al. 2017), `-E[log P(C = c | X)]`.

    Args:
        class_logits: `(batch, num_classes)` unnormalized class scores.
        labels: integer class ids, shape `(batch,)` or `(batch, 1)`.
    """
    log_probs = ops.log_softmax(_f32(class_logits), axis=-1)
    labels = ops.reshape(ops.cast(labels, "int32"), (-1, 1))
    return -ops.mean(ops.take_along_axis(log_probs, labels, axis=-1))


#: A `(discriminator_loss, generator_loss)` pair.
LossPair = tuple[Callable[[Tensor, Tensor], Tensor], Callable[..., Tensor]]

ALL_LOSSES: dict[str, LossPair] = {
    "non_saturating": (non_saturating_discriminator_loss, non_saturating_generator_loss),
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "wasserstein": (wasserstein_discriminator_loss, wasserstein_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "relativistic": (relativistic_discriminator_loss, relativistic_generator_loss),
}


def get(name: str) -> LossPair:
    """Returns the `(discriminator_loss, generator_loss)` pair registered as `name`."""
    if name not in ALL_LOSSES:
        raise ValueError(
            f"Unknown GAN loss {name!r}. Known losses: {', '.join(sorted(ALL_LOSSES))}."
        )
    return ALL_LOSSES[name]
