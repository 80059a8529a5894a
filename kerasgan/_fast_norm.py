"""Batch normalization in training as one fused op.

Keras 3's `BatchNormalization` computes a training step's batch statistics
and normalization from separate element-wise ops and reductions (mean,
squared difference, multiply, ...), which XLA fuses but a TensorFlow graph
runs one by one. TensorFlow's `FusedBatchNormV3` does the same in one pass,
forward and backward, with the same result to float rounding (its speed:
docs/performance.md).

- `accelerate(model)`: makes every supported `BatchNormalization` of a model
  (nested models included) use it while training; inference (moving
  statistics), masks, renorm and synchronized batch norm keep Keras' own
  code. `GANModel.compile(fast_layers=...)` does this for its networks.
- `restore(model)`: back to Keras' own implementation.

The layer's class, config, variables and saved files do not change; the
moving mean and variance are updated exactly as Keras does (biased batch
variance, the layer's momentum).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import keras
from keras import ops

from kerasgan import _call_override, backend
from kerasgan._typing import Tensor

__all__ = ["accelerate", "is_accelerated", "restore", "supports"]


def supports(layer: keras.layers.Layer) -> bool:
    """Whether `layer` is a `BatchNormalization` this module computes: Keras'
    own `call`, normalizing the last axis, no renorm, not synchronized."""
    if not isinstance(layer, keras.layers.BatchNormalization):
        return False
    if type(layer).call is not keras.layers.BatchNormalization.call:
        return False
    if getattr(layer, "renorm", False) or getattr(layer, "synchronized", False):
        return False
    axis = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    return len(axis) == 1 and axis[0] in (-1, 3)


def _fast_call(
    self: keras.layers.BatchNormalization,
    inputs: Tensor,
    training: bool | None = None,
    mask: Tensor | None = None,
) -> Tensor:
    """`BatchNormalization.call` with the fused op for rank-4 training batches."""
    if mask is not None or not (training and self.trainable) or len(inputs.shape) != 4:
        return keras.layers.BatchNormalization.call(self, inputs, training=training, mask=mask)
    dtype = keras.backend.result_type(inputs.dtype, "float32")
    x = ops.cast(inputs, dtype)
    channels = x.shape[-1]
    gamma = ops.cast(self.gamma, dtype) if self.scale else ops.ones((channels,), dtype)
    beta = ops.cast(self.beta, dtype) if self.center else ops.zeros((channels,), dtype)
    # installed only where the backend has the fused op (GANModel._apply_fast_layers)
    fused = cast("Callable[..., tuple[Tensor, Tensor, Tensor]]", backend.fused_batch_norm_training)
    y, mean, variance = fused(x, gamma, beta, self.epsilon)
    moving_mean = ops.cast(self.moving_mean, dtype)
    moving_variance = ops.cast(self.moving_variance, dtype)
    self.moving_mean.assign(moving_mean * self.momentum + mean * (1.0 - self.momentum))
    self.moving_variance.assign(moving_variance * self.momentum + variance * (1.0 - self.momentum))
    return ops.cast(y, self.compute_dtype)


def is_accelerated(layer: keras.layers.Layer) -> bool:
    return _call_override.installed(layer) is _fast_call


def accelerate(model: keras.layers.Layer) -> list[str]:
    """Makes every supported `BatchNormalization` in `model` use the fused op
    while training; returns their names. Call before the model's functions
    are traced."""
    names = []
    for layer in _call_override.layers(model):
        if supports(layer):
            _call_override.install(layer, _fast_call)
            names.append(layer.name)
    return names


def restore(model: keras.layers.Layer) -> None:
    """Undoes `accelerate`: Keras' own `call` again."""
    for layer in _call_override.layers(model):
        _call_override.remove(layer, (_fast_call,))
