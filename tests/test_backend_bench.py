"""The per-backend benchmark (`benchmarks/backends.py`) runs end to end on
TensorFlow, JAX and PyTorch: tiny sizes (batch 8, two runs of a few steps),
every figure finite and positive, every row with its keys. No timing is
asserted: the figures of so short a run mean nothing."""

from __future__ import annotations

import json
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

import backends  # noqa: E402

pytest.importorskip("jax")
pytest.importorskip("torch")

COMMON = {
    "step",
    "jit_compile",
    "fast_layers",
    "kerasgan_ms",
    "minimal_ms",
    "kerasgan/minimal",
    "kerasgan/minimal (ratio of medians)",
    "minimal_again/minimal",
    "minimal_again/minimal per run",
    "kerasgan/minimal <= 1.05",
    "pytorch_ms",
    "kerasgan/pytorch",
    "minimal/pytorch",
}
ONLY = {
    "tensorflow": {"kerasgan_keras_ops_ms", "kerasgan_keras_ops/minimal"},
    "jax": {
        "fast_layer_names",
        "kerasgan_fast_ms",
        "fast/plain",
        "fast/plain per run",
        "fast/plain verdict",
    },
}
ONLY["torch"] = ONLY["jax"]


def _positive(value):
    return isinstance(value, float) and math.isfinite(value) and value > 0


@pytest.mark.extended  # a benchmark's run end to end on three backends (the verdicts below stay)
def test_every_backend_gets_its_row(tmp_path, capsys, monkeypatch):
    # the JAX worker inherits them: the second minimal model's step is the
    # first's program, so it loads the compiled step instead of compiling it
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", str(tmp_path / "jax-cache"))
    monkeypatch.setenv("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")
    out = tmp_path / "backends.json"
    report = backends.main(
        [
            "--batch=8",
            "--runs=2",
            "--run-seconds=0.05",
            "--blocks=1",
            "--threads=1",  # other tests may share the cores: no spinning thread barriers
            "--networks=dcgan",
            f"--json={out}",
        ]
    )
    assert json.loads(out.read_text())["networks"].keys() == {"dcgan"}
    # each backend in its own process, with that backend's library loaded
    for backend, worker in report["workers"].items():
        assert worker["backend"] == backend
        assert backend in worker["imported"]
    assert set(report["workers"]["jax"]["imported"]) >= {"jax"}
    assert "torch" not in report["workers"]["jax"]["imported"]

    result = report["networks"]["dcgan"]
    assert set(result["backends"]) == set(backends.BACKENDS)
    names = [f"{b}/{c}" for b in backends.BACKENDS for c in backends.contestants(b)]
    assert set(result["contestants"]) == {*names, "pytorch"}
    for summary in result["contestants"].values():
        assert len(summary["runs_ms"]) == 2 and all(_positive(ms) for ms in summary["runs_ms"])
        assert summary["steps_per_run"] >= 1

    for backend, row in result["backends"].items():
        assert set(row) == COMMON | ONLY[backend], backend
        figures = [k for k in row if isinstance(row[k], (int, float)) and k != "jit_compile"]
        figures = [k for k in figures if not isinstance(row[k], bool)]
        assert len(figures) == 10, (backend, figures)
        for key in figures:
            assert _positive(row[key]), (backend, key, row[key])
        for key in [k for k in row if k.endswith("per run")]:
            assert all(_positive(r) for r in row[key]), (backend, key)
        assert len(row["minimal_again/minimal per run"]) == 2
        assert isinstance(row["kerasgan/minimal <= 1.05"], bool)
    tf, jax, torch = (result["backends"][b] for b in backends.BACKENDS)
    assert tf["step"] in ("XLA", "graph") and tf["jit_compile"] == (tf["step"] == "XLA")
    assert jax["step"] == "jax.jit" and torch["step"] == "eager"
    # compile() defaults: JAX on a CPU uses the faster forms (measured faster
    # there), PyTorch none; fast_layers=True uses them on both
    assert jax["fast_layers"] and torch["fast_layers"] == []
    for row in (jax, torch):
        assert row["fast_layer_names"]
        assert row["fast/plain verdict"] in ("faster", "slower", "within noise")
        assert len(row["fast/plain per run"]) == 2

    table = capsys.readouterr().out
    for backend in backends.BACKENDS:
        assert f"dcgan    {backend}" in table
    assert "load average" in table


def test_fast_layer_verdict_needs_every_run_beyond_the_control():
    assert backends._verdict([0.90, 0.93], [1.01, 0.98]) == "faster"
    assert backends._verdict([0.90, 0.99], [1.01, 0.98]) == "within noise"
    assert backends._verdict([1.10, 1.05], [1.01, 0.98]) == "slower"
    assert backends._verdict([1.10, 1.01], [1.02, 1.0]) == "within noise"
