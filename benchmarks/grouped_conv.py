"""Grouped convolutions on a CPU, and R3GAN's step time per configuration.

Usage:
    KERAS_BACKEND=tensorflow python benchmarks/grouped_conv.py [--configs]

1. A grouped 3x3 `Conv2D` (16x16x128 input, 8 groups, batch 32): forward and
   gradients with the backend's own grouped kernel against one ordinary
   convolution with the block-diagonal kernel (`_fast_conv.
   block_diagonal_kernel`), compiled (`jax.jit` / `tf.function`) or eager
   (PyTorch); the mean of 5 calls after one warm-up.
2. With `--configs` (TensorFlow or JAX): ms/step of R3GAN at 32x32x1, batch
   64, for a few widths / blocks / lazy-penalty settings and compile options,
   `fit` on random batches (8 timed steps after 2 warm-up steps).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import keras
import numpy as np
from keras import ops

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from kerasgan._fast_conv import block_diagonal_kernel  # noqa: E402


def _gradient_call(loss, kernel, x):
    """A function computing `loss`'s gradients for `(kernel, x)` as each
    backend runs them: `jax.jit`, a `tf.function`, eager PyTorch."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        grad = jax.jit(jax.grad(loss, argnums=(0, 1)))
        return lambda: jax.block_until_ready(grad(kernel, x))
    if backend == "torch":
        import torch

        k = torch.tensor(kernel, requires_grad=True)
        t = torch.tensor(x, requires_grad=True)
        return lambda: torch.autograd.grad(loss(k, t), [k, t])
    import tensorflow as tf

    @tf.function
    def grad(k, t):
        with tf.GradientTape() as tape:
            tape.watch([k, t])
            value = loss(k, t)
        return tape.gradient(value, [k, t])

    k, t = tf.constant(kernel), tf.constant(x)
    return lambda: [g.numpy() for g in grad(k, t)]


def grouped_conv_ms(groups=8, batch=32, side=16, channels=128, calls=5):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, side, side, channels)).astype("float32")
    kernel = rng.normal(size=(3, 3, channels // groups, channels)).astype("float32")
    out = {}
    for form in ("grouped", "block_diagonal"):

        def loss(k, x, form=form):
            k = block_diagonal_kernel(k, groups) if form == "block_diagonal" else k
            return ops.sum(ops.square(ops.conv(x, k, padding="same")))

        run = _gradient_call(loss, kernel, x)
        run()
        start = time.perf_counter()
        for _ in range(calls):
            run()
        out[form] = 1000 * (time.perf_counter() - start) / calls
    return out


CONFIGS = [
    ("base 16, max 128, 1 block", dict(base_filters=16, max_filters=128, blocks_per_stage=1), {}),
    (
        "same, r1_interval=4",
        dict(base_filters=16, max_filters=128, blocks_per_stage=1, r1_interval=4),
        {},
    ),
    (
        "same, r1_interval=4, fast_layers=False",
        dict(base_filters=16, max_filters=128, blocks_per_stage=1, r1_interval=4),
        {"fast_layers": False},
    ),
    (
        "same, r1_interval=4, jit_compile=True",
        dict(base_filters=16, max_filters=128, blocks_per_stage=1, r1_interval=4),
        {"jit_compile": True},
    ),
    ("base 16, max 128, 2 blocks", dict(base_filters=16, max_filters=128, blocks_per_stage=2), {}),
    ("base 32, max 128, 1 block", dict(base_filters=32, max_filters=128, blocks_per_stage=1), {}),
]


def r3gan_configs(batch=64, steps=8):
    from kerasgan.variants.r3gan import R3GAN

    x = np.random.default_rng(0).uniform(-1, 1, (batch * steps, 32, 32, 1)).astype("float32")
    for name, model_kwargs, compile_kwargs in CONFIGS:
        gan = R3GAN.create(image_shape=(32, 32, 1), seed=0, **model_kwargs)
        gan.compile(**compile_kwargs)
        gan.fit(x[: 2 * batch], batch_size=batch, epochs=1, verbose=0)
        start = time.perf_counter()
        gan.fit(x, batch_size=batch, epochs=1, verbose=0)
        ms = 1000 * (time.perf_counter() - start) / steps
        params = gan.generator.count_params(), gan.discriminator.count_params()
        print(f"{name:45s} G/D params {params[0]}/{params[1]}  {ms:7.0f} ms/step", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", action="store_true", help="also time R3GAN configurations")
    args = parser.parse_args(argv)
    ms = grouped_conv_ms()
    backend = keras.backend.backend()
    print(
        f"{backend}: grouped {ms['grouped']:.1f} ms, block-diagonal {ms['block_diagonal']:.1f} ms"
        f" (ratio {ms['block_diagonal'] / ms['grouped']:.2f})"
    )
    if args.configs:
        r3gan_configs()


if __name__ == "__main__":
    main()
