"""The modernized ResNet of R3GAN (Huang, Gokaslan, Kuleshov & Tompkin,
"The GAN is dead; long live the GAN! A Modern GAN Baseline", NeurIPS 2024,
arXiv:2501.05441), written from the paper's description.

Both networks are stages of residual blocks, one stage per resolution from
4x4 up to the image size, with:
- inverted-bottleneck residual branches: 1x1 convolution widening the
  channels by `expansion`, LeakyReLU(0.2), grouped 3x3 convolution (groups of
  `group_size` channels), LeakyReLU(0.2), 1x1 convolution back;
- no normalization layers; fix-up style initialization instead: He-normal
  weights scaled by `L ** (-1 / (2 * (m - 1)))` for `L` residual blocks of
  `m = 3` convolutions, and the last convolution of every branch at zero, so
  each block starts as the identity;
- bilinear resampling between stages (a 1x1 convolution changes the width
  at the lower resolution, where it is cheaper: both are linear, so the order
  does not change the function);
- a learned 4x4 basis: the generator scales a learned `(4, 4, C)` tensor
  channel-wise by a linear map of `z`; the discriminator ends in a 4x4
  depthwise convolution (one 4x4 filter per channel, no padding) and a
  linear layer.

The generator's last layer is a 1x1 convolution to the image channels,
with `tanh` by default so that images are in [-1, 1] as for every kerasgan
generator (the paper's has no activation: `output_activation=None`).
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import layers, ops

from kerasgan._typing import Shape, Tensor
from kerasgan.architectures.dcgan import validate_image_shape, validate_square_power_of_two

__all__ = [
    "GenerativeBasis",
    "check_image_shape",
    "r3gan_discriminator",
    "r3gan_generator",
    "r3gan_widths",
    "residual_block",
]

NEGATIVE_SLOPE = 0.2


@keras.saving.register_keras_serializable(package="kerasgan")
class GenerativeBasis(layers.Layer):
    """`z -> basis * (z @ W)`: a learned `(4, 4, channels)` basis scaled
    channel-wise by a linear map of `z` (no bias); the generator's first layer.

    Args:
        channels: channels of the 4x4 output.
    """

    def __init__(self, channels: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channels = int(channels)

    def build(self, input_shape: Shape) -> None:
        self.basis = self.add_weight(
            shape=(4, 4, self.channels),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            name="basis",
        )
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.channels),
            initializer=keras.initializers.HeNormal(),
            name="kernel",
        )

    def call(self, z: Tensor) -> Tensor:
        # In float32 (the variable dtype) even under a bfloat16 policy, where
        # TensorFlow's XLA rejects this broadcast product's gradient for mixed
        # operand types; the layer is tiny. The output has the compute dtype.
        dtype = self.variable_dtype
        scale = ops.matmul(ops.cast(z, dtype), ops.cast(self.kernel, dtype))
        out = ops.cast(self.basis, dtype)[None] * scale[:, None, None, :]
        return ops.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape: Shape) -> tuple[int | None, int, int, int]:
        return (input_shape[0], 4, 4, self.channels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channels": self.channels}


def r3gan_widths(
    image_shape: Shape, base_filters: int = 32, max_filters: int = 256
) -> tuple[int, ...]:
    """Stage widths from 4x4 up to the image size: `base_filters` at the
    image size, doubling per halving of the resolution, at most
    `max_filters`."""
    h, _, _ = validate_image_shape(image_shape)
    stages = int(math.log2(h)) - 1
    return tuple(min(base_filters * 2 ** (stages - 1 - i), max_filters) for i in range(stages))


def check_image_shape(image_shape: Shape) -> tuple[int, int, int]:
    """`(h, w, c)` for square images whose side is a power of two >= 16, else
    a `ValueError` saying so."""
    return validate_square_power_of_two(image_shape, "R3GAN's")


def _scaled_he(scale: float) -> keras.initializers.Initializer:
    return keras.initializers.VarianceScaling(2.0 * scale * scale, "fan_in", "truncated_normal")


def residual_block(
    x: Tensor, channels: int, expansion: int, group_size: int, scale: float, name: str
) -> Tensor:
    """`x + conv1x1(act(grouped_conv3x3(act(conv1x1(x)))))`, the last
    convolution zero-initialized, the others He-normal times `scale`."""
    hidden = channels * expansion
    group_size = min(group_size, hidden)  # narrower than one group: a plain convolution
    if hidden % group_size:
        raise ValueError(
            f"R3GAN's grouped convolutions split {hidden} channels (width {channels} x "
            f"expansion {expansion}) into groups of group_size={group_size}: pick values "
            "where group_size divides width * expansion."
        )
    h = layers.Conv2D(hidden, 1, kernel_initializer=_scaled_he(scale), name=f"{name}_expand")(x)
    h = layers.LeakyReLU(NEGATIVE_SLOPE, name=f"{name}_act1")(h)
    h = layers.Conv2D(
        hidden,
        3,
        padding="same",
        groups=hidden // group_size,
        kernel_initializer=_scaled_he(scale),
        name=f"{name}_grouped",
    )(h)
    h = layers.LeakyReLU(NEGATIVE_SLOPE, name=f"{name}_act2")(h)
    h = layers.Conv2D(channels, 1, kernel_initializer="zeros", name=f"{name}_project")(h)
    return layers.Add(name=f"{name}_add")([x, h])


def _fixup_scale(num_blocks: int, convs_per_block: int = 3) -> float:
    return num_blocks ** (-1.0 / (2 * (convs_per_block - 1)))


def r3gan_generator(
    image_shape: Shape,
    latent_dim: int = 128,
    num_classes: int | None = None,
    base_filters: int = 32,
    max_filters: int = 256,
    blocks_per_stage: int = 2,
    expansion: int = 2,
    group_size: int = 16,
    embedding_dim: int | None = None,
    output_activation: str | None = "tanh",
    name: str = "r3gan_generator",
) -> keras.Model:
    """R3GAN's generator: `z` (and optionally an integer label) to images.

    Args:
        image_shape: `(S, S, C)` with `S` a power of two >= 16.
        latent_dim: size of `z`.
        num_classes: when set, the model takes `[z, labels]`: a learned
            embedding of the label (`embedding_dim`, default `latent_dim`) is
            concatenated to `z`.
        base_filters, max_filters: stage widths (`r3gan_widths`).
        blocks_per_stage: residual blocks per resolution.
        expansion: channel expansion of the inverted bottleneck.
        group_size: channels per group of the grouped 3x3 convolution
            (capped at a block's `width * expansion` channels).
        output_activation: of the last 1x1 convolution (`None`: linear, as
            in the paper).

    Example:
        >>> g = r3gan_generator((32, 32, 1), 128, base_filters=32)
        >>> g.output_shape
        (None, 32, 32, 1)
    """
    h, _, channels = check_image_shape(image_shape)
    widths = r3gan_widths(image_shape, base_filters, max_filters)
    scale = _fixup_scale(len(widths) * blocks_per_stage)
    z = keras.Input((latent_dim,), name="latent")
    inputs = [z]
    x = z
    if num_classes is not None:
        labels = keras.Input((1,), dtype="int32", name="labels")
        inputs.append(labels)
        e = layers.Embedding(num_classes, embedding_dim or latent_dim, name="label_embedding")(
            labels
        )
        x = layers.Concatenate(name="concat_label")([z, layers.Flatten()(e)])
    x = GenerativeBasis(widths[0], name="basis")(x)
    for stage, width in enumerate(widths):
        if stage:
            x = layers.Conv2D(width, 1, kernel_initializer="he_normal", name=f"up{stage}_conv")(x)
            x = layers.UpSampling2D(2, interpolation="bilinear", name=f"up{stage}")(x)
        for block in range(blocks_per_stage):
            x = residual_block(x, width, expansion, group_size, scale, f"g{stage}_{block}")
    x = layers.Conv2D(channels, 1, name="to_image")(x)
    # in float32, so that mixed-precision images stay exactly in [-1, 1]
    images = layers.Activation(output_activation or "linear", dtype="float32", name="images")(x)
    return keras.Model(inputs if num_classes is not None else z, images, name=name)


def r3gan_discriminator(
    image_shape: Shape,
    num_classes: int | None = None,
    base_filters: int = 32,
    max_filters: int = 256,
    blocks_per_stage: int = 2,
    expansion: int = 2,
    group_size: int = 16,
    name: str = "r3gan_discriminator",
) -> keras.Model:
    """R3GAN's discriminator: images (and optionally labels) to one logit.

    The mirror of `r3gan_generator`: a 1x1 convolution from the image, stages
    of residual blocks from the image size down to 4x4 (1x1 convolution then
    bilinear 2x downsampling, a 2x2 average, between stages), the 4x4
    depthwise basis and a linear layer. With `num_classes`, the model takes
    `[images, labels]` and adds the projection `<embed(label), features>`
    (Miyato & Koyama 2018) to the logit.
    """
    h, _, _ = check_image_shape(image_shape)
    widths = r3gan_widths(image_shape, base_filters, max_filters)[::-1]
    scale = _fixup_scale(len(widths) * blocks_per_stage)
    images = keras.Input(image_shape, name="images")
    inputs = [images]
    x = layers.Conv2D(widths[0], 1, kernel_initializer="he_normal", name="from_image")(images)
    for stage, width in enumerate(widths):
        if stage:
            x = layers.Conv2D(width, 1, kernel_initializer="he_normal", name=f"down{stage}_conv")(x)
            x = layers.AveragePooling2D(2, name=f"down{stage}")(x)
        for block in range(blocks_per_stage):
            x = residual_block(x, width, expansion, group_size, scale, f"d{stage}_{block}")
    x = layers.DepthwiseConv2D(4, use_bias=False, name="basis")(x)
    features = layers.Flatten(name="features")(x)
    logits = layers.Dense(1, dtype="float32", name="logit")(features)  # float32 logits
    if num_classes is not None:
        labels = keras.Input((1,), dtype="int32", name="labels")
        inputs.append(labels)
        e = layers.Flatten()(
            layers.Embedding(num_classes, widths[-1], name="label_embedding")(labels)
        )
        projection = layers.Dot(axes=1, dtype="float32", name="projection")([e, features])
        logits = layers.Add(dtype="float32", name="logit_and_projection")([logits, projection])
    return keras.Model(inputs if num_classes is not None else images, logits, name=name)
