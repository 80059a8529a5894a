"""R1-regularized GAN: Mescheder, Geiger & Nowozin, "Which Training Methods
for GANs do actually Converge?", ICML 2018, arXiv:1801.04406."""

from __future__ import annotations

import keras

from kerasgan import architectures
from kerasgan._typing import Shape
from kerasgan.gan_model import GANModel
from kerasgan.registry import register


@register("r1gan")
class R1GAN(GANModel):
    """Non-saturating GAN with the R1 gradient penalty on real data.

    Defaults:
    - non-saturating loss plus `gamma / 2 * E[||grad D(x)||^2]` on real images
      only, `gamma = 10` (the value of the paper's main experiments);
    - no batch normalization in the discriminator (the penalty is per
      sample);
    - `r1_interval=1`: the penalty at every discriminator update. Lazy
      regularization (Karras et al. 2020, "Analyzing and Improving the Image
      Quality of StyleGAN") computes it every `r1_interval` updates, scaled by
      the interval: `kerasgan.create("r1gan", ..., r1_interval=16)`;
    - Adam, learning rate 2e-4, beta_1 = 0.5 (DCGAN's settings for the
      DCGAN-style networks used here).

    Example:
        >>> gan = kerasgan.create("r1gan", image_shape=(28, 28, 1), r1_interval=4)
    """

    description = "R1 GAN (Mescheder et al. 2018): non-saturating loss + R1 penalty, gamma 10."
    default_adversarial_loss = "non_saturating"
    default_r1_weight = 10.0

    @classmethod
    def build_discriminator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls, image_shape: Shape, num_classes: int | None = None, base_filters: int = 64
    ) -> keras.Model:
        return architectures.dcgan_discriminator(
            image_shape, num_classes, base_filters=base_filters, batch_norm=False
        )
