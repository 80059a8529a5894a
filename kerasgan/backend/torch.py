"""The PyTorch trainer: eager steps with `torch.autograd`.

Keras' PyTorch variables are `torch.nn.Parameter`s, so a step is ordinary
PyTorch: the loss is computed eagerly, `torch.autograd.grad` gives the
gradients of the variables being updated (the other network's parameters
get none), and `optimizer.apply` updates them. Gradient penalties use
`torch.autograd.grad(..., create_graph=True)`. Runs on one device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import keras
import torch

from kerasgan._typing import Tensor
from kerasgan.backend._common import (  # noqa: F401 - the backend's interface
    StatefulTrainer,
    bias_add,
    conv_transpose_with_native_gradients,
    conv_with_gemm_gradients,
    num_replicas,
    replica_rows,
    step_logs,
)

Trainer = StatefulTrainer


def _detach(value: Any) -> Any:
    return value.detach() if isinstance(value, torch.Tensor) else value


def minimize(
    loss_fn: Callable[[], tuple[Tensor, dict[str, Tensor]]],
    variables: Iterable[keras.Variable],
    optimizer: keras.optimizers.Optimizer,
) -> tuple[Tensor, dict[str, Tensor]]:
    """One update of `variables` by `optimizer` on `loss_fn()`'s gradient.

    `loss_fn` returns `(loss, logs)`; returns the same, detached.
    """
    variables = [v for v in variables]
    with torch.enable_grad():
        loss, logs = loss_fn()
        scaled = optimizer.scale_loss(loss)
        params = [v.value for v in variables]
        grads = torch.autograd.grad(scaled, params, allow_unused=True)
    # allow_unused: a parameter the loss does not reach has the gradient None
    dense = [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)]
    with torch.no_grad():
        optimizer.apply(dense, variables)
    return _detach(loss), {k: _detach(v) for k, v in logs.items()}


def input_gradients(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Gradient of `sum(fn(x))` with respect to `x` (differentiable itself:
    `create_graph=True`).

    When `fn` treats samples independently (no batch statistics), row `i` of
    the result is the gradient of `fn(x)[i]` with respect to `x[i]`.
    """
    with torch.enable_grad():
        if not x.requires_grad:
            x = x.detach().requires_grad_(True)
        total = torch.sum(fn(x).to(torch.float32))
        (grads,) = torch.autograd.grad(total, x, create_graph=True)
    return grads


def resolve_jit_compile(model: keras.Model, requested: bool | str) -> bool:
    """PyTorch has no XLA here: `"auto"` and `False` run the step eagerly;
    `True` is refused with the alternatives."""
    if requested is True:
        raise ValueError(
            "jit_compile=True compiles the step with XLA, which kerasgan offers on the "
            "TensorFlow and JAX backends; on PyTorch the step runs eagerly. Use "
            "jit_compile='auto' (the default) or False here, or set KERAS_BACKEND=jax or "
            "KERAS_BACKEND=tensorflow for a compiled step."
        )
    return False


def check_distribution(model: keras.Model) -> None:
    """Refuses a `tf.distribute` strategy or a `keras.distribution` layout:
    kerasgan trains on one device under PyTorch."""
    import sys

    import keras

    tf = sys.modules.get("tensorflow")
    if tf is not None and tf.distribute.has_strategy():
        raise ValueError(
            "A tf.distribute strategy does not distribute a model on the PyTorch backend; "
            "kerasgan trains on one device there. Set KERAS_BACKEND=tensorflow (tf.distribute) "
            "or KERAS_BACKEND=jax (keras.distribution.DataParallel) to train on several."
        )
    if keras.distribution.distribution() is not None:
        raise ValueError(
            "keras.distribution is a JAX feature; kerasgan trains on one device on the "
            "PyTorch backend. Set KERAS_BACKEND=jax to use keras.distribution.DataParallel."
        )


def auto_fast_layers(jit_compile: bool) -> set[str]:
    """No faster form has been measured faster on PyTorch: Keras' layers everywhere."""
    return set()


def cond(pred: Tensor, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """`keras.ops.cond` (assignments in the branch taken are kept)."""
    import keras

    return keras.ops.cond(pred, true_fn, false_fn)


def _spectral_normalization_call(
    self: keras.layers.SpectralNormalization, inputs: Tensor, training: bool = False
) -> Tensor:
    """`keras.layers.SpectralNormalization.call` whose wrapped layer reads a
    copy of the kernel. Keras writes the normalized kernel back into the
    variable at every training call, in place under PyTorch; a discriminator
    called twice before one backward pass (real, then generated images)
    would then find the kernel its first call saved for the backward pass
    overwritten. Reading a copy keeps each call's kernel, and the gradient
    reaches the variable as under TensorFlow (through the read)."""
    import keras
    from keras import ops

    if training:
        with torch.no_grad():
            new_vector_u, new_kernel = ops.cond(
                ops.all(ops.equal(self.kernel.value, 0)),
                lambda: (self.vector_u.value, self.kernel.value),
                self.normalized_weights,
            )
        self.vector_u.assign(new_vector_u)
        self.kernel.assign(new_kernel)
    with keras.StatelessScope(state_mapping=[(self.kernel, self.kernel.value.clone())]):
        output = self.layer(inputs)
    return ops.cast(output, inputs.dtype)


def prepare_network(network: keras.Model) -> None:
    """Makes `network`'s layers safe for two forward passes per backward pass
    (see `_spectral_normalization_call`)."""
    import keras

    from kerasgan import _call_override

    for layer in _call_override.layers(network):
        if type(layer) is keras.layers.SpectralNormalization:
            _call_override.install(layer, _spectral_normalization_call)
