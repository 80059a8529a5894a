"""Combinations a backend cannot do get one clear error naming the alternative."""

from __future__ import annotations

import keras
import pytest
import tensorflow as tf

import kerasgan

pytestmark = pytest.mark.backends
BACKEND = keras.backend.backend()


def _gan():
    return kerasgan.create("dcgan", image_shape=(16, 16, 1), base_filters=8, latent_dim=8)


@pytest.mark.skipif(BACKEND == "tensorflow", reason="tf.distribute is TensorFlow's own engine")
def test_tf_distribute_strategy_is_refused_off_tensorflow():
    gan = _gan()
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        with pytest.raises(ValueError) as info:
            gan.compile()
    message = str(info.value)
    assert "tf.distribute" in message and "KERAS_BACKEND=tensorflow" in message
    if BACKEND == "jax":
        assert "keras.distribution" in message and "DataParallel" in message


def test_jit_compile_true_means_a_compiled_step_or_a_clear_error():
    gan = _gan()
    if BACKEND == "torch":
        with pytest.raises(ValueError, match="jit_compile='auto'.*KERAS_BACKEND=jax"):
            gan.compile(jit_compile=True)
        gan.compile()  # auto: eager
        assert gan.jit_compile is False
    else:
        gan.compile(jit_compile=True)
        assert gan.jit_compile is True


@pytest.mark.skipif(BACKEND != "torch", reason="keras.distribution works on JAX")
def test_keras_distribution_is_refused_on_torch(monkeypatch):
    monkeypatch.setattr(keras.distribution, "distribution", lambda: object())
    with pytest.raises(ValueError, match="KERAS_BACKEND=jax"):
        _gan().compile()
