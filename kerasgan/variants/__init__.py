"""Built-in variants; importing this package registers them."""

from kerasgan.variants.acgan import ACGAN
from kerasgan.variants.cgan import CGAN
from kerasgan.variants.cgan_projection import CGANProjection
from kerasgan.variants.dcgan import DCGAN
from kerasgan.variants.lsgan import LSGAN
from kerasgan.variants.r1gan import R1GAN
from kerasgan.variants.r3gan import R3GAN
from kerasgan.variants.sngan import SNGAN
from kerasgan.variants.stylegan2 import StyleGAN2
from kerasgan.variants.wgan_gp import WGANGP

__all__ = [
    "ACGAN",
    "CGAN",
    "CGANProjection",
    "DCGAN",
    "LSGAN",
    "R1GAN",
    "R3GAN",
    "SNGAN",
    "StyleGAN2",
    "WGANGP",
]
