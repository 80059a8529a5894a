"""Where the run-to-run spread of a training step comes from.

Usage:
    python benchmarks/spread.py [--network kerasio] [--runs 7] [--steps 30]
        [--configs default,inter_op_1,pytorch] [--json runs/spread.json]

Each configuration lives in its own worker process (thread settings must be
made before TensorFlow starts), builds its model and warms it up once; then
the driver asks the workers for `--runs` alternating runs of `--steps` steps,
one worker at a time (the others wait idle on a pipe). Per configuration it
prints the run medians, the spread (max / min of the run medians, the suite's
figure) and the within-run variation (median over runs of p90 / p10 of the
step times).

Configurations (kerasgan `fit` with `compile()` defaults, unless named):
    default     TensorFlow's thread defaults
    inter_op_1  one inter-op thread: ops run one at a time, each on all cores
    inter_op_2  two inter-op threads
    gc_off      Python's garbage collector off during the timed runs
    pytorch     the PyTorch twin (`benchmarks/twin_process.py`), as installed
    pytorch_tuned  the same in channels_last with tcmalloc (when installed)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import stats  # noqa: E402
import twin_process  # noqa: E402

CONFIGS = ("default", "inter_op_1", "inter_op_2", "gc_off", "pytorch", "pytorch_tuned")


def _keras_worker(conn, config, network, steps):
    sys.path.insert(0, HERE)
    import tensorflow as tf

    if config.startswith("inter_op_"):
        tf.config.threading.set_inter_op_parallelism_threads(int(config.rsplit("_", 1)[1]))
    import gc

    import keras
    import suite

    keras.utils.set_random_seed(0)
    model = suite.kerasgan_model(network)
    ds = suite.memory_dataset(steps + 3)
    suite.time_fit(model, ds, 3)  # trace (and compile) before the first timed run
    conn.send("ready")
    while conn.recv() == "run":
        if config == "gc_off":
            gc.collect()
            gc.disable()
        times = suite.time_fit(model, ds, steps)
        gc.enable()
        conn.send(times)


class _KerasWorker(twin_process.Worker):
    def __init__(self, config, network, steps):
        super().__init__(_keras_worker, (config, network, steps), f"worker {config}")

    def measure(self, network, steps):
        return self.request("run")


def _start(config, network, steps):
    if config == "pytorch":
        return twin_process.TwinProcess()
    if config == "pytorch_tuned":
        return twin_process.TwinProcess(preload=twin_process.find_tcmalloc(), channels_last=True)
    return _KerasWorker(config, network, steps)


def run_spread(network, configs, runs, steps):
    workers = {}
    times = {config: [] for config in configs}
    try:
        for config in configs:  # one at a time: warm-ups must not overlap
            workers[config] = _start(config, network, steps)
            if config.startswith("pytorch"):
                workers[config].measure(network, 3)  # warm-up
        for r in range(runs):
            for config, worker in workers.items():
                times[config].append(worker.measure(network, steps))
            print(
                f"run {r + 1}/{runs}: "
                + ", ".join(f"{c} {1000 * statistics.median(t[-1]):.1f}" for c, t in times.items()),
                flush=True,
            )
    finally:
        for worker in workers.values():
            worker.close()
    return {config: summarize(run_times) for config, run_times in times.items()}


def summarize(run_times):
    """The suite's summary (`stats.summarize`) plus every step time (ms)."""
    return {
        **stats.summarize(run_times),
        "steps_ms": [[1000 * x for x in t] for t in run_times],
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--network", default="kerasio", choices=("kerasio", "dcgan"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--configs", default="default,pytorch,pytorch_tuned")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    configs = args.configs.split(",")
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configs {unknown}; choose from {', '.join(CONFIGS)}")
    result = run_spread(args.network, configs, args.runs, args.steps)
    print(f"\n{args.network}: {args.runs} alternating runs of {args.steps} steps")
    print(f"{'config':<12} {'median ms':>10} {'spread':>7} {'p90/p10 in run':>15}  run medians")
    for config, r in result.items():
        runs = " ".join(f"{m:.0f}" for m in r["runs_ms"])
        print(
            f"{config:<12} {r['median_ms']:>10.1f} {r['spread']:>7.3f} "
            f"{r['jitter_p90_p10']:>15.3f}  {runs}"
        )
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(
                {"network": args.network, "runs": args.runs, "steps": args.steps, **result}, f
            )


if __name__ == "__main__":
    main()
