"""SNGAN: Miyato, Kataoka, Koyama & Yoshida, "Spectral Normalization for
Generative Adversarial Networks", ICLR 2018, arXiv:1802.05957."""

from __future__ import annotations

from typing import Any

import keras

from kerasgan._typing import Shape
from kerasgan.architectures import sngan as sngan_networks
from kerasgan.gan_model import GANModel
from kerasgan.registry import register

#: Paper settings per architecture: `(d_steps, Adam kwargs)`.
ARCHITECTURE_DEFAULTS = {
    # Setting C of the paper's Table 1 (DCGAN's Adam settings, one update).
    "dcgan": (1, {"learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999}),
    # The CIFAR-10 ResNet setting of the authors' code (pfnet-research/sngan_projection).
    "resnet": (5, {"learning_rate": 2e-4, "beta_1": 0.0, "beta_2": 0.9}),
}


@register("sngan")
class SNGAN(GANModel):
    """GAN with a spectrally normalized discriminator and the hinge loss.

    Spectral normalization divides every weight matrix of the discriminator
    (convolution kernels reshaped to `(-1, out_channels)`) by its largest
    singular value, estimated with one power iteration per training call, so
    that each layer is 1-Lipschitz. Here every `Conv2D` and `Dense` of the
    discriminator is wrapped in `keras.layers.SpectralNormalization`, and the
    discriminator has no batch normalization.

    Defaults:
    - hinge loss: discriminator `E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]`,
      generator `-E[D(G(z))]`, as in the authors' released configurations
      (the paper also trains SN-GANs with the non-saturating loss:
      `adversarial_loss="non_saturating"`);
    - `architecture="dcgan"`: the paper's "standard CNN" discriminator (3x3
      stride-1 and 4x4 stride-2 convolutions, LeakyReLU 0.1; Table 3) and
      kerasgan's DCGAN generator (batch norm, ReLU). `d_steps=1` and Adam(lr
      2e-4, beta_1 0.5, beta_2 0.999): DCGAN's setting, setting C of Table 1,
      one of the six optimizer settings on which the paper compares SN-GANs
      (it finds them robust across those settings). The paper's standard-CNN
      discriminator is kept; its generator ends in a 3x3 convolution where
      kerasgan's ends in a stride-2 transposed convolution;
    - `architecture="resnet"`: the CIFAR-10 ResNets (upsampling generator
      blocks, average-pool downsampling discriminator blocks, global sum
      pooling), `d_steps=5` and Adam(lr 2e-4, beta_1 0, beta_2 0.9), the
      settings of the authors' ResNet code. The paper's widths are 256
      (generator) and 128 (discriminator) filters; kerasgan's defaults are
      `2 * base_filters` and `base_filters` with `base_filters=64`, half the
      paper's; pass `base_filters=128` for the paper's;
    - Gaussian noise of size 128, as in the paper.

    `architecture` picks the default networks (with your own networks it
    still picks the `d_steps` and optimizer defaults); `d_steps` and the
    optimizers passed to `compile` override them. Keras' spectral
    normalization rescales the kernel in place at each training call (see
    `kerasgan.architectures.sngan`).

    Args:
        architecture: `"dcgan"` (default) or `"resnet"`.
        **kwargs: the `GANModel` arguments.

    Example:
        >>> gan = kerasgan.create("sngan", image_shape=(32, 32, 3))
        >>> gan = kerasgan.create("sngan", image_shape=(32, 32, 3), architecture="resnet")
        >>> gan.compile(jit_compile=True)   # Adam(2e-4, 0, 0.9), d_steps=5
    """

    description = "SNGAN (Miyato et al. 2018): spectral norm in D, hinge loss, DCGAN or ResNet."
    default_adversarial_loss = "hinge"
    default_optimizer = ARCHITECTURE_DEFAULTS["dcgan"][1]

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        architecture: str = "dcgan",
        d_steps: int | None = None,
        **kwargs: Any,
    ) -> None:
        architecture = sngan_networks.check_architecture(architecture)
        arch_d_steps, arch_optimizer = ARCHITECTURE_DEFAULTS[architecture]
        super().__init__(
            generator, discriminator, d_steps=arch_d_steps if d_steps is None else d_steps, **kwargs
        )
        self.architecture = architecture
        # What compile() uses without optimizers: this architecture's setting.
        self.default_optimizer = dict(arch_optimizer)

    @classmethod
    def build_generator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls,
        image_shape: Shape,
        latent_dim: int,
        num_classes: int | None = None,
        base_filters: int = 64,
        architecture: str = "dcgan",
    ) -> keras.Model:
        return sngan_networks.sngan_generator(
            image_shape,
            latent_dim,
            num_classes,
            base_filters=base_filters,
            architecture=architecture,
        )

    @classmethod
    def build_discriminator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls,
        image_shape: Shape,
        num_classes: int | None = None,
        base_filters: int = 64,
        architecture: str = "dcgan",
        power_iterations: int = 1,
    ) -> keras.Model:
        return sngan_networks.sngan_discriminator(
            image_shape,
            num_classes,
            base_filters=base_filters,
            architecture=architecture,
            power_iterations=power_iterations,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["architecture"] = self.architecture
        return config
