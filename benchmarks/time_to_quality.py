"""Time to quality: domain FID after 5, 10, 20 and 40 minutes of training on this CPU.

Usage:
    python benchmarks/time_to_quality.py [--recipes dcgan,r3gan_cpu,...] [--minutes 5,10,20,40]
        [-n 5000] [--json runs/time_to_quality.json]
    python benchmarks/time_to_quality.py --report [--plot docs/images/time_to_quality.png]
    python benchmarks/time_to_quality.py --list

A recipe is a network, an optimizer, a batch size and a data pipeline. Each
is trained with `fit` on the real Fashion-MNIST training images (seed 0); the
training clock stops while the model is scored, so a row's minutes are
minutes of training (graph tracing and XLA compilation included, as a user
waits for them). At every mark, `-n` generated images are scored against the
first `-n` real test images on the 128-d features of the shipped domain
classifier `fashion-mnist-classifier` (the zoo protocol, on fewer images),
with the EMA generator when the recipe keeps one (the raw generator's FID is
kept too). 32x32 recipes train on the images padded to 32 and are scored on
the central 28x28 (`evaluate(crop=28)`).

Results are merged into `--json` recipe by recipe (mark by mark), so recipes
can be run in separate invocations; `--report` prints the table (and the
first mark at which each recipe reaches FID <= 45) and draws the plot.

Recipes (`--list`): every registered variant as `kerasgan train VARIANT`
runs it (its paper networks and optimizers, batch 128, `compile()`'s
defaults), `+ema` versions of some, the kerasgan R3GAN CPU configuration,
and the Keras example "GAN overriding Model.train_step" (keras.io, fchollet:
its MNIST networks and Adam(3e-4), batch 64, through kerasgan; the example's
label noise is left out, and its sigmoid output is tanh for [-1, 1] images).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import keras
import numpy as np

import kerasgan
from kerasgan import data, metrics

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from networks import kerasio_networks  # noqa: E402

GOAL_FID = 45.0


def _variant_recipe(name, **create_kwargs):
    def build():
        cls = kerasgan.get(name)
        kw = {"num_classes": 10} if cls.conditional else {}
        gan = kerasgan.create(name, image_shape=(28, 28, 1), seed=0, **kw, **create_kwargs)
        gan.compile()
        return gan

    return {"build": build, "batch_size": 128, "pad_to": None}


def _kerasio_recipe():
    def build():
        keras.utils.set_random_seed(0)
        generator, discriminator = kerasio_networks()
        gan = kerasgan.get("dcgan")(generator, discriminator, latent_dim=128, seed=0)
        gan.compile(keras.optimizers.Adam(3e-4), keras.optimizers.Adam(3e-4))
        return gan

    return {"build": build, "batch_size": 64, "pad_to": None}


def _r3gan_cpu_recipe(**overrides):
    def build():
        from kerasgan.variants.r3gan import R3GAN

        kw = dict(base_filters=16, max_filters=128, blocks_per_stage=1, r1_interval=4)
        kw.update(overrides)
        gan = R3GAN.create(image_shape=(32, 32, 1), seed=0, ema_decay=0.999, **kw)
        gan.compile()
        return gan

    return {"build": build, "batch_size": 64, "pad_to": 32}


def recipes() -> dict:
    out = {name: _variant_recipe(name) for name in kerasgan.list_variants()}
    out["dcgan+ema"] = _variant_recipe("dcgan", ema_decay=0.999)
    out["wgan_gp+ema"] = _variant_recipe("wgan_gp", ema_decay=0.999)
    out["kerasio_dcgan"] = _kerasio_recipe()
    out["r3gan_cpu"] = _r3gan_cpu_recipe()
    return out


class Marks(keras.callbacks.Callback):
    """Scores the model whenever the training clock passes the next mark; stops after the last."""

    def __init__(self, minutes, score):
        super().__init__()
        self.marks = [60.0 * m for m in minutes]
        self.score = score
        self.results = []
        self.paused = 0.0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def training_time(self):
        return time.perf_counter() - self.start - self.paused

    def on_train_batch_end(self, batch, logs=None):
        t = self.training_time()
        if not self.marks or t < self.marks[0]:
            return
        pause = time.perf_counter()
        steps = int(keras.ops.convert_to_numpy(self.model.g_optimizer.iterations))
        self.results.append(self.score(self.model, self.marks.pop(0) / 60.0, t, steps))
        self.paused += time.perf_counter() - pause
        if not self.marks:
            self.model.stop_training = True


def run_recipe(name, recipe, minutes, feature_net, real, n, on_mark):
    keras.utils.set_random_seed(0)
    gan = recipe["build"]()
    ds = data.load(
        "fashion_mnist",
        batch_size=recipe["batch_size"],
        seed=0,
        conditional=gan.conditional,
        pad_to=recipe["pad_to"],
    )
    crop = 28 if recipe["pad_to"] else None

    def score(model, mark, t, steps):
        row = {"minutes": mark, "training_s": round(t, 1), "generator_steps": steps}
        kw = dict(metrics=("fid",), n=n, seed=0, crop=crop)
        row["fid_raw"] = metrics.evaluate(model, feature_net, real, **kw)["fid"]
        if model.ema_generator is not None:
            row["fid_ema"] = metrics.evaluate(model, feature_net, real, ema=True, **kw)["fid"]
        row["fid"] = row.get("fid_ema", row["fid_raw"])
        print(f"  {name} {mark:g} min: FID {row['fid']:.1f} ({steps} steps)", flush=True)
        on_mark(row)
        return row

    marks = Marks(minutes, score)
    gan.fit(ds, epochs=100000, verbose=0, callbacks=[marks])
    return {
        "batch_size": recipe["batch_size"],
        "image_shape": list(gan.image_shape),
        "crop": crop,
        "ema": gan.ema_generator is not None,
        "jit_compile": bool(gan.jit_compile),
        "backend": keras.backend.backend(),
        "marks": marks.results,
    }


def _load(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {"protocol": None, "recipes": {}}


def _save(path, results):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    kerasgan.utils.write_atomically(json.dumps(results, indent=1).encode(), path)


def report(results, plot=None):
    rows = results["recipes"]
    minutes = sorted({m["minutes"] for r in rows.values() for m in r["marks"]})
    head = "| recipe | batch | " + " | ".join(f"{m:g} min" for m in minutes)
    print(head + f" | first FID <= {GOAL_FID:g} |")
    print("|---|---:|" + "---:|" * len(minutes) + "---|")
    for name, r in sorted(rows.items()):
        by = {m["minutes"]: m for m in r["marks"]}
        cells = [f"{by[m]['fid']:.1f}" if m in by else "-" for m in minutes]
        first = next((f"{m:g} min" for m in minutes if m in by and by[m]["fid"] <= GOAL_FID), "-")
        print(f"| {name} | {r['batch_size']} | " + " | ".join(cells) + f" | {first} |")
    if plot:
        from kerasgan.utils.plot import save_curves

        series = {
            name: [
                next((x["fid"] for x in r["marks"] if x["minutes"] == m), np.nan) for m in minutes
            ]
            for name, r in sorted(rows.items())
        }
        save_curves(
            series,
            plot,
            title="Domain FID vs training minutes (" + ", ".join(f"{m:g}" for m in minutes) + ")",
            xlabel="mark",
        )
        print(f"Wrote {plot}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--recipes", default="dcgan,kerasio_dcgan")
    parser.add_argument("--minutes", default="5,10,20,40")
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--json", default="runs/time_to_quality.json")
    parser.add_argument("--cache-dir", default="runs/feature-cache")
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--plot", default=None)
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    available = recipes()
    if args.list:
        print("\n".join(available))
        return
    results = _load(args.json)
    if args.report:
        report(results, args.plot)
        return
    minutes = [float(m) for m in args.minutes.split(",")]
    feature_net = metrics.get_feature_network("fashion-mnist-classifier")
    real = metrics.real_statistics(
        feature_net, "fashion_mnist", args.n, split="test", cache_dir=args.cache_dir
    )
    results["protocol"] = {
        "n_generated": args.n,
        "real": f"fashion_mnist test, first {args.n}",
        "features": feature_net.name,
        "seed": 0,
        "machine_cpus": os.cpu_count(),
    }
    for name in args.recipes.split(","):
        if name not in available:
            raise SystemExit(f"unknown recipe {name!r}; --list shows them")
        print(f"{name}: training, marks at {args.minutes} min", flush=True)
        partial = {"batch_size": available[name]["batch_size"], "marks": []}
        results["recipes"][name] = partial

        def on_mark(row, partial=partial):
            partial["marks"].append(row)
            _save(args.json, results)

        results["recipes"][name] = run_recipe(
            name, available[name], minutes, feature_net, real, args.n, on_mark
        )
        _save(args.json, results)
    report(results)


if __name__ == "__main__":
    main()
