"""Layers of the default networks that Keras does not ship."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import layers, ops

from kerasgan._typing import Shape, Tensor

__all__ = ["ConditionalBatchNormalization", "GlobalSumPooling2D"]


@keras.saving.register_keras_serializable(package="kerasgan")
class ConditionalBatchNormalization(layers.Layer):
    """Batch normalization with a scale and an offset per class.

    Called on `[x, labels]`: `x` is normalized like
    `BatchNormalization(center=False, scale=False)` (batch statistics while
    training, moving averages at inference), then
    `y = gamma[label] * x_hat + beta[label]`, where `gamma` and `beta` are
    `Embedding` tables of shape `(num_classes, channels)` initialised to ones
    and zeros (de Vries et al. 2017; the generator of Miyato & Koyama 2018,
    "cGANs with Projection Discriminator", arXiv:1802.05637).

    Args:
        num_classes: number of classes (rows of `gamma` and `beta`).
        momentum: momentum of the moving mean and variance.
        epsilon: added to the variance.

    Example:
        >>> h = ConditionalBatchNormalization(10)([h, labels])  # labels: (B, 1) int
    """

    def __init__(
        self, num_classes: int, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.num_classes = int(num_classes)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.norm = layers.BatchNormalization(
            momentum=momentum, epsilon=epsilon, center=False, scale=False, name="norm"
        )
        # the per-class tables, made by build() once the channels are known
        self.gamma: layers.Embedding | None = None
        self.beta: layers.Embedding | None = None

    def build(self, input_shape: Sequence[Shape]) -> None:
        x_shape = tuple(input_shape[0])
        channels = x_shape[-1]
        self.norm.build(x_shape)
        self.gamma = layers.Embedding(
            self.num_classes, channels, embeddings_initializer="ones", name="gamma"
        )
        self.beta = layers.Embedding(
            self.num_classes, channels, embeddings_initializer="zeros", name="beta"
        )
        self.gamma.build((None,))
        self.beta.build((None,))

    def call(self, inputs: Sequence[Tensor], training: bool | None = None) -> Tensor:
        assert self.gamma is not None and self.beta is not None  # made by build()
        x, labels = inputs
        x_hat = self.norm(x, training=training)
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        shape = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
        gamma = ops.reshape(ops.cast(self.gamma(labels), x_hat.dtype), shape)
        beta = ops.reshape(ops.cast(self.beta(labels), x_hat.dtype), shape)
        return x_hat * gamma + beta

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> tuple[int | None, ...]:
        return tuple(input_shape[0])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(num_classes=self.num_classes, momentum=self.momentum, epsilon=self.epsilon)
        return config


@keras.saving.register_keras_serializable(package="kerasgan")
class GlobalSumPooling2D(layers.Layer):
    """Sums `(batch, height, width, channels)` over height and width.

    The pooling of the SNGAN / projection-discriminator ResNets (Miyato et al.
    2018), where the sum (not the mean) feeds the last linear layer.
    """

    def call(self, inputs: Tensor) -> Tensor:
        return ops.sum(inputs, axis=(1, 2))

    def compute_output_shape(self, input_shape: Shape) -> tuple[int | None, int | None]:
        return (input_shape[0], input_shape[-1])
