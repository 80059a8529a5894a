"""StyleGAN2's networks: Karras, Laine, Aittala, Hellsten, Lehtinen & Aila,
"Analyzing and Improving the Image Quality of StyleGAN", CVPR 2020,
arXiv:1912.04958 (configuration details for small datasets from Karras et
al. 2020, "Training Generative Adversarial Networks with Limited Data",
arXiv:2006.06676).

Generator (`StyleGAN2Generator`): a mapping network `z -> w` (latent
normalization, fully connected layers with a learning-rate multiplier of
0.01, a tracked average `w_avg` for truncation) and a synthesis network
from a learned 4x4 constant: per resolution two modulated, demodulated 3x3
convolutions (the first after a 2x bilinear upsampling), each followed by
per-pixel noise with a learned strength, a bias and a leaky ReLU, and a
`ToRGB` 1x1 modulated convolution whose images are summed across
resolutions (the "skip" generator). One `w` per layer (`num_ws`), so styles
can be mixed.

Discriminator (`stylegan2_discriminator`): residual blocks from the image
size down to 4x4 (two 3x3 convolutions, a 1x1 skip, both branches scaled by
1/sqrt(2)), then minibatch standard deviation, a 3x3 convolution and two
fully connected layers.

Every weight uses the equalized learning rate: stored as N(0, 1) (divided
by the learning-rate multiplier) and scaled at run time by
`multiplier / sqrt(fan_in)`. Activations are `leaky_relu(x, 0.2) *
sqrt(2)`. Resampling is bilinear (the papers use a [1, 3, 3, 1] FIR
filter) and modulation scales the activations rather than the weights (the
papers' non-fused form; the same function).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import layers, ops

from kerasgan._typing import Shape, Tensor
from kerasgan.architectures.dcgan import validate_square_power_of_two

__all__ = [
    "ConstantInput",
    "EqualizedConv2D",
    "EqualizedDense",
    "MinibatchStdDev",
    "ModulatedConv2D",
    "NormalizeLatent",
    "StyleGAN2Generator",
    "SynthesisLayer",
    "ToRGB",
    "check_image_shape",
    "stylegan2_channels",
    "stylegan2_discriminator",
    "upsample_2x",
]

NEGATIVE_SLOPE = 0.2
#: gain of the leaky ReLU, so that activations keep unit variance
ACTIVATION_GAIN = math.sqrt(2.0)


def _lrelu(x: Tensor) -> Tensor:
    return ops.leaky_relu(x, NEGATIVE_SLOPE) * ACTIVATION_GAIN


def _activate(x: Tensor, activation: str | None) -> Tensor:
    if activation is None or activation == "linear":
        return x
    if activation == "lrelu":
        return _lrelu(x)
    raise ValueError(f"activation must be None or 'lrelu'; got {activation!r}.")


def upsample_2x(x: Tensor) -> Tensor:
    """2x bilinear upsampling of `(batch, h, w, c)` images (half-pixel
    centres, edges clamped): the same numbers as
    `keras.ops.image.resize(x, (2h, 2w), "bilinear")`, from slices and sums
    whose gradients are differentiable again on every backend (TensorFlow's
    resize gradient has no gradient of its own, which the path-length
    penalty needs)."""

    def along(x: Tensor, axis: int) -> Tensor:
        n = x.shape[axis]

        def part(start: int, stop: int) -> Tensor:
            index = [slice(None)] * 4
            index[axis] = slice(start, stop)
            return x[tuple(index)]

        before = ops.concatenate([part(0, 1), part(0, n - 1)], axis=axis)
        after = ops.concatenate([part(1, n), part(n - 1, n)], axis=axis)
        even = 0.75 * x + 0.25 * before
        odd = 0.75 * x + 0.25 * after
        pair = ops.stack([even, odd], axis=axis + 1)
        shape = list(x.shape)
        shape[0] = -1
        shape[axis] = 2 * n
        return ops.reshape(pair, shape)

    return along(along(x, 1), 2)


def check_image_shape(image_shape: Shape) -> tuple[int, int, int]:
    """`(h, w, c)` for square images whose side is a power of two >= 16, else
    a `ValueError` saying so."""
    return validate_square_power_of_two(image_shape, "StyleGAN2's")


def stylegan2_channels(
    resolution: int, channel_base: int = 32768, channel_max: int = 512
) -> dict[int, int]:
    """Feature maps per resolution: `min(channel_base // res, channel_max)`,
    for res = 4, 8, ..., `resolution` (the papers' rule)."""
    out = {}
    res = 4
    while res <= resolution:
        out[res] = int(min(channel_base // res, channel_max))
        res *= 2
    return out


# --------------------------------------------------------------------- layers
@keras.saving.register_keras_serializable(package="kerasgan")
class EqualizedDense(layers.Layer):
    """Fully connected layer with an equalized learning rate.

    `y = act(x @ (W * lr_multiplier / sqrt(fan_in)) + b * lr_multiplier)`,
    `W ~ N(0, 1 / lr_multiplier^2)`, `b` initialized to `bias_init`.

    Args:
        units: output features.
        lr_multiplier: learning-rate multiplier (0.01 in the mapping network).
        bias_init: initial bias value (1 for the style affines: unit styles).
        activation: None or "lrelu" (`leaky_relu(x, 0.2) * sqrt(2)`).
    """

    def __init__(
        self,
        units: int,
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
        activation: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = int(units)
        self.lr_multiplier = float(lr_multiplier)
        self.bias_init = float(bias_init)
        self.activation = activation
        _activate(0.0, activation)  # validates

    def build(self, input_shape: Shape) -> None:
        fan_in = int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(0.0, 1.0 / self.lr_multiplier),
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier),
            name="bias",
        )
        self.weight_gain = self.lr_multiplier / math.sqrt(fan_in)

    def call(self, x: Tensor) -> Tensor:
        y = ops.matmul(x, self.kernel * self.weight_gain) + self.bias * self.lr_multiplier
        return _activate(y, self.activation)

    def compute_output_shape(self, input_shape: Shape) -> tuple[int | None, ...]:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "lr_multiplier": self.lr_multiplier,
            "bias_init": self.bias_init,
            "activation": self.activation,
        }


@keras.saving.register_keras_serializable(package="kerasgan")
class EqualizedConv2D(layers.Layer):
    """2D convolution ("same" padding) with an equalized learning rate, an
    optional 2x average-pool downsampling after it, a bias and an activation.

    Args:
        filters: output channels.
        kernel_size: square kernel side.
        use_bias: add a bias (zero-initialized).
        activation: None or "lrelu".
        downsample: 2x2 average pooling after the convolution.
        gain: multiplies the output (after the activation), e.g. 1/sqrt(2)
            in a residual branch.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        use_bias: bool = True,
        activation: str | None = None,
        downsample: bool = False,
        gain: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.use_bias = bool(use_bias)
        self.activation = activation
        self.downsample = bool(downsample)
        self.gain = float(gain)
        _activate(0.0, activation)

    def build(self, input_shape: Shape) -> None:
        fan_in = self.kernel_size**2 * int(input_shape[-1])
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, int(input_shape[-1]), self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            name="kernel",
        )
        self.bias = (
            self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
            if self.use_bias
            else None
        )
        self.weight_gain = 1.0 / math.sqrt(fan_in)

    def call(self, x: Tensor) -> Tensor:
        y = ops.conv(x, self.kernel * self.weight_gain, padding="same")
        if self.downsample:
            y = ops.average_pool(y, 2, 2, padding="valid")
        if self.bias is not None:
            y = y + self.bias
        y = _activate(y, self.activation)
        return y * self.gain if self.gain != 1.0 else y

    def compute_output_shape(self, input_shape: Shape) -> tuple[int | None, ...]:
        b, h, w, _ = input_shape
        if self.downsample:
            h, w = (None if h is None else h // 2), (None if w is None else w // 2)
        return (b, h, w, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "use_bias": self.use_bias,
            "activation": self.activation,
            "downsample": self.downsample,
            "gain": self.gain,
        }


@keras.saving.register_keras_serializable(package="kerasgan")
class NormalizeLatent(layers.Layer):
    """`z / sqrt(mean(z^2) + 1e-8)` over the last axis (the mapping network's input)."""

    def call(self, z: Tensor) -> Tensor:
        return z * ops.rsqrt(ops.mean(ops.square(z), axis=-1, keepdims=True) + 1e-8)


@keras.saving.register_keras_serializable(package="kerasgan")
class ModulatedConv2D(layers.Layer):
    """A convolution whose input channels are scaled by a style from `w`.

    Called on `[x, w]`: the style `s = A(w)` (an `EqualizedDense` to the
    input channels, bias initialized to 1) scales `x`'s channels, the
    convolution (equalized learning rate) follows, and with `demodulate`
    each output channel is divided by `sqrt(sum_{k, i} (W_{k,i,o} s_i)^2 +
    1e-8)`, the norm of its modulated weights: for unit-variance inputs the
    outputs have unit variance again. This is the paper's non-fused form
    (scaling activations, not weights), the same function as modulating
    the weights.

    Args:
        filters: output channels.
        kernel_size: square kernel side.
        demodulate: divide by the modulated weights' norm (off for ToRGB).
        upsample: 2x bilinear upsampling of `x` first.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        demodulate: bool = True,
        upsample: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.demodulate = bool(demodulate)
        self.upsample = bool(upsample)

    def build(self, input_shape: Sequence[Shape]) -> None:
        x_shape, w_shape = input_shape
        channels = int(x_shape[-1])
        self.affine = EqualizedDense(channels, bias_init=1.0, name="affine")
        self.affine.build(w_shape)
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            name="kernel",
        )
        self.weight_gain = 1.0 / math.sqrt(self.kernel_size**2 * channels)

    def styles(self, w: Tensor) -> Tensor:
        """The per-input-channel styles `A(w)`, shape `(batch, in_channels)`."""
        return self.affine(w)

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        x, w = inputs
        s = ops.cast(self.styles(w), x.dtype)
        if self.upsample:
            x = upsample_2x(x)
        weight = self.kernel * self.weight_gain
        y = ops.conv(x * s[:, None, None, :], weight, padding="same")
        if self.demodulate:
            norms = ops.matmul(ops.square(s), ops.sum(ops.square(weight), axis=(0, 1)))
            y = y * ops.rsqrt(norms + 1e-8)[:, None, None, :]
        return y

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> tuple[int | None, ...]:
        b, h, w, _ = input_shape[0]
        if self.upsample:
            h, w = (None if h is None else 2 * h), (None if w is None else 2 * w)
        return (b, h, w, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "demodulate": self.demodulate,
            "upsample": self.upsample,
        }


@keras.saving.register_keras_serializable(package="kerasgan")
class SynthesisLayer(layers.Layer):
    """Modulated 3x3 convolution, per-pixel noise times a learned strength
    (initialized to 0), bias, leaky ReLU.

    Called on `[x, w]` with an optional `noise` of shape `(batch, res, res,
    1)`; without one it uses its constant noise buffer (`noise_const`, drawn
    once at build), so inference is deterministic.
    """

    def __init__(
        self, filters: int, resolution: int, upsample: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.resolution = int(resolution)
        self.upsample = bool(upsample)

    def build(self, input_shape: Sequence[Shape]) -> None:
        self.conv = ModulatedConv2D(self.filters, 3, upsample=self.upsample, name="conv")
        self.conv.build(input_shape)
        self.noise_strength = self.add_weight(shape=(), initializer="zeros", name="noise_strength")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        self.noise_const = self.add_weight(
            shape=(self.resolution, self.resolution, 1),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            trainable=False,
            name="noise_const",
        )

    def call(self, inputs: Sequence[Tensor], noise: Tensor | None = None) -> Tensor:
        x, w = inputs
        y = self.conv([x, w])
        if noise is None:
            noise = self.noise_const[None]
        y = y + ops.cast(noise, y.dtype) * self.noise_strength
        return _lrelu(y + self.bias)

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> tuple[int | None, ...]:
        return (input_shape[0][0], self.resolution, self.resolution, self.filters)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filters": self.filters,
            "resolution": self.resolution,
            "upsample": self.upsample,
        }


@keras.saving.register_keras_serializable(package="kerasgan")
class ToRGB(layers.Layer):
    """Modulated 1x1 convolution to image channels, no demodulation, plus a bias."""

    def __init__(self, channels: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channels = int(channels)

    def build(self, input_shape: Sequence[Shape]) -> None:
        self.conv = ModulatedConv2D(self.channels, 1, demodulate=False, name="conv")
        self.conv.build(input_shape)
        self.bias = self.add_weight(shape=(self.channels,), initializer="zeros", name="bias")

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        return self.conv(inputs) + self.bias

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> tuple[int | None, ...]:
        return tuple(input_shape[0][:3]) + (self.channels,)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channels": self.channels}


@keras.saving.register_keras_serializable(package="kerasgan")
class ConstantInput(layers.Layer):
    """The synthesis network's learned `(4, 4, channels)` input, one copy per
    row of the `w` it is called on."""

    def __init__(self, channels: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channels = int(channels)

    def build(self, input_shape: Shape) -> None:
        self.const = self.add_weight(
            shape=(4, 4, self.channels),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            name="const",
        )

    def call(self, w: Tensor) -> Tensor:
        batch = ops.shape(w)[0]
        return ops.broadcast_to(self.const[None], (batch, 4, 4, self.channels))

    def compute_output_shape(self, input_shape: Shape) -> tuple[int | None, ...]:
        return (input_shape[0], 4, 4, self.channels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channels": self.channels}


@keras.saving.register_keras_serializable(package="kerasgan")
class MinibatchStdDev(layers.Layer):
    """Appends the minibatch standard deviation as extra feature maps.

    Images are split into groups of `group_size` (the largest divisor of the
    batch up to it, when the batch size is known while tracing; otherwise
    the batch must be a multiple of `group_size`). Per group, the standard
    deviation of each feature over the group's images is averaged over
    `num_channels` channel groups and all pixels, and appended as
    `num_channels` constant maps to every image of the group: a
    discriminator that sees how varied the batch is can catch mode collapse.
    """

    def __init__(self, group_size: int = 4, num_channels: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_size = int(group_size)
        self.num_channels = int(num_channels)

    def _group(self, batch: int | None) -> int:
        if batch is None:
            return self.group_size
        return max(g for g in range(1, min(self.group_size, batch) + 1) if batch % g == 0)

    def call(self, x: Tensor) -> Tensor:
        _, h, w, c = x.shape
        g = self._group(x.shape[0])
        f = self.num_channels
        y = ops.reshape(ops.cast(x, "float32"), (g, -1, h, w, f, c // f))
        y = y - ops.mean(y, axis=0, keepdims=True)
        y = ops.sqrt(ops.mean(ops.square(y), axis=0) + 1e-8)  # (B/g, h, w, f, c/f)
        y = ops.mean(y, axis=(1, 2, 4))  # (B/g, f)
        y = ops.tile(y, (g, 1))  # row i of the batch belongs to group i mod (B/g)
        y = ops.broadcast_to(ops.cast(y, x.dtype)[:, None, None, :], (ops.shape(x)[0], h, w, f))
        return ops.concatenate([x, y], axis=-1)

    def compute_output_shape(self, input_shape: Shape) -> tuple[int | None, ...]:
        return tuple(input_shape[:3]) + (input_shape[3] + self.num_channels,)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "group_size": self.group_size,
            "num_channels": self.num_channels,
        }


# ------------------------------------------------------------------ generator
@keras.saving.register_keras_serializable(package="kerasgan")
class StyleGAN2Generator(keras.Model):
    """StyleGAN2's generator: `z -> mapping -> w -> synthesis -> image`.

    Calling it maps `z` to images with the constant noise buffers and
    `truncation_psi` (default 1: no truncation; `psi < 1` pulls every `w`
    towards the tracked average `w_avg`, trading variety for typicality;
    `psi = 0` gives the average image). Training goes through `mapping`,
    `update_w_avg`, `broadcast` and `synthesize(ws, noises)` (see
    `kerasgan.variants.StyleGAN2`).

    Args:
        image_shape: `(res, res, channels)`, res a power of two >= 16.
        latent_dim: size of `z`.
        w_dim: size of `w` (and of the mapping network's layers).
        mapping_layers: fully connected layers of the mapping network.
        mapping_lr_multiplier: their learning-rate multiplier.
        channel_base, channel_max: feature maps per resolution
            (`stylegan2_channels`).
        w_avg_beta: decay of the tracked `w` average.
        output_activation: None (the paper's linear output) or "tanh".
    """

    def __init__(
        self,
        image_shape: Shape,
        latent_dim: int = 512,
        w_dim: int = 512,
        mapping_layers: int = 8,
        mapping_lr_multiplier: float = 0.01,
        channel_base: int = 32768,
        channel_max: int = 512,
        w_avg_beta: float = 0.995,
        output_activation: str | None = "tanh",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        res, _, channels = check_image_shape(image_shape)
        self.image_shape = (res, res, channels)
        self.latent_dim = int(latent_dim)
        self.w_dim = int(w_dim)
        self.mapping_layers = int(mapping_layers)
        self.mapping_lr_multiplier = float(mapping_lr_multiplier)
        self.channel_base = int(channel_base)
        self.channel_max = int(channel_max)
        self.w_avg_beta = float(w_avg_beta)
        self.output_activation = output_activation
        if output_activation not in (None, "tanh"):
            raise ValueError(
                f"output_activation must be None or 'tanh'; got {output_activation!r}."
            )
        widths = stylegan2_channels(res, self.channel_base, self.channel_max)
        self.resolutions = list(widths)
        self.normalize = NormalizeLatent(name="normalize_z")
        self.fc = [
            EqualizedDense(
                self.w_dim,
                lr_multiplier=self.mapping_lr_multiplier,
                activation="lrelu",
                name=f"mapping_fc{i}",
            )
            for i in range(self.mapping_layers)
        ]
        self.const = ConstantInput(widths[4], name="const")
        self.convs, self.torgbs = [], []
        for r in self.resolutions:
            if r > 4:
                self.convs.append(SynthesisLayer(widths[r], r, upsample=True, name=f"b{r}_conv0"))
            self.convs.append(SynthesisLayer(widths[r], r, name=f"b{r}_conv1"))
            self.torgbs.append(ToRGB(channels, name=f"b{r}_torgb"))
        #: number of `w` vectors the synthesis network takes (one per layer)
        self.num_ws = len(self.convs) + 1
        self.w_avg = self.add_weight(
            shape=(self.w_dim,), initializer="zeros", trainable=False, name="w_avg"
        )
        self.build()  # every weight exists from the start (clones, EMA copies, loading)

    def build(self, input_shape: Shape | None = None) -> None:
        w_shape = (None, self.w_dim)
        x = (None, self.latent_dim)
        self.normalize.build(x)
        for layer in self.fc:
            layer.build(x)
            x = (None, self.w_dim)
        self.const.build(w_shape)
        x_shape = (None, 4, 4, self.const.channels)
        convs = iter(self.convs)
        for r, torgb in zip(self.resolutions, self.torgbs):
            for _ in range(1 if r == 4 else 2):
                conv = next(convs)
                conv.build([x_shape, w_shape])
                x_shape = (None, r, r, conv.filters)
            torgb.build([x_shape, w_shape])
        self.built = True

    # -- mapping
    def mapping(self, z: Tensor, training: bool = False) -> Tensor:
        """`z -> w`, shape `(batch, w_dim)`."""
        w = self.normalize(ops.cast(z, "float32"))
        for layer in self.fc:
            w = layer(w)
        return w

    def update_w_avg(self, w: Tensor) -> None:
        """Moves `w_avg` towards the batch mean of `w` (call while training)."""
        mean = ops.mean(ops.cast(ops.stop_gradient(w), "float32"), axis=0)
        self.w_avg.assign(mean + self.w_avg_beta * (self.w_avg - mean))

    def truncate(self, w: Tensor, truncation_psi: float) -> Tensor:
        """`w_avg + psi * (w - w_avg)`."""
        if truncation_psi == 1:
            return w
        avg = ops.cast(self.w_avg, w.dtype)
        return avg + truncation_psi * (w - avg)

    def broadcast(self, w: Tensor) -> Tensor:
        """`(batch, w_dim) -> (batch, num_ws, w_dim)`: the same `w` for every layer."""
        return ops.broadcast_to(w[:, None, :], (ops.shape(w)[0], self.num_ws, w.shape[-1]))

    # -- synthesis
    def noise_shapes(self, batch_size: int | Tensor) -> list[tuple[Any, int, int, int]]:
        """Shapes of the per-layer noise inputs, in layer order."""
        return [(batch_size, c.resolution, c.resolution, 1) for c in self.convs]

    def synthesize(
        self, ws: Tensor, noises: Sequence[Tensor | None] | None = None, training: bool = False
    ) -> Tensor:
        """`(batch, num_ws, w_dim)` styles -> images. Without `noises` the
        layers use their constant noise buffers."""
        noises = [None] * len(self.convs) if noises is None else list(noises)
        x = self.const(ws[:, 0])
        image = None
        convs = iter(zip(self.convs, noises))
        i = 0
        for r, torgb in zip(self.resolutions, self.torgbs):
            for _ in range(1 if r == 4 else 2):
                conv, noise = next(convs)
                x = conv([x, ws[:, i]], noise=noise)
                i += 1
            y = ops.cast(torgb([x, ws[:, i]]), "float32")
            if image is not None:
                image = upsample_2x(image)
                y = y + image
            image = y
        if self.output_activation == "tanh":
            image = ops.tanh(image)
        return image

    def call(self, z: Tensor, truncation_psi: float = 1.0, training: bool = False) -> Tensor:
        w = self.truncate(self.mapping(z), truncation_psi)
        return self.synthesize(self.broadcast(w))

    def compute_output_shape(self, input_shape: Shape) -> tuple[int | None, ...]:
        return (input_shape[0],) + self.image_shape

    @property
    def input_shape(self) -> tuple[None, int]:
        return (None, self.latent_dim)

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        return (None,) + self.image_shape

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "image_shape": list(self.image_shape),
            "latent_dim": self.latent_dim,
            "w_dim": self.w_dim,
            "mapping_layers": self.mapping_layers,
            "mapping_lr_multiplier": self.mapping_lr_multiplier,
            "channel_base": self.channel_base,
            "channel_max": self.channel_max,
            "w_avg_beta": self.w_avg_beta,
            "output_activation": self.output_activation,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> StyleGAN2Generator:
        return cls(**config)


# -------------------------------------------------------------- discriminator
def stylegan2_discriminator(
    image_shape: Shape,
    channel_base: int = 32768,
    channel_max: int = 512,
    mbstd_group_size: int = 4,
    mbstd_num_channels: int = 1,
    name: str = "stylegan2_discriminator",
) -> keras.Model:
    """StyleGAN2's residual discriminator: images to one logit (float32).

    `FromRGB` (1x1, leaky ReLU) at the image size; per resolution down to
    8x8 a residual block `(skip(x) + conv1(conv0(x))) ` with `skip` a 1x1
    convolution (no bias) with 2x downsampling and `conv1` downsampling,
    both scaled by 1/sqrt(2); at 4x4 minibatch standard deviation, a 3x3
    convolution, a fully connected layer and the output layer.
    """
    res, _, _ = check_image_shape(image_shape)
    widths = stylegan2_channels(res, channel_base, channel_max)
    images = keras.Input(image_shape, name="images")
    x = EqualizedConv2D(widths[res], 1, activation="lrelu", name=f"b{res}_fromrgb")(images)
    r = res
    gain = float(np.sqrt(0.5))
    while r > 4:
        out = widths[r // 2]
        skip = EqualizedConv2D(
            out, 1, use_bias=False, downsample=True, gain=gain, name=f"b{r}_skip"
        )(x)
        x = EqualizedConv2D(widths[r], 3, activation="lrelu", name=f"b{r}_conv0")(x)
        x = EqualizedConv2D(
            out, 3, activation="lrelu", downsample=True, gain=gain, name=f"b{r}_conv1"
        )(x)
        x = layers.Add(name=f"b{r}_add")([skip, x])
        r //= 2
    x = MinibatchStdDev(mbstd_group_size, mbstd_num_channels, name="mbstd")(x)
    x = EqualizedConv2D(widths[4], 3, activation="lrelu", name="b4_conv")(x)
    x = layers.Flatten(name="b4_flatten")(x)
    x = EqualizedDense(widths[4], activation="lrelu", name="b4_fc")(x)
    logits = EqualizedDense(1, name="logit", dtype="float32")(x)
    return keras.Model(images, logits, name=name)
