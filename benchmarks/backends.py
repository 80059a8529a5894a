"""kerasgan's train step against a minimal hand-written step, on every Keras backend.

Usage:
    python benchmarks/backends.py [--json runs/backends.json] [--run-seconds 2]
        [--runs 5] [--blocks 2] [--batch 128] [--networks kerasio,dcgan]
        [--backends tensorflow,jax,torch] [--twins pytorch] [--quick]

(`--steps-seconds` is another name for `--run-seconds`.)

For the keras.io DCGAN (`networks.kerasio_networks`) and
kerasgan's default DCGAN (`kerasgan.create("dcgan", image_shape=(28, 28,
1))`), each backend runs in a worker process of its own
(`twin_process.Worker`, `KERAS_BACKEND` set in its environment before the
interpreter starts), with these contestants, all trained by Keras' `fit` on
the same in-memory batches (16 distinct random batches, cycled):

- `kerasgan`: `gan.compile()` with its defaults, as users get it:
  TensorFlow XLA or a graph as `jit_compile="auto"` picks for this machine,
  `jax.jit` on JAX, eager on PyTorch; the layer forms `fast_layers="auto"`
  picks (none on JAX and PyTorch);
- `minimal`: the smallest hand-written GAN step on the same networks
  (`minimal_steps`), compiled the same way (TensorFlow: XLA or graph as
  `kerasgan` is; JAX: `jax.jit` of a stateless step; PyTorch: eager);
- `minimal_again`: a second instance of `minimal`, the control: the ratio
  of two identical setups is what the measurement alone scatters by;
- TensorFlow: `kerasgan_keras_ops`, `fast_layers=False` (Keras' own layers,
  the same ops as `minimal`: the library overhead alone where "auto" picked
  faster layer forms);
- JAX and PyTorch: `kerasgan_fast`, `fast_layers=True` (the sub-pixel
  transposed convolutions and the few-filter matrix-product convolutions of
  `kerasgan/fast_conv.py`, differentiated automatically), against `kerasgan`
  (no faster forms there);

and the PyTorch twin (`torch_twins`, pure PyTorch, NCHW, in its own worker
process as the suite runs it). Every contestant of every backend takes part
in the same `stats.timed_runs` (a discarded warm-up round, then `--runs`
runs of about `--run-seconds` each, in `--blocks` blocks interleaved across
all contestants), so a ratio's two sides span the same stretches of time.
A block is at least one step; a contestant whose step takes over `SLOW_S`
(Keras' transposed convolutions on JAX's CPU) runs its blocks without the
untimed step before each, and its step timed at build stands in for the
warm-up round. A figure: the median over runs of the run's median step
time; a ratio: the median over runs of the per-run ratios
(`stats.paired_ratio`).
`fast/plain` is called faster (slower) when every run's ratio lies below
(above) 1 by more than the control's largest per-run deviation from 1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import stats  # noqa: E402
import twin_process  # noqa: E402

BACKENDS = ("tensorflow", "jax", "torch")
NETWORKS = ("kerasio", "dcgan")
SHAPE = (28, 28, 1)
LATENT = 128
BATCH = 128
TARGET = 1.05  # kerasgan / minimal on the same backend
#: A contestant whose step takes longer (at build) gets no untimed step before
#: each block and no separate warm-up round (its timed step at build stands
#: in): one step of warm-up is nothing beside a step this long, and the
#: round's 8 steps would take minutes (Keras' transposed convolutions on JAX's
#: CPU: ~12 s a step for the keras.io network at batch 128).
SLOW_S = 1.0


def contestants(backend):
    """The Keras contestants of one backend's worker, in timing order."""
    extra = "kerasgan_keras_ops" if backend == "tensorflow" else "kerasgan_fast"
    return ("kerasgan", extra, "minimal", "minimal_again")


# ---------------------------------------------------------------- the worker


def _networks(network):
    """Fresh (generator, discriminator) of `network`, kerasgan's own layers."""
    import networks

    import kerasgan

    if network == "kerasio":
        return networks.kerasio_networks()
    if network == "dcgan":
        cls = kerasgan.get("dcgan")
        return cls.build_generator(SHAPE, LATENT), cls.build_discriminator(SHAPE)
    raise ValueError(f"unknown network {network!r}; expected one of {NETWORKS}")


def _kerasgan_model(network, **compile_kwargs):
    import kerasgan

    if network == "kerasio":
        g, d = _networks(network)
        gan = kerasgan.create("dcgan", generator=g, discriminator=d, seed=0)
    else:
        gan = kerasgan.create("dcgan", image_shape=SHAPE, latent_dim=LATENT, seed=0)
    gan.compile(**compile_kwargs)
    return gan


def build_models(network):
    """This process's backend's contestants (`contestants`) on `network`."""
    import keras
    import minimal_steps

    backend = keras.backend.backend()
    keras.utils.set_random_seed(0)
    models = {"kerasgan": _kerasgan_model(network)}
    jit = bool(models["kerasgan"].jit_compile)
    if backend == "tensorflow":
        models["kerasgan_keras_ops"] = _kerasgan_model(network, jit_compile=jit, fast_layers=False)
    else:
        models["kerasgan_fast"] = _kerasgan_model(network, fast_layers=True)
    for name in ("minimal", "minimal_again"):
        models[name] = minimal_steps.minimal_model(*_networks(network), jit_compile=jit)
    assert tuple(models) == contestants(backend)
    return models


def batches(batch, pool=16, seed=0):
    """`make()`: a source of `pool` distinct random batches, cycled, for
    `fit`: a `tf.data` pipeline on TensorFlow (as the suite feeds it), a
    Python generator elsewhere."""
    import keras
    import numpy as np

    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (pool, batch, *SHAPE)).astype("float32")
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices(images).repeat().prefetch(tf.data.AUTOTUNE)
        return lambda: ds

    def generator():  # Keras takes (inputs,) tuples from a generator
        for batch_images in itertools.cycle(images):
            yield (batch_images,)

    return generator


def _describe_model(model):
    return {
        "class": type(model).__name__,
        "jit_compile": bool(model.jit_compile),
        "fast_layer_names": list(getattr(model, "fast_layer_names", [])),
    }


def _serve(conn, threads):
    """The worker's loop: requests `(kind, kwargs)`, answers `("ok", value)`
    or `("error", message)`; None ends it. `threads`: PyTorch's intra-op
    threads (on the PyTorch backend)."""
    import traceback

    import keras
    from timing import time_fit

    backend = keras.backend.backend()
    versions = {"keras": keras.__version__}
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)  # as the PyTorch twin's
        versions["torch"] = torch.__version__
        versions["torch_threads"] = torch.get_num_threads()
    elif backend == "jax":
        import jax

        versions["jax"] = jax.__version__
    import kerasgan

    versions["kerasgan"] = kerasgan.__version__
    if backend == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    built = {}  # (network, batch) -> (models, data)
    conn.send("ready")
    while True:
        request = conn.recv()
        if request is None:
            return
        kind, kwargs = request
        try:
            if kind == "describe":
                loaded = [m for m in ("tensorflow", "jax", "torch") if m in sys.modules]
                conn.send(("ok", {"backend": backend, "versions": versions, "imported": loaded}))
            elif kind == "build":
                key = (kwargs["network"], kwargs["batch"])
                if key not in built:
                    built[key] = (build_models(key[0]), batches(key[1]))
                models, data = built[key]
                info = {}
                for name, model in models.items():  # compile now, all workers at once
                    info[name] = _describe_model(model)
                    info[name]["step_s"] = time_fit(model, data, steps=1, warmup=1)[0]
                conn.send(("ok", info))
            elif kind == "measure":
                models, data = built[(kwargs["network"], kwargs["batch"])]
                model = models[kwargs["contestant"]]
                conn.send(("ok", time_fit(model, data, kwargs["steps"], kwargs["warmup"])))
            elif kind == "release":
                built.pop((kwargs["network"], kwargs["batch"]), None)
                keras.backend.clear_session()
                conn.send(("ok", None))
            else:
                conn.send(("error", f"unknown request {kind!r}"))
        except Exception as e:  # report to the driver instead of hanging it
            traceback.print_exc()
            conn.send(("error", f"{type(e).__name__}: {str(e)[:2000]}"))


# ---------------------------------------------------------------- the driver


class BackendWorker(twin_process.Worker):
    """A fresh Python process with `KERAS_BACKEND=backend`, serving `_serve`."""

    def __init__(self, backend, threads=None, wait=True):
        self.backend = backend
        super().__init__(
            _serve,
            (threads or os.cpu_count() or 1,),
            f"the {backend} worker",
            env={"KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"},
            start_hint=f" (is {backend} installed? pip install -e '.[{backend}]')",
            wait=wait,
        )

    def _check(self, reply):
        status, value = reply
        if status != "ok":
            raise RuntimeError(f"{self.backend} worker: {value}")
        return value

    def ask(self, kind, **kwargs):
        return self._check(self.request((kind, kwargs)))

    def post_request(self, kind, **kwargs):
        self.post((kind, kwargs))

    def reply(self):
        return self._check(self.answer())

    def measure(self, network, batch, contestant, steps, warmup=1):
        return self.ask(
            "measure",
            network=network,
            batch=batch,
            contestant=contestant,
            steps=steps,
            warmup=warmup,
        )


def start_workers(backends=BACKENDS, threads=None):
    """{backend: BackendWorker}, all starting at once (`threads`: PyTorch's)."""
    workers = {}
    try:
        for backend in backends:
            workers[backend] = BackendWorker(backend, threads, wait=False)
        for worker in workers.values():
            worker.wait_ready()
    except BaseException:
        for worker in workers.values():
            worker.close()
        raise
    return workers


def _step_kind(backend, jit):
    if backend == "tensorflow":
        return "XLA" if jit else "graph"
    if backend == "jax":
        return "jax.jit" if jit else "op by op"
    return "eager"


def _verdict(ratios, control):
    """ "faster" / "slower" when every per-run ratio lies beyond the control's
    largest per-run deviation from 1, on the same side; else "within noise"."""
    noise = max(abs(1 - c) for c in control)
    if max(ratios) < 1 - noise:
        return "faster"
    if min(ratios) > 1 + noise:
        return "slower"
    return "within noise"


def backend_row(backend, info, summary, twins):
    """One backend's figures on one network from the contestants' summaries."""

    def runs(name):
        key = name if name in twins else f"{backend}/{name}"
        return summary[key]["runs_ms"]

    def ms(name):
        return summary[f"{backend}/{name}"]["median_ms"]

    def per_run(a, b):
        return [x / y for x, y in zip(runs(a), runs(b), strict=True)]

    jit = info["kerasgan"]["jit_compile"]
    control = per_run("minimal_again", "minimal")
    row = {
        "step": _step_kind(backend, jit),
        "jit_compile": jit,
        "fast_layers": info["kerasgan"]["fast_layer_names"],
        "kerasgan_ms": ms("kerasgan"),
        "minimal_ms": ms("minimal"),
        "kerasgan/minimal": stats.paired_ratio(runs("kerasgan"), runs("minimal")),
        "kerasgan/minimal (ratio of medians)": ms("kerasgan") / ms("minimal"),
        "minimal_again/minimal": stats.paired_ratio(runs("minimal_again"), runs("minimal")),
        "minimal_again/minimal per run": control,
    }
    row["kerasgan/minimal <= 1.05"] = row["kerasgan/minimal"] <= TARGET
    if backend == "tensorflow":
        row["kerasgan_keras_ops_ms"] = ms("kerasgan_keras_ops")
        row["kerasgan_keras_ops/minimal"] = stats.paired_ratio(
            runs("kerasgan_keras_ops"), runs("minimal")
        )
    else:
        fast = per_run("kerasgan_fast", "kerasgan")
        row["fast_layer_names"] = info["kerasgan_fast"]["fast_layer_names"]
        row["kerasgan_fast_ms"] = ms("kerasgan_fast")
        row["fast/plain"] = stats.paired_ratio(runs("kerasgan_fast"), runs("kerasgan"))
        row["fast/plain per run"] = fast
        row["fast/plain verdict"] = _verdict(fast, control)
    for twin in twins:
        row[f"{twin}_ms"] = summary[twin]["median_ms"]
        row[f"kerasgan/{twin}"] = stats.paired_ratio(runs("kerasgan"), runs(twin))
        row[f"minimal/{twin}"] = stats.paired_ratio(runs("minimal"), runs(twin))
    return row


def compare(network, workers, twins, batch=BATCH, runs=5, run_seconds=2.0, blocks=2):
    """Every backend's contestants on `network` and the PyTorch `twins`, in
    one `stats.timed_runs`. Returns {"contestants": summaries by
    "backend/contestant" (twins by their name), "backends": {backend: row}}."""
    for worker in workers.values():  # build and compile in every worker at once
        worker.post_request("build", network=network, batch=batch)
    info = {backend: worker.reply() for backend, worker in workers.items()}
    names = [f"{b}/{c}" for b in workers for c in contestants(b)] + list(twins)
    built_step_s = {f"{b}/{c}": info[b][c]["step_s"] for b in workers for c in contestants(b)}
    slow = {name for name, s in built_step_s.items() if s > SLOW_S}
    probed = set()

    def measure(name, steps, warmup):
        if name in slow:
            if name not in probed:  # timed_runs' warm-up round: the build's step
                probed.add(name)
                return [built_step_s[name]]
            warmup = 0
        if name in twins:
            return twins[name].measure(network, steps, warmup=warmup, batch_size=batch)
        backend, contestant = name.split("/")
        return workers[backend].measure(network, batch, contestant, steps, warmup)

    times, steps_per_run = stats.timed_runs(
        measure, names, runs, run_seconds, blocks, min_block_steps=1
    )
    summary = {}
    for name, run_times in times.items():
        summary[name] = {
            **stats.summarize(run_times),
            "steps_per_run": steps_per_run[name],
            "block_warmup_steps": 0 if name in slow else 1,
        }
    rows = {b: backend_row(b, info[b], summary, twins) for b in workers}
    for worker in workers.values():
        worker.ask("release", network=network, batch=batch)
    return {"contestants": summary, "backends": rows, "models": info}


def _fmt(value, spec):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, spec)


def format_rows(network, result, twins):
    """The table's lines for one network."""
    twin = next(iter(twins), None)
    lines = []
    for backend, row in result["backends"].items():
        fast = row.get("fast/plain")
        lines.append(
            f"{network:<8} {backend:<10} {row['step']:<8} "
            f"{row['kerasgan_ms']:>8.1f} {row['minimal_ms']:>8.1f} "
            f"{row['kerasgan/minimal']:>6.3f} {row['minimal_again/minimal']:>6.3f} "
            f"{_fmt(row.get('kerasgan_keras_ops/minimal'), '>8.3f'):>8} "
            f"{_fmt(row.get(f'{twin}_ms'), '>8.1f'):>8} "
            f"{_fmt(row.get(f'kerasgan/{twin}'), '>7.3f'):>7} "
            f"{_fmt(row.get('kerasgan_fast_ms'), '>8.1f'):>8} {_fmt(fast, '>6.3f'):>6} "
            f"{row.get('fast/plain verdict', '')}"
        )
    return lines


HEADER = (
    f"{'network':<8} {'backend':<10} {'step':<8} {'kerasgan':>8} {'minimal':>8} "
    f"{'k/min':>6} {'ctrl':>6} {'kops/min':>8} {'twin':>8} {'k/twin':>7} "
    f"{'fast':>8} {'f/plain':>6} fast verdict"
)


def run(args, workers, twins):
    report = {
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
        },
        "settings": {
            "batch_size": args.batch,
            "runs": args.runs,
            "run_seconds": args.run_seconds,
            "blocks": args.blocks,
            "torch_threads": args.threads or os.cpu_count(),
            "twins": {name: twin.describe() for name, twin in twins.items()},
        },
        "workers": {b: w.ask("describe") for b, w in workers.items()},
        "networks": {},
    }
    print(
        f"backends, batch {args.batch}: ms/step (median of {args.runs} runs' medians); "
        "ratios: median of per-run ratios; k/min = kerasgan/minimal (target <= "
        f"{TARGET}), ctrl = the minimal step twice, kops/min = kerasgan fast_layers=False / "
        "minimal (TensorFlow), twin = PyTorch twin, fast = kerasgan fast_layers=True "
        "(JAX, PyTorch), f/plain = fast / kerasgan",
        flush=True,
    )
    print(HEADER, flush=True)
    for network in args.networks.split(","):
        result = compare(
            network, workers, twins, args.batch, args.runs, args.run_seconds, args.blocks
        )
        report["networks"][network] = result
        for line in format_rows(network, result, twins):
            print(line, flush=True)
    report["machine"]["loadavg_end"] = os.getloadavg()
    print(
        "load average (1, 5, 15 min): start {:.2f} {:.2f} {:.2f}, end {:.2f} {:.2f} {:.2f}".format(
            *report["machine"]["loadavg_start"], *report["machine"]["loadavg_end"]
        ),
        flush=True,
    )
    if args.json:
        folder = os.path.dirname(os.path.abspath(args.json))
        os.makedirs(folder, exist_ok=True)
        partial = args.json + ".partial"
        with open(partial, "w") as f:
            json.dump(report, f, indent=1)
        os.replace(partial, args.json)  # never a half-written file
        print(f"wrote {args.json}", flush=True)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", default="runs/backends.json")
    parser.add_argument(
        "--run-seconds",
        "--steps-seconds",
        dest="run_seconds",
        type=float,
        default=2.0,
        help="wall time of each contestant's run (steps chosen to fit)",
    )
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs per network")
    parser.add_argument("--blocks", type=int, default=2, help="blocks per run, interleaved")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument(
        "--twins",
        default="pytorch",
        help="PyTorch twins to time beside (of pytorch,pytorch_tuned; empty: none)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="PyTorch's threads in the PyTorch-backend worker and the twins (default: all CPUs)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 short run, dcgan")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.run_seconds, args.blocks, args.networks = 1, 0.3, 1, "dcgan"
    import importlib.util

    twin_names = [t for t in args.twins.split(",") if t]
    if importlib.util.find_spec("torch") is None:
        twin_names = []
    workers = start_workers(args.backends.split(","), args.threads)
    twins = {}
    try:
        for name in twin_names:
            twins[name] = twin_process.start_twin(name, threads=args.threads)
        return run(args, workers, twins)
    finally:
        for worker in [*workers.values(), *twins.values()]:
            worker.close()


if __name__ == "__main__":
    main()
