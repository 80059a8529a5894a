"""Where the run-to-run spread of a training step comes from.

Usage:
    python benchmarks/spread.py [--network kerasio] [--runs 7] [--run-seconds 4]
        [--blocks 2]
        [--configs default,inter_op_1,pytorch] [--json runs/spread.json]

Each configuration lives in its own worker process (thread settings must be
made before TensorFlow starts) and builds its model once; then the driver
runs them as the suite runs its contestants (`stats.timed_runs`: a discarded
warm-up round, runs of about `--run-seconds` each, in `--blocks` blocks
interleaved across configurations; one worker at a time, the others wait
idle on a pipe). Per configuration it
prints the run medians, the spread (max / min of the run medians, the suite's
figure) and the within-run variation (median over runs of p90 / p10 of the
step times).

Configurations (kerasgan `fit` with `compile()` defaults, unless named):
    default     TensorFlow's thread defaults
    inter_op_1  one inter-op thread: ops run one at a time, each on all cores
    inter_op_2  two inter-op threads
    intra_op_1  one intra-op thread
    gc_off      Python's garbage collector off during the timed runs
    caller_thread  TF_ONEDNN_THREADPOOL_USE_CALLER_THREAD=true: the thread that
                calls a oneDNN primitive runs one of its shards itself instead
                of waiting for the intra-op pool
    system_alloc   TF_ONEDNN_USE_SYSTEM_ALLOCATOR=true
    tf_tcmalloc    tcmalloc preloaded into the TensorFlow process
    isa_avx2    oneDNN limited to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2)
    pytorch     the PyTorch twin (`benchmarks/twin_process.py`), as installed
    pytorch_tuned  the same in channels_last with tcmalloc (when installed)
Settings combine with "+", e.g. `intra_op_1+caller_thread`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import stats  # noqa: E402
import twin_process  # noqa: E402

CONFIGS = (
    "default",
    "inter_op_1",
    "inter_op_2",
    "intra_op_1",
    "gc_off",
    "caller_thread",
    "system_alloc",
    "tf_tcmalloc",
    "isa_avx2",
    "pytorch",
    "pytorch_tuned",
)


def config_env(config):
    """Environment variables a configuration's worker starts with."""
    if "+" in config:
        env = {}
        for part in config.split("+"):
            env.update(config_env(part))
        return env
    if config == "caller_thread":
        return {"TF_ONEDNN_THREADPOOL_USE_CALLER_THREAD": "true"}
    if config == "isa_avx2":
        return {"ONEDNN_MAX_CPU_ISA": "AVX2"}
    if config == "system_alloc":
        return {"TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "true"}
    if config == "tf_tcmalloc":
        return {"LD_PRELOAD": twin_process.find_tcmalloc() or ""}
    return {}


def _keras_worker(conn, config, network):
    sys.path.insert(0, HERE)
    import tensorflow as tf

    for part in config.split("+"):
        if part.startswith("inter_op_"):
            tf.config.threading.set_inter_op_parallelism_threads(int(part.rsplit("_", 1)[1]))
        if part.startswith("intra_op_"):
            tf.config.threading.set_intra_op_parallelism_threads(int(part.rsplit("_", 1)[1]))
    import gc

    import keras
    import suite

    keras.utils.set_random_seed(0)
    model = suite.kerasgan_model(network)
    ds = suite.memory_dataset(16)
    conn.send("ready")  # tracing happens in `stats.timed_runs`' warm-up round
    while (request := conn.recv()) is not None:
        n, warmup = request
        if config == "gc_off":
            gc.collect()
            gc.disable()
        times = suite.time_fit(model, ds, n, warmup=warmup)
        gc.enable()
        conn.send(times)


class _KerasWorker(twin_process.Worker):
    def __init__(self, config, network):
        super().__init__(
            _keras_worker, (config, network), f"worker {config}", env=config_env(config)
        )

    def measure(self, network, steps, warmup=3):
        return self.request((steps, warmup))


def _start(config, network):
    if config in twin_process.TWINS:
        return twin_process.start_twin(config)
    return _KerasWorker(config, network)


def run_spread(network, configs, runs, run_seconds=4.0, blocks=2):
    """`stats.timed_runs` over one worker per configuration."""
    workers = {}
    try:
        for config in configs:  # one at a time: warm-ups must not overlap
            workers[config] = _start(config, network)

        def measure(config, steps, warmup):
            return workers[config].measure(network, steps, warmup)

        times, steps_per_run = stats.timed_runs(measure, configs, runs, run_seconds, blocks)
    finally:
        for worker in workers.values():
            worker.close()
    return {
        config: {**summarize(run_times), "steps_per_run": steps_per_run[config]}
        for config, run_times in times.items()
    }


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
    parser.add_argument("--run-seconds", type=float, default=4.0)
    parser.add_argument("--configs", default="default,pytorch,pytorch_tuned")
    parser.add_argument("--blocks", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    configs = args.configs.split(",")
    unknown = sorted({p for c in configs for p in c.split("+")} - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configs {unknown}; choose from {', '.join(CONFIGS)}")
    result = run_spread(args.network, configs, args.runs, args.run_seconds, args.blocks)
    print(
        f"\n{args.network}: {args.runs} runs of ~{args.run_seconds} s, "
        f"{args.blocks} interleaved blocks each (stats.timed_runs)"
    )
    print(
        f"{'config':<12} {'median ms':>10} {'spread':>7} {'p90/p10 in run':>15} "
        f"{'steps/run':>9}  run medians"
    )
    for config, r in result.items():
        runs = " ".join(f"{m:.0f}" for m in r["runs_ms"])
        print(
            f"{config:<12} {r['median_ms']:>10.1f} {r['spread']:>7.3f} "
            f"{r['jitter_p90_p10']:>15.3f} {r['steps_per_run']:>9}  {runs}"
        )
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(
                {
                    "network": args.network,
                    "runs": args.runs,
                    "run_seconds": args.run_seconds,
                    "blocks": args.blocks,
                    **result,
                },
                f,
            )


if __name__ == "__main__":
    main()
