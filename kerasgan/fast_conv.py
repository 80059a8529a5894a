"""Strided transposed convolutions computed as sub-pixel convolutions.

A `Conv2DTranspose` with stride `s` scatters every input pixel through the
`k x k` kernel into an output `s` times larger. TensorFlow (with and without
XLA) computes it as a convolution over the input *dilated with zeros*
(`lhs_dilate=s`): for the usual `k=4, s=2` three of every four multiply-adds
hit an inserted zero. The same result is `s * s` ordinary stride-1
convolutions, one per output phase ("sub-pixel" positions), each with the
kernel taps that reach that phase, interleaved into the output. Nothing is
multiplied by an inserted zero, and the backward pass is made of stride-1
convolutions as well.

It is the same function of the same weights (the sums are regrouped, so
results agree to float rounding, ~1e-6 relative): the layer, its config,
its variables and saved files do not change. On the benchmark's 2-core CPU
the forward 14x14 -> 28x28, 128 -> 128 channel transposed convolution of the
keras.io DCGAN takes about half the time (see `benchmarks/NOTES.md`).

- `conv_transpose(x, kernel, strides, padding)`: the op (channels-last 2D).
- `accelerate(model)`: makes every supported `Conv2DTranspose` layer of a
  model (nested models included) use it; `GANModel.compile` does this for its
  generator and discriminator unless `fast_conv_transpose=False`.
- `restore(model)`: back to Keras' own implementation.
"""

from __future__ import annotations

import math
import types

import keras
from keras import ops

from kerasgan import backend

__all__ = [
    "MIN_FILTERS",
    "accelerate",
    "conv_transpose",
    "is_accelerated",
    "restore",
    "subpixel_conv_transpose",
    "supports",
]

#: Layers with fewer output channels keep Keras' implementation: with so few
#: channels the s*s small convolutions cost more than the zero-dilated one
#: (measured: 3 output channels, 14x14 -> 28x28, 27.8 vs 7.6 ms forward).
MIN_FILTERS = 16


def _output_length(n, k, s, padding):
    """Keras' output length of a transposed convolution (no output_padding)."""
    return n * s if padding == "same" else n * s + max(k - s, 0)


def _pad_before(n, k, s, padding):
    """Zero rows TensorFlow's SAME/VALID transposed convolution crops at the start."""
    if padding == "valid":
        return 0
    return max((n - 1) * s + k - n * s, 0) // 2


def _phase(k, s, p, a):
    """Kernel taps reaching output phase `a` (output positions `s*m + a`),
    ordered by the input offset they read, and the smallest offset.

    Output `o` collects input `i` through tap `t` when `o = s*i + t - p`, so
    phase `a` uses taps `t = (a + p) mod s, + s, ...` and reads input
    `m + (a + p - t) / s`.
    """
    taps = list(range((a + p) % s, k, s))[::-1]
    offset = (a + p - taps[0]) // s if taps else 0
    return taps, offset


def conv_transpose(x, kernel, strides, padding="valid"):
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


def subpixel_conv_transpose(x, kernel, strides, padding="valid"):
    """`keras.ops.conv_transpose` for channels-last 2D inputs, dilation 1 and
    no `output_padding`, as `strides[0] * strides[1]` stride-1 convolutions.

    Args:
        x: `(batch, height, width, in_channels)`.
        kernel: `(kh, kw, out_channels, in_channels)` (Keras' layout).
        strides: an int or `(sh, sw)`.
        padding: "same" or "valid".
    """
    padding = padding.lower()
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'same' or 'valid'; got {padding!r}.")
    sh, sw = (strides, strides) if isinstance(strides, int) else tuple(strides)
    kh, kw, out_channels, _ = kernel.shape
    batch, n_h, n_w, _ = x.shape
    if n_h is None or n_w is None:
        raise ValueError(f"conv_transpose needs static spatial sizes; got input shape {x.shape}.")
    if batch is None:
        batch = ops.shape(x)[0]
    out_h, out_w = _output_length(n_h, kh, sh, padding), _output_length(n_w, kw, sw, padding)
    p_h, p_w = _pad_before(n_h, kh, sh, padding), _pad_before(n_w, kw, sw, padding)
    m_h, m_w = math.ceil(out_h / sh), math.ceil(out_w / sw)
    rows = [_phase(kh, sh, p_h, a) for a in range(sh)]
    cols = [_phase(kw, sw, p_w, b) for b in range(sw)]

    def reach(phases, m):  # input rows read below 0 / above n-1, over all phases
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


def supports(layer) -> bool:
    """Whether `layer` is a `Conv2DTranspose` this module computes: Keras'
    own `call`, channels-last, stride > 1, no dilation, no output_padding,
    at least `MIN_FILTERS` output channels."""
    return (
        isinstance(layer, keras.layers.Conv2DTranspose)
        and type(layer).call is keras.layers.Conv2DTranspose.call
        and layer.data_format == "channels_last"
        and tuple(layer.dilation_rate) == (1, 1)
        and layer.output_padding is None
        and layer.padding in ("same", "valid")
        and max(layer.strides) > 1
        and layer.filters >= MIN_FILTERS
    )


def _fast_call(self, inputs):
    """`Conv2DTranspose.call` with `conv_transpose` (same bias and activation)."""
    outputs = conv_transpose(inputs, self.kernel, self.strides, self.padding)
    if self.use_bias:
        outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
    if self.activation is not None:
        return self.activation(outputs)
    return outputs


def is_accelerated(layer) -> bool:
    return getattr(layer.__dict__.get("call"), "__func__", None) is _fast_call


def _layers(model):
    if isinstance(model, keras.layers.Layer):
        yield model
        yield from model._flatten_layers(include_self=False, recursive=True)


def accelerate(model) -> list[str]:
    """Makes every supported `Conv2DTranspose` in `model` use `conv_transpose`;
    returns the names of those layers. The layers' class, config and weights
    are untouched (saved files load anywhere); only this Python object
    computes differently. Call before the model's functions are traced."""
    names = []
    for layer in _layers(model):
        if supports(layer):
            if not is_accelerated(layer):
                object.__setattr__(layer, "call", types.MethodType(_fast_call, layer))
            names.append(layer.name)
    return names


def restore(model) -> None:
    """Undoes `accelerate`: Keras' own `Conv2DTranspose.call` again."""
    for layer in _layers(model):
        if is_accelerated(layer):
            object.__delattr__(layer, "call")
