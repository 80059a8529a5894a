"""LSGAN: Mao, Li, Xie, Lau, Wang & Smolley, "Least Squares Generative
Adversarial Networks", ICCV 2017, arXiv:1611.04076."""

from kerasgan.registry import register
from kerasgan.variants.dcgan import DCGAN


@register("lsgan")
class LSGAN(DCGAN):
    """Least-squares GAN on DCGAN-style networks.

    Paper defaults used here:
    - least-squares loss with the 0-1 coding (a = 0, b = 1, c = 1):
      discriminator `1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]`, generator
      `1/2 E[(D(G(z)) - 1)^2]` (`kerasgan.losses.least_squares_*`);
    - the discriminator outputs a linear value (no sigmoid);
    - Adam, learning rate 2e-4, beta_1 = 0.5; batch norm in both networks.

    Example:
        >>> gan = kerasgan.create("lsgan", image_shape=(28, 28, 1))
    """

    description = "LSGAN (Mao et al. 2017): least-squares loss on DCGAN-style nets."
    default_adversarial_loss = "least_squares"
