"""The one place where kerasgan depends on the Keras backend.

Everything else is written with `keras.ops`. Each backend module
(`tensorflow.py`, `jax.py`, `torch.py`) is a thin trainer holding only what
differs between backends, with the same names:

- `Trainer`: the mixin `GANModel` inherits from. It adapts Keras' step
  signatures (`train_step(data)` on TensorFlow and PyTorch, the stateless
  `train_step(state, data)` on JAX) to the model's backend-neutral
  `_train_step` / `_test_step` / `_predict_step`.
- `minimize(loss_fn, variables, optimizer)`: one gradient update.
- `input_gradients(fn, x)`: the gradient of `sum(fn(x))` with respect to
  `x`, itself differentiable (gradient penalties).
- `resolve_jit_compile(model, requested)`: what `compile(jit_compile=...)`
  means on this backend.
- `replica_rows`, `num_replicas`, `step_logs`: data-parallel bookkeeping
  (only `tf.distribute` needs any).
- `conv_transpose_with_native_gradients`, `conv_with_gemm_gradients`,
  `bias_add`, `fused_batch_norm_training`: the hooks of the faster layer
  forms (TensorFlow gives them hand-written gradients; elsewhere they are
  plain, automatically differentiated math).
"""

from __future__ import annotations

import importlib
from typing import Any

import keras

from kerasgan._typing import Tensor
from kerasgan.backend import _common  # noqa: E402

NAME = keras.backend.backend()
SUPPORTED = ("tensorflow", "jax", "torch")

if NAME not in SUPPORTED:  # pragma: no cover - numpy / openvino backends cannot train
    raise ImportError(
        f"kerasgan trains on the TensorFlow, JAX and PyTorch backends of Keras 3; got "
        f"KERAS_BACKEND={NAME!r}, which cannot compute gradients. Set KERAS_BACKEND to "
        "'tensorflow', 'jax' or 'torch'."
    )
# kerasgan.backend.tensorflow, .jax or .torch: the same names in each
_impl = importlib.import_module(f"kerasgan.backend.{NAME}")

Trainer = _impl.Trainer
minimize = _impl.minimize
cond = _impl.cond
prepare_network = _impl.prepare_network
input_gradients = _impl.input_gradients
resolve_jit_compile = _impl.resolve_jit_compile
check_distribution = _impl.check_distribution
replica_rows = _impl.replica_rows
num_replicas = _impl.num_replicas
step_logs = _impl.step_logs
conv_transpose_with_native_gradients = _impl.conv_transpose_with_native_gradients
conv_with_gemm_gradients = _impl.conv_with_gemm_gradients
bias_add = _impl.bias_add
fused_batch_norm_training = getattr(_impl, "fused_batch_norm_training", None)
#: The faster layer forms `compile(fast_layers="auto")` picks on this backend,
#: given whether the step is compiled (`{"conv_transpose", "conv", "bias", "norm"}`).
auto_fast_layers = _impl.auto_fast_layers
cpu_flags = _common.cpu_flags
steps_per_call = _common.steps_per_call


class OptimizerPair:
    """The two optimizers of a GAN, seen by Keras as the model's `optimizer`.

    Keras' trainers and callbacks expect one `model.optimizer`: JAX's trainer
    threads `optimizer.variables` through its stateless step, and the
    learning-rate callbacks (`ReduceLROnPlateau`, `LearningRateScheduler`)
    read and set `optimizer.learning_rate`. This object is that view:

    - `variables`: the discriminator's optimizer variables, then the
      generator's;
    - `learning_rate`: reads the discriminator's; setting it sets the
      discriminator's to the value and scales the generator's by the same
      factor, so a two-time-scale ratio (e.g. 4e-4 / 1e-4) is kept;
    - `iterations`: the generator's update count (one per `train_step`).

    It deliberately has no `optimizers` attribute: recent Keras versions would
    treat it as a list of independent optimizers, and `LearningRateScheduler`
    would give both the same learning rate from an absolute schedule,
    breaking the ratio. Through `learning_rate` one schedule drives both and
    the logs get one `learning_rate` (the discriminator's).

    It is not saved: the two optimizers are (`d_optimizer`, `g_optimizer`).
    """

    def __init__(
        self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer
    ) -> None:
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def variables(self) -> list[keras.Variable]:
        return list(self.d_optimizer.variables) + list(self.g_optimizer.variables)

    @property
    def built(self) -> bool:
        return self.d_optimizer.built and self.g_optimizer.built

    @property
    def iterations(self) -> keras.Variable:
        return self.g_optimizer.iterations

    # Keras calls it with the model's variables
    def build(self, variables: list[keras.Variable] | None = None) -> None:
        """Nothing to do: `GANModel.build_optimizers` builds both for their networks."""

    @property
    def learning_rate(self) -> Tensor:
        return self.d_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Tensor) -> None:
        old = float(keras.ops.convert_to_numpy(self.d_optimizer.learning_rate))
        g_old = float(keras.ops.convert_to_numpy(self.g_optimizer.learning_rate))
        new = float(keras.ops.convert_to_numpy(value))
        self.d_optimizer.learning_rate = new
        self.g_optimizer.learning_rate = g_old * (new / old) if old else new

    def scale_loss(self, loss: Tensor) -> Tensor:  # pragma: no cover - scaled per optimizer
        return loss

    def __repr__(self) -> str:
        return f"OptimizerPair(d={self.d_optimizer.name!r}, g={self.g_optimizer.name!r})"


def __getattr__(name: str) -> Any:
    """Backend-specific helpers (e.g. TensorFlow's `xla_is_faster`)."""
    try:
        return getattr(_impl, name)
    except AttributeError:
        raise AttributeError(f"kerasgan.backend has no {name!r} on the {NAME} backend.") from None
