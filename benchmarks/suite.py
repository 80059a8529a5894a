"""kerasgan's benchmark suite: one command, a table on screen and a JSON file.

Usage:
    python benchmarks/suite.py [--json runs/bench.json] [--runs 7] [--run-seconds 4]
        [--blocks 2] [--variant-runs 3] [--variant-seconds 2] [--input-seconds 2]
        [--variants dcgan,wgan_gp,...] [--quick]

What it measures, all in one process and one run (compare ratios, not
absolute times, across runs on shared machines):

1. The machine's float32 matmul peak through TensorFlow (and PyTorch when
   installed): 2048x2048 and 4096x4096 matmuls, median of 10 each, the best.
2. For the keras.io-style DCGAN and kerasgan's default DCGAN
   (28x28x1, batch 128), `--runs` runs of
   - kerasgan `fit` (XLA) on a `tf.data` pipeline,
   - the same with `fast_layers=False` (Keras' own transposed
     convolutions, i.e. exactly the minimal step's ops: library overhead),
   - a minimal hand-written Keras `train_step` of the same networks (XLA),
   - the PyTorch twins (`benchmarks/torch_twins.py`), when torch is installed,
     each in a worker process of its own (`benchmarks/twin_process.py`):
     PyTorch as installed, and tuned (channels_last, tcmalloc when installed);
   after one discarded warm-up round (tracing, compilation), every run lasts
   about `--run-seconds` for every contestant (a faster one runs more steps)
   and is split into `--blocks` blocks interleaved across contestants, so
   the machine's drift lands on all alike (`compare_frameworks`); each run's
   figure is the median of its per-step wall times; the table gives the
   median over runs and the spread (max / min of the run medians), then the
   ratios kerasgan / PyTorch (each twin), kerasgan / minimal Keras and
   (overhead) kerasgan with Keras' ops / minimal Keras, the latter also as
   the median of the per-run ratios (run r of both spans the same stretch
   of time), beside its control: a second instance of the minimal model;
   and the overhead pair's compiled steps compared instruction by
   instruction (`compare_compiled_steps`).
3. For every registered variant's default networks: FLOPs per training step
   (TensorFlow's profiler on the step's graph), ms/step with XLA on and off,
   images/s, achieved GFLOP/s and the fraction of the matmul peak (the
   suite's, measured at its start, and the one measured in runs interleaved
   with the variant's own: `variant_rows`); for `dcgan` also under
   `mixed_bfloat16`.
4. The input pipeline's stall: kerasgan `fit` on the real Fashion-MNIST
   pipeline (`kerasgan.data.load`) against the same model on batches already
   in memory, in interleaved runs as above; stall = extra time per step / step
   time, the median over runs, beside its control (a second in-memory
   dataset: what two identical setups differ by).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time

import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import networks  # noqa: E402
import stats  # noqa: E402
import twin_process  # noqa: E402
from timing import StepTimer, time_fit  # noqa: E402, F401 - used by the other scripts

import kerasgan  # noqa: E402

BATCH = 128
SHAPE = (28, 28, 1)


def cpu_description():
    """The CPU's model name and the vector extensions that matter for float32
    and bfloat16 math (from /proc/cpuinfo; empty where there is none)."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    model = value.strip()
                    break
    except OSError:
        pass
    flags = kerasgan.backend.cpu_flags()  # what jit_compile="auto" decides by
    wanted = ["avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"]
    return {"model": model, "isa": [f for f in wanted if f in flags]}


def matmul_timer(n):
    """`timer(count, warmup)`: wall times (s) of `count` float32 `n` x `n`
    TensorFlow matmuls, after `warmup` untimed ones."""
    a, b = tf.random.uniform((n, n)), tf.random.uniform((n, n))
    mm = tf.function(lambda a, b: tf.matmul(a, b))

    def timer(count, warmup=1):
        for _ in range(warmup):
            mm(a, b).numpy()
        times = []
        for _ in range(count):
            t = time.perf_counter()
            mm(a, b).numpy()
            times.append(time.perf_counter() - t)
        return times

    return timer


def matmul_gflops_tf(n=2048, repeats=10):
    """float32 matmul throughput through TensorFlow (median of `repeats`)."""
    return 2 * n**3 / statistics.median(matmul_timer(n)(repeats)) / 1e9


def memory_dataset(steps, conditional=False, seed=0):
    """`steps` distinct random batches, already batched in memory, repeated:
    each element is a slice of one tensor, so reading it costs ~nothing."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (steps, BATCH, *SHAPE)).astype("float32")
    if conditional:
        labels = rng.integers(0, 10, (steps, BATCH)).astype("int32")
        ds = tf.data.Dataset.from_tensor_slices((images, labels))
    else:
        ds = tf.data.Dataset.from_tensor_slices(images)
    return ds.repeat().prefetch(tf.data.AUTOTUNE)


def kerasgan_model(network, jit="auto", fast_layers="auto"):
    if network == "kerasio":
        g, d = networks.kerasio_networks()
        gan = kerasgan.create("dcgan", generator=g, discriminator=d, seed=0)
    else:
        kw = {"num_classes": 10} if kerasgan.get(network).conditional else {}
        gan = kerasgan.create(network, image_shape=SHAPE, seed=0, **kw)
    gan.compile(jit_compile=jit, fast_layers=fast_layers)
    return gan


def minimal_model(network, jit=True):
    if network == "kerasio":
        g, d = networks.kerasio_networks()
    else:
        from kerasgan.architectures.dcgan import dcgan_discriminator, dcgan_generator

        g, d = dcgan_generator(SHAPE), dcgan_discriminator(SHAPE)
    model = networks.MinimalGAN(g, d)
    model.compile(jit_compile=jit)
    return model


def compare_frameworks(network, runs, twins, run_seconds=4.0, blocks=2):
    """Step times of every contestant, in `runs` runs (summarized by
    `stats.summarize`). The contestants:
    - `kerasgan`: kerasgan `fit` as users get it (`compile()` defaults: XLA
      or not as `jit_compile="auto"` picks for this machine),
    - `kerasgan_xla`: XLA forced on (sub-pixel transposed convolutions),
    - `kerasgan_keras_ops`: XLA, Keras' own transposed convolutions: exactly
      the ops of `minimal_keras`, so the pair measures library overhead,
    - `minimal_keras`: a hand-written Keras `train_step` with XLA (the issue's
      baseline), and `minimal_keras_graph`: the same without XLA,
    - `minimal_keras_again`: a second instance of `minimal_keras`, the
      control for the overhead ratio (identical models: their ratio shows
      what the measurement alone varies by),
    - `pytorch`, `pytorch_tuned`: the PyTorch twins (`twins`, worker
      processes), when torch is installed.

    The runs follow `stats.timed_runs`: a discarded warm-up round, runs of
    about `run_seconds` for every contestant, each run in `blocks` blocks
    interleaved across contestants, so the machine's drift (these shared
    machines run the same instructions up to ~15% slower for tens of seconds
    at a time) lands on every contestant alike. Each contestant's
    `steps_per_run` is reported."""
    ds = memory_dataset(16)
    keras.utils.set_random_seed(0)
    models = {
        "kerasgan": kerasgan_model(network),
        "kerasgan_xla": kerasgan_model(network, jit=True),
        "kerasgan_keras_ops": kerasgan_model(network, jit=True, fast_layers=False),
        "minimal_keras": minimal_model(network, jit=True),
        "minimal_keras_graph": minimal_model(network, jit=False),
        "minimal_keras_again": minimal_model(network, jit=True),
    }

    def measure(name, steps, warmup):
        if name in models:
            return time_fit(models[name], ds, steps, warmup=warmup)
        return twins[name].measure(network, steps, warmup=warmup)

    times, steps_per_run = stats.timed_runs(measure, [*models, *twins], runs, run_seconds, blocks)
    result = {}
    for name, run_times in times.items():
        result[name] = stats.summarize(run_times)
        result[name]["steps_per_run"] = steps_per_run[name]
    result["kerasgan"]["jit_compile"] = bool(models["kerasgan"].jit_compile)
    return result


def compare_compiled_steps(network):
    """What XLA compiles for `kerasgan_keras_ops` and `minimal_keras`'s steps
    (`networks.compiled_step_instructions`): the overhead pair compared op by
    op rather than by the clock. Equal non-scalar instructions mean kerasgan
    adds no work on any tensor to the step; what it adds is scalar
    bookkeeping (its loss trackers), counted in `extra_scalar_instructions`."""
    ours = networks.compiled_step_instructions(
        kerasgan_model(network, jit=True, fast_layers=False), BATCH, SHAPE
    )
    theirs = networks.compiled_step_instructions(minimal_model(network), BATCH, SHAPE)

    def named(counts):
        return {f"{op} {shape}": n for (op, shape), n in counts.items()}

    return {
        "non_scalar_instructions": [sum(ours[0].values()), sum(theirs[0].values())],
        "non_scalar_equal": ours[0] == theirs[0],
        "only_in_kerasgan": named(ours[0] - theirs[0]),
        "only_in_minimal": named(theirs[0] - ours[0]),
        "extra_scalar_instructions": sum(ours[1].values()) - sum(theirs[1].values()),
    }


def variant_rows(variant, configs, runs, run_seconds, flops, peak, peak_n=4096):
    """ms/step of `variant`'s default networks for each (jit, policy) in
    `configs`: one model per configuration, `runs` runs by
    `stats.timed_runs` (about `run_seconds` each, the configurations and a
    float32 `peak_n` x `peak_n` TensorFlow matmul interleaved), so each run's
    steps are also set against the matmul peak measured beside them. A row:
    the median over runs of the run medians, the spread, images/s, GFLOP/s
    and the fraction of the suite's peak (`peak`, measured at its start) and
    of the peak measured beside the runs (median over runs of the per-run
    fractions)."""
    cls = kerasgan.get(variant)
    ds = memory_dataset(16, cls.conditional)
    models = {}
    for jit, policy in configs:
        keras.mixed_precision.set_global_policy(policy)
        try:
            models[(jit, policy)] = kerasgan_model(variant, jit)
        finally:
            keras.mixed_precision.set_global_policy("float32")
    matmul = matmul_timer(peak_n)
    names = [*models, "matmul"]

    def measure(name, steps, warmup):
        if name == "matmul":
            return matmul(steps, warmup)
        return time_fit(models[name], ds, steps, warmup=warmup)

    times, steps_per_run = stats.timed_runs(measure, names, runs, run_seconds, blocks=1)
    peaks = [2 * peak_n**3 / statistics.median(t) / 1e9 for t in times["matmul"]]
    rows = []
    for key, gan in models.items():
        run_medians = [statistics.median(t) for t in times[key]]
        ms = 1000 * statistics.median(run_medians)
        gflops = flops / (ms / 1000) / 1e9
        beside = [flops / m / 1e9 / p for m, p in zip(run_medians, peaks)]
        rows.append(
            {
                "variant": variant,
                "jit_compile": bool(gan.jit_compile),
                "policy": key[1],
                "d_steps": gan.d_steps,
                "median_ms": ms,
                "runs_ms": [1000 * m for m in run_medians],
                "steps_per_run": steps_per_run[key],
                "spread": max(run_medians) / min(run_medians),
                "images_per_s": BATCH / (ms / 1000),
                "gflop_per_step": flops / 1e9,
                "achieved_gflops": gflops,
                "fraction_of_peak": gflops / peak,
                "peak_beside_gflops": statistics.median(peaks),
                "fraction_of_peak_beside": statistics.median(beside),
            }
        )
    return rows


def variant_flops(variant):
    cls = kerasgan.get(variant)
    gan = kerasgan_model(variant, jit=False)
    return networks.train_step_flops(gan, BATCH, SHAPE, labels=cls.conditional)


def pipeline_ms_per_batch(ds, batches=50):
    """The input pipeline alone: ms to produce one batch, after 5 warm-up."""
    it = iter(ds)
    for _ in range(5):
        next(it)
    t = time.perf_counter()
    for _ in range(batches):
        next(it)
    return 1000 * (time.perf_counter() - t) / batches


def input_stall(runs=7, run_seconds=2.0, blocks=2):
    """kerasgan dcgan `fit` on the real Fashion-MNIST pipeline
    (`kerasgan.data.load`: decode, shuffle, batch, scale, prefetch) against the
    same model on batches already in memory, as `stats.timed_runs` runs them
    (interleaved blocks, `runs` runs of about `run_seconds` each): stall =
    extra time per step / step time on the real pipeline, the median over runs
    of each run's figure. The control: a second in-memory dataset in the same
    runs (the same step, nothing to wait for), i.e. what the measurement alone
    scatters by. Also the pipeline alone (no training): ms to produce a batch."""
    from kerasgan import data

    gan = kerasgan_model("dcgan")
    datasets = {
        "real_pipeline": data.load("fashion_mnist", batch_size=BATCH, seed=0),
        "memory": memory_dataset(16),
        "memory_again": memory_dataset(16, seed=1),
    }

    def measure(name, steps, warmup):
        return time_fit(gan, datasets[name], steps, warmup=warmup)

    times, steps_per_run = stats.timed_runs(measure, list(datasets), runs, run_seconds, blocks)
    summary = {name: stats.summarize(t) for name, t in times.items()}
    memory_runs = summary["memory"]["runs_ms"]

    def stall(name):  # median over runs of 1 - memory / name
        return 1 - 1 / stats.paired_ratio(summary[name]["runs_ms"], memory_runs)

    return {
        "memory_ms": summary["memory"]["median_ms"],
        "real_pipeline_ms": summary["real_pipeline"]["median_ms"],
        "pipeline_alone_ms_per_batch": pipeline_ms_per_batch(datasets["real_pipeline"]),
        "stall_fraction": max(0.0, stall("real_pipeline")),
        "control_stall_fraction": stall("memory_again"),
        "runs": runs,
        "steps_per_run": steps_per_run["real_pipeline"],
    }


def check_targets(report):
    """The speed targets against this run's figures: a list of
    {target, measured, met}."""
    out = []
    for network, result in report["frameworks"].items():
        ratios = report["ratios"][network]
        for twin in ("pytorch", "pytorch_tuned"):
            if f"kerasgan/{twin}" not in ratios:
                continue
            r = ratios[f"kerasgan/{twin}"]
            out.append(
                {
                    "target": f"{network}: kerasgan / {twin} <= 0.9 (median)",
                    "measured": f"{r:.3f}",
                    "met": r <= 0.9,
                }
            )
            ours, theirs = result["kerasgan"]["spread"], result[twin]["spread"]
            out.append(
                {
                    "target": f"{network}: kerasgan spread <= {twin} spread",
                    "measured": f"{ours:.3f} vs {theirs:.3f}",
                    "met": ours <= theirs,
                }
            )
        for key in ("kerasgan/minimal_keras_same_mode", "kerasgan_keras_ops/minimal_keras"):
            # the median of the per-run ratios where the suite has it (runs
            # of both span the same stretch of time), else the ratio of medians
            value = ratios.get(f"{key} (paired)", ratios[key])
            measured = f"{value:.3f}"
            if f"{key} (paired)" in ratios:
                measured += f" (per-run ratios' median; ratio of medians {ratios[key]:.3f}"
                control = ratios.get("minimal_keras_again/minimal_keras (paired)")
                if control is not None and key.startswith("kerasgan_keras_ops"):
                    measured += f"; the same minimal step twice: {control:.3f}"
                compiled = report.get("compiled_steps", {}).get(network)
                if compiled is not None and key.startswith("kerasgan_keras_ops"):
                    measured += "; compiled: {} non-scalar instructions{}, {:+d} scalar".format(
                        compiled["non_scalar_instructions"][0],
                        " as the minimal step's"
                        if compiled["non_scalar_equal"]
                        else f" vs the minimal step's {compiled['non_scalar_instructions'][1]}",
                        compiled["extra_scalar_instructions"],
                    )
                measured += ")"
            out.append(
                {
                    "target": f"{network}: {key} <= 1.02",
                    "measured": measured,
                    "met": value <= 1.02,
                }
            )
    auto_jit = report["machine"]["auto_jit_compile"]
    for row in report["variants"]:
        if row["jit_compile"] == auto_jit and row["policy"] == "float32":
            f = row.get("fraction_of_peak_beside", row["fraction_of_peak"])
            measured = f"{f:.1%}"
            if "fraction_of_peak_beside" in row:
                measured += (
                    " of the peak measured beside its runs "
                    f"({row['fraction_of_peak']:.1%} of the suite's start peak)"
                )
            out.append(
                {
                    "target": f"{row['variant']} default networks, XLA "
                    f"{'on' if auto_jit else 'off'} (auto): >= 60% of the matmul peak",
                    "measured": measured,
                    "met": f >= 0.6,
                }
            )
    if "input_pipeline" in report:
        f = report["input_pipeline"]["stall_fraction"]
        measured = f"{f:.1%}"
        control = report["input_pipeline"].get("control_stall_fraction")
        if control is not None:
            measured += f" (per-run median; the same in-memory step twice: {control:.1%})"
        out.append(
            {"target": "input pipeline stall < 2% of step", "measured": measured, "met": f < 0.02}
        )
    return out


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", default="runs/bench.json")
    parser.add_argument(
        "--input-seconds",
        type=float,
        default=2.0,
        help="input-pipeline part: wall time of each dataset's run (--runs runs)",
    )
    parser.add_argument(
        "--run-seconds",
        type=float,
        default=4.0,
        help="framework comparison: wall time of each contestant's run (steps chosen to fit)",
    )
    parser.add_argument(
        "--blocks",
        type=int,
        default=2,
        help="framework comparison: blocks per run, interleaved across contestants",
    )
    parser.add_argument("--runs", type=int, default=7, help="runs per network")
    parser.add_argument(
        "--variant-runs", type=int, default=3, help="interleaved runs per variant configuration"
    )
    parser.add_argument(
        "--variant-seconds",
        type=float,
        default=2.0,
        help="variants: wall time of each configuration's run (and of the matmul beside them)",
    )
    parser.add_argument("--variants", default=",".join(kerasgan.list_variants()))
    parser.add_argument("--networks", default="kerasio,dcgan")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch twins")
    parser.add_argument(
        "--parts",
        default="frameworks,variants,input",
        help="what to run, of frameworks,variants,input (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 short run, dcgan only")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.variant_runs, args.variants, args.input_seconds = 1, 1, "dcgan", 0.3
        args.run_seconds, args.blocks, args.variant_seconds = 0.3, 1, 0.3
    twins = {} if args.no_torch else twin_process.start_twins()
    try:
        run_suite(args, twins)
    finally:
        for twin in twins.values():
            twin.close()


def run_suite(args, twins):
    """Everything the suite measures and prints; `twins`: the PyTorch worker
    processes by name (empty without torch)."""
    report = {
        "machine": {
            "platform": platform.platform(),
            "cpu": cpu_description(),
            "cpu_count": os.cpu_count(),
            "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "kerasgan": kerasgan.__version__,
            "torch": importlib.metadata.version("torch") if twins else None,
            "torch_twins": {name: twin.describe() for name, twin in twins.items()},
            # what compile(jit_compile="auto") picks here (backend.xla_is_faster)
            "auto_jit_compile": bool(kerasgan_model("dcgan").jit_compile),
        },
        "settings": {
            "batch_size": BATCH,
            "image_shape": SHAPE,
            "runs": args.runs,
            "run_seconds": args.run_seconds,
            "blocks": args.blocks,
            "input_seconds": args.input_seconds,
            "variant_runs": args.variant_runs,
            "variant_seconds": args.variant_seconds,
        },
    }
    parts = set(args.parts.split(","))
    for name, twin in twins.items():
        print(f"{name}: {twin.describe()}", flush=True)
    if "pytorch_tuned" in twins and not twins["pytorch_tuned"].preload:
        print(
            "tcmalloc not found: the tuned PyTorch twin runs on glibc's malloc "
            "(apt-get install libtcmalloc-minimal4)",
            flush=True,
        )
    tf_peaks = {n: matmul_gflops_tf(n) for n in (2048, 4096)}
    peak_n = max(tf_peaks, key=tf_peaks.get)  # the size measured again beside the variants
    peaks = {"tensorflow": tf_peaks[peak_n]}
    if twins:
        peaks["pytorch"] = max(twins["pytorch"].matmul_gflops(n) for n in (2048, 4096))
    # The machine's peak: the faster of the two libraries' best matmul.
    peak = max(peaks.values())
    report["matmul_peak_gflops"] = {**peaks, "peak": peak}
    print(f"float32 matmul GFLOP/s: {report['matmul_peak_gflops']}", flush=True)

    report["frameworks"] = {}
    for network in args.networks.split(",") if "frameworks" in parts else ():
        result = compare_frameworks(network, args.runs, twins, args.run_seconds, args.blocks)
        report["frameworks"][network] = result
        ours = result["kerasgan"]["median_ms"]
        line = [
            f"{network}: "
            + ", ".join(
                f"{k} {v['median_ms']:.0f} ms (spread {v['spread']:.3f}, "
                f"jitter {v['jitter_p90_p10']:.3f}, {v['steps_per_run']} steps/run)"
                for k, v in result.items()
            )
        ]
        flops = networks.train_step_flops(kerasgan_model(network, jit=False), BATCH, SHAPE)
        gflops = flops / 1e9 / (ours / 1000)
        report.setdefault("framework_flops", {})[network] = {
            "gflop_per_step": flops / 1e9,
            "kerasgan_gflops": gflops,
            "kerasgan_fraction_of_peak": gflops / peak,
        }
        line.append(
            f"{flops / 1e9:.1f} GFLOP/step, kerasgan {gflops:.0f} GFLOP/s"
            f" = {gflops / peak:.0%} of peak"
        )
        minimal = result["minimal_keras"]["median_ms"]
        # overhead: kerasgan against the minimal step in the same mode
        same_mode = result[
            "minimal_keras" if result["kerasgan"]["jit_compile"] else "minimal_keras_graph"
        ]
        runs_ms = {name: r["runs_ms"] for name, r in result.items()}
        ratios = {
            "kerasgan/minimal_keras": ours / minimal,
            "kerasgan/minimal_keras_same_mode": ours / same_mode["median_ms"],
            "kerasgan/minimal_keras_same_mode (paired)": stats.paired_ratio(
                runs_ms["kerasgan"], same_mode["runs_ms"]
            ),
            "kerasgan_keras_ops/minimal_keras": result["kerasgan_keras_ops"]["median_ms"] / minimal,
            "kerasgan_keras_ops/minimal_keras (paired)": stats.paired_ratio(
                runs_ms["kerasgan_keras_ops"], runs_ms["minimal_keras"]
            ),
            # the control: the same minimal step twice
            "minimal_keras_again/minimal_keras": result["minimal_keras_again"]["median_ms"]
            / minimal,
            "minimal_keras_again/minimal_keras (paired)": stats.paired_ratio(
                runs_ms["minimal_keras_again"], runs_ms["minimal_keras"]
            ),
        }
        for twin in twins:
            ratios[f"kerasgan/{twin}"] = ours / result[twin]["median_ms"]
        report.setdefault("ratios", {})[network] = ratios
        line += [f"{k} = {v:.3f}" for k, v in ratios.items()]
        compiled = compare_compiled_steps(network)
        report.setdefault("compiled_steps", {})[network] = compiled
        line.append(
            "compiled steps, kerasgan_keras_ops vs minimal_keras: {} vs {} non-scalar "
            "instructions ({}), {:+d} scalar ones".format(
                *compiled["non_scalar_instructions"],
                "the same" if compiled["non_scalar_equal"] else "different",
                compiled["extra_scalar_instructions"],
            )
        )
        print("; ".join(line), flush=True)

    report["variants"] = []
    print(
        f"{'variant':<16} {'xla':<4} {'policy':<15} {'d':>2} {'ms/step':>8} {'spread':>6} "
        f"{'img/s':>6} "
        f"{'GFLOP':>6} {'GFLOP/s':>8} {'of peak':>7} {'beside':>7}",
        flush=True,
    )
    for variant in args.variants.split(",") if "variants" in parts else ():
        flops = variant_flops(variant)
        configs = [(True, "float32"), (False, "float32")]
        if variant == "dcgan":  # bfloat16 in the mode "auto" picks here
            configs.append((report["machine"]["auto_jit_compile"], "mixed_bfloat16"))
        rows = variant_rows(
            variant, configs, args.variant_runs, args.variant_seconds, flops, peak, peak_n
        )
        for row in rows:
            report["variants"].append(row)
            print(
                f"{variant:<16} {'on' if row['jit_compile'] else 'off':<4} {row['policy']:<15} "
                f"{row['d_steps']:>2} {row['median_ms']:>8.0f} {row['spread']:>6.2f} "
                f"{row['images_per_s']:>6.0f} {row['gflop_per_step']:>6.1f} "
                f"{row['achieved_gflops']:>8.1f} {row['fraction_of_peak']:>7.1%} "
                f"{row['fraction_of_peak_beside']:>7.1%}",
                flush=True,
            )

    if "input" in parts:
        report["input_pipeline"] = input_stall(args.runs, args.input_seconds, args.blocks)
        print(
            "input pipeline: real {real_pipeline_ms:.0f} ms vs in-memory {memory_ms:.0f} ms "
            "per step, stall {stall_fraction:.1%} (per-run median; the same in-memory step "
            "twice: {control_stall_fraction:.1%}); the pipeline alone "
            "{pipeline_alone_ms_per_batch:.1f} ms/batch".format(**report["input_pipeline"]),
            flush=True,
        )
    report["targets"] = check_targets(report)
    print("targets:")
    for t in report["targets"]:
        print(f"  {'met' if t['met'] else 'NOT met':<8} {t['target']}: {t['measured']}")
    if args.json:
        kerasgan.utils.write_atomically(json.dumps(report, indent=1).encode(), args.json)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
