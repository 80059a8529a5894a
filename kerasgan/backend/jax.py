"""The JAX trainer: stateless steps with `jax.grad` and `jax.jit`.

Keras' JAX trainer calls `train_step(state, data)` with the model's state
(trainable, non-trainable, optimizer and metric variables, the noise
`SeedGenerator` among the non-trainable ones) and expects the new state
back. `Trainer.train_step` runs the model's backend-neutral step inside a
`keras.StatelessScope` holding that state, so every variable read sees the
state and every assignment (optimizer updates, batch-norm statistics, the
noise generator's seed, EMA, metrics) lands in the scope; the new state is
read back from it. The random draws are thereby threaded through the state.

Gradients inside the scope: `minimize` and `input_gradients` evaluate their
function in a nested scope whose values for the differentiated variables
(or input) are JAX tracers, differentiate it with `jax.grad`, and carry the
assignments made inside it out as auxiliary outputs. A variable that is
differentiated *and* assigned inside the function (Keras'
`SpectralNormalization` writes the normalized kernel back in training)
passes its gradient straight through the assignment, as a variable read
after an assignment does under TensorFlow's tape and PyTorch's autograd:
the three backends then compute the same update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import keras
from keras import StatelessScope
from keras.src.backend.common.stateless_scope import get_stateless_scope

from kerasgan._typing import Tensor
from kerasgan.backend._common import (  # noqa: F401 - the backend's interface
    bias_add,
    conv_transpose_with_native_gradients,
    conv_with_gemm_gradients,
    num_replicas,
    replica_rows,
    step_logs,
    steps_per_call,
)


class _Scope(StatelessScope):
    """A stateless scope that starts from another scope's values.

    `through`: variable ids mapped to the tracer they are differentiated
    at; an assignment to one of them keeps that tracer's gradient
    (`value = t + stop_gradient(new - t)`).
    """

    def __init__(
        self, parent: StatelessScope | None = None, through: dict[int, Tensor] | None = None
    ) -> None:
        super().__init__()
        self.state_mapping = dict(parent.state_mapping) if parent is not None else {}
        #: the variables assigned in this scope or its children, by id
        self.assigned = getattr(parent, "assigned", {})
        self.through = dict(getattr(parent, "through", {}))
        for key, tracer in (through or {}).items():
            self.state_mapping[key] = tracer
            self.through[key] = tracer

    def add_update(self, update: tuple[keras.Variable, Tensor]) -> None:
        variable, value = update
        self.assigned[id(variable)] = variable
        self.set(id(variable), value)

    def set(self, key: int, value: Tensor) -> None:
        base = self.through.get(key)
        if base is not None:
            value = base + jax.lax.stop_gradient(value - base)
        self.state_mapping[key] = value

    def changes(self, parent: StatelessScope) -> dict:
        """The values assigned in this scope that differ from `parent`'s."""
        return {k: v for k, v in self.state_mapping.items() if parent.state_mapping.get(k) is not v}


def _current_scope() -> StatelessScope:
    scope = get_stateless_scope()
    if scope is None:
        raise RuntimeError(
            "kerasgan's JAX gradient steps run inside GANModel's train step (fit, "
            "train_on_batch); call them from there."
        )
    return scope


def _apply(scope: StatelessScope, changes: dict) -> None:
    for key, value in changes.items():
        if isinstance(scope, _Scope):
            scope.set(key, value)
        else:
            scope.state_mapping[key] = value


def _in_state(
    model: keras.Model,
    groups: Sequence[tuple[Sequence[keras.Variable], Sequence[Tensor]]],
    step: Callable,
) -> tuple[Any, list[list[Tensor]]]:
    """Runs `step()` with the variables of `groups` set to `values`; returns
    its result and the groups' new values."""
    mapping: list[tuple[keras.Variable, Tensor]] = []
    for variables, values in groups:
        mapping.extend(zip(variables, values))
    scope = _Scope()
    for variable, value in mapping:
        scope.state_mapping[id(variable)] = value
    with scope:
        result = step()
    new = [
        [scope.state_mapping.get(id(v), value) for v, value in zip(variables, values)]
        for variables, values in groups
    ]
    return result, new


class Trainer:
    """Keras' stateless JAX step signatures, onto the model's neutral steps.
    A mixin of `GANModel` (a `keras.Model`)."""

    def train_step(
        self: keras.Model, state: Sequence[Sequence[Tensor]], data: Any
    ) -> tuple[dict[str, Tensor], tuple[list[Tensor], ...]]:
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        logs, new = _in_state(
            self,
            [
                (self.trainable_variables, trainable),
                (self.non_trainable_variables, non_trainable),
                (self.optimizer.variables, optimizer_vars),
                (self.metrics_variables, metrics_vars),
            ],
            lambda: self._train_step(data),
        )
        return logs, tuple(new)

    def test_step(
        self: keras.Model, state: Sequence[Sequence[Tensor]], data: Any
    ) -> tuple[dict[str, Tensor], tuple[list[Tensor], ...]]:
        trainable, non_trainable, metrics_vars = state
        logs, new = _in_state(
            self,
            [
                (self.trainable_variables, trainable),
                (self.non_trainable_variables, non_trainable),
                (self.metrics_variables, metrics_vars),
            ],
            lambda: self._test_step(data),
        )
        return logs, tuple(new)

    def skipped_train_call(
        self: keras.Model, state: Sequence[Sequence[Tensor]], data: Any
    ) -> tuple[dict[str, Tensor], Sequence[Sequence[Tensor]]]:
        """A call of `train_function` for steps already trained before a
        resume: their batches are drawn (the step draws them on this backend)
        and dropped, the state is returned unchanged; the logs are the epoch's
        running means, read from the state's metric variables."""
        for _ in range(steps_per_call(self)):
            next(data)
        values, logs = list(state[3]), {}
        for metric in self.metrics:
            n = len(metric.variables)
            logs[metric.name] = metric.stateless_result(values[:n])
            values = values[n:]
        return logs, state

    def predict_step(
        self: keras.Model, state: Sequence[Sequence[Tensor]], data: Any
    ) -> tuple[Any, list[Tensor]]:
        trainable, non_trainable = state
        outputs, new = _in_state(
            self,
            [(self.trainable_variables, trainable), (self.non_trainable_variables, non_trainable)],
            lambda: self._predict_step(data),
        )
        return outputs, new[1]


def minimize(
    loss_fn: Callable[[], tuple[Tensor, dict[str, Tensor]]],
    variables: Iterable[keras.Variable],
    optimizer: keras.optimizers.Optimizer,
) -> tuple[Tensor, dict[str, Tensor]]:
    """One update of `variables` by `optimizer` on `loss_fn()`'s gradient.

    `loss_fn` returns `(loss, logs)`; returns the same. Runs inside the
    train step's stateless scope (see the module docstring).
    """
    outer = _current_scope()
    variables = list(variables)
    keys = [id(v) for v in variables]
    values = [
        outer.state_mapping[k] if k in outer.state_mapping else v.value
        for k, v in zip(keys, variables)
    ]

    def scaled_loss(vals: list[Tensor]) -> tuple[Tensor, tuple[Tensor, Any, dict]]:
        inner = _Scope(outer, through=dict(zip(keys, vals)))
        with inner:
            loss, logs = loss_fn()
            scaled = optimizer.scale_loss(loss)
        return scaled, (loss, logs, inner.changes(outer))

    grads, (loss, logs, changes) = jax.grad(scaled_loss, has_aux=True)(values)
    _apply(outer, changes)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        # Its `apply` assigns inside `ops.cond` branches, whose values would
        # leak out of `jax.lax.cond`; its stateless form returns them instead.
        new_values, new_slots = optimizer.stateless_apply(
            [v.value for v in optimizer.variables], grads, [v.value for v in variables]
        )
        for variable, value in zip(variables + list(optimizer.variables), new_values + new_slots):
            _apply(outer, {id(variable): value})
    else:
        optimizer.apply(grads, variables)
    return loss, logs


def input_gradients(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Gradient of `sum(fn(x))` with respect to `x` (differentiable itself).

    When `fn` treats samples independently (no batch statistics), row `i` of
    the result is the gradient of `fn(x)[i]` with respect to `x[i]`.

    Outside a train step (e.g. `regularizers.gradient_penalty` called on its
    own), it runs in a scope of its own and then makes `fn`'s assignments
    (batch-norm statistics, seeds) to the variables, as the other backends do.
    """
    outer = get_stateless_scope()
    if outer is None:
        with _Scope() as scope:
            grads = input_gradients(fn, x)
        for key, value in scope.state_mapping.items():
            scope.assigned[key].assign(value)
        return grads

    def total(x: Tensor) -> tuple[Tensor, dict]:
        inner = _Scope(outer)
        with inner:
            out = jnp.sum(jnp.asarray(fn(x), jnp.float32))
        return out, inner.changes(outer)

    grads, changes = jax.grad(total, has_aux=True)(x)
    _apply(outer, changes)
    return grads


def resolve_jit_compile(model: keras.Model, requested: bool | str) -> bool:
    """`jit_compile=True` and `"auto"` compile the step with `jax.jit`
    (XLA); `False` runs it op by op (slow; for debugging)."""
    return requested is not False


def check_distribution(model: keras.Model) -> None:
    """Refuses a `tf.distribute` strategy: JAX scales with `keras.distribution`."""
    import sys

    tf = sys.modules.get("tensorflow")
    if tf is None:
        return
    strategy = tf.distribute.get_strategy()
    if strategy.num_replicas_in_sync > 1 or tf.distribute.has_strategy():
        raise ValueError(
            "A tf.distribute strategy does not distribute a model on the JAX backend. "
            "Use keras.distribution instead, e.g. "
            "keras.distribution.set_distribution(keras.distribution.DataParallel()) "
            "before building the model, or set KERAS_BACKEND=tensorflow."
        )


def auto_fast_layers(jit_compile: bool) -> set[str]:
    """On a CPU, the strided transposed convolutions as sub-pixel convolutions
    and the few-filter convolutions as matrix products, differentiated by
    JAX: XLA:CPU's own transposed convolution is far slower (measured with
    `benchmarks/backends.py`), and grouped convolutions as one block-diagonal
    convolution (XLA:CPU's grouped one is far slower: `benchmarks/grouped_conv.py`).
    Keras' layers on accelerators, where none was measured."""
    if jax.devices()[0].platform != "cpu":
        return set()
    return {"conv", "conv_transpose", "grouped"}


__all__ = [
    "Trainer",
    "auto_fast_layers",
    "bias_add",
    "check_distribution",
    "conv_transpose_with_native_gradients",
    "conv_with_gemm_gradients",
    "input_gradients",
    "keras",
    "minimize",
    "num_replicas",
    "replica_rows",
    "resolve_jit_compile",
    "step_logs",
]


def cond(pred: Tensor, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """`keras.ops.cond` whose branches may assign variables (a lazy penalty's
    discriminator call moves batch-norm statistics or the augmentation seed):
    each branch runs in its own scope and returns the whole state with its
    result, so the assignments of the branch taken are kept.

    A concrete `pred` (eager steps, `jit_compile=False`) runs only the branch
    taken, as on the other backends: tracing both would also take both
    branches' random draws."""
    if not isinstance(pred, jax.core.Tracer):
        return true_fn() if bool(pred) else false_fn()
    outer = get_stateless_scope()
    if outer is None:
        return keras.ops.cond(pred, true_fn, false_fn)
    keys = list(outer.state_mapping)

    def branch(fn: Callable[[], Any]) -> Callable[[Any], tuple[Any, list[Tensor]]]:
        def run(_: Any) -> tuple[Any, list[Tensor]]:
            inner = _Scope(outer)
            with inner:
                out = fn()
            return out, [jnp.asarray(inner.state_mapping[k]) for k in keys]

        return run

    out, values = jax.lax.cond(pred, branch(true_fn), branch(false_fn), None)
    for key, value in zip(keys, values):
        outer.state_mapping[key] = value
    return out


def prepare_network(network: keras.Model) -> None:
    """Nothing to change on this backend."""
