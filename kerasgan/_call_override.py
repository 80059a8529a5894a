"""Per-instance `call` overrides: how the faster layer forms (`_fast_conv`,
`_fast_norm`) and backend fixes make a layer compute differently without
changing its class, config or weights (saved files load anywhere; only the
Python object computes differently).

An override belongs to the models that installed it (`owner`) and applies
only while one of them runs its own step (`active(model)`): a layer object
that another model shares computes with its class's `call` there.
"""

from __future__ import annotations

import contextlib
import types
import weakref
from collections.abc import Callable, Collection, Iterator
from typing import Any

import keras

_FUNC = "_kerasgan_call"
_OWNERS = "_kerasgan_owners"
#: Models whose steps are running (innermost last).
_ACTIVE: list = []
#: The model installing overrides (see `installing`).
_INSTALLER: list = []


def layers(model: Any) -> Iterator[keras.layers.Layer]:
    """`model` and every layer nested in it."""
    if isinstance(model, keras.layers.Layer):
        yield model
        yield from model._flatten_layers(include_self=False, recursive=True)


@contextlib.contextmanager
def installing(owner: object) -> Iterator[None]:
    """Overrides installed inside belong to `owner`."""
    _INSTALLER.append(owner)
    try:
        yield
    finally:
        _INSTALLER.pop()


@contextlib.contextmanager
def active(owner: object) -> Iterator[None]:
    """Runs `owner`'s overrides (its step, generation) inside."""
    _ACTIVE.append(owner)
    try:
        yield
    finally:
        _ACTIVE.pop()


class _Owners:
    """Weak references to the models an override belongs to (`None`: always
    on). An opaque holder, so that Keras' saving walk does not follow it."""

    def __init__(self) -> None:
        self.refs: list = []

    def __iter__(self) -> Iterator[Any]:
        for ref in self.refs:
            yield None if ref is None else ref()

    def add(self, owner: object) -> None:
        if not any(o is owner for o in self):
            self.refs.append(None if owner is None else weakref.ref(owner))


def _dispatch(self: keras.layers.Layer, *args: Any, **kwargs: Any) -> Any:
    owners = self.__dict__.get(_OWNERS, ())
    current = _ACTIVE[-1] if _ACTIVE else None
    if any(owner is None or owner is current for owner in owners):
        return self.__dict__[_FUNC](self, *args, **kwargs)
    return type(self).call(self, *args, **kwargs)


def installed(layer: keras.layers.Layer) -> Callable[..., Any] | None:
    """The function installed as `layer`'s own `call`, or None."""
    if getattr(layer.__dict__.get("call"), "__func__", None) is _dispatch:
        return layer.__dict__.get(_FUNC)
    return None


def install(layer: keras.layers.Layer, func: Callable[..., Any]) -> None:
    """Makes `layer.call` run `func(layer, ...)` while its owner (the model
    in `installing`, if any) runs its step; without an owner, always."""
    owner = _INSTALLER[-1] if _INSTALLER else None  # None: always on
    owners = layer.__dict__.get(_OWNERS) if installed(layer) is func else None
    owners = owners or _Owners()
    owners.add(owner)
    object.__setattr__(layer, _FUNC, func)
    object.__setattr__(layer, _OWNERS, owners)
    object.__setattr__(layer, "call", types.MethodType(_dispatch, layer))


def remove(layer: keras.layers.Layer, funcs: Collection[Callable[..., Any]]) -> None:
    """Back to the class's `call` if one of `funcs` is installed: for the
    model in `installing` only (other owners keep it), or for all."""
    if installed(layer) not in funcs:
        return
    owner = _INSTALLER[-1] if _INSTALLER else None
    owners = layer.__dict__[_OWNERS]
    if owner is not None:
        owners.refs = [r for r in owners.refs if r is None or r() is not owner]
        if any(o is not None for o in owners) or None in owners.refs:
            return
    object.__delattr__(layer, "call")
    object.__delattr__(layer, _FUNC)
    object.__delattr__(layer, _OWNERS)
