"""Pieces several backend trainers share."""

from __future__ import annotations

from collections.abc import Callable


def cpu_flags() -> frozenset:
    """The host CPU's feature flags (`/proc/cpuinfo`; empty where unreadable)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


class StatefulTrainer:
    """Keras' stateful step signatures (TensorFlow, PyTorch), onto the model's
    neutral steps."""

    def train_step(self, data):
        return self._train_step(data)

    def test_step(self, data):
        return self._test_step(data)

    def predict_step(self, data):
        return self._predict_step(data)


# One device, or one global step (keras.distribution): no per-replica code.


def num_replicas() -> int:
    return 1


def replica_rows(draw: Callable, batch_size):
    """`draw(batch_size)`: the step computes the whole batch."""
    return draw(batch_size)


def step_logs(logs: dict) -> dict:
    return logs


# The faster layer forms' hooks as plain, automatically differentiated math.


def conv_transpose_with_native_gradients(forward: Callable, x, kernel, strides, padding: str):
    """`forward(x, kernel)`, differentiated by the backend."""
    return forward(x, kernel)


def conv_with_gemm_gradients(forward: Callable, x, kernel, pad_top: int, pad_left: int):
    """`forward(x, kernel)`, differentiated by the backend."""
    return forward(x, kernel)


def bias_add(x, bias):
    """`x + bias` over the last axis."""
    return x + bias
