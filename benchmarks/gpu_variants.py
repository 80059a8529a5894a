"""ms/step of every registered variant on every Keras backend, with XLA on and off.

Usage:
    python benchmarks/gpu_variants.py [--backends tensorflow,jax,torch]
        [--variants dcgan,wgan_gp,...] [--batch 128] [--steps 20]
        [--json runs/gpu_variants.json] [--markdown runs/gpu_variants.md]

Meant for a GPU machine (it runs on a CPU too, slowly). Each backend runs in a
process of its own (`KERAS_BACKEND` set before the interpreter starts); a
backend that is not installed is reported as such and skipped. For every
variant at its defaults on 28x28x1 images (`num_classes=10` for the
conditional ones), `gan.compile(jit_compile=...)` with XLA on (TensorFlow's
XLA, `jax.jit`) and off (a `tf.function` graph, JAX eager, PyTorch eager;
PyTorch has no XLA here: `jit_compile=True` is refused there by design), then
`fit` on in-memory random batches. A figure is the median of `--steps` timed
steps after the warm-up steps (compilation included in the warm-up), each
step timed to its end (`timing.time_fit`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

SHAPE = (28, 28, 1)
BACKENDS = ("tensorflow", "jax", "torch")


def _device_name(backend):
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return f"{device.platform}: {device.device_kind}"
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"cuda: {torch.cuda.get_device_name(0)}"
        return "cpu"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"gpu: {gpus[0].name}" if gpus else "cpu"


def _data(num_classes, batch, pool=8, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (pool, batch, *SHAPE)).astype("float32")
    labels = rng.integers(0, max(num_classes, 1), (pool, batch)).astype("int32")

    def make():
        def generator():
            while True:
                for i in range(pool):
                    yield (images[i], labels[i]) if num_classes else (images[i],)

        return generator()

    return make


def measure(variant, jit, batch, steps):
    import keras
    from timing import time_fit

    import kerasgan

    keras.utils.set_random_seed(0)
    kwargs = {"num_classes": 10} if kerasgan.get(variant).conditional else {}
    gan = kerasgan.create(variant, image_shape=SHAPE, **kwargs)
    t0 = time.perf_counter()
    gan.compile(jit_compile=jit)
    make = _data(kwargs.get("num_classes", 0), batch)
    warmup = 3 if jit else 2
    times = time_fit(gan, make, steps, warmup=warmup)
    return {
        "ms_per_step": 1000 * statistics.median(times),
        "ms_min": 1000 * min(times),
        "setup_and_warmup_s": time.perf_counter() - t0 - sum(times),
        "jit_compile": gan.jit_compile,
    }


def worker(args):
    import keras

    import kerasgan

    backend = keras.backend.backend()
    out = {"backend": backend, "device": _device_name(backend), "keras": keras.__version__}
    rows = []
    for variant in args.variants or kerasgan.list_variants():
        for jit in (True, False):
            row = {"variant": variant, "xla": jit}
            try:
                row.update(measure(variant, jit, args.batch, args.steps))
            except Exception as error:  # reported in the table, the others go on
                row["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    out["rows"] = rows
    print("RESULT " + json.dumps(out), flush=True)


def run_backend(backend, args):
    env = dict(os.environ, KERAS_BACKEND=backend)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--batch", str(args.batch)]
    cmd += ["--steps", str(args.steps)]
    if args.variants:
        cmd += ["--variants", ",".join(args.variants)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if not lines:
        tail = (proc.stderr or proc.stdout)[-600:]
        return {"backend": backend, "error": f"worker failed (rc {proc.returncode}): {tail}"}
    return json.loads(lines[-1].removeprefix("RESULT "))


def markdown(results, batch):
    lines = [
        "| variant | backend (device) | XLA on, ms/step | XLA off, ms/step | off/on |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for result in results:
        if "rows" not in result:
            lines.append(f"| all | {result['backend']} | n/a | n/a | {result['error'][:120]} |")
            continue
        by = {}
        for row in result["rows"]:
            by.setdefault(row["variant"], {})[row["xla"]] = row
        for variant, pair in by.items():

            def cell(row):
                if row is None:
                    return "n/a"
                if "error" in row:
                    return "refused" if "jit_compile" in row["error"] else "error"
                return f"{row['ms_per_step']:.1f}"

            on, off = pair.get(True), pair.get(False)
            ratio = ""
            if on and off and "error" not in on and "error" not in off:
                ratio = f"{off['ms_per_step'] / on['ms_per_step']:.2f}"
            name = f"{result['backend']} ({result['device']})"
            lines.append(f"| {variant} | {name} | {cell(on)} | {cell(off)} | {ratio} |")
    lines.append("")
    lines.append(f"Batch {batch}, 28x28x1, each variant's defaults.")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--variants", default="")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", default="")
    parser.add_argument("--markdown", default="")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.variants = [v for v in args.variants.split(",") if v]
    if args.worker:
        return worker(args)
    results = []
    for backend in [b for b in args.backends.split(",") if b]:
        t0 = time.perf_counter()
        result = run_backend(backend, args)
        result["wall_s"] = time.perf_counter() - t0
        results.append(result)
        print(f"{backend}: {result.get('device', result.get('error'))} ({result['wall_s']:.0f} s)")
    table = markdown(results, args.batch)
    print(table)
    info = {"machine": platform.node(), "python": platform.python_version(), "results": results}
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(info, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
