"""DCGAN-style convolutional generator and discriminator, sized by image shape.

The generator maps `z` (and optionally an integer label) through a Dense layer
to a small `s_h x s_w` feature map, then doubles the resolution `k` times with
stride-2 transposed convolutions, halving the filters each time, ending in
`tanh`. The discriminator mirrors it with stride-2 convolutions and LeakyReLU,
ending in one logit. `k` is the largest number of halvings that keeps both
sides integral and at least 4 pixels (28 -> 7, 32 -> 4, 64 -> 4).

Conditional versions (Mirza & Osindero 2014) take `[z, labels]` and
`[images, labels]`: the generator concatenates a learned label embedding to
`z`; the discriminator gets `num_classes` extra `H x W` input channels holding
a learnable label code that starts as one-hot.
"""

from __future__ import annotations

import keras
from keras import layers

from kerasgan._typing import Shape, Tensor

__all__ = ["dcgan_discriminator", "dcgan_generator", "num_upsamplings"]

MIN_SIDE = 4
MIN_IMAGE_SIDE = 16


def validate_image_shape(image_shape: Shape) -> tuple[int, int, int]:
    """Checks an `(height, width, channels)` tuple and returns it as ints."""
    try:
        image_shape = tuple(int(d) for d in image_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"image_shape must be (height, width, channels), e.g. (28, 28, 1); got {image_shape!r}"
        ) from None
    if len(image_shape) != 3 or min(image_shape) < 1:
        raise ValueError(
            f"image_shape must be (height, width, channels), e.g. (28, 28, 1); got {image_shape!r}"
        )
    if min(image_shape[:2]) < MIN_IMAGE_SIDE:
        raise ValueError(
            f"The default networks need images of at least {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE}; "
            f"got {image_shape}. Resize the data or pass your own generator/discriminator."
        )
    return image_shape


def validate_square_power_of_two(image_shape: Shape, networks: str) -> tuple[int, int, int]:
    """`(h, w, c)` for square images whose side is a power of two (and at least
    the default networks' minimum), else a `ValueError` naming `networks`."""
    h, w, c = validate_image_shape(image_shape)
    if h != w or h & (h - 1):
        raise ValueError(
            f"{networks} networks need square images whose side is a power of two >= "
            f"{MIN_IMAGE_SIDE} (e.g. (32, 32, 1)); got {tuple(image_shape)}. Pad or resize the "
            "images, e.g. kerasgan.data.load(..., pad_to=32) for 28x28 Fashion-MNIST."
        )
    return h, w, c


def num_upsamplings(image_shape: Shape) -> int:
    """How many stride-2 stages the default networks use for `image_shape`."""
    h, w, _ = validate_image_shape(image_shape)
    k = 0
    while h % 2 == 0 and w % 2 == 0 and h // 2 >= MIN_SIDE and w // 2 >= MIN_SIDE:
        h, w, k = h // 2, w // 2, k + 1
    if k < 1:
        raise ValueError(
            f"The default networks need image sides divisible by 2 at least once "
            f"(e.g. 28, 32, 64); got {image_shape[:2]}. Resize the data or pass your "
            "own generator/discriminator."
        )
    return k


def dcgan_generator(
    image_shape: Shape,
    latent_dim: int = 128,
    num_classes: int | None = None,
    base_filters: int = 64,
    embedding_dim: int = 50,
    kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
    name: str = "generator",
) -> keras.Model:
    """Builds a DCGAN generator: `z -> Dense -> [ConvT(4, s2) BN ReLU] x k -> tanh`.

    Args:
        image_shape: `(height, width, channels)` of the images to produce.
        latent_dim: size of the Gaussian noise vector.
        num_classes: when set, the model takes `[z, labels]` (conditional).
        base_filters: filters of the last hidden stage; each earlier stage
            doubles them.
        embedding_dim: size of the label embedding (conditional only).
        kernel_initializer: initializer of the dense and conv kernels.
        name: model name.

    Example:
        >>> g = dcgan_generator((28, 28, 1), latent_dim=64)
        >>> g.output_shape
        (None, 28, 28, 1)
    """
    image_shape = validate_image_shape(image_shape)
    k = num_upsamplings(image_shape)
    h, w, channels = image_shape
    sh, sw = h // 2**k, w // 2**k
    top = base_filters * 2 ** (k - 1)

    z = keras.Input((latent_dim,), name="latent")
    inputs = [z]
    x = z
    if num_classes is not None:
        labels = keras.Input((1,), dtype="int32", name="labels")
        inputs.append(labels)
        e = layers.Embedding(
            num_classes,
            embedding_dim,
            embeddings_initializer=keras.initializers.RandomNormal(0.0, 1.0),
            name="label_embedding",
        )(labels)
        x = layers.Concatenate(name="concat_label")([z, layers.Flatten()(e)])
    x = layers.Dense(
        sh * sw * top, use_bias=False, kernel_initializer=kernel_initializer, name="project"
    )(x)
    x = layers.Reshape((sh, sw, top))(x)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU()(x)
    for i in range(k - 1):
        filters = top // 2 ** (i + 1)
        x = layers.Conv2DTranspose(
            filters,
            4,
            strides=2,
            padding="same",
            use_bias=False,
            kernel_initializer=kernel_initializer,
            name=f"up{i + 1}",
        )(x)
        x = layers.BatchNormalization(name=f"up{i + 1}_bn")(x)
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(
        channels,
        4,
        strides=2,
        padding="same",
        kernel_initializer=kernel_initializer,
        name=f"up{k}",
    )(x)
    # tanh in float32 so that mixed-precision outputs stay exactly in [-1, 1].
    out = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model(inputs if len(inputs) > 1 else z, out, name=name)


def downsampling_stack(
    x: Tensor,
    k: int,
    base_filters: int,
    batch_norm: bool,
    negative_slope: float,
    kernel_initializer: str | keras.initializers.Initializer,
) -> Tensor:
    """The DCGAN discriminator body: `k` stride-2 4x4 convolutions `down1..k`
    doubling from `base_filters`, batch norm after all but the first (when
    `batch_norm`), LeakyReLU. Shared by the DCGAN and AC-GAN discriminators."""
    for i in range(k):
        x = layers.Conv2D(
            base_filters * 2**i,
            4,
            strides=2,
            padding="same",
            use_bias=not (batch_norm and i > 0),
            kernel_initializer=kernel_initializer,
            name=f"down{i + 1}",
        )(x)
        if batch_norm and i > 0:
            x = layers.BatchNormalization(name=f"down{i + 1}_bn")(x)
        x = layers.LeakyReLU(negative_slope)(x)
    return x


def dcgan_discriminator(
    image_shape: Shape,
    num_classes: int | None = None,
    base_filters: int = 64,
    batch_norm: bool = True,
    negative_slope: float = 0.2,
    kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
    name: str = "discriminator",
) -> keras.Model:
    """Builds a DCGAN discriminator: `[Conv(4, s2) (BN) LeakyReLU] x k -> Dense(1)`.

    Args:
        image_shape: `(height, width, channels)` of the input images.
        num_classes: when set, the model takes `[images, labels]`; the label
            code (initially one-hot) is tiled into `num_classes` extra channels.
        base_filters: filters of the first stage; each later stage doubles them.
        batch_norm: batch normalization after every conv but the first (the
            DCGAN paper); set `False` for a WGAN-GP critic.
        negative_slope: LeakyReLU slope (0.2 in the paper).
        kernel_initializer: initializer of the conv and dense kernels.
        name: model name.

    The output is one unnormalized logit per image, in float32.
    """
    image_shape = validate_image_shape(image_shape)
    k = num_upsamplings(image_shape)
    h, w, _ = image_shape

    images = keras.Input(image_shape, name="images")
    inputs = [images]
    x = images
    if num_classes is not None:
        labels = keras.Input((1,), dtype="int32", name="labels")
        inputs.append(labels)
        # A learnable embedding that starts as the one-hot code, tiled to H x W:
        # a strong label signal from the first step.
        e = layers.Embedding(
            num_classes, num_classes, embeddings_initializer="identity", name="label_embedding"
        )(labels)
        e = layers.Reshape((1, 1, num_classes))(e)
        e = layers.UpSampling2D((h, w), name="label_maps")(e)
        x = layers.Concatenate(name="concat_label")([images, e])
    x = downsampling_stack(x, k, base_filters, batch_norm, negative_slope, kernel_initializer)
    x = layers.Flatten()(x)
    out = layers.Dense(1, dtype="float32", kernel_initializer=kernel_initializer, name="logit")(x)
    return keras.Model(inputs if len(inputs) > 1 else images, out, name=name)
