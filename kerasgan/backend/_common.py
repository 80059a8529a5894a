"""Pieces several backend trainers share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras

from kerasgan._typing import Tensor


def cpu_flags() -> frozenset[str]:
    """The host CPU's feature flags (`/proc/cpuinfo`; empty where unreadable)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def steps_per_call(model: keras.Model) -> int:
    """Steps one call of Keras' `train_function` runs (`steps_per_execution`)."""
    return int(getattr(model, "steps_per_execution", 1) or 1)


class StatefulTrainer:
    """Keras' stateful step signatures (TensorFlow, PyTorch), onto the model's
    neutral steps. A mixin of `GANModel` (a `keras.Model`)."""

    def train_step(self: keras.Model, data: Any) -> dict[str, Tensor]:
        return self._train_step(data)

    def test_step(self: keras.Model, data: Any) -> dict[str, Tensor]:
        return self._test_step(data)

    def predict_step(self: keras.Model, data: Any) -> Any:
        return self._predict_step(data)

    def skipped_train_call(self: keras.Model, data: Any) -> dict[str, Tensor]:
        """What a call of Keras' `train_function` returns for a step that was
        already trained before a resume: nothing trains, the logs are the
        epoch's running means (the batch was drawn by Keras' loop)."""
        return {m.name: m.result() for m in self.metrics}


# One device, or one global step (keras.distribution): no per-replica code.


def num_replicas() -> int:
    return 1


def replica_rows(draw: Callable[[Any], Tensor], batch_size: int | Tensor) -> Tensor:
    """`draw(batch_size)`: the step computes the whole batch."""
    return draw(batch_size)


def step_logs(logs: dict[str, Any]) -> dict[str, Any]:
    return logs


# The faster layer forms' hooks as plain, automatically differentiated math.


def conv_transpose_with_native_gradients(
    forward: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    kernel: Tensor,
    strides: int | Sequence[int],
    padding: str,
) -> Tensor:
    """`forward(x, kernel)`, differentiated by the backend."""
    return forward(x, kernel)


def conv_with_gemm_gradients(
    forward: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    kernel: Tensor,
    pad_top: int,
    pad_left: int,
) -> Tensor:
    """`forward(x, kernel)`, differentiated by the backend."""
    return forward(x, kernel)


def bias_add(x: Tensor, bias: Tensor) -> Tensor:
    """`x + bias` over the last axis."""
    return x + bias
