"""Distributed training on TensorFlow's own engine: `tf.distribute.MirroredStrategy`
over two logical CPU devices (the code path of several GPUs and, per worker, of
`MultiWorkerMirroredStrategy`).

Logical devices must be set before TensorFlow starts, so each check runs in a
fresh process (`tests/scripts/distributed_check.py`) that prints JSON lines.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "scripts", "distributed_check.py")


def run_check(*args, timeout=900):
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [sys.executable, SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return parse_results(proc.stdout)


def parse_results(stdout):
    return [json.loads(line[7:]) for line in stdout.splitlines() if line.startswith("RESULT ")]


#: `make test`: a plain GAN, a gradient penalty (second-order gradients per
#: replica) and a label-conditioned one; `make test-full` adds the others.
CORE_VARIANTS = ("dcgan", "wgan_gp", "cgan")


def check_variants_under_mirrored_strategy(tmp, variants):
    results = run_check("variants", "--tmp", str(tmp), "--variants", ",".join(variants))
    by_variant = {r["variant"]: r for r in results}
    assert sorted(by_variant) == sorted(variants)
    for variant, r in by_variant.items():
        assert r["replicas"] == 2, variant
        # XLA cannot place one replica per logical CPU; "auto" falls back (see compile)
        assert r["jit_compile"] is False, variant
        assert all(abs(v) < 1e4 for v in r["losses"].values()), (variant, r["losses"])
        # (the last bias of a Wasserstein critic gets no gradient, hence not 1.0)
        assert r["moved_fraction"] > 0.9, (variant, r["moved_fraction"])
        # each replica generates from its own noise, not a copy of the other's
        assert r["replica_noise_differs"], variant
        assert r["round_trip_equal"], variant


def test_core_variants_train_under_mirrored_strategy(tmp_path):
    check_variants_under_mirrored_strategy(tmp_path, CORE_VARIANTS)


@pytest.mark.extended
def test_every_other_variant_trains_under_mirrored_strategy(tmp_path):
    import kerasgan

    others = [v for v in kerasgan.list_variants() if v not in CORE_VARIANTS]
    assert others
    check_variants_under_mirrored_strategy(tmp_path, others)


def test_mirrored_step_equals_single_device_step():
    """Two training steps on a global batch of 16 split over two replicas equal
    the same steps on one device: losses scaled by the global batch, GP / R1 /
    lazy R1 per replica, DiffAugment and noise drawn per replica as slices of
    the global draw, metrics aggregated. Networks without batch statistics
    (batch norm normalizes per replica, by design of MirroredStrategy)."""
    results = run_check("equivalence")
    assert len(results) == 8
    for r in results:
        name = (r["variant"], r["options"])
        # float32 summation order differs (two partial sums vs one): ~1e-7
        assert r["max_weight_diff"] < 1e-6 * max(1.0, r["weight_scale"]), (name, r)
        assert r["max_loss_diff"] < 1e-5, (name, r)
        assert r["losses_single"].keys() == r["losses_mirrored"].keys()


def test_jit_compile_true_with_replicas_on_logical_cpus_says_why():
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "from distributed_check import configure; s = configure(2);"
            "import kerasgan\n"
            "with s.scope():\n"
            "    gan = kerasgan.create('dcgan', image_shape=(16, 16, 1), base_filters=8)\n"
            "    gan.compile(jit_compile=True)",
            os.path.dirname(SCRIPT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "jit_compile=True cannot run under a distribution strategy" in proc.stderr
    assert "jit_compile=False" in proc.stderr


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_worker_multiworker_mirrored_strategy_on_localhost(tmp_path):
    """Two processes, `TF_CONFIG` on localhost, `MultiWorkerMirroredStrategy`:
    both finish, report the same (all-reduced) losses and bit-identical trainable
    weights, and the chief's saved model loads. (Batch-norm moving statistics
    are each worker's own, as in Keras; the chief's are saved.)"""
    script = os.path.join(os.path.dirname(__file__), "scripts", "multiworker_check.py")
    ports = [str(p) for p in _free_ports(2)]
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    procs = [
        subprocess.Popen(
            [sys.executable, script, str(i), *ports, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(2)
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-4000:]
            outputs.append(out)
    finally:
        for proc in procs:
            proc.kill()
    results = [parse_results(out) for out in outputs]
    results = [r for rs in results for r in rs]
    assert [r["worker"] for r in results] == [0, 1]
    for r in results:
        assert r["replicas"] == 2
        assert all(np.isfinite(v).all() for v in r["losses"].values())
    assert results[0]["losses"] == results[1]["losses"]
    assert results[0]["trainable_sha256"] == results[1]["trainable_sha256"]
    import keras

    import kerasgan  # noqa: F401 - registers the classes the file names

    loaded = keras.saving.load_model(str(tmp_path / "chief.keras"))
    assert loaded.generate(4, seed=0).shape == (4, 16, 16, 1)
