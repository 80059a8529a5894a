"""One JAX train step on one host device vs `keras.distribution.DataParallel`
over two (XLA_FLAGS=--xla_force_host_platform_device_count=2). Prints JSON."""

from __future__ import annotations

import json
import os

os.environ["KERAS_BACKEND"] = "jax"
# added to the caller's flags (the test suite's faster compiles)
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
).strip()

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasgan  # noqa: E402


def run(variant, images, labels, weights=None):
    kw = {"num_classes": 3} if kerasgan.get(variant).conditional else {}
    gan = kerasgan.create(
        variant, image_shape=(16, 16, 1), base_filters=8, latent_dim=8, seed=0, **kw
    )
    if weights is not None:
        gan.generator.set_weights(weights[0])
        gan.discriminator.set_weights(weights[1])
    start = (gan.generator.get_weights(), gan.discriminator.get_weights())
    gan.seed_generator = kerasgan.draws.InjectedDraws(0)
    gan.compile(jit_compile=True)
    logs = gan.train_on_batch(images, labels if kw else None, return_dict=True)
    return start, logs, gan.generator.get_weights() + gan.discriminator.get_weights()


def main():
    rng = np.random.default_rng(0)
    images = np.tanh(rng.standard_normal((8, 16, 16, 1))).astype("float32")
    labels = rng.integers(0, 3, (8,)).astype("int32")
    report = {"devices": len(jax.devices())}
    for variant in ("dcgan", "wgan_gp", "cgan"):
        start, one_logs, one = run(variant, images, labels)
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        try:
            _, dp_logs, dp = run(variant, images, labels, weights=start)
        finally:
            keras.distribution.set_distribution(None)
        report[variant] = {
            "max_weight_diff": max(float(np.max(np.abs(a - b))) for a, b in zip(one, dp)),
            "loss_diff": max(abs(float(one_logs[k]) - float(dp_logs[k])) for k in one_logs),
            "moved": max(float(np.max(np.abs(a - b))) for a, b in zip(one, start[0] + start[1])),
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
