"""ms per training step of every registered variant's default networks.

Usage: python benchmarks/step_time.py [--steps 20] [--batch-size 128] [--json out.json]

Steady-state `fit` on a `tf.data` pipeline of in-memory images; the first
epoch (tracing and XLA compilation) is excluded; the figure is the median of
per-batch wall times over the measured epoch. Run with jit_compile on and off.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import tensorflow as tf

import kerasgan


class BatchTimer:
    def __init__(self):
        import keras

        outer = self

        class _CB(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                outer._t = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                outer.times.append(time.perf_counter() - outer._t)

        self.times = []
        self.callback = _CB()


def measure(variant, jit, steps, batch_size, image_shape=(28, 28, 1)):
    cls = kerasgan.get(variant)
    n = batch_size * steps
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (n,) + image_shape).astype("float32")
    labels = rng.integers(0, 10, n).astype("int32")
    kw = {"num_classes": 10} if cls.conditional else {}
    elements = (images, labels) if cls.conditional else images
    ds = tf.data.Dataset.from_tensor_slices(elements).batch(batch_size, drop_remainder=True)
    ds = ds.take(steps).cache().repeat().prefetch(tf.data.AUTOTUNE)
    gan = kerasgan.create(variant, image_shape=image_shape, **kw)
    gan.compile(jit_compile=jit)
    t0 = time.perf_counter()
    gan.fit(ds, epochs=1, steps_per_epoch=3, verbose=0)  # trace + compile + warm-up
    compile_s = time.perf_counter() - t0
    timer = BatchTimer()
    gan.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer.callback])
    ms = [1000 * t for t in timer.times]
    return {
        "variant": variant,
        "jit_compile": jit,
        "batch_size": batch_size,
        "image_shape": list(image_shape),
        "d_steps": gan.d_steps,
        "median_ms_per_step": statistics.median(ms),
        "min_ms": min(ms),
        "max_ms": max(ms),
        "images_per_s": batch_size / (statistics.median(ms) / 1000),
        "first_epoch_s": compile_s,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--variants", default=",".join(kerasgan.list_variants()))
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = []
    print(
        f"{'variant':<10} {'xla':<5} {'d_steps':>7} {'ms/step':>9} {'min':>7} {'max':>7} "
        f"{'img/s':>7} {'warm-up s':>9}"
    )
    for variant in args.variants.split(","):
        for jit in (True, False):
            r = measure(variant, jit, args.steps, args.batch_size)
            rows.append(r)
            print(
                f"{variant:<10} {'on' if jit else 'off':<5} {r['d_steps']:>7} "
                f"{r['median_ms_per_step']:>9.1f} {r['min_ms']:>7.1f} {r['max_ms']:>7.1f} "
                f"{r['images_per_s']:>7.0f} {r['first_epoch_s']:>9.1f}",
                flush=True,
            )
    for variant in args.variants.split(","):
        on = next(r for r in rows if r["variant"] == variant and r["jit_compile"])
        off = next(r for r in rows if r["variant"] == variant and not r["jit_compile"])
        print(
            f"{variant}: XLA on / off time ratio = "
            f"{on['median_ms_per_step'] / off['median_ms_per_step']:.2f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
