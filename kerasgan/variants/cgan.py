"""Conditional GAN: Mirza & Osindero, "Conditional Generative Adversarial
Nets", arXiv:1411.1784 (2014)."""

from kerasgan.registry import register
from kerasgan.variants.dcgan import DCGAN


@register("cgan")
class CGAN(DCGAN):
    """Class-conditional GAN: both networks see the class label.

    As in the paper, the label `y` is an extra input of both networks: the
    generator models `G(z | y)`, the discriminator `D(x | y)`, and the
    non-saturating loss is unchanged. Here `y` is embedded with a learned
    `Embedding` (50-d for the generator, concatenated to `z`; for the
    discriminator a `num_classes`-d code initialised one-hot, tiled to
    `H x W` and concatenated to the image channels). The paper used
    MLPs with SGD; kerasgan uses the DCGAN-style conv nets and DCGAN's Adam
    (2e-4, beta_1 = 0.5), a common modern choice for convolutional cGANs: it
    is DCGAN (its networks and defaults, inherited) with the label added.

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
