"""Where a training step's time goes: TensorFlow's profiler, by op type.

Usage:
    python benchmarks/profile_step.py [--network kerasio|dcgan|VARIANT]
        [--jit auto|on|off] [--steps 5] [--top 15] [--by type|op] [--logdir runs/profile]

Traces `--steps` steps of a steady-state kerasgan `fit` (batch 128, batches
already in memory, after a warm-up) with `tf.profiler`, reads the trace
(`*.xplane.pb`) back and prints, per op type, ms per step and share of the
step's op time. Without XLA the ops are TensorFlow's kernels (`Conv2D`,
`Conv2DBackpropInput`, `_FusedConv2D`, ...); with XLA they are the compiled
cluster's HLO ops (`convolution`, `fusion`, ...), which XLA:CPU only
reports with `--xla_cpu_enable_xprof_traceme=true` in `XLA_FLAGS` (this
script sets it before TensorFlow starts). The trace opens in TensorBoard's
profile plugin too.
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import sys

if "--xla_cpu_enable_xprof_traceme" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "") + " --xla_cpu_enable_xprof_traceme=true"
    ).strip()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import suite  # noqa: E402

# TraceMe events that enclose others (executor, function calls, threads):
# counting them would count their children twice.
ENCLOSING = (
    "ExecutorState",
    "FunctionRun",
    "Iterator",
    "PartitionedCall",
    "StatefulPartitionedCall",
    "__inference",
    "ThreadpoolListener",
    "TfrtModernTrace",
    "XlaCompile",
    "XlaRun",
    "_XlaRun",
    "_XlaCompile",
    "TraceContext",
    "EagerExecute",
    "EagerLocalExecute",
    "ParallelFor",
    "RunGraph",
    "OneDnnMatMul",
    "Thunk",
    "ThunkExecutor",
    "ProcessThunk",
)


def op_type(name: str) -> str | None:
    """`scope/op_name:OpType` -> `OpType`; None for non-op events."""
    if ":" not in name:
        return None
    kind = name.rsplit(":", 1)[1].strip()
    if not kind or not kind[0].isalpha() or any(kind.startswith(e) for e in ENCLOSING):
        return None
    return kind


def read_trace(logdir: str, by: str = "type") -> dict[str, float]:
    """Total microseconds per op type (`by="type"`) or per op (`"op"`: the
    op's name in the graph with its kernel) in the newest trace under
    `logdir`."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    files = sorted(glob.glob(os.path.join(logdir, "plugins", "profile", "*", "*.xplane.pb")))
    if not files:
        raise FileNotFoundError(f"no *.xplane.pb under {logdir}/plugins/profile")
    space = xplane_pb2.XSpace()
    with open(files[-1], "rb") as f:
        space.ParseFromString(f.read())
    totals: dict[str, float] = collections.Counter()
    for plane in space.planes:
        if not plane.name.startswith("/host:CPU"):
            continue
        for line in plane.lines:
            for event in line.events:
                meta = plane.event_metadata[event.metadata_id]
                name = meta.name
                # TensorFlow kernels: display_name is the kernel (`_MklNativeConv2D`)
                kind = meta.display_name or None if line.name.startswith("tf_") else None
                if kind is None and "." in name and line.name.startswith("XLA"):
                    kind = name.split(".", 1)[0]  # HLO instruction "fusion.12"
                if kind is not None:
                    if by == "op":
                        op = name.rsplit(":", 1)[0].removeprefix("StatefulPartitionedCall/")
                        kind = f"{op} [{kind}]"
                    totals[kind] += event.duration_ps / 1e6
    return dict(totals)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--network", default="kerasio")
    parser.add_argument("--jit", default="auto", choices=["auto", "on", "off"])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--by", default="type", choices=["type", "op"], help="group by")
    parser.add_argument("--logdir", default="runs/profile")
    args = parser.parse_args()
    jit = {"auto": "auto", "on": True, "off": False}[args.jit]
    gan = suite.kerasgan_model(args.network, jit)
    ds = suite.memory_dataset(args.steps + 3)
    step_ms = 1000 * sorted(suite.time_fit(gan, ds, args.steps))[args.steps // 2]
    tf.profiler.experimental.start(args.logdir)
    gan.fit(ds, epochs=1, steps_per_epoch=args.steps, verbose=0)
    tf.profiler.experimental.stop()
    totals = read_trace(args.logdir, args.by)
    if not totals:
        raise SystemExit("the trace holds no op events (see the docstring on XLA_FLAGS)")
    op_ms = sum(totals.values()) / 1000 / args.steps
    print(
        f"{args.network}, XLA {'on' if gan.jit_compile else 'off'}: {step_ms:.0f} ms/step wall, "
        f"{op_ms:.0f} ms/step of op time summed over threads"
    )
    width = max(40, *(len(k) for k in totals)) if args.by == "op" else 40
    print(f"{'op ' + args.by:<{width}} {'ms/step':>8} {'share':>6}")
    for kind, us in sorted(totals.items(), key=lambda kv: -kv[1])[: args.top]:
        ms = us / 1000 / args.steps
        print(f"{kind:<{width}} {ms:>8.1f} {ms / op_ms:>6.1%}")


if __name__ == "__main__":
    main()
