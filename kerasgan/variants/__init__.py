"""Built-in variants; importing this package registers them."""

from kerasgan.variants.cgan import CGAN
from kerasgan.variants.dcgan import DCGAN
from kerasgan.variants.wgan_gp import WGANGP

__all__ = ["CGAN", "DCGAN", "WGANGP"]
