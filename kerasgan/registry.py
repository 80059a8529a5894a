"""The variant registry: `register`, `create`, `get`, `list_variants`.

Variants in this package register themselves on import. Third-party packages
add theirs through the entry-point group `kerasgan.variants`: each entry point
names a module (imported, so its `@kerasgan.register` decorators run) or a
`GANModel` subclass (registered under the entry point's name).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import keras

from kerasgan._typing import Shape

if TYPE_CHECKING:
    from kerasgan.gan_model import GANModel

ENTRY_POINT_GROUP = "kerasgan.variants"

_REGISTRY: dict[str, type[GANModel]] = {}
_PLUGINS_LOADED = False
_PLUGIN_ERRORS: dict[str, str] = {}

_Variant = TypeVar("_Variant", bound="type[GANModel]")

__all__ = ["create", "get", "list_variants", "load_plugins", "register"]


def register(name: str) -> Callable[[_Variant], _Variant]:
    """Class decorator registering a `GANModel` subclass as variant `name`.

    The class also becomes Keras-serializable as `kerasgan>ClassName`, so
    `.keras` files of it load with `keras.saving.load_model` or
    `kerasgan.load_model` in any process where it is registered: its module
    imported, or its plugin installed (entry point). Elsewhere loading raises
    a short `kerasgan.saving.MissingClassError` naming the class and the
    module to import (and the variant, from `kerasgan.load_model`).
    Registering a name twice warns and keeps the newer class.

    Example:
        >>> @kerasgan.register("my_gan")
        ... class MyGAN(kerasgan.GANModel):
        ...     default_adversarial_loss = "hinge"
    """
    from kerasgan.gan_model import GANModel

    if not isinstance(name, str) or not name:
        raise ValueError(f"A variant name must be a non-empty string; got {name!r}.")

    def decorator(cls: _Variant) -> _Variant:
        if not (inspect.isclass(cls) and issubclass(cls, GANModel)):
            raise TypeError(f"@register({name!r}) expects a GANModel subclass; got {cls!r}.")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            warnings.warn(
                f"Variant {name!r} was already registered by "
                f"{_REGISTRY[name].__module__}.{_REGISTRY[name].__qualname__}; "
                f"overwriting it with {cls.__module__}.{cls.__qualname__}.",
                stacklevel=2,
            )
        cls.variant_name = name
        keras.saving.register_keras_serializable(package="kerasgan")(cls)
        _REGISTRY[name] = cls
        return cls

    return decorator


def load_plugins(force: bool = False) -> dict[str, str]:
    """Imports the variants advertised under the `kerasgan.variants` entry points.

    Returns a dict `{entry point name: error message}` for plugins that failed
    to load (each also raises a warning); working plugins are registered.
    """
    global _PLUGINS_LOADED
    if _PLUGINS_LOADED and not force:
        return dict(_PLUGIN_ERRORS)
    _PLUGINS_LOADED = True
    _PLUGIN_ERRORS.clear()
    from kerasgan.gan_model import GANModel

    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except Exception as e:  # a broken plugin must not break kerasgan
            _PLUGIN_ERRORS[ep.name] = f"{type(e).__name__}: {e}"
            warnings.warn(
                f"Could not load kerasgan plugin {ep.name!r} ({ep.value}): {e}", stacklevel=2
            )
            continue
        if inspect.isclass(obj) and issubclass(obj, GANModel):
            if _REGISTRY.get(ep.name) is not obj:
                register(ep.name)(obj)
        elif not inspect.ismodule(obj):
            _PLUGIN_ERRORS[ep.name] = (
                f"entry point {ep.value!r} is a {type(obj).__name__}, not a module or a "
                "GANModel subclass"
            )
            warnings.warn(
                f"Ignoring kerasgan plugin {ep.name!r}: {_PLUGIN_ERRORS[ep.name]}.", stacklevel=2
            )
    return dict(_PLUGIN_ERRORS)


@overload
def list_variants(details: Literal[False] = False, pretrained: bool = False) -> list[str]: ...
@overload
def list_variants(details: Literal[True], pretrained: bool = False) -> dict[str, str]: ...
@overload
def list_variants(details: bool, pretrained: bool = False) -> list[str] | dict[str, str]: ...


def list_variants(details: bool = False, pretrained: bool = False) -> list[str] | dict[str, str]:
    """Names of the registered variants, sorted (plugins included).

    With `details=True`, a dict `{name: one-line description}`. With
    `pretrained=True`, only the variants that have a trained preset in the
    zoo (`GANModel.from_preset`; `kerasgan.zoo.list()` names the presets).
    """
    load_plugins()
    names = sorted(_REGISTRY)
    if pretrained:
        from kerasgan import zoo

        with_presets = {zoo.info(p).get("variant") for p in zoo.list()}
        names = [n for n in names if n in with_presets]
    if details:
        return {n: _REGISTRY[n].description for n in names}
    return names


def get(name: str) -> type[GANModel]:
    """The `GANModel` subclass registered as `name`."""
    load_plugins()
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "(none)"
        raise ValueError(f"Unknown GAN variant {name!r}. Known variants: {known}.")
    return _REGISTRY[name]


def create(
    name: str,
    image_shape: Shape | None = None,
    latent_dim: int | None = None,
    num_classes: int | None = None,
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
    **overrides: Any,
) -> GANModel:
    """Builds variant `name` with its default networks, or with yours.

    Args:
        name: a registered variant (see `list_variants()`).
        image_shape: `(height, width, channels)`; needed unless both networks
            are given (then it is read from the generator).
        latent_dim: noise size (the variant's default when omitted).
        num_classes: number of classes, for conditional variants.
        generator: your own generator `keras.Model` (optional).
        discriminator: your own discriminator `keras.Model` (optional).
        **overrides: other `GANModel` arguments (`d_steps`,
            `gradient_penalty_weight`, `seed`, ...) and arguments of the
            variant's network builders (e.g. `base_filters`).

    Example:
        >>> gan = kerasgan.create("wgan_gp", image_shape=(28, 28, 1), latent_dim=128)
    """
    cls = get(name)
    return cls.create(
        image_shape=image_shape,
        latent_dim=latent_dim,
        num_classes=num_classes,
        generator=generator,
        discriminator=discriminator,
        **overrides,
    )
