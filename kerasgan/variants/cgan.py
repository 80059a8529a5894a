"""Conditional GAN: Mirza & Osindero, "Conditional Generative Adversarial
Nets", arXiv:1411.1784 (2014)."""

import keras

from kerasgan import architectures
from kerasgan.gan_model import GANModel
from kerasgan.registry import register


@register("cgan")
class CGAN(GANModel):
    """Class-conditional GAN: both networks see the class label.

    As in the paper, the label `y` is an extra input of both networks: the
    generator models `G(z | y)`, the discriminator `D(x | y)`, and the
    non-saturating loss is unchanged. Here `y` is embedded with a learned
    `Embedding` (50-d for the generator, concatenated to `z`; for the
    discriminator a `num_classes`-d code initialised one-hot, tiled to
    `H x W` and concatenated to the image channels). The paper used
    MLPs with SGD; kerasgan uses the DCGAN-style conv nets and DCGAN's Adam
    (2e-4, beta_1 = 0.5), a common modern choice for convolutional cGANs.

    Requires `num_classes`; train with `fit(images, labels)` or a dataset of
    `(images, labels)`. `generate(n, labels=...)` returns samples of the
    requested classes.

    Example:
        >>> gan = kerasgan.create("cgan", image_shape=(28, 28, 1), num_classes=10)
        >>> gan.compile(jit_compile=True)
        >>> sneakers = gan.generate(16, labels=7, seed=0)
    """

    description = "Conditional GAN (Mirza & Osindero 2014): label embedded into G and D."
    conditional = True
    default_adversarial_loss = "non_saturating"
    default_optimizer = {"learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999}

    @classmethod
    def build_generator(cls, image_shape, latent_dim, num_classes=None, base_filters=64):
        return architectures.dcgan_generator(
            image_shape,
            latent_dim,
            num_classes,
            base_filters=base_filters,
            kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        )

    @classmethod
    def build_discriminator(cls, image_shape, num_classes=None, base_filters=64):
        return architectures.dcgan_discriminator(
            image_shape,
            num_classes,
            base_filters=base_filters,
            batch_norm=True,
            kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        )
