"""Strided transposed convolutions: Keras/TensorFlow's implementation vs
kerasgan's sub-pixel form (`kerasgan._fast_conv`), per layer shape, under XLA.

Usage:
    python benchmarks/conv_transpose.py [--rounds 5] [--json runs/conv_transpose.json]

For each shape (batch, input size, in -> out channels, kernel 4, stride 2,
"same") it times, alternating, the forward pass, the input gradient and the
kernel gradient of
- `native`: `keras.ops.conv_transpose` (TensorFlow lowers it to a convolution
  over the input dilated with zeros),
- `subpixel`: `fast_conv.subpixel_conv_transpose`, differentiated as is,
- `fast`: `fast_conv.conv_transpose` (sub-pixel forward, TensorFlow's own
  gradients) - what `GANModel` uses for layers with >= `MIN_FILTERS` filters,
and prints medians in ms with fast / native ratios. The forward pass counts
twice in a GAN step (the discriminator update and the generator update each
run the generator), the gradients once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import keras
import tensorflow as tf

from kerasgan import _fast_conv as fast_conv

# (batch, input size, in channels, out channels): the generators' layers
SHAPES = [
    (128, 14, 128, 128),  # keras.io DCGAN, second up-sampling (73% of its FLOPs)
    (128, 7, 128, 128),  # keras.io DCGAN, first up-sampling
    (128, 7, 128, 64),  # kerasgan dcgan at 28x28, up1
    (128, 14, 64, 32),
    (128, 14, 128, 64),
    (32, 16, 256, 128),  # dcgan at 64x64 (batch 32)
    (128, 14, 64, 16),
    (128, 14, 64, 8),
    (128, 14, 64, 1),  # last layer of a grayscale generator: stays native
]


def timed(fns, args, rounds):
    for f in fns.values():
        f(*args)  # compile
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t = time.perf_counter()
            out = f(*args)
            (out[0] if isinstance(out, (list, tuple)) else out).numpy()
            times[k].append(time.perf_counter() - t)
    return {k: 1000 * statistics.median(v) for k, v in times.items()}


def measure(batch, size, cin, cout, rounds, kernel=4, strides=2):
    x = tf.random.normal((batch, size, size, cin))
    w = tf.random.normal((kernel, kernel, cout, cin)) * 0.05
    dy = tf.random.normal((batch, size * strides, size * strides, cout))
    ops = {
        "native": lambda x, w: keras.ops.conv_transpose(x, w, strides, "same"),
        "subpixel": lambda x, w: fast_conv.subpixel_conv_transpose(x, w, strides, "same"),
        "fast": lambda x, w: fast_conv.conv_transpose(x, w, strides, "same"),
    }

    def grad(op, which):
        def f(x, w):
            with tf.GradientTape() as tape:
                tape.watch([x, w])
                y = op(x, w)
            return tape.gradient(y, [x, w][which], output_gradients=dy)

        return f

    fns = {}
    for name, op in ops.items():
        fns[f"{name} forward"] = tf.function(op, jit_compile=True)
        fns[f"{name} dx"] = tf.function(grad(op, 0), jit_compile=True)
        fns[f"{name} dkernel"] = tf.function(grad(op, 1), jit_compile=True)
    ms = timed(fns, (x, w), rounds)
    row = {"batch": batch, "size": size, "in": cin, "out": cout, "ms": ms}
    for name in ops:
        row[f"{name} gan_step_share"] = (
            2 * ms[f"{name} forward"] + ms[f"{name} dx"] + ms[f"{name} dkernel"]
        )
    return row


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", default="runs/conv_transpose.json")
    args = parser.parse_args()
    rows = []
    print(
        f"{'shape':<24} {'forward native/sub/fast':>24} {'dx native/sub':>14} "
        f"{'dk native/sub':>14} {'2f+dx+dk native':>16} {'fast':>7} {'ratio':>6}"
    )
    for shape in SHAPES:
        row = measure(*shape, rounds=args.rounds)
        rows.append(row)
        ms = row["ms"]
        label = f"b{shape[0]} {shape[1]}->{2 * shape[1]} {shape[2]}->{shape[3]}"
        print(
            f"{label:<24} "
            f"{ms['native forward']:>8.1f}/{ms['subpixel forward']:.1f}/{ms['fast forward']:.1f}"
            f" {ms['native dx']:>7.1f}/{ms['subpixel dx']:.1f}"
            f" {ms['native dkernel']:>7.1f}/{ms['subpixel dkernel']:.1f}"
            f" {row['native gan_step_share']:>16.1f} {row['fast gan_step_share']:>7.1f}"
            f" {row['fast gan_step_share'] / row['native gan_step_share']:>6.3f}",
            flush=True,
        )
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
