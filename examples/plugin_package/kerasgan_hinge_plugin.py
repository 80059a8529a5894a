"""An example third-party kerasgan variant, found through the
`kerasgan.variants` entry point once this package is installed:

    pip install ./examples/plugin_package
    kerasgan variants          # lists hinge_r1
"""

import kerasgan


@kerasgan.register("hinge_r1")
class HingeR1GAN(kerasgan.GANModel):
    """Hinge loss (Lim & Ye 2017) with an R1 penalty on real data (Mescheder et al. 2018)."""

    description = "Example plugin: hinge loss with R1 penalty (gamma=1), DCGAN-style nets."
    default_adversarial_loss = "hinge"
    default_r1_weight = 1.0

    @classmethod
    def build_discriminator(cls, image_shape, num_classes=None, base_filters=64):
        # R1 is a per-sample penalty: no batch norm in the discriminator.
        return kerasgan.architectures.dcgan_discriminator(
            image_shape, num_classes, base_filters=base_filters, batch_norm=False
        )
