"""TensorFlow implementations of the gradient-taking steps."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def num_replicas() -> int:
    """Number of replicas the current `tf.distribute` strategy runs in sync."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def minimize(loss_fn: Callable, variables, optimizer):
    """Runs `loss_fn()` under a tape and applies one optimizer update.

    Args:
        loss_fn: callable returning `(loss, logs)`; `loss` is the per-replica
            mean loss, `logs` a dict of scalars to report.
        variables: the variables to update.
        optimizer: a `keras.optimizers.Optimizer` (loss scaling for
            `mixed_float16` is handled through `optimizer.scale_loss`).

    Returns:
        `(loss, logs)` as returned by `loss_fn`.
    """
    with tf.GradientTape() as tape:
        loss, logs = loss_fn()
        # Gradients are summed over replicas by the optimizer: scale by the
        # replica count so that the update matches the global-batch mean.
        scaled = optimizer.scale_loss(loss / num_replicas())
    grads = tape.gradient(scaled, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return loss, logs


def input_gradients(fn: Callable, x):
    """Gradient of `sum(fn(x))` with respect to `x` (differentiable itself).

    When `fn` treats samples independently (no batch statistics), row `i` of
    the result is the gradient of `fn(x)[i]` with respect to `x[i]`.
    """
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.cast(fn(x), tf.float32)
        total = tf.reduce_sum(out)
    return tape.gradient(total, x)
