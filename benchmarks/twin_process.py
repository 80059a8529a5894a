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
import importlib.util
import multiprocessing as mp
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def find_tcmalloc():
    """An installed tcmalloc shared library for `LD_PRELOAD` (its soname, which
    the dynamic loader finds in the system's library folders), or None."""
    for name in ("tcmalloc_minimal", "tcmalloc"):
        found = ctypes.util.find_library(name)
        if found:
            return found
    matches = sorted(glob.glob("/usr/lib/*/libtcmalloc_minimal.so.*"))
    return matches[0] if matches else None


class Worker:
    """A worker process on a pipe. `target(conn, *args)` (a module-level
    function of a module in `benchmarks/`) sets itself up, sends "ready", then
    answers each request until it receives None.

    The worker is a fresh interpreter (`subprocess`) that imports only the
    target's module: `multiprocessing`'s "spawn" would also re-import the
    driver's main script there (the suite, hence TensorFlow) next to torch,
    and two copies of LLVM in one process abort (PyTorch 2.15's CUDA wheels
    with TensorFlow 2.21: "Option 'bitcode-mdindex-threshold' registered more
    than once"). `env`: variables for the worker's environment only (e.g.
    `LD_PRELOAD`, which must be set when the interpreter starts). A worker
    that dies raises an error naming it here instead of hanging the driver."""

    def __init__(self, target, args, name, env=None, start_hint="", wait=True):
        self.name, self._start_hint = name, start_hint
        self._conn, child = mp.Pipe()
        module_file = os.path.abspath(sys.modules[target.__module__].__file__)
        command = f"import sys; sys.path.insert(0, {HERE!r}); import twin_process; "
        command += f"twin_process._child({child.fileno()})"
        self._proc = subprocess.Popen(
            [sys.executable, "-c", command],
            pass_fds=[child.fileno()],
            env={**os.environ, **(env or {})},
        )
        child.close()  # so a worker that dies shows up as EOF here, not a hang
        try:
            self._conn.send((module_file, target.__name__, args))
        except BrokenPipeError:
            pass  # wait_ready() reports it
        if wait:
            self.wait_ready()

    def wait_ready(self):
        """Waits until the worker has set itself up (`__init__` does, unless
        `wait=False`: then several workers can start at the same time)."""
        try:
            ready = self._conn.recv()
        except EOFError:
            ready = None
        if ready != "ready":
            self._proc.kill()  # a no-op for a worker that already died
            self._proc.wait()
            raise RuntimeError(
                f"{self.name} failed to start{self._start_hint}; its error is printed above"
            )

    def request(self, message):
        """Sends `message` and returns the worker's answer."""
        self.post(message)
        return self.answer()

    def post(self, message):
        """Sends `message` without waiting (`answer()` returns the reply), so
        that several workers can work on their requests at the same time."""
        try:
            self._conn.send(message)
        except BrokenPipeError:
            raise RuntimeError(f"{self.name} died (its error is printed above)") from None

    def answer(self):
        """The worker's reply to the last `post`."""
        try:
            return self._conn.recv()
        except EOFError:
            raise RuntimeError(f"{self.name} died (its error is printed above)") from None

    def is_alive(self):
        return self._proc.poll() is None

    def close(self):
        if self.is_alive():
            try:
                self._conn.send(None)
            except BrokenPipeError:
                pass
            self._proc.wait(timeout=30)


def _child(fd):
    """The worker's entry point: the target's module file, its name and
    arguments arrive first on the pipe (file descriptor `fd`)."""
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    module_file, name, args = conn.recv()
    stem = os.path.splitext(os.path.basename(module_file))[0]
    module = sys.modules.get(stem)
    if module is None or os.path.abspath(getattr(module, "__file__", "")) != module_file:
        spec = importlib.util.spec_from_file_location(stem, module_file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[stem] = module
        spec.loader.exec_module(module)
    getattr(module, name)(conn, *args)


def _serve(conn, threads):
    sys.path.insert(0, HERE)
    import torch
    import torch_twins

    torch.set_num_threads(threads)
    trainers = {}  # kept between runs, as the Keras contestants' models are
    conn.send("ready")
    while True:
        request = conn.recv()
        if request is None:
            return
        kind, kwargs = request
        try:
            if kind == "imports":  # what this process has loaded, for the tests
                conn.send(
                    ("ok", sorted(m for m in ("tensorflow", "keras", "torch") if m in sys.modules))
                )
            elif kind == "measure":
                steps, warmup = kwargs.pop("steps"), kwargs.pop("warmup")
                key = tuple(sorted(kwargs.items()))
                if key not in trainers:
                    trainers[key] = torch_twins.Trainer(**kwargs)
                conn.send(("ok", trainers[key].run(steps, warmup)))
            elif kind == "matmul":
                conn.send(("ok", torch_twins.matmul_gflops(**kwargs)))
            else:
                conn.send(("error", f"unknown request {kind!r}"))
        except Exception as e:  # report to the suite instead of hanging it
            conn.send(("error", f"{type(e).__name__}: {e}"))


class TwinProcess(Worker):
    """A worker process running the PyTorch twins.

    `preload`: a shared library for the worker's `LD_PRELOAD` (an allocator);
    `channels_last`: every `measure` in NHWC memory format."""

    def __init__(self, preload=None, channels_last=False, threads=None):
        self.preload, self.channels_last = preload, channels_last
        super().__init__(
            _serve,
            (threads or os.cpu_count() or 1,),
            "the PyTorch worker",
            env={"LD_PRELOAD": preload} if preload else None,
            start_hint=' (is torch installed? pip install -e ".[bench]")',
        )

    def _ask(self, kind, **kwargs):
        status, value = self.request((kind, kwargs))
        if status != "ok":
            raise RuntimeError(f"PyTorch worker: {value}")
        return value

    def measure(self, network, steps, warmup=3, batch_size=128):
        """Step times (s) of `steps` steps after `warmup`, on this worker's
        twin of `network` at `batch_size` (built on first use, then kept: its
        weights and optimizer state carry over between calls)."""
        return self._ask(
            "measure",
            network=network,
            steps=steps,
            warmup=warmup,
            channels_last=self.channels_last,
            batch_size=batch_size,
        )

    def matmul_gflops(self, n):
        return self._ask("matmul", n=n)

    def describe(self):
        parts = ["channels_last" if self.channels_last else "NCHW"]
        parts.append(
            f"LD_PRELOAD={os.path.basename(self.preload)}" if self.preload else "glibc malloc"
        )
        return ", ".join(parts)


TWINS = ("pytorch", "pytorch_tuned")


def start_twin(name, threads=None):
    """The worker process of the twin configuration `name` (one of `TWINS`),
    with `threads` intra-op threads (default: one per CPU)."""
    if name == "pytorch":
        return TwinProcess(threads=threads)
    if name == "pytorch_tuned":
        return TwinProcess(preload=find_tcmalloc(), channels_last=True, threads=threads)
    raise ValueError(f"unknown twin {name!r}; expected one of {TWINS}")


def start_twins():
    """{"pytorch": ..., "pytorch_tuned": ...} worker processes; {} without torch."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return {}
    return {name: start_twin(name) for name in TWINS}
