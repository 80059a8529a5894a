"""AC-GAN: Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary
Classifier GANs", ICML 2017, arXiv:1610.09585."""

from __future__ import annotations

from typing import Any

import keras

from kerasgan import architectures, conditioning
from kerasgan._typing import Shape
from kerasgan.architectures.acgan import AuxiliaryClassifierDiscriminator
from kerasgan.registry import register
from kerasgan.variants.dcgan import DCGAN


@register("acgan")
class ACGAN(DCGAN):
    """Class-conditional GAN whose discriminator also classifies.

    The generator gets the class `c` with the noise; the discriminator does
    not see the class but predicts it: it has a source head, `P(S | X)`, and
    an auxiliary `num_classes`-way classifier head, `P(C | X)`. With
    `L_S` the adversarial loss and `L_C = -E[log P(C = c | X)]` the class
    cross-entropy:

    - discriminator loss: `L_S(D) + w * (L_C(real) + L_C(fake))`, i.e. it
      learns to tell real from fake and to classify real and generated images;
    - generator loss: `L_S(G) + w * L_C(fake)` with the requested labels;

    `w = class_loss_weight` (1 in the paper). `L_S` is the non-saturating loss
    (the paper's log-likelihood objective with the usual non-saturating
    generator loss). The class cross-entropy of the discriminator update is
    logged as `cls_loss`.

    Defaults: kerasgan's DCGAN networks (conditional generator with a label
    embedding concatenated to `z`; discriminator with batch norm, LeakyReLU
    0.2 and two heads, `AuxiliaryClassifierDiscriminator`), N(0, 0.02)
    initialisation, one discriminator update per generator update, Adam(lr
    2e-4, beta_1 0.5, beta_2 0.999) as in the paper's appendix. The paper's
    CIFAR-10 discriminator also uses dropout 0.5, which the default network
    leaves out. Generated images in a training step take the labels of the
    real batch (the paper samples `c ~ p_c`, the class distribution).

    Your own discriminator: a `keras.Model` from `[images, labels]` to
    `[source_logit (B, 1), class_logits (B, num_classes)]`; it is wrapped in
    `AuxiliaryClassifierDiscriminator` (calling it gives the source logit).

    Args:
        class_loss_weight: `w`, the weight of the class cross-entropy.
        **kwargs: the `GANModel` arguments.

    Example:
        >>> gan = kerasgan.create("acgan", image_shape=(28, 28, 1), num_classes=10)
        >>> gan.compile(jit_compile=True)
        >>> gan.fit(images, labels, batch_size=128, epochs=5)   # logs d_loss, g_loss, cls_loss
        >>> sneakers = gan.generate(16, labels=7, seed=0)
    """

    description = "AC-GAN (Odena et al. 2017): D predicts real/fake and the class."
    conditional = True

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        class_loss_weight: float = 1.0,
        **kwargs: Any,
    ) -> None:
        if not isinstance(discriminator, AuxiliaryClassifierDiscriminator) and isinstance(
            discriminator, keras.Model
        ):
            discriminator = AuxiliaryClassifierDiscriminator(discriminator, name=discriminator.name)
        self.class_loss_weight = float(class_loss_weight)
        super().__init__(generator, discriminator, **kwargs)
        if self.discriminator.num_classes != self.num_classes:
            raise ValueError(
                f"The discriminator's class head has {self.discriminator.num_classes} outputs "
                f"but num_classes={self.num_classes}."
            )

    def build_conditioning(self) -> conditioning.AuxiliaryClassifier:
        """Labels into `G`; `D` classifies: `AuxiliaryClassifier` adds the class
        cross-entropy to both objectives (logged as `cls_loss`)."""
        assert self.num_classes is not None  # conditional: GANModel.__init__ requires it
        return conditioning.AuxiliaryClassifier(self.num_classes, self.class_loss_weight)

    @classmethod
    def build_discriminator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls, image_shape: Shape, num_classes: int | None = None, base_filters: int = 64
    ) -> AuxiliaryClassifierDiscriminator:
        if num_classes is None:
            raise ValueError("The 'acgan' variant is class-conditional: pass num_classes=...")
        return architectures.acgan_discriminator(
            image_shape,
            num_classes,
            base_filters=base_filters,
            batch_norm=True,
            kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["class_loss_weight"] = self.class_loss_weight
        return config
