"""Built-in variants; importing this package registers them."""

from kerasgan.variants.cgan import CGAN
from kerasgan.variants.dcgan import DCGAN
from kerasgan.variants.lsgan import LSGAN
from kerasgan.variants.r1gan import R1GAN
from kerasgan.variants.wgan_gp import WGANGP

__all__ = ["CGAN", "DCGAN", "LSGAN", "R1GAN", "WGANGP"]
