"""Every variant, the same short budget on real Fashion-MNIST, one table.

Usage:
    python benchmarks/variant_scores.py [--steps 500] [--batch-size 64]
        [--variants dcgan,wgan_gp,...] [-n 5000] [--json runs/variant_scores.json]

Each registered variant is built with its default networks and paper
optimizers for 28x28x1, compiled with XLA, and trained for `--steps`
generator steps (a `wgan_gp` step holds 5 critic updates, as its paper
prescribes) on the real training images, batch 64, seed 0. Then `-n` images
are generated (seed 0; class labels cycling for conditional variants) and
scored against the real test images on the 128-d features of the shipped
domain classifier `fashion-mnist-classifier`: FID, KID,
precision/recall (k=3), plus, for conditional variants, the share of samples
that the classifier assigns to the requested class. The training wall time
per step is reported too (first 20 steps, which include XLA compilation,
excluded).

A short budget ranks how fast variants learn, not where they end up: numbers
after a few hundred steps say nothing about final quality.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import keras
import numpy as np

import kerasgan
from kerasgan import data, metrics

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite import StepTimer  # noqa: E402


def run_variant(variant, steps, batch_size, n, feature_net, real, cache_dir):
    cls = kerasgan.get(variant)
    kw = {"num_classes": 10} if cls.conditional else {}
    keras.utils.set_random_seed(0)
    gan = kerasgan.create(variant, image_shape=(28, 28, 1), seed=0, **kw)
    gan.compile(jit_compile=True)
    ds = data.load("fashion_mnist", batch_size=batch_size, seed=0, conditional=cls.conditional)
    timer = StepTimer()
    start = time.perf_counter()
    history = gan.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
    train_s = time.perf_counter() - start
    scores = metrics.evaluate(
        gan, feature_net, real, metrics=("fid", "kid", "pr"), n=n, seed=0, cache_dir=cache_dir
    )
    row = {
        "variant": variant,
        "d_steps": gan.d_steps,
        "steps": steps,
        "batch_size": batch_size,
        "train_s": train_s,
        "ms_per_step": 1000 * statistics.median(timer.times[20:] or timer.times),
        "final_losses": {k: float(v[-1]) for k, v in history.history.items()},
        "fid": scores["fid"],
        "kid": scores["kid"],
        "precision": scores["precision"],
        "recall": scores["recall"],
    }
    if cls.conditional:
        labels = np.arange(n) % 10
        images = gan.generate(n, labels=labels, seed=0)
        predicted = feature_net.probabilities(images).argmax(1)
        row["label_accuracy"] = float(np.mean(predicted == labels))
    return row


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--variants", default=",".join(kerasgan.list_variants()))
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--json", default="runs/variant_scores.json")
    parser.add_argument("--cache-dir", default="runs/feature-cache")
    args = parser.parse_args()
    feature_net = metrics.get_feature_network("fashion-mnist-classifier")
    real = metrics.real_statistics(
        feature_net, "fashion_mnist", args.n, split="test", cache_dir=args.cache_dir
    )
    rows = []
    header = "| variant | d_steps | ms/step | FID | KID | precision | recall | label acc |"
    print(header + "\n|---|---|---|---|---|---|---|---|", flush=True)
    for variant in args.variants.split(","):
        row = run_variant(
            variant, args.steps, args.batch_size, args.n, feature_net, real, args.cache_dir
        )
        rows.append(row)
        acc = f"{row['label_accuracy']:.1%}" if "label_accuracy" in row else "-"
        print(
            f"| {variant} | {row['d_steps']} | {row['ms_per_step']:.0f} | {row['fid']:.1f} | "
            f"{row['kid']:.2f} | {row['precision']:.3f} | {row['recall']:.3f} | {acc} |",
            flush=True,
        )
        if args.json:
            os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
            protocol = {
                "steps": args.steps,
                "batch_size": args.batch_size,
                "n_generated": args.n,
                "real": f"fashion_mnist test, first {args.n}",
                "features": feature_net.name,
                "seed": 0,
                "jit_compile": True,
            }
            kerasgan.utils.write_atomically(
                json.dumps({"protocol": protocol, "rows": rows}, indent=1).encode(), args.json
            )


if __name__ == "__main__":
    main()
