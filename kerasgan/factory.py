"""Building a variant from its defaults: `kerasgan.create` / `GANModel.create`."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, TypeVar, cast

import keras

from kerasgan._typing import Shape

if TYPE_CHECKING:
    from kerasgan.gan_model import GANModel

_Model = TypeVar("_Model", bound="GANModel")


def build_variant(
    cls: type[_Model],
    image_shape: Shape | None = None,
    latent_dim: int | None = None,
    num_classes: int | None = None,
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
    **overrides: Any,
) -> _Model:
    """Builds variant class `cls`, splitting `overrides` between the model and the
    network builders, and building the networks that were not given."""
    if num_classes is not None and not cls.conditional:
        raise ValueError(
            f"The {cls.variant_name!r} variant is unconditional and takes no num_classes; "
            "use a conditional variant such as 'cgan' for class-conditional samples."
        )
    model_params: set[str] = set()
    for klass in cls.__mro__:
        if klass is keras.Model:
            break
        if "__init__" in vars(klass):  # the class's own, not an inherited one
            model_params |= set(inspect.signature(vars(klass)["__init__"]).parameters)
    model_params |= {"name", "dtype", "trainable"}
    g_params = set(inspect.signature(cls.build_generator).parameters)
    d_params = set(inspect.signature(cls.build_discriminator).parameters)
    model_kwargs = {k: v for k, v in overrides.items() if k in model_params}
    # An argument that both the model and a builder take (e.g. SNGAN's
    # `architecture`) goes to both.
    builder_kwargs = {
        k: v for k, v in overrides.items() if k not in model_params or k in g_params | d_params
    }
    unknown = set(builder_kwargs) - g_params - d_params
    if unknown:
        allowed = sorted((model_params | g_params | d_params) - {"self", "kwargs", "args"})
        raise TypeError(
            f"create({cls.variant_name!r}) got unexpected argument(s) {sorted(unknown)}; "
            f"valid ones: {', '.join(allowed)}."
        )
    # Only a network that is built here needs image_shape; the model reads it
    # from given ones (a subclassed network has no `inputs`/`outputs` to read).
    if image_shape is None and (generator is None or discriminator is None):
        image_shape = _image_shape_of(generator, "outputs") or _image_shape_of(
            discriminator, "inputs"
        )
        if image_shape is None:
            raise ValueError(
                f"create({cls.variant_name!r}) needs image_shape=(height, width, "
                "channels), e.g. (28, 28, 1), to build its default networks."
            )
    if latent_dim is None and generator is None:
        latent_dim = cls.default_latent_dim  # else the model reads it from the generator
    if generator is None:
        kw = {k: v for k, v in builder_kwargs.items() if k in g_params}
        # both set above when a network is built here
        shape, dim = cast(Shape, image_shape), cast(int, latent_dim)
        generator = cls.build_generator(shape, dim, num_classes, **kw)
    if discriminator is None:
        kw = {k: v for k, v in builder_kwargs.items() if k in d_params}
        discriminator = cls.build_discriminator(cast(Shape, image_shape), num_classes, **kw)
    return cls(
        generator=generator,
        discriminator=discriminator,
        latent_dim=latent_dim,
        num_classes=num_classes,
        **model_kwargs,
    )


def _image_shape_of(network: keras.Model | None, attribute: str) -> tuple[Any, ...] | None:
    """The image shape of a functional network's first output or input, else None."""
    tensors = getattr(network, attribute, None) if network is not None else None
    if not tensors:
        return None
    return tuple(tensors[0].shape[1:])
