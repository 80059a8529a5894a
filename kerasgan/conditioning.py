"""How class labels enter a GAN, as one object per model (`gan.conditioning`).

- `Unconditional`: no labels; both networks take one input.
- `LabelInput`: the label is an input of both networks, `G([z, y])` and
  `D([x, y])` (cGAN; a projection discriminator, `Projection`, is wired the
  same way and uses the label inside `D`).
- `AuxiliaryClassifier`: `G([z, y])`; `D([x, y])` returns a real/fake logit and
  class logits, and both objectives gain a class cross-entropy term
  (AC-GAN, Odena et al. 2017).

The model asks its conditioning object for the networks' inputs and for the
extra loss terms; variants choose one instead of branching on
`num_classes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras import ops

from kerasgan import losses
from kerasgan._typing import Tensor

__all__ = ["AuxiliaryClassifier", "Conditioning", "LabelInput", "Projection", "Unconditional"]


class Conditioning:
    """Base class: how labels reach the networks and the losses."""

    #: Whether the model takes labels.
    conditional = False
    #: Names of the extra logged loss terms (`discriminator_terms` logs).
    log_names: tuple[str, ...] = ()

    def __init__(self, num_classes: int | None = None) -> None:
        self.num_classes = num_classes

    @property
    def network_inputs(self) -> int:
        """Inputs of each network: 2 (`[x, labels]`) when conditional, else 1."""
        return 2 if self.conditional else 1

    def inputs(self, x: Tensor, labels: Tensor | None) -> Tensor | list[Tensor]:
        """The network input for `x` (noise or images) and `labels`."""
        return [x, labels] if self.conditional else x

    def discriminate(
        self,
        discriminator: Callable[..., Any],
        images: Tensor,
        labels: Tensor | None,
        training: bool,
        **kwargs: Any,
    ) -> tuple[Tensor, Tensor | None]:
        """`(logits, extra)`: the discriminator's real/fake logits and what
        `discriminator_terms` / `generator_terms` need (None here)."""
        return discriminator(self.inputs(images, labels), training=training, **kwargs), None

    def discriminator_terms(
        self, real_extra: Tensor | None, fake_extra: Tensor | None, labels: Tensor | None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Extra discriminator loss and its logs."""
        return ops.zeros((), "float32"), {}

    def generator_terms(
        self, fake_extra: Tensor | None, labels: Tensor | None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Extra generator loss and its logs."""
        return ops.zeros((), "float32"), {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_classes={self.num_classes})"


class Unconditional(Conditioning):
    """No labels."""


class LabelInput(Conditioning):
    """The label is an input of both networks."""

    conditional = True


class Projection(LabelInput):
    """A projection discriminator (Miyato & Koyama 2018): wired like
    `LabelInput`; the label enters `D` as an inner product with its features."""


class AuxiliaryClassifier(Conditioning):
    """AC-GAN: `D` also classifies; both objectives add `weight * CE`.

    Discriminator: `+ weight * (CE(real) + CE(fake))`, logged as `cls_loss`
    (the unweighted sum); generator: `+ weight * CE(fake)` with the requested
    labels. The discriminator is called with `return_class_logits=True` and
    returns `(logits, class_logits)`.
    """

    conditional = True
    log_names = ("cls_loss",)

    def __init__(self, num_classes: int, weight: float = 1.0) -> None:
        super().__init__(num_classes)
        self.weight = float(weight)
        if self.weight < 0:
            raise ValueError(f"class_loss_weight must be >= 0; got {weight}.")

    def discriminate(
        self,
        discriminator: Callable[..., Any],
        images: Tensor,
        labels: Tensor | None,
        training: bool,
        **kwargs: Any,
    ) -> tuple[Tensor, Tensor | None]:
        return discriminator(
            self.inputs(images, labels), training=training, return_class_logits=True, **kwargs
        )

    def discriminator_terms(
        self, real_extra: Tensor | None, fake_extra: Tensor | None, labels: Tensor | None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        cls_loss = losses.class_cross_entropy(real_extra, labels) + losses.class_cross_entropy(
            fake_extra, labels
        )
        return self.weight * cls_loss, {"cls_loss": cls_loss}

    def generator_terms(
        self, fake_extra: Tensor | None, labels: Tensor | None
    ) -> tuple[Tensor, dict[str, Tensor]]:
        return self.weight * losses.class_cross_entropy(fake_extra, labels), {}
