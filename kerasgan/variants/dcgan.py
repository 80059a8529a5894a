"""DCGAN: Radford, Metz & Chintala, "Unsupervised Representation Learning with
Deep Convolutional Generative Adversarial Networks", arXiv:1511.06434 (2015)."""

from __future__ import annotations

import keras

from kerasgan import architectures
from kerasgan._typing import Shape
from kerasgan.gan_model import GANModel
from kerasgan.registry import register


@register("dcgan")
class DCGAN(GANModel):
    """Deep convolutional GAN with the paper's defaults.

    Paper defaults used here:
    - generator: projection of `z` to a small feature map, stride-2
      transposed convolutions (kernel 4), batch norm and ReLU in every hidden
      layer, `tanh` output;
    - discriminator: stride-2 convolutions, LeakyReLU (slope 0.2), batch norm
      in every layer but the first, no pooling, one logit;
    - weights initialised from N(0, 0.02);
    - non-saturating loss, one discriminator update per generator update;
    - Adam, learning rate 2e-4, beta_1 = 0.5; batch size 128.

    The paper's `z` is 100-dimensional uniform noise; kerasgan draws Gaussian
    noise of size `latent_dim` (128 by default) for every variant.

    Example:
        >>> gan = kerasgan.create("dcgan", image_shape=(28, 28, 1))
        >>> gan.compile(jit_compile=True)   # Adam(2e-4, beta_1=0.5) for both nets
    """

    description = "DCGAN (Radford et al. 2015): conv nets, batch norm, non-saturating loss."
    default_adversarial_loss = "non_saturating"
    default_optimizer = {"learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999}

    @classmethod
    def build_generator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls,
        image_shape: Shape,
        latent_dim: int,
        num_classes: int | None = None,
        base_filters: int = 64,
    ) -> keras.Model:
        return architectures.dcgan_generator(
            image_shape,
            latent_dim,
            num_classes,
            base_filters=base_filters,
            kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        )

    @classmethod
    def build_discriminator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls, image_shape: Shape, num_classes: int | None = None, base_filters: int = 64
    ) -> keras.Model:
        return architectures.dcgan_discriminator(
            image_shape,
            num_classes,
            base_filters=base_filters,
            batch_norm=True,
            kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        )
