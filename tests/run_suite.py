"""Run the test suite as `make test` (and CI) does: in parts, each part a pytest
process of its own, a few at a time.

    python tests/run_suite.py [-j N] [-m MARKS] [--list] [PYTEST ARGS...]

The suite runs on TensorFlow (all of it), and its backend-neutral tests (marked
`backends`) again on JAX and on PyTorch. A part is a group of test files on one
backend; the parts run longest first on `-j` workers (default: one per core, fewer
where memory is short), so the machine stays busy until the end. Each part's
memory goes back to the system when its process exits, so the suite's peak is
that of the few parts running at once, not the sum of everything before.

Each part writes its output to runs/tests/<part>.log; this prints one line per
part as it ends, the output of every part that failed, and a summary. The exit
status is 0 when every part passed.
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
LOGS = os.path.join(ROOT, "runs", "tests")


@dataclass
class Part:
    """One pytest process: `files` on `backend` (None: every test file not in
    another part of the same backend); off TensorFlow, only the tests marked
    `backends`."""

    name: str
    backend: str
    files: list[str] | None
    minutes: float  # measured on a 2-core machine like CI's, for the order
    ignore: list[str] = field(default_factory=list)


#: The tests that start processes on other backends themselves, and the real
#: training and chaos tests: on TensorFlow only.
CROSS_BACKEND = [
    "test_backends.py",
    "test_backend_bench.py",
    "test_cli_backends.py",
]

#: TensorFlow: the whole suite, in parts of a few minutes each.
TF_PARTS = [
    ("tf-variants", ["test_variants.py"], 11.0),
    ("tf-cross-backend", CROSS_BACKEND, 9.0),
    ("tf-resume", ["test_resume_exact.py", "test_cli.py"], 6.0),
    ("tf-learning", ["test_learning.py"], 1.7),
    ("tf-processes", ["test_determinism.py", "test_distributed.py"], 4.5),
    (
        "tf-files",
        ["test_saving_memory.py", "test_registry.py", "test_examples.py", "test_zoo.py"],
        4.5,
    ),
    (
        "tf-tools",
        [
            "test_benchmarks.py",
            "test_features.py",
            "test_cli_quiet.py",
            "test_metric_callback.py",
            "test_hostile_data.py",
            "test_bad_inputs.py",
            "test_data.py",
        ],
        4.5,
    ),
    (
        "tf-layers",
        [
            "test_fast_conv.py",
            "test_new_variants.py",
            "test_ema.py",
            "test_guard.py",
            "test_properties.py",
            "test_ada.py",
            "test_ada_training.py",
        ],
        4.5,
    ),
    ("tf-chaos", ["test_chaos.py"], 3.5),
    ("tf-training-models", ["test_stylegan2.py", "test_r3gan.py", "test_mixed_precision.py"], 2.7),
]

#: JAX: the backend-neutral tests, in parts (each part compiles its own steps).
JAX_PARTS = [
    ("jax-variants", ["test_variants.py"], 5.0),
    (
        "jax-models",
        [
            "test_new_variants.py",
            "test_resume_exact.py",
            "test_registry.py",
            "test_ada_training.py",
            "test_guard.py",
            "test_metric_callback.py",
            "test_ema.py",
        ],
        4.0,
    ),
    ("jax-training-models", ["test_stylegan2.py", "test_r3gan.py", "test_mixed_precision.py"], 2.5),
]


def parts() -> list[Part]:
    out = []
    for backend, named, rest_minutes in (
        ("tensorflow", TF_PARTS, 4.0),
        ("jax", JAX_PARTS, 4.0),
        ("torch", [], 4.0),
    ):
        listed = [f for _, files, _ in named for f in files]
        for name, files, minutes in named:
            out.append(Part(name, backend, files, minutes))
        rest = backend.replace("tensorflow", "tf") + ("-rest" if named else "")
        ignore = listed + ([] if backend == "tensorflow" else ["test_backends.py"])
        out.append(Part(rest, backend, None, rest_minutes, ignore=ignore))
    return out


def _workers() -> int:
    """One per core, but no more than about 6 GB of memory each."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        gib = 24.0
    return max(1, min(cores or 1, int(gib // 6)))


def command(part: Part, marks: str, extra: list[str]) -> list[str]:
    expr = marks if part.backend == "tensorflow" else f"backends and ({marks})"
    cmd = [sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider", "--durations=15"]
    cmd += ["-m", expr, f"--basetemp={os.path.join(ROOT, 'runs', 'pytest', part.name)}"]
    if part.files is None:
        cmd += ["tests"] + [f"--ignore=tests/{f}" for f in part.ignore]
    else:
        cmd += [f"tests/{f}" for f in part.files]
    return cmd + extra


def _summary_line(log: str) -> str:
    """pytest's last line ("== 12 passed in 3.4s =="), without the equals signs."""
    with open(log, errors="replace") as f:
        lines = [line.strip() for line in f if line.strip()]
    for line in reversed(lines):
        if line.startswith("=") and (" in " in line or "no tests ran" in line):
            return line.strip("= ")
    return lines[-1] if lines else "(no output)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-j", "--jobs", type=int, default=_workers(), help="parts at once")
    parser.add_argument("-m", "--marks", default="not extended", help="pytest -m expression")
    parser.add_argument("--list", action="store_true", help="print the parts and exit")
    parser.add_argument("--only", help="run only the parts whose name contains this")
    args, extra = parser.parse_known_args(argv)

    every = parts()
    todo = [p for p in every if not args.only or args.only in p.name]
    todo.sort(key=lambda p: -p.minutes)  # longest first
    named = {f for p in every if p.files for f in p.files}
    missing = [f for f in named if not os.path.exists(os.path.join(TESTS, f))]
    if missing:
        print(f"run_suite.py names test files that do not exist: {missing}", file=sys.stderr)
        return 2
    if args.list:
        for p in todo:
            print(
                f"{p.name:24s} {p.backend:10s} ~{p.minutes:4.1f} min  "
                + shlex.join(command(p, args.marks, extra)[3:])
            )
        return 0

    os.makedirs(LOGS, exist_ok=True)
    os.makedirs(os.path.join(ROOT, "runs", "pytest"), exist_ok=True)  # --basetemp's parent
    for old in glob.glob(os.path.join(LOGS, "*.log")):
        os.remove(old)
    env = dict(os.environ, OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2")
    lock = threading.Lock()
    results: dict[str, tuple[int, float]] = {}
    queue = list(todo)
    running: dict[str, subprocess.Popen] = {}
    start = time.monotonic()
    print(
        f"{len(todo)} parts, {args.jobs} at a time; logs in {os.path.relpath(LOGS, ROOT)}/",
        flush=True,
    )

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                part = queue.pop(0)
            log = os.path.join(LOGS, f"{part.name}.log")
            cmd = command(part, args.marks, extra)
            t0 = time.monotonic()
            with open(log, "w") as out:
                out.write(f"$ KERAS_BACKEND={part.backend} {shlex.join(cmd)}\n")
                out.flush()
                proc = subprocess.Popen(
                    cmd,
                    cwd=ROOT,
                    env=dict(env, KERAS_BACKEND=part.backend),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
                with lock:
                    running[part.name] = proc
                rc = proc.wait()
            took = time.monotonic() - t0
            with lock:
                running.pop(part.name, None)
                # 5: no tests ran -- a mistake in the parts, unless pytest
                # arguments given here (-k ...) deselected them
                if rc == 5 and extra:
                    rc = 0
                results[part.name] = (rc, took)
                status = "passed" if rc == 0 else f"FAILED (exit {rc})"
                print(
                    f"[{len(results):2d}/{len(todo)}] {part.name:22s} {status:16s} "
                    f"{took:6.0f} s  {_summary_line(log)}",
                    flush=True,
                )

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, args.jobs))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(timeout=1.0)
    except KeyboardInterrupt:
        with lock:
            queue.clear()
            for proc in running.values():
                proc.terminate()
        print("interrupted", file=sys.stderr)
        return 130

    failed = [p for p in todo if results.get(p.name, (1, 0))[0] != 0]
    for p in failed:
        print(f"\n{'=' * 30} {p.name} (KERAS_BACKEND={p.backend}) {'=' * 30}")
        with open(os.path.join(LOGS, f"{p.name}.log"), errors="replace") as f:
            sys.stdout.write(f.read())
    wall = time.monotonic() - start
    work = sum(t for _, t in results.values())
    print(
        f"\n{len(todo) - len(failed)} of {len(todo)} parts passed in {wall:.0f} s "
        f"({work:.0f} s of work on {args.jobs} workers)"
    )
    if failed:
        print("failed: " + ", ".join(p.name for p in failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
