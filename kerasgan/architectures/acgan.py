"""The auxiliary-classifier discriminator of AC-GAN.

Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary Classifier
GANs", ICML 2017, arXiv:1610.09585.
"""

from __future__ import annotations

import copy
from typing import Any

import keras
from keras import layers

from kerasgan._typing import Shape, Tensor
from kerasgan.architectures.dcgan import (
    downsampling_stack,
    num_upsamplings,
    validate_image_shape,
)

__all__ = ["AuxiliaryClassifierDiscriminator", "acgan_discriminator"]


@keras.saving.register_keras_serializable(package="kerasgan")
class AuxiliaryClassifierDiscriminator(keras.Model):
    """A discriminator with a source head and a class head, behind the usual
    one-logit interface.

    Wraps `network`, a `keras.Model` mapping `[images, labels]` to
    `[source_logit (B, 1), class_logits (B, num_classes)]`. Calling the
    wrapper returns the source (real / fake) logit only, so everything that
    expects a discriminator (losses, gradient penalties, shape checks) works
    unchanged; `call(..., return_class_logits=True)` returns both heads. The
    `labels` input keeps kerasgan's conditional interface: an AC-GAN
    discriminator predicts the class instead of reading it, so the default
    network ignores it.

    Args:
        network: the two-output model.

    Example:
        >>> d = acgan_discriminator((28, 28, 1), num_classes=10)
        >>> source = d([images, labels])                              # (B, 1)
        >>> source, classes = d([images, labels], return_class_logits=True)
    """

    def __init__(self, network: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        outputs = getattr(network, "outputs", None)
        if outputs is None or len(outputs) != 2 or tuple(outputs[0].shape[1:]) != (1,):
            shapes = None if outputs is None else [tuple(o.shape) for o in outputs]
            raise ValueError(
                "An auxiliary-classifier discriminator needs a functional keras.Model with two "
                "outputs, [source logit (batch, 1), class logits (batch, num_classes)]; got "
                f"outputs {shapes}."
            )
        self.network = network
        self.num_classes = int(outputs[1].shape[-1])
        self.built = True

    # The wrapped network's interface, as seen through the source head.
    @property
    def inputs(self) -> list[Tensor]:
        return self.network.inputs

    @property
    def input_shape(self) -> Any:
        return self.network.input_shape

    @property
    def output_shape(self) -> tuple[int | None, ...]:
        return tuple(self.network.outputs[0].shape)

    def call(
        self, inputs: list[Tensor], training: bool | None = None, return_class_logits: bool = False
    ) -> Tensor | tuple[Tensor, Tensor]:
        source, class_logits = self.network(inputs, training=training)
        if return_class_logits:
            return source, class_logits
        return source

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["network"] = keras.saving.serialize_keras_object(self.network)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AuxiliaryClassifierDiscriminator:
        config = dict(config)
        network = copy.deepcopy(config["network"])  # the deserializer consumes it
        config["network"] = keras.saving.deserialize_keras_object(network)
        return cls(**config)


def acgan_discriminator(
    image_shape: Shape,
    num_classes: int,
    base_filters: int = 64,
    batch_norm: bool = True,
    negative_slope: float = 0.2,
    kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
    name: str = "discriminator",
) -> AuxiliaryClassifierDiscriminator:
    """A DCGAN discriminator trunk with a source head and a class head.

    `[Conv(4, s2) (BN) LeakyReLU] x k -> Flatten`, then `Dense(1)` (named
    `"source"`, the real / fake logit) and `Dense(num_classes)` (named
    `"classes"`, class logits), both in float32. The model takes `[images,
    labels]` like every kerasgan conditional discriminator but does not use
    the labels. Returned wrapped in `AuxiliaryClassifierDiscriminator`.
    """
    image_shape = validate_image_shape(image_shape)
    k = num_upsamplings(image_shape)
    images = keras.Input(image_shape, name="images")
    labels = keras.Input((1,), dtype="int32", name="labels")  # unused: D predicts the class
    x = images
    x = downsampling_stack(x, k, base_filters, batch_norm, negative_slope, kernel_initializer)
    features = layers.Flatten(name="features")(x)
    source = layers.Dense(1, dtype="float32", kernel_initializer=kernel_initializer, name="source")(
        features
    )
    classes = layers.Dense(
        num_classes, dtype="float32", kernel_initializer=kernel_initializer, name="classes"
    )(features)
    network = keras.Model([images, labels], [source, classes], name=f"{name}_network")
    return AuxiliaryClassifierDiscriminator(network, name=name)
