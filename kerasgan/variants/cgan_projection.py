"""cGAN with a projection discriminator: Miyato & Koyama, "cGANs with
Projection Discriminator", ICLR 2018, arXiv:1802.05637."""

from kerasgan.registry import register
from kerasgan.variants.sngan import SNGAN


@register("cgan_projection")
class CGANProjection(SNGAN):
    """Class-conditional SNGAN whose discriminator projects the label.

    Instead of concatenating the label to the input, the discriminator
    computes features `phi(x)` and outputs
    `D(x, y) = psi(phi(x)) + <embed(y), phi(x)>` (eq. 3 of the paper): a
    linear unconditional term plus the inner product of a learned class
    embedding with the features. The generator's batch normalizations are
    conditional (a learned scale `gamma[y]` and offset `beta[y]` per class,
    initialised to 1 and 0).

    Defaults (those of `sngan`, with the label added):
    - hinge loss, spectral normalization on every discriminator layer
      (the class embedding included), no batch norm in the discriminator;
    - `architecture="dcgan"`: SNGAN's standard-CNN discriminator with the
      projection head on its flattened features and kerasgan's DCGAN
      generator with conditional batch norm; `d_steps=1`, Adam(2e-4, 0.5,
      0.999);
    - `architecture="resnet"`: the paper's CIFAR-10 ResNets (projection on the
      globally sum-pooled features, conditional batch norm in every generator
      block), `d_steps=5`, Adam(2e-4, 0, 0.9), the settings of the authors'
      CIFAR-10 configuration;
    - the label of each generated image in a training step is the label of
      the corresponding real image (the authors draw it uniformly), so
      classes are generated as often as they occur in the data.

    Requires `num_classes`; train with `fit(images, labels)`.

    The class reaches the generator only through the per-class BN scales and
    offsets, which Adam moves by at most about one learning rate per step: with
    lr 2e-4 the samples separate by class slowly in the first thousand steps.
    A larger generator learning rate speeds this up, at the usual risk for GAN
    stability (measured on Fashion-MNIST: docs/performance.md).

    Example:
        >>> gan = kerasgan.create("cgan_projection", image_shape=(28, 28, 1), num_classes=10)
        >>> gan.compile(jit_compile=True)
        >>> bags = gan.generate(16, labels=8, seed=0)
    """

    description = "Projection cGAN (Miyato & Koyama 2018): projection D with SN, conditional BN G."
    conditional = True
