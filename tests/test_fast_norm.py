"""Fused batch normalization (`kerasgan._fast_norm`): the same outputs,
gradients, second-order gradients and moving statistics as Keras'
`BatchNormalization` in training, and Keras' own code everywhere else."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgan import _fast_norm as fast_norm


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.abs(a - b).max() / (np.abs(b).max() + 1e-6)


def _pair(**kwargs):
    layers = []
    for _ in range(2):
        layer = keras.layers.BatchNormalization(momentum=0.8, **kwargs)
        layer.build((6, 5, 4, 3))
        for v in layer.weights:  # non-trivial gamma, beta and moving statistics
            v.assign(np.random.default_rng(len(v.name)).uniform(0.5, 1.5, v.shape))
        layers.append(layer)
    return layers


@pytest.mark.parametrize("kwargs", [{}, {"center": False}, {"scale": False}, {"epsilon": 0.1}])
def test_training_step_matches_keras(kwargs):
    ref, fast = _pair(**kwargs)
    assert fast_norm.accelerate(fast) == [fast.name]
    x = tf.constant(np.random.default_rng(0).normal(2.0, 3.0, (6, 5, 4, 3)).astype("float32"))

    def run(layer):
        with tf.GradientTape(persistent=True) as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = layer(x, training=True)
                loss = tf.reduce_sum(tf.sin(y) * tf.range(3, dtype="float32"))
            grads = inner.gradient(loss, [x, *layer.trainable_weights])
            penalty = tf.reduce_sum(grads[0] ** 2)  # as in a gradient penalty
        second = outer.gradient(penalty, [x, *layer.trainable_weights])
        return [y, *grads, *second, layer.moving_mean, layer.moving_variance]

    for i, (a, b) in enumerate(zip(run(fast), run(ref))):
        assert _rel(a, b) < 1e-4, i


def test_inference_and_masks_keep_keras_code():
    ref, fast = _pair()
    fast_norm.accelerate(fast)
    x = np.random.default_rng(1).normal(size=(6, 5, 4, 3)).astype("float32")
    np.testing.assert_array_equal(fast(x, training=False), ref(x, training=False))
    x3 = x.reshape(6, 20, 3)  # rank 3: Keras' code
    ref3, fast3 = keras.layers.BatchNormalization(), keras.layers.BatchNormalization()
    fast_norm.accelerate(fast3)
    np.testing.assert_allclose(fast3(x3, training=True), ref3(x3, training=True), atol=1e-6)


def test_unsupported_layers_and_restore():
    assert not fast_norm.supports(keras.layers.BatchNormalization(axis=1))
    assert not fast_norm.supports(keras.layers.BatchNormalization(synchronized=True))
    assert not fast_norm.supports(keras.layers.LayerNormalization())
    layer = keras.layers.BatchNormalization()
    fast_norm.accelerate(layer)
    assert fast_norm.is_accelerated(layer)
    fast_norm.restore(layer)
    assert not fast_norm.is_accelerated(layer)


def test_mixed_bfloat16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        ref, fast = keras.layers.BatchNormalization(), keras.layers.BatchNormalization()
        fast_norm.accelerate(fast)
        x = np.random.default_rng(2).normal(size=(4, 3, 3, 8)).astype("float32")
        a, b = fast(x, training=True), ref(x, training=True)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert a.dtype == b.dtype == "bfloat16"
    assert _rel(tf.cast(a, "float32"), tf.cast(b, "float32")) < 2e-2
