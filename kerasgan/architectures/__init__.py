"""Builders of default generator and discriminator networks."""

from kerasgan.architectures.dcgan import (
    dcgan_discriminator,
    dcgan_generator,
    num_upsamplings,
    validate_image_shape,
)

__all__ = ["dcgan_discriminator", "dcgan_generator", "num_upsamplings", "validate_image_shape"]
