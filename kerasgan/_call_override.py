"""Per-instance `call` overrides: how `fast_conv` and `fast_norm` make a layer
compute differently without changing its class, config or weights (saved
files load anywhere; only the Python object computes differently)."""

from __future__ import annotations

import types

import keras


def layers(model):
    """`model` and every layer nested in it."""
    if isinstance(model, keras.layers.Layer):
        yield model
        yield from model._flatten_layers(include_self=False, recursive=True)


def installed(layer):
    """The function installed as `layer`'s own `call`, or None."""
    return getattr(layer.__dict__.get("call"), "__func__", None)


def install(layer, func) -> None:
    """Makes `layer.call` run `func(layer, ...)`."""
    if installed(layer) is not func:
        object.__setattr__(layer, "call", types.MethodType(func, layer))


def remove(layer, funcs) -> None:
    """Back to the class's `call` if one of `funcs` is installed."""
    if installed(layer) in funcs:
        object.__delattr__(layer, "call")
