"""Builders of default generator and discriminator networks."""

from kerasgan.architectures.acgan import AuxiliaryClassifierDiscriminator, acgan_discriminator
from kerasgan.architectures.dcgan import (
    dcgan_discriminator,
    dcgan_generator,
    num_upsamplings,
    validate_image_shape,
)
from kerasgan.architectures.layers import ConditionalBatchNormalization, GlobalSumPooling2D
from kerasgan.architectures.r3gan import (
    GenerativeBasis,
    r3gan_discriminator,
    r3gan_generator,
    r3gan_widths,
)
from kerasgan.architectures.sngan import (
    cbn_dcgan_generator,
    resnet_discriminator,
    resnet_generator,
    sn_dcgan_discriminator,
    sngan_discriminator,
    sngan_generator,
)

__all__ = [
    "AuxiliaryClassifierDiscriminator",
    "ConditionalBatchNormalization",
    "GenerativeBasis",
    "GlobalSumPooling2D",
    "acgan_discriminator",
    "cbn_dcgan_generator",
    "dcgan_discriminator",
    "dcgan_generator",
    "num_upsamplings",
    "r3gan_discriminator",
    "r3gan_generator",
    "r3gan_widths",
    "resnet_discriminator",
    "resnet_generator",
    "sn_dcgan_discriminator",
    "sngan_discriminator",
    "sngan_generator",
    "validate_image_shape",
]
