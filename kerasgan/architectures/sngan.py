"""Networks of SNGAN and of the projection discriminator.

Miyato, Kataoka, Koyama & Yoshida, "Spectral Normalization for Generative
Adversarial Networks", ICLR 2018, arXiv:1802.05957; Miyato & Koyama, "cGANs
with Projection Discriminator", ICLR 2018, arXiv:1802.05637.

Two families, chosen by `architecture`:

- `"dcgan"`: the paper's "standard CNN" discriminator (per stage a 3x3
  stride-1 and a 4x4 stride-2 convolution, then one 3x3 convolution and a
  linear layer, LeakyReLU 0.1) and kerasgan's DCGAN generator;
- `"resnet"`: the ResNets of the papers' CIFAR-10 experiments (generator
  blocks BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3 with a 1x1 shortcut;
  discriminator blocks with 2x2 average-pool downsampling, ReLU, global sum
  pooling).

Every convolution and linear layer of the discriminators is wrapped in
`keras.layers.SpectralNormalization`, and the discriminators have no batch
normalization. With `num_classes`, the discriminator ends in the projection
head `psi(phi(x)) + <embed(y), phi(x)>` and the generator's batch
normalizations become `ConditionalBatchNormalization` (a scale and offset per
class).

Keras' `SpectralNormalization` differs from the paper's formulation in one
way: in training mode it divides the wrapped kernel by its estimated spectral
norm *in place* (one power iteration per call) and the optimizer then updates
the normalized kernel, instead of keeping an unnormalized parameter and
dividing it on every forward pass. At inference the stored (last normalized)
kernel is used as is.
"""

from __future__ import annotations

from typing import Any, cast

import keras
from keras import layers

from kerasgan._typing import Shape, Tensor
from kerasgan.architectures.dcgan import dcgan_generator, num_upsamplings, validate_image_shape
from kerasgan.architectures.layers import ConditionalBatchNormalization, GlobalSumPooling2D

__all__ = [
    "ARCHITECTURES",
    "cbn_dcgan_generator",
    "projection_logit",
    "resnet_discriminator",
    "resnet_generator",
    "sn_dcgan_discriminator",
    "sngan_discriminator",
    "sngan_generator",
]

#: The network families of `sngan_generator` / `sngan_discriminator`.
ARCHITECTURES = ("dcgan", "resnet")


def check_architecture(architecture: str) -> str:
    """Returns `architecture` if it names a known family, else raises."""
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"architecture must be one of {', '.join(map(repr, ARCHITECTURES))}; "
            f"got {architecture!r}."
        )
    return architecture


def _sn(layer: layers.Layer, power_iterations: int) -> layers.Layer:
    return layers.SpectralNormalization(
        layer, power_iterations=power_iterations, name=f"{layer.name}_sn"
    )


def _labels_input(num_classes: int | None) -> Tensor | None:
    return None if num_classes is None else keras.Input((1,), dtype="int32", name="labels")


def projection_logit(
    features: Tensor,
    labels: Tensor | None,
    num_classes: int | None,
    power_iterations: int = 1,
    use_bias: bool = True,
) -> Tensor:
    """The projection head: `psi(phi) + <embed(y), phi>` (Miyato & Koyama 2018, eq. 3).

    `psi` is a spectrally normalized `Dense(1)` named `"psi"`. `embed(y)` is
    row `y` of a spectrally normalized `(num_classes, features)` matrix,
    written as a bias-free `Dense` (named `"class_embedding"`) applied to the
    one-hot label: the same lookup as an `Embedding`, and a layer that
    `SpectralNormalization` wraps correctly. Without `labels` the result is
    `psi(phi)` alone.
    """
    psi = _sn(layers.Dense(1, use_bias=use_bias, dtype="float32", name="psi"), power_iterations)(
        features
    )
    if labels is None:
        return psi
    one_hot = layers.CategoryEncoding(num_classes, output_mode="one_hot", name="one_hot")(labels)
    embedded = _sn(
        layers.Dense(features.shape[-1], use_bias=False, name="class_embedding"),
        power_iterations,
    )(one_hot)
    projection = layers.Dot(axes=1, dtype="float32", name="projection")([embedded, features])
    return layers.Add(dtype="float32", name="logit")([psi, projection])


# ----------------------------------------------------------------- "dcgan"
def sn_dcgan_discriminator(
    image_shape: Shape,
    num_classes: int | None = None,
    base_filters: int = 64,
    negative_slope: float = 0.1,
    power_iterations: int = 1,
    name: str = "discriminator",
) -> keras.Model:
    """The SNGAN paper's "standard CNN" discriminator, sized by image shape.

    For each of the `k` halvings (see `num_upsamplings`: 3 for 32x32) a 3x3
    stride-1 and a 4x4 stride-2 convolution with `base_filters * 2**i`
    filters, then a 3x3 convolution with `base_filters * 2**k` filters, all
    with LeakyReLU 0.1, then a linear layer on the flattened features `phi`
    (a layer named `"features"`). For 32x32 and `base_filters=64` this is the
    paper's Table 3 network (64-64-128-128-256-256-512). Every conv / dense
    kernel is spectrally normalized; no batch normalization. With
    `num_classes`, it takes `[images, labels]` and ends in the projection
    head (`projection_logit`).
    """
    image_shape = validate_image_shape(image_shape)
    k = num_upsamplings(image_shape)
    images = keras.Input(image_shape, name="images")
    labels = _labels_input(num_classes)

    def conv(filters: int, size: int, strides: int, layer_name: str) -> layers.Layer:
        conv_layer = layers.Conv2D(filters, size, strides=strides, padding="same", name=layer_name)
        return _sn(conv_layer, power_iterations)

    x = images
    for i in range(k):
        filters = base_filters * 2**i
        x = layers.LeakyReLU(negative_slope)(conv(filters, 3, 1, f"conv{i + 1}a")(x))
        x = layers.LeakyReLU(negative_slope)(conv(filters, 4, 2, f"conv{i + 1}b")(x))
    x = layers.LeakyReLU(negative_slope)(conv(base_filters * 2**k, 3, 1, f"conv{k + 1}")(x))
    features = layers.Flatten(name="features")(x)
    out = projection_logit(features, labels, num_classes, power_iterations)
    return keras.Model([images, labels] if labels is not None else images, out, name=name)


def cbn_dcgan_generator(
    image_shape: Shape,
    latent_dim: int = 128,
    num_classes: int = 10,
    base_filters: int = 64,
    name: str = "generator",
) -> keras.Model:
    """kerasgan's DCGAN generator with conditional batch normalization.

    The layout of `dcgan_generator` (Dense projection, stride-2 transposed
    convolutions with ReLU, `tanh`), but every batch normalization is a
    `ConditionalBatchNormalization` on the label: the class enters the
    network only through the per-class scales and offsets. Takes `[z, labels]`.
    """
    image_shape = validate_image_shape(image_shape)
    k = num_upsamplings(image_shape)
    h, w, channels = image_shape
    sh, sw = h // 2**k, w // 2**k
    top = base_filters * 2 ** (k - 1)
    z = keras.Input((latent_dim,), name="latent")
    labels = keras.Input((1,), dtype="int32", name="labels")
    x = layers.Dense(sh * sw * top, use_bias=False, name="project")(z)
    x = layers.Reshape((sh, sw, top))(x)
    x = ConditionalBatchNormalization(num_classes, name="project_cbn")([x, labels])
    x = layers.ReLU()(x)
    for i in range(k - 1):
        x = layers.Conv2DTranspose(
            top // 2 ** (i + 1), 4, strides=2, padding="same", use_bias=False, name=f"up{i + 1}"
        )(x)
        x = ConditionalBatchNormalization(num_classes, name=f"up{i + 1}_cbn")([x, labels])
        x = layers.ReLU()(x)
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", name=f"up{k}")(x)
    out = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model([z, labels], out, name=name)


# ---------------------------------------------------------------- "resnet"
def _residual_init() -> keras.initializers.Initializer:
    # Glorot uniform with gain sqrt(2), as in the authors' code.
    return keras.initializers.VarianceScaling(2.0, mode="fan_avg", distribution="uniform")


def _norm(x: Tensor, labels: Tensor | None, num_classes: int | None, name: str) -> Tensor:
    if labels is None:
        return layers.BatchNormalization(name=name)(x)
    # labels come from num_classes (_labels_input): here it is an int
    return ConditionalBatchNormalization(cast(int, num_classes), name=name)([x, labels])


def _generator_block(
    x: Tensor, labels: Tensor | None, num_classes: int | None, filters: int, name: str
) -> Tensor:
    h = _norm(x, labels, num_classes, f"{name}_bn1")
    h = layers.ReLU()(h)
    h = layers.UpSampling2D(2, name=f"{name}_up")(h)
    h = layers.Conv2D(
        filters, 3, padding="same", kernel_initializer=_residual_init(), name=f"{name}_conv1"
    )(h)
    h = _norm(h, labels, num_classes, f"{name}_bn2")
    h = layers.ReLU()(h)
    h = layers.Conv2D(
        filters, 3, padding="same", kernel_initializer=_residual_init(), name=f"{name}_conv2"
    )(h)
    shortcut = layers.UpSampling2D(2, name=f"{name}_sc_up")(x)
    shortcut = layers.Conv2D(filters, 1, name=f"{name}_sc")(shortcut)
    return layers.Add(name=f"{name}_out")([h, shortcut])


def resnet_generator(
    image_shape: Shape,
    latent_dim: int = 128,
    num_classes: int | None = None,
    base_filters: int = 128,
    name: str = "generator",
) -> keras.Model:
    """The SNGAN / projection-cGAN ResNet generator (the papers' CIFAR-10 model).

    `z -> Dense -> s x s x base_filters -> [ResBlock, upsampling x2] x k ->
    BN -> ReLU -> conv3x3 -> tanh`, `k = num_upsamplings(image_shape)` (3 for
    32x32, from 4x4 as in the paper). Each block is BN-ReLU-upsample(nearest)-
    conv3x3-BN-ReLU-conv3x3 plus an upsample-conv1x1 shortcut. With
    `num_classes` the blocks' batch norms are conditional (per-class scale and
    offset) and the model takes `[z, labels]`. The paper uses 256 filters.
    """
    image_shape = validate_image_shape(image_shape)
    k = num_upsamplings(image_shape)
    h, w, channels = image_shape
    sh, sw = h // 2**k, w // 2**k
    z = keras.Input((latent_dim,), name="latent")
    labels = _labels_input(num_classes)
    x = layers.Dense(sh * sw * base_filters, name="project")(z)
    x = layers.Reshape((sh, sw, base_filters))(x)
    for i in range(k):
        x = _generator_block(x, labels, num_classes, base_filters, f"block{i + 1}")
    x = layers.BatchNormalization(name="out_bn")(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(channels, 3, padding="same", name="out_conv")(x)
    out = layers.Activation("tanh", dtype="float32", name="images")(x)
    return keras.Model([z, labels] if labels is not None else z, out, name=name)


def _discriminator_block(
    x: Tensor, filters: int, downsample: bool, first: bool, power_iterations: int, name: str
) -> Tensor:
    def conv(size: int, label: str, init: Any) -> layers.Layer:
        return _sn(
            layers.Conv2D(
                filters, size, padding="same", kernel_initializer=init, name=f"{name}_{label}"
            ),
            power_iterations,
        )

    h = x if first else layers.ReLU()(x)  # the first block starts on the image
    h = conv(3, "conv1", _residual_init())(h)
    h = layers.ReLU()(h)
    h = conv(3, "conv2", _residual_init())(h)
    if downsample:
        h = layers.AveragePooling2D(2, name=f"{name}_pool")(h)
    shortcut = x
    if first:  # pool first, then the 1x1 conv (the authors' "optimized block")
        shortcut = layers.AveragePooling2D(2, name=f"{name}_sc_pool")(shortcut)
        shortcut = conv(1, "sc", "glorot_uniform")(shortcut)
    elif downsample or x.shape[-1] != filters:
        shortcut = conv(1, "sc", "glorot_uniform")(shortcut)
        if downsample:
            shortcut = layers.AveragePooling2D(2, name=f"{name}_sc_pool")(shortcut)
    return layers.Add(name=f"{name}_out")([h, shortcut])


def resnet_discriminator(
    image_shape: Shape,
    num_classes: int | None = None,
    base_filters: int = 128,
    power_iterations: int = 1,
    name: str = "discriminator",
) -> keras.Model:
    """The SNGAN / projection-cGAN ResNet discriminator (the papers' CIFAR-10 model).

    `max(1, k - 1)` downsampling ResBlocks (`k = num_upsamplings`: 32 -> 16 ->
    8 for 32x32, as in the paper), then two ResBlocks without downsampling,
    ReLU, global sum pooling (`phi`, the layer `"features"`) and a linear
    layer without bias; the projection head with `num_classes`. All
    convolutions and linear layers are spectrally normalized; no batch norm.
    The paper uses 128 filters.
    """
    image_shape = validate_image_shape(image_shape)
    k = num_upsamplings(image_shape)
    images = keras.Input(image_shape, name="images")
    labels = _labels_input(num_classes)
    x = images
    n_down = max(1, k - 1)
    for i in range(n_down + 2):
        x = _discriminator_block(
            x, base_filters, i < n_down, i == 0, power_iterations, f"block{i + 1}"
        )
    x = layers.ReLU()(x)
    features = GlobalSumPooling2D(name="features")(x)
    out = projection_logit(features, labels, num_classes, power_iterations, use_bias=False)
    return keras.Model([images, labels] if labels is not None else images, out, name=name)


# --------------------------------------------------------------- dispatch
def sngan_generator(
    image_shape: Shape,
    latent_dim: int = 128,
    num_classes: int | None = None,
    base_filters: int = 64,
    architecture: str = "dcgan",
) -> keras.Model:
    """The generator of `architecture`: `"dcgan"` (DCGAN generator, conditional
    batch norm with `num_classes`) or `"resnet"` (`resnet_generator` with
    `2 * base_filters` filters)."""
    if check_architecture(architecture) == "resnet":
        return resnet_generator(image_shape, latent_dim, num_classes, base_filters=2 * base_filters)
    if num_classes is None:
        return dcgan_generator(image_shape, latent_dim, None, base_filters=base_filters)
    return cbn_dcgan_generator(image_shape, latent_dim, num_classes, base_filters=base_filters)


def sngan_discriminator(
    image_shape: Shape,
    num_classes: int | None = None,
    base_filters: int = 64,
    architecture: str = "dcgan",
    power_iterations: int = 1,
) -> keras.Model:
    """The spectrally normalized discriminator of `architecture` (projection
    head with `num_classes`): `"dcgan"` (`sn_dcgan_discriminator`) or
    `"resnet"` (`resnet_discriminator` with `base_filters` filters)."""
    if check_architecture(architecture) == "resnet":
        return resnet_discriminator(
            image_shape, num_classes, base_filters=base_filters, power_iterations=power_iterations
        )
    return sn_dcgan_discriminator(
        image_shape, num_classes, base_filters=base_filters, power_iterations=power_iterations
    )
