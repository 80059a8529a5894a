"""The PyTorch twins in worker processes of their own.

Each `TwinProcess` is a separate Python process with torch imported (never
TensorFlow), waiting on a pipe; the suite asks it for a run and gets the
per-step times back, so runs alternate with kerasgan's but never overlap, and
neither framework's threads, allocator or loaded libraries live in the other's
process (as in a user's own program).

Two configurations (PyTorch's performance tuning guide,
https://pytorch.org/tutorials/recipes/recipes/tuning_guide.html, "CPU specific
optimizations"):
- `pytorch`: PyTorch as installed, NCHW tensors, glibc's malloc (the issue's
  baseline);
- `pytorch_tuned`: tensors in `torch.channels_last` memory format and
  tcmalloc preloaded (`LD_PRELOAD`), when tcmalloc is installed
  (`apt-get install libtcmalloc-minimal4`). On these machines glibc's malloc
  returns every large activation to the kernel, so PyTorch page-faults on each
  step (keras.io network: ~245,000 faults and ~0.4 s of kernel time per step).

This module does not import torch; the worker does.
"""

from __future__ import annotations

import ctypes.util
import glob
import multiprocessing as mp
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def find_tcmalloc():
    """Path of an installed tcmalloc shared library, or None."""
    for name in ("tcmalloc_minimal", "tcmalloc"):
        found = ctypes.util.find_library(name)
        if found:
            for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"):
                path = os.path.join(folder, found)
                if os.path.exists(path):
                    return path
    matches = sorted(glob.glob("/usr/lib/*/libtcmalloc_minimal.so.*"))
    return matches[0] if matches else None


def _serve(conn, threads):
    sys.path.insert(0, HERE)
    import torch
    import torch_twins

    torch.set_num_threads(threads)
    conn.send("ready")
    while True:
        request = conn.recv()
        if request is None:
            return
        kind, kwargs = request
        try:
            if kind == "measure":
                conn.send(("ok", torch_twins.measure(**kwargs)))
            elif kind == "matmul":
                conn.send(("ok", torch_twins.matmul_gflops(**kwargs)))
            else:
                conn.send(("error", f"unknown request {kind!r}"))
        except Exception as e:  # report to the suite instead of hanging it
            conn.send(("error", f"{type(e).__name__}: {e}"))


class TwinProcess:
    """A worker process running the PyTorch twins.

    `preload`: a shared library for the worker's `LD_PRELOAD` (an allocator);
    `channels_last`: every `measure` in NHWC memory format."""

    def __init__(self, preload=None, channels_last=False, threads=None):
        self.preload, self.channels_last = preload, channels_last
        ctx = mp.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_serve, args=(child, threads or os.cpu_count() or 1), daemon=True
        )
        saved = os.environ.get("LD_PRELOAD")
        if preload:  # the spawned interpreter inherits os.environ at start
            os.environ["LD_PRELOAD"] = preload
        try:
            self._proc.start()
        finally:
            if preload:
                if saved is None:
                    del os.environ["LD_PRELOAD"]
                else:
                    os.environ["LD_PRELOAD"] = saved
        child.close()  # so a worker that dies shows up as EOF here, not a hang
        try:
            ready = self._conn.recv()
        except EOFError:
            ready = None
        if ready != "ready":
            raise RuntimeError(
                "the PyTorch worker failed to start (is torch installed? "
                'pip install -e ".[bench]"); its error is printed above'
            )

    def _ask(self, kind, **kwargs):
        self._conn.send((kind, kwargs))
        try:
            status, value = self._conn.recv()
        except EOFError:
            status, value = "error", "the worker process died (its error is printed above)"
        if status != "ok":
            raise RuntimeError(f"PyTorch worker: {value}")
        return value

    def measure(self, network, steps):
        return self._ask("measure", network=network, steps=steps, channels_last=self.channels_last)

    def matmul_gflops(self, n):
        return self._ask("matmul", n=n)

    def describe(self):
        parts = ["channels_last" if self.channels_last else "NCHW"]
        parts.append(
            f"LD_PRELOAD={os.path.basename(self.preload)}" if self.preload else "glibc malloc"
        )
        return ", ".join(parts)

    def close(self):
        if self._proc.is_alive():
            self._conn.send(None)
            self._proc.join(timeout=30)


def start_twins():
    """{"pytorch": ..., "pytorch_tuned": ...} worker processes; {} without torch."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return {}
    twins = {"pytorch": TwinProcess()}
    twins["pytorch_tuned"] = TwinProcess(preload=find_tcmalloc(), channels_last=True)
    return twins
