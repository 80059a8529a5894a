"""Runs kerasgan under `tf.distribute.MirroredStrategy` on logical CPUs.

A separate process because logical devices must be configured before
TensorFlow initializes (pytest's process already has). Prints one JSON line
per check, prefixed with `RESULT `; `tests/test_distributed.py` asserts on them.

Usage: python distributed_check.py {variants,equivalence} [--replicas 2]
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def configure(replicas):
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * replicas
    )
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(replicas)])


def report(**fields):
    print("RESULT " + json.dumps(fields), flush=True)


def weights_of(gan):
    return [v.numpy() for v in gan.generator.weights + gan.discriminator.weights]


def check_variants(strategy, tmp, variants=None):
    """Each of `variants` (default: every registered variant): fit under the
    strategy, losses finite, weights moved, replicas drew different noise, a
    .keras round trip."""
    import keras

    import kerasgan

    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (64, 16, 16, 1)).astype("float32")
    labels = rng.integers(0, 10, 64).astype("int32")
    for variant in variants or kerasgan.list_variants():
        cls = kerasgan.get(variant)
        kw = {"num_classes": 10} if cls.conditional else {}
        if variant == "stylegan2":
            kw["ada"] = None  # its default ADA: a graph as large as the rest together
        with strategy.scope():
            gan = kerasgan.create(variant, image_shape=(16, 16, 1), base_filters=8, seed=0, **kw)
            gan.compile()  # jit "auto": off with several logical CPUs
        before = weights_of(gan)
        x = (images, labels) if cls.conditional else images
        history = gan.fit(*([x[0], x[1]] if cls.conditional else [x]), batch_size=16, verbose=0)
        moved = [not np.array_equal(a, b) for a, b in zip(before, weights_of(gan))]

        @tf.function
        def noise(gan=gan):
            return strategy.run(lambda: gan.sample_latent(4))

        per_replica = [t.numpy() for t in strategy.experimental_local_results(noise())]
        path = os.path.join(tmp, f"{variant}.keras")
        gan.save(path)
        loaded = keras.saving.load_model(path)
        same = all(
            np.array_equal(a, b)
            for a, b in zip(weights_of(gan), weights_of(loaded))  # noqa: B023
        )
        report(
            check="variant",
            variant=variant,
            replicas=strategy.num_replicas_in_sync,
            jit_compile=bool(gan.jit_compile),
            losses={k: float(v[-1]) for k, v in history.history.items()},
            moved_fraction=float(np.mean(moved)),
            replica_noise_differs=bool(not np.allclose(per_replica[0], per_replica[1])),
            round_trip_equal=bool(same),
        )


def _small_networks(conditional, image_shape=(8, 8, 1), latent_dim=16):
    """Networks without batch statistics, so that a step on the global batch
    and the sum of per-replica steps compute the same thing."""
    import keras
    from keras import layers

    z = keras.Input((latent_dim,))
    y = keras.Input((1,), dtype="int32")
    h = z
    if conditional:
        h = layers.Concatenate()([z, layers.Flatten()(layers.Embedding(10, 4)(y))])
    h = layers.Dense(32, activation="relu")(h)
    h = layers.Dense(int(np.prod(image_shape)), activation="tanh")(h)
    out = layers.Reshape(image_shape)(h)
    generator = keras.Model([z, y] if conditional else z, out)
    x = keras.Input(image_shape)
    h = layers.Flatten()(x)
    if conditional:
        h = layers.Concatenate()([h, layers.Flatten()(layers.Embedding(10, 4)(y))])
    h = layers.Dense(32)(h)
    h = layers.LeakyReLU(0.2)(h)
    logit = layers.Dense(1)(h)
    discriminator = keras.Model([x, y] if conditional else x, logit)
    return generator, discriminator


def check_equivalence(strategy):
    """Two steps on a global batch of 16 split over the replicas give the same
    losses and weights as the same two steps on one device."""
    import keras

    import kerasgan

    cases = [
        ("dcgan", {}),
        ("lsgan", {}),
        ("wgan_gp", {}),
        ("r1gan", {}),
        ("r1gan", {"r1_interval": 2}),
        ("sngan", {}),
        ("cgan", {}),
        ("dcgan", {"diffaugment": "color,translation,cutout"}),
    ]
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, (32, 8, 8, 1)).astype("float32")
    labels = rng.integers(0, 10, 32).astype("int32")

    def build(variant, extra):
        conditional = kerasgan.get(variant).conditional
        keras.utils.set_random_seed(0)
        g, d = _small_networks(conditional)
        gan = kerasgan.create(
            variant,
            generator=g,
            discriminator=d,
            seed=3,
            **({"num_classes": 10} if conditional else {}),
            **extra,
        )
        gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), jit_compile=False)
        return gan, conditional

    for variant, extra in cases:
        results = {}
        for mode in ("single", "mirrored"):
            if mode == "mirrored":
                with strategy.scope():
                    gan, conditional = build(variant, extra)
            else:
                gan, conditional = build(variant, extra)
            x = [images, labels] if conditional else [images]
            history = gan.fit(*x, batch_size=16, epochs=1, shuffle=False, verbose=0)
            results[mode] = (history.history, weights_of(gan))
        (h1, w1), (h2, w2) = results["single"], results["mirrored"]
        weight_diff = max(float(np.max(np.abs(a - b))) for a, b in zip(w1, w2))
        scale = max(float(np.max(np.abs(a))) for a in w1)
        loss_diff = max(abs(h1[k][-1] - h2[k][-1]) for k in h1)
        report(
            check="equivalence",
            variant=variant,
            options=extra,
            replicas=strategy.num_replicas_in_sync,
            max_weight_diff=weight_diff,
            weight_scale=scale,
            max_loss_diff=loss_diff,
            losses_single={k: v[-1] for k, v in h1.items()},
            losses_mirrored={k: v[-1] for k, v in h2.items()},
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("check", choices=("variants", "equivalence"))
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--tmp", default=".")
    parser.add_argument("--variants", default="", help="comma-separated (default: all)")
    args = parser.parse_args()
    strategy = configure(args.replicas)
    if args.check == "variants":
        check_variants(strategy, args.tmp, [v for v in args.variants.split(",") if v])
    else:
        check_equivalence(strategy)


if __name__ == "__main__":
    main()
