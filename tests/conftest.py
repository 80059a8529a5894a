import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# compile(jit_compile="auto") builds a TensorFlow graph on every CPU, here and in
# the processes tests start (the CLI, examples, chaos runs): the same suite, and
# about the same time, on CPUs with and without AVX-512 (where "auto" would pick
# XLA, whose compiles take most of a short test). XLA steps are built where a
# test asks for them (jit_compile=True: tests/test_variants.py and others), and
# test_fast_conv.py checks what "auto" picks by CPU.
os.environ.setdefault("KERASGAN_CPU_XLA", "0")
# XLA's CPU compiler without LLVM's expensive optimizations: the compiled steps of
# the tests (jax.jit on JAX, jit_compile=True on TensorFlow) run a few times each,
# so compile time is most of their cost; on JAX this halves it. The code XLA
# generates computes the same functions (the equivalence tests hold at their
# float32 tolerance). Benchmarks run outside pytest, with XLA's defaults.
_FAST_COMPILE = ("--xla_backend_optimization_level=0", "--xla_llvm_disable_expensive_passes=true")
_flags = os.environ.get("XLA_FLAGS", "").split()
os.environ["XLA_FLAGS"] = " ".join(
    _flags + [f for f in _FAST_COMPILE if f.split("=")[0] not in " ".join(_flags)]
)

import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    """On JAX, compiled programs are cached on disk for the session: models of
    the same shapes (a variant's model and its reloaded copy, the variants
    sharing networks) then compile their step once, not once per model."""
    if os.environ["KERAS_BACKEND"] != "jax":
        return
    import atexit
    import shutil
    import tempfile

    import jax

    cache = tempfile.mkdtemp(prefix="kerasgan-jax-cache-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    jax.config.update("jax_compilation_cache_dir", cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.extended_on("jax", ...)`: the test is `extended` (left out
    of `make test`, run by `make test-full`) on those backends only; on the
    others it runs in `make test` as usual."""
    import pytest

    backend = os.environ["KERAS_BACKEND"]
    for item in items:
        for mark in item.iter_markers("extended_on"):
            if backend in mark.args:
                item.add_marker(pytest.mark.extended)
