"""XLA:CPU and threading settings, A/B: which make the training step faster?

Usage:
    python benchmarks/cpu_flags.py [--rounds 2] [--steps 10] [--networks kerasio,dcgan]
        [--configs default,onednn,...] [--json runs/cpu_flags.json]

XLA reads `XLA_FLAGS` once per process (at its first compilation), so every
configuration runs in its own subprocess; configurations alternate within
each round (A B C ... A B C ...) so that drift of the shared machine hits all
of them alike. Each subprocess times kerasgan `fit` on the named networks
(`benchmarks/networks.py`; batch 128, in-memory batches, warm-up excluded)
and prints the median ms/step; the table gives the median over rounds and
the ratio to the `default` configuration.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

# name -> (extra environment, description)
CONFIGS = {
    "default": ({}, "TensorFlow's defaults (XLA on)"),
    "onednn": ({"XLA_FLAGS": "--xla_cpu_use_onednn=true"}, "XLA:CPU calls oneDNN for dot/conv"),
    "onednn_cc": (
        {"XLA_FLAGS": "--xla_cpu_experimental_onednn_custom_call=true"},
        "XLA:CPU oneDNN custom calls",
    ),
    "xnn": (
        {"XLA_FLAGS": "--xla_cpu_experimental_xnn_fusion_type=dot,eltwise,reduce"},
        "XNNPACK fusions for dot/eltwise/reduce",
    ),
    "xnn_graph": (
        {"XLA_FLAGS": "--xla_cpu_experimental_xnn_graph_fusion_mode=XNN_GRAPH_FUSION_MODE_GREEDY"},
        "XNNPACK graph fusion (greedy)",
    ),
    "fast_math": ({"XLA_FLAGS": "--xla_cpu_enable_fast_math=true"}, "XLA fast math"),
    "inter_op_1": ({"KERASGAN_BENCH_INTER_OP": "1"}, "one inter-op thread"),
    "no_xla": ({"KERASGAN_BENCH_JIT": "0"}, "jit_compile=False (TensorFlow kernels, oneDNN)"),
}

CHILD = r"""
import json, os, statistics, sys
sys.path.insert(0, {bench!r})
import tensorflow as tf
if os.environ.get("KERASGAN_BENCH_INTER_OP"):
    tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["KERASGAN_BENCH_INTER_OP"]))
import keras, suite
keras.utils.set_random_seed(0)
jit = os.environ.get("KERASGAN_BENCH_JIT", "1") == "1"
out = {{}}
for network in {networks!r}:
    gan = suite.kerasgan_model(network, jit)
    times = suite.time_fit(gan, suite.memory_dataset({steps} + 3), {steps})
    out[network] = 1000 * statistics.median(times)
print("RESULT " + json.dumps(out))
"""


def run_config(name, networks, steps):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **CONFIGS[name][0]}
    if "XLA_FLAGS" in os.environ and "XLA_FLAGS" in CONFIGS[name][0]:
        env["XLA_FLAGS"] = os.environ["XLA_FLAGS"] + " " + CONFIGS[name][0]["XLA_FLAGS"]
    code = CHILD.format(
        bench=os.path.dirname(os.path.abspath(__file__)), networks=networks, steps=steps
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return {"error": " | ".join(tail)}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--networks", default="kerasio,dcgan")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--json", default="runs/cpu_flags.json")
    args = parser.parse_args()
    names, networks = args.configs.split(","), args.networks.split(",")
    for name in names:
        if name not in CONFIGS:
            parser.error(f"unknown config {name!r}; choose from {', '.join(CONFIGS)}")
    results = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names:
            res = run_config(name, networks, args.steps)
            results[name].append(res)
            print(f"round {r + 1} {name}: {res}", flush=True)
    summary = {}
    for name in names:
        ok = [r for r in results[name] if "error" not in r]
        summary[name] = {n: statistics.median(r[n] for r in ok) if ok else None for n in networks}
    base = summary.get("default", {})
    print(f"\n{'config':<12} " + " ".join(f"{n + ' ms':>12} {'ratio':>6}" for n in networks))
    for name in names:
        cells = []
        for n in networks:
            ms = summary[name][n]
            if ms is None:
                cells.append(f"{'failed':>12} {'':>6}")
                continue
            ratio = ms / base[n] if base.get(n) else float("nan")
            cells.append(f"{ms:>12.0f} {ratio:>6.3f}")
        print(f"{name:<12} " + " ".join(cells) + f"  {CONFIGS[name][1]}")
    if args.json:
        os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"rounds": results, "median_ms": summary}, f, indent=1)


if __name__ == "__main__":
    main()
