"""R3GAN: Huang, Gokaslan, Kuleshov & Tompkin, "The GAN is dead; long live
the GAN! A Modern GAN Baseline", NeurIPS 2024, arXiv:2501.05441."""

from __future__ import annotations

import keras

from kerasgan._typing import Shape
from kerasgan.architectures import r3gan as networks
from kerasgan.gan_model import GANModel
from kerasgan.registry import register


@register("r3gan")
class R3GAN(GANModel):
    """The relativistic pairing loss with R1 and R2, on a modern ResNet.

    Defaults:
    - RpGAN loss: D minimizes `E[softplus(D(G(z_i)) - D(x_i))]`, G minimizes
      `E[softplus(D(x_i) - D(G(z_i)))]` over the batch's (real, fake) pairs
      (`kerasgan.losses.relativistic_*`);
    - zero-centred gradient penalties on both sides: R1 on real images and R2
      on generated ones, `gamma / 2 * E[||grad D||^2]` each, `gamma = 0.05`
      (`r1_weight`, `r2_weight`; lazy with `r1_interval=k`, both every k-th
      update and weighted by k);
    - the paper's backbone (`kerasgan.architectures.r3gan`): inverted
      bottleneck residual blocks with grouped 3x3 convolutions, no
      normalization, fix-up initialization, bilinear resampling, learned 4x4
      bases; stage widths `base_filters` at the image size, doubling per
      halving of the resolution up to `max_filters` (defaults 32 and 256;
      smaller widths, `blocks_per_stage=1` and lazy penalties, `r1_interval=4`,
      train faster on a CPU; the paper's CIFAR-10 network is 768 channels at
      every stage, `base_filters=768, max_filters=768`);
    - Adam, learning rate 2e-4, beta_1 = 0, beta_2 = 0.99.

    The generator ends in `tanh` (images in [-1, 1], as every kerasgan
    generator; the paper's has no output activation:
    `output_activation=None`).

    Images: square, side a power of two >= 16 (pad 28x28 Fashion-MNIST to 32
    with `kerasgan.data.load(..., pad_to=32)`). With `num_classes` the
    generator concatenates a label embedding to `z` and the discriminator
    adds a projection term.

    Example:
        >>> gan = kerasgan.create("r3gan", image_shape=(32, 32, 1), ema_decay=0.999)
        >>> gan.compile()
        >>> # a configuration that trains on a 2-core CPU:
        >>> gan = kerasgan.create("r3gan", image_shape=(32, 32, 1), base_filters=16,
        ...     max_filters=128, blocks_per_stage=1, r1_interval=4, ema_decay=0.999)
    """

    description = "R3GAN (Huang et al. 2024): RpGAN loss + R1 + R2, modern ResNet, no norm."
    default_adversarial_loss = "relativistic"
    default_r1_weight = 0.05
    default_r2_weight = 0.05
    default_optimizer = {"learning_rate": 2e-4, "beta_1": 0.0, "beta_2": 0.99}
    # XLA's CPU step takes ~10 s where the graph takes 0.5-1 s (docs/performance.md)
    auto_xla_on_cpu = False

    @classmethod
    def check_image_shape(cls, image_shape: Shape) -> tuple[int, int, int]:
        return networks.check_image_shape(image_shape)

    @classmethod
    def build_generator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls,
        image_shape: Shape,
        latent_dim: int,
        num_classes: int | None = None,
        base_filters: int = 32,
        max_filters: int = 256,
        blocks_per_stage: int = 2,
        expansion: int = 2,
        group_size: int = 16,
        output_activation: str | None = "tanh",
    ) -> keras.Model:
        return networks.r3gan_generator(
            image_shape,
            latent_dim,
            num_classes,
            base_filters=base_filters,
            max_filters=max_filters,
            blocks_per_stage=blocks_per_stage,
            expansion=expansion,
            group_size=group_size,
            output_activation=output_activation,
        )

    @classmethod
    def build_discriminator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls,
        image_shape: Shape,
        num_classes: int | None = None,
        base_filters: int = 32,
        max_filters: int = 256,
        blocks_per_stage: int = 2,
        expansion: int = 2,
        group_size: int = 16,
    ) -> keras.Model:
        return networks.r3gan_discriminator(
            image_shape,
            num_classes,
            base_filters=base_filters,
            max_filters=max_filters,
            blocks_per_stage=blocks_per_stage,
            expansion=expansion,
            group_size=group_size,
        )
