"""Faster forms of the convolutions GAN networks use, computing the
same function of the same weights.

Strided transposed convolutions as sub-pixel convolutions. A
`Conv2DTranspose` with stride `s` scatters every input pixel through the
`k x k` kernel into an output `s` times larger. TensorFlow with XLA computes
it as a convolution over the input *dilated with zeros* (`lhs_dilate=s`):
for the usual `k=4, s=2` three of every four multiply-adds hit an inserted
zero. The same result is `s * s` ordinary stride-1 convolutions, one per
output phase ("sub-pixel" positions), each with the kernel taps that reach
that phase, interleaved into the output. Nothing is multiplied by an
inserted zero.

Few-filter convolutions as matrix products. A stride-1 `Conv2D` with 1-4
output channels (the layer that makes the image) is one product of the
input, as a (pixels, channels) matrix, with the kernel as a (channels,
taps * filters) matrix, followed by a sum of shifted slices; its gradients
are matrix products as well. A `Conv2DTranspose` with 1-4 output channels
is the same product followed by a sum of shifted slices that covers every
output phase at once (`gemm_conv_transpose`; TensorFlow's own gradients).
Convolution kernels vectorize over output channels and run far below the
machine's peak for so few.

Convolutions with a bias, bias gradient apart. Keras adds a convolution's
bias with TensorFlow's `BiasAdd`, whose gradient op `BiasAddGrad`
TensorFlow's oneDNN graph pass merges with the kernel gradient into one
`Conv2DBackpropFilterWithBias`; for a convolution over few input channels
(a discriminator's first layer on grayscale images) that merged op is
slower than the two apart. The same layer with the bias gradient
computed as a `Sum` (`backend.bias_add`) keeps them apart.

All three regroup sums only, so results agree to float rounding (~1e-6
relative): the layer, its config, its variables and saved files do not
change. Figures per layer shape: `benchmarks/conv_transpose.py`,
`benchmarks/NOTES.md`.

- `conv_transpose(x, kernel, strides, padding)`, `gemm_conv_transpose(x,
  kernel, strides, padding)`, `gemm_conv(x, kernel, padding)`: the ops
  (channels-last 2D).
- `accelerate(model)`: makes every supported layer of a model (nested models
  included) use them (`bias=True`: other `Conv2D` layers with a bias use
  `backend.bias_add`); `GANModel.compile(fast_layers=...)` does this for its
  generator and discriminator.
- `restore(model)`: back to Keras' own implementation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import ops

from kerasgan import _call_override, backend
from kerasgan._typing import Tensor

__all__ = [
    "MAX_CONV_FILTERS",
    "MIN_FILTERS",
    "accelerate",
    "conv_transpose",
    "gemm_conv",
    "gemm_conv_transpose",
    "is_accelerated",
    "restore",
    "subpixel_conv_transpose",
    "supports",
    "supports_bias",
    "supports_conv",
    "supports_few_filters",
    "supports_grouped",
    "block_diagonal_kernel",
]

#: Stride-1 `Conv2D` layers with at most this many output channels use
#: `gemm_conv`, and `Conv2DTranspose` layers `gemm_conv_transpose` (the
#: crossover was measured: docs/performance.md).
MAX_CONV_FILTERS = 4

#: Strided `Conv2DTranspose` layers with at least this many output channels
#: use the sub-pixel form (`conv_transpose`); with fewer the s*s small
#: convolutions cost more than the zero-dilated one; up to
#: `MAX_CONV_FILTERS` use `gemm_conv_transpose`.
MIN_FILTERS = 16


def _output_length(n: int, k: int, s: int, padding: str) -> int:
    """Keras' output length of a transposed convolution (no output_padding)."""
    return n * s if padding == "same" else n * s + max(k - s, 0)


def _pad_before(n: int, k: int, s: int, padding: str) -> int:
    """Zero rows TensorFlow's SAME/VALID transposed convolution crops at the start."""
    if padding == "valid":
        return 0
    return max((n - 1) * s + k - n * s, 0) // 2


def _phase(k: int, s: int, p: int, a: int) -> tuple[list[int], int]:
    """Kernel taps reaching output phase `a` (output positions `s*m + a`),
    ordered by the input offset they read, and the smallest offset.

    Output `o` collects input `i` through tap `t` when `o = s*i + t - p`, so
    phase `a` uses taps `t = (a + p) mod s, + s, ...` and reads input
    `m + (a + p - t) / s`.
    """
    taps = list(range((a + p) % s, k, s))[::-1]
    offset = (a + p - taps[0]) // s if taps else 0
    return taps, offset


def _check_padding(padding: str) -> str:
    padding = padding.lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'same' or 'valid'; got {padding!r}.")
    return padding


def _static_input(x: Tensor, op: str) -> tuple[int | Tensor, int, int]:
    """`(batch, height, width)` of a channels-last input whose spatial sizes
    are static (the batch may be a tensor)."""
    batch, h, w, _ = x.shape
    if h is None or w is None:
        raise ValueError(f"{op} needs static spatial sizes; got input shape {x.shape}.")
    return (ops.shape(x)[0] if batch is None else batch), h, w


def conv_transpose(
    x: Tensor, kernel: Tensor, strides: int | Sequence[int], padding: str = "valid"
) -> Tensor:
    """`keras.ops.conv_transpose` for channels-last 2D inputs, dilation 1 and
    no `output_padding`: the forward pass as `strides[0] * strides[1]`
    stride-1 convolutions (`subpixel_conv_transpose`), the backward pass with
    TensorFlow's own gradients of a transposed convolution (a strided
    convolution for the input, `Conv2DBackpropFilter` for the kernel), which
    measured faster than differentiating the sub-pixel form.
    """
    sh, sw = (strides, strides) if isinstance(strides, int) else tuple(strides)
    return backend.conv_transpose_with_native_gradients(
        lambda x, kernel: subpixel_conv_transpose(x, kernel, (sh, sw), padding),
        x,
        kernel,
        (sh, sw),
        padding,
    )


def subpixel_conv_transpose(
    x: Tensor, kernel: Tensor, strides: int | Sequence[int], padding: str = "valid"
) -> Tensor:
    """`keras.ops.conv_transpose` for channels-last 2D inputs, dilation 1 and
    no `output_padding`, as `strides[0] * strides[1]` stride-1 convolutions.

    Args:
        x: `(batch, height, width, in_channels)`.
        kernel: `(kh, kw, out_channels, in_channels)` (Keras' layout).
        strides: an int or `(sh, sw)`.
        padding: "same" or "valid".
    """
    padding = _check_padding(padding)
    sh, sw = (strides, strides) if isinstance(strides, int) else tuple(strides)
    kh, kw, out_channels, _ = kernel.shape
    batch, n_h, n_w = _static_input(x, "conv_transpose")
    out_h, out_w = _output_length(n_h, kh, sh, padding), _output_length(n_w, kw, sw, padding)
    p_h, p_w = _pad_before(n_h, kh, sh, padding), _pad_before(n_w, kw, sw, padding)
    m_h, m_w = math.ceil(out_h / sh), math.ceil(out_w / sw)
    rows = [_phase(kh, sh, p_h, a) for a in range(sh)]
    cols = [_phase(kw, sw, p_w, b) for b in range(sw)]

    def reach(
        phases: list[tuple[list[int], int]], m: int
    ) -> tuple[int, int]:  # input rows read below 0 / above n-1, over all phases
        lo = min((d for taps, d in phases if taps), default=0)
        hi = max((d + len(taps) - 1 for taps, d in phases if taps), default=0)
        return max(0, -lo), max(0, m - 1 + hi)

    top, bottom = reach(rows, m_h)
    left, right = reach(cols, m_w)
    bottom, right = max(0, bottom - (n_h - 1)), max(0, right - (n_w - 1))
    xp = ops.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])
    kernel = ops.transpose(kernel, (0, 1, 3, 2))  # -> (kh, kw, in, out) for ops.conv
    phase_rows = []
    for taps_h, d_h in rows:
        phase_cols = []
        for taps_w, d_w in cols:
            if not taps_h or not taps_w:  # no tap reaches this phase: zeros
                phase_cols.append(ops.zeros((batch, m_h, m_w, out_channels), dtype=x.dtype))
                continue
            r0, c0 = d_h + top, d_w + left
            patch = xp[:, r0 : r0 + m_h + len(taps_h) - 1, c0 : c0 + m_w + len(taps_w) - 1, :]
            k = ops.take(ops.take(kernel, taps_h, axis=0), taps_w, axis=1)
            phase_cols.append(ops.conv(patch, k, strides=1, padding="valid"))
        phase_rows.append(ops.stack(phase_cols, axis=3))  # (B, m_h, m_w, sw, C)
    y = ops.stack(phase_rows, axis=2)  # (B, m_h, sh, m_w, sw, C)
    y = ops.reshape(y, (batch, m_h * sh, m_w * sw, out_channels))
    if (m_h * sh, m_w * sw) != (out_h, out_w):
        y = y[:, :out_h, :out_w, :]
    return y


def gemm_conv_transpose(
    x: Tensor, kernel: Tensor, strides: int | Sequence[int], padding: str = "valid"
) -> Tensor:
    """`keras.ops.conv_transpose` for channels-last 2D inputs, dilation 1 and
    no `output_padding`, for very few output channels: the forward pass as
    one matrix product over the input channels, `x @ W` with `W` the kernel
    as `(in, kh * kw * out)`, whose taps are then summed as shifted slices
    (one per whole-stride shift, each covering every output phase at once)
    and interleaved into the output; the backward pass with
    TensorFlow's own gradients of a transposed convolution, as in
    `conv_transpose`. Transposed-convolution kernels vectorize over output
    channels and run far below the machine's peak for an image's 1 or 3.

    Args:
        x: `(batch, height, width, in_channels)` with static height, width.
        kernel: `(kh, kw, out_channels, in_channels)` (Keras' layout).
        strides: an int or `(sh, sw)`.
        padding: "same" or "valid".
    """
    sh, sw = (strides, strides) if isinstance(strides, int) else tuple(strides)
    return backend.conv_transpose_with_native_gradients(
        lambda x, kernel: _gemm_conv_transpose_forward(x, kernel, (sh, sw), padding),
        x,
        kernel,
        (sh, sw),
        padding,
    )


def _gemm_conv_transpose_forward(
    x: Tensor, kernel: Tensor, strides: tuple[int, int], padding: str
) -> Tensor:
    padding = _check_padding(padding)
    sh, sw = strides
    kh, kw, filters, channels = kernel.shape
    batch, n_h, n_w = _static_input(x, "gemm_conv_transpose")
    out_h, out_w = _output_length(n_h, kh, sh, padding), _output_length(n_w, kw, sw, padding)
    p_h, p_w = _pad_before(n_h, kh, sh, padding), _pad_before(n_w, kw, sw, padding)
    # Tap i = m * sh + q sends input row a to output row (a + m) * sh + q
    # (before cropping): the taps of one shift m cover all sh phases q at
    # once. Zero taps round the kernel up to whole shifts.
    m_h, m_w = math.ceil(kh / sh), math.ceil(kw / sw)
    kernel = ops.pad(kernel, [[0, m_h * sh - kh], [0, m_w * sw - kw], [0, 0], [0, 0]])
    taps = m_h * sh * m_w * sw * filters
    wmat = ops.reshape(ops.transpose(kernel, (3, 0, 1, 2)), (channels, taps))
    z = ops.matmul(ops.reshape(x, (-1, channels)), wmat)
    z = ops.reshape(z, (batch, n_h, n_w, m_h, sh, m_w, sw, filters))
    parts = [
        ops.pad(
            z[:, :, :, i, :, j, :, :],
            [[0, 0], [i, m_h - 1 - i], [j, m_w - 1 - j], [0, 0], [0, 0], [0, 0]],
        )
        for i in range(m_h)
        for j in range(m_w)
    ]
    # One reduction, not a chain of adds: TensorFlow's graph optimizer
    # regroups add chains when shapes are static, so the same model would
    # round differently in functions traced for a fixed and a variable batch.
    y = parts[0] if len(parts) == 1 else ops.sum(ops.stack(parts), axis=0)
    # (b, rows, cols, sh, sw, f) -> (b, rows * sh, cols * sw, f), then crop
    g_h, g_w = n_h + m_h - 1, n_w + m_w - 1
    y = ops.reshape(ops.transpose(y, (0, 1, 3, 2, 4, 5)), (batch, g_h * sh, g_w * sw, filters))
    return y[:, p_h : p_h + out_h, p_w : p_w + out_w, :]


def _plain_conv_transpose(layer: keras.layers.Layer) -> bool:
    """A `Conv2DTranspose` with Keras' own `call`, channels-last, no
    dilation, no output_padding, "same" or "valid" padding: what both
    transposed forms compute."""
    return (
        isinstance(layer, keras.layers.Conv2DTranspose)
        and type(layer).call is keras.layers.Conv2DTranspose.call
        and layer.data_format == "channels_last"
        and tuple(layer.dilation_rate) == (1, 1)
        and layer.output_padding is None
        and layer.padding in ("same", "valid")
    )


def supports(layer: keras.layers.Layer) -> bool:
    """Whether `layer` is a `Conv2DTranspose` this module computes: Keras'
    own `call`, channels-last, stride > 1, no dilation, no output_padding,
    at least `MIN_FILTERS` output channels."""
    return _plain_conv_transpose(layer) and max(layer.strides) > 1 and layer.filters >= MIN_FILTERS


def supports_few_filters(layer: keras.layers.Layer) -> bool:
    """Whether `layer` is a `Conv2DTranspose` this module computes with
    `gemm_conv_transpose`: as `supports` but with at most `MAX_CONV_FILTERS`
    output channels (the layer that makes the image), any stride."""
    return _plain_conv_transpose(layer) and layer.filters <= MAX_CONV_FILTERS


def _bias_and_activation(layer: keras.layers.Layer, outputs: Tensor) -> Tensor:
    """The end of Keras' conv `call`: the layer's bias (channels-last) and activation."""
    if layer.use_bias:
        outputs = ops.add(outputs, ops.reshape(layer.bias, (1, 1, 1, layer.filters)))
    if layer.activation is not None:
        return layer.activation(outputs)
    return outputs


def _gemm_transpose_call(self: keras.layers.Conv2DTranspose, inputs: Tensor) -> Tensor:
    """`Conv2DTranspose.call` with `gemm_conv_transpose` (same bias and activation)."""
    return _bias_and_activation(
        self, gemm_conv_transpose(inputs, self.kernel, self.strides, self.padding)
    )


def _fast_call(self: keras.layers.Conv2DTranspose, inputs: Tensor) -> Tensor:
    """`Conv2DTranspose.call` with `conv_transpose` (same bias and activation)."""
    return _bias_and_activation(
        self, conv_transpose(inputs, self.kernel, self.strides, self.padding)
    )


def gemm_conv(x: Tensor, kernel: Tensor, padding: str = "valid") -> Tensor:
    """`keras.ops.conv` for channels-last 2D inputs, stride 1 and dilation 1,
    as one matrix product over the input channels, `x @ W` with `W` the
    kernel as `(in, kh * kw * out)`, followed by the sum over the `kh * kw`
    taps of the product's shifted slices. The gradients are matrix products
    too (`backend.conv_with_gemm_gradients`).

    For very few output channels (an image's 1 or 3) convolution kernels,
    which vectorize over output channels, run far below the machine's peak;
    the matrix products here run near it (see benchmarks/NOTES.md).

    Args:
        x: `(batch, height, width, in_channels)` with static height, width.
        kernel: `(kh, kw, in_channels, out_channels)` (Keras' layout).
        padding: "same" or "valid".
    """
    padding = _check_padding(padding)
    kh, kw = kernel.shape[0], kernel.shape[1]
    pad_top, pad_left = ((kh - 1) // 2, (kw - 1) // 2) if padding == "same" else (0, 0)
    return backend.conv_with_gemm_gradients(
        lambda x, kernel: _gemm_conv_forward(x, kernel, padding), x, kernel, pad_top, pad_left
    )


def _gemm_conv_forward(x: Tensor, kernel: Tensor, padding: str) -> Tensor:
    kh, kw, channels, filters = kernel.shape
    batch, h, w = _static_input(x, "gemm_conv")
    if padding == "same":
        out_h, out_w, top, left = h, w, (kh - 1) // 2, (kw - 1) // 2
    else:
        out_h, out_w, top, left = h - kh + 1, w - kw + 1, 0, 0
    taps = kh * kw * filters
    wmat = ops.reshape(ops.transpose(kernel, (2, 0, 1, 3)), (channels, taps))
    z = ops.reshape(ops.matmul(ops.reshape(x, (-1, channels)), wmat), (batch, h, w, taps))
    z = ops.pad(
        z, [[0, 0], [top, out_h + kh - 1 - h - top], [left, out_w + kw - 1 - w - left], [0, 0]]
    )
    parts = [
        z[:, i : i + out_h, j : j + out_w, (i * kw + j) * filters : (i * kw + j + 1) * filters]
        for i in range(kh)
        for j in range(kw)
    ]
    # one reduction, not a chain of adds (see _gemm_conv_transpose_forward)
    return parts[0] if len(parts) == 1 else ops.sum(ops.stack(parts), axis=0)


def _keras_conv2d(layer: keras.layers.Layer) -> bool:
    """A `Conv2D` computing with Keras' own `call` and `convolution_op`."""
    return type(layer) is keras.layers.Conv2D or (
        isinstance(layer, keras.layers.Conv2D)
        and type(layer).call is keras.layers.Conv2D.call
        and type(layer).convolution_op is keras.layers.Conv2D.convolution_op
    )


def supports_conv(layer: keras.layers.Layer) -> bool:
    """Whether `layer` is a `Conv2D` this module computes (`gemm_conv`):
    Keras' own `call` and `convolution_op`, channels-last, stride 1, no
    dilation, one group, a kernel larger than 1x1, at most
    `MAX_CONV_FILTERS` output channels."""
    return _keras_conv2d(layer) and (
        layer.data_format == "channels_last"
        and tuple(layer.strides) == (1, 1)
        and tuple(layer.dilation_rate) == (1, 1)
        and layer.groups == 1
        and layer.padding in ("same", "valid")
        and layer.kernel_size[0] * layer.kernel_size[1] > 1
        and layer.filters <= MAX_CONV_FILTERS
    )


def _fast_conv_call(self: keras.layers.Conv2D, inputs: Tensor) -> Tensor:
    """`Conv2D.call` with `gemm_conv` (same bias and activation)."""
    return _bias_and_activation(self, gemm_conv(inputs, self.kernel, self.padding))


def supports_bias(layer: keras.layers.Layer) -> bool:
    """Whether `layer` is a `Conv2D` whose bias this module adds with
    `backend.bias_add` (bias gradient apart from the kernel gradient):
    Keras' own `call` and `convolution_op`, channels-last, with a bias."""
    return _keras_conv2d(layer) and layer.data_format == "channels_last" and layer.use_bias


def _bias_conv_call(self: keras.layers.Conv2D, inputs: Tensor) -> Tensor:
    """`Conv2D.call` with the bias added by `backend.bias_add`."""
    outputs = self.convolution_op(inputs, self.kernel)
    outputs = backend.bias_add(outputs, ops.cast(self.bias, outputs.dtype))
    if self.activation is not None:
        return self.activation(outputs)
    return outputs


def block_diagonal_kernel(kernel: Tensor, groups: int) -> Tensor:
    """The `(kh, kw, groups * c_in, c_out)` kernel of one ordinary convolution
    computing a grouped one: group `g`'s `(kh, kw, c_in, c_out / groups)`
    block on the diagonal, zeros elsewhere. Gradients reach the grouped
    kernel only (the zeros are a product with the identity)."""
    kh, kw, c_in, c_out = kernel.shape
    per_group = c_out // groups
    blocks = ops.reshape(kernel, (kh, kw, c_in, groups, per_group))
    eye = ops.eye(groups, dtype=kernel.dtype)
    dense = ops.einsum("hwcgo,fg->hwfcgo", blocks, eye)
    return ops.reshape(dense, (kh, kw, groups * c_in, c_out))


def supports_grouped(layer: keras.layers.Layer) -> bool:
    """Whether `layer` is a grouped `Conv2D` (`groups > 1`, Keras' own `call`
    and `convolution_op`, channels-last) that this module computes as one
    ordinary convolution with a block-diagonal kernel: TensorFlow's and
    XLA:CPU's grouped convolutions are much slower on a CPU than the dense
    one with `groups` times the multiply-adds (`benchmarks/grouped_conv.py`,
    figures in `benchmarks/NOTES.md`)."""
    return _keras_conv2d(layer) and layer.groups > 1 and layer.data_format == "channels_last"


def _grouped_conv_call(self: keras.layers.Conv2D, inputs: Tensor) -> Tensor:
    """`Conv2D.call` with the block-diagonal kernel (same bias and activation)."""
    kernel = block_diagonal_kernel(ops.cast(self.kernel, self.compute_dtype), self.groups)
    return _bias_and_activation(self, self.convolution_op(inputs, kernel))


_OURS = (
    _fast_call,
    _fast_conv_call,
    _gemm_transpose_call,
    _bias_conv_call,
    _grouped_conv_call,
)


def is_accelerated(layer: keras.layers.Layer) -> bool:
    return _call_override.installed(layer) in _OURS


def accelerate(
    model: keras.layers.Layer,
    conv_transpose: bool = True,
    conv: bool = True,
    bias: bool = True,
    grouped: bool = True,
) -> list[str]:
    """Makes the supported layers of `model` (nested models included) use
    this module: `Conv2DTranspose` layers (`supports`) use `conv_transpose`
    when `conv_transpose`, few-filter `Conv2D` layers (`supports_conv`) use
    `gemm_conv` and few-filter `Conv2DTranspose` layers
    (`supports_few_filters`) `gemm_conv_transpose` when `conv`, other
    `Conv2D` layers with a bias
    (`supports_bias`) add it with `backend.bias_add` when `bias`, grouped
    `Conv2D` layers (`supports_grouped`) use one convolution with a
    block-diagonal kernel when `grouped`. Returns the
    names of the accelerated layers.
    The layers' class, config and weights are untouched (saved files load
    anywhere); only this Python object computes differently. Call before the
    model's functions are traced; layers accelerated before but not chosen
    now are restored."""
    names = []
    for layer in _call_override.layers(model):
        if conv_transpose and supports(layer):
            _call_override.install(layer, _fast_call)
        elif conv and supports_conv(layer):
            _call_override.install(layer, _fast_conv_call)
        elif conv and supports_few_filters(layer):
            _call_override.install(layer, _gemm_transpose_call)
        elif grouped and supports_grouped(layer):
            _call_override.install(layer, _grouped_conv_call)
        elif bias and supports_bias(layer):
            _call_override.install(layer, _bias_conv_call)
        else:
            _call_override.remove(layer, _OURS)
            continue
        names.append(layer.name)
    return names


def restore(model: keras.layers.Layer) -> None:
    """Undoes `accelerate`: Keras' own `call` again."""
    for layer in _call_override.layers(model):
        _call_override.remove(layer, _OURS)
