"""The same math on TensorFlow, JAX and PyTorch, and files that move between them.

Each backend runs `tests/scripts/backend_check.py` in its own process (the
Keras backend is fixed at import). For every registered variant (plus lazy
R1, DiffAugment and EMA cases), the same initial weights, real batch and
injected draws (`kerasgan.draws.InjectedDraws`: noise, penalty and
augmentation draws from NumPy, in call order) must give the same losses and
the same weights after two train steps (SGD with momentum: the script says
why not Adam) on all three backends; `.keras` files
written on each backend must load on all three with their weights and
optimizer state and train on (each of five kinds of model state, from each
backend in turn); the zoo presets must give the same images for
the same `z`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasgan

SCRIPT = os.path.join(os.path.dirname(__file__), "scripts", "backend_check.py")
BACKENDS = ("tensorflow", "jax", "torch")
#: float32 agreement reached: under 5e-7 absolute on weights of order 0.1-1,
#: the same as TensorFlow against itself with oneDNN off; 2e-6 + 1e-5
#: relative is tight.
ATOL, RTOL = 2e-6, 1e-5

pytestmark = pytest.mark.backends


def _env(backend, root):
    """The environment of `backend`'s processes. JAX's share a compilation cache:
    the `load` process builds the models `step` built (JAX compiles each
    variable initializer of a new shape; cgan_projection's take 25 s cold)."""
    return dict(
        os.environ,
        KERAS_BACKEND=backend,
        TF_CPP_MIN_LOG_LEVEL="2",
        JAX_COMPILATION_CACHE_DIR=os.path.join(root, "jax-cache"),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
    )


def _run(backend, mode, root, timeout=900):
    proc = subprocess.run(
        [sys.executable, SCRIPT, mode, root],
        env=_env(backend, root),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, f"{backend} {mode} failed:\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("backends"))
    _run("tensorflow", "init", root)
    # two at a time: the CI machine has two cores
    procs = {}
    for backend in BACKENDS:
        procs[backend] = subprocess.Popen(
            [sys.executable, SCRIPT, "step,zoo", root],
            env=_env(backend, root),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        if len(procs) == 2:
            first = next(iter(procs))
            _wait(first, procs.pop(first))
    for backend, proc in procs.items():
        _wait(backend, proc)
    for backend in BACKENDS:
        _run(backend, "load", root)
    return root


def _wait(backend, proc):
    out, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, f"{backend} step,zoo failed:\n{err[-4000:]}"


def _cases(root):
    names = sorted(
        f[:-4] for f in os.listdir(os.path.join(root, "tensorflow")) if f.endswith(".npz")
    )
    return [n for n in names if n != "zoo"]


def test_every_registered_variant_is_compared(runs):
    cases = _cases(runs)
    for name in kerasgan.list_variants():
        assert name in cases
    assert {"r1gan_lazy", "dcgan_diffaugment_ema"} <= set(cases)


@pytest.mark.parametrize("other", ["jax", "torch"])
def test_same_losses_and_weights_after_two_steps(runs, other):
    worst = {}
    for case in _cases(runs):
        ref = np.load(os.path.join(runs, "tensorflow", f"{case}.npz"))
        got = np.load(os.path.join(runs, other, f"{case}.npz"))
        init = np.load(os.path.join(runs, "init", f"{case}.npz"))
        assert sorted(ref.files) == sorted(got.files), case
        # the same draws, in the same order and shapes
        assert str(ref["record"]) == str(got["record"]), case
        assert json.loads(str(ref["record"])), f"{case}: no random draws recorded"
        moved = 0.0
        for key in ref.files:
            if key == "record":
                continue
            np.testing.assert_allclose(
                got[key], ref[key], atol=ATOL, rtol=RTOL, err_msg=f"{case} {key} on {other}"
            )
            if key in init.files:
                moved = max(moved, float(np.max(np.abs(ref[key] - init[key]))))
            worst[case] = max(worst.get(case, 0.0), float(np.max(np.abs(got[key] - ref[key]))))
        assert moved > 1e-4, f"{case}: the steps did not change the weights"
        losses = [k for k in ref.files if k.startswith("logs/")]
        assert losses and all(np.isfinite(ref[k]) for k in losses)
    print(f"max |{other} - tensorflow| per case:", {k: f"{v:.1e}" for k, v in worst.items()})


@pytest.mark.parametrize("target", BACKENDS)
def test_files_from_every_backend_load_and_train_on(runs, target):
    with open(os.path.join(runs, target, "load.json")) as f:
        report = json.load(f)
    cases = ("dcgan_diffaugment_ema", "wgan_gp", "r1gan_lazy", "acgan", "cgan_projection")
    # every case, each from another backend in turn: all three sources load here
    pairs = [(BACKENDS[(BACKENDS.index(target) + i) % 3], case) for i, case in enumerate(cases)]
    assert sorted(report) == sorted(f"{source}/{case}" for source, case in pairs)
    assert {source for source, _ in pairs} == set(BACKENDS)
    for source, case in pairs:
        entry = report[f"{source}/{case}"]
        assert entry["weights_max_diff"] == 0.0, (source, target, case)
        d_iter, g_iter = entry["iterations"]
        assert g_iter == 3, (source, target, case)  # 2 saved steps + 1 more
        assert d_iter >= 2
        assert entry["finite"] and entry["moved"] > 0, (source, target, case)


@pytest.mark.parametrize("other", ["jax", "torch"])
def test_zoo_presets_give_the_same_images(runs, other):
    ref = np.load(os.path.join(runs, "tensorflow", "zoo.npz"))
    got = np.load(os.path.join(runs, other, "zoo.npz"))
    assert ref.files and sorted(ref.files) == sorted(got.files)
    for key in ref.files:
        assert ref[key].min() >= -1 and ref[key].max() <= 1 and ref[key].std() > 0.05
        np.testing.assert_allclose(got[key], ref[key], atol=1e-5, err_msg=f"{key} on {other}")


def test_jax_data_parallel_matches_one_device():
    """keras.distribution.DataParallel over two host devices computes the step
    of one device (same losses, same updated weights)."""
    script = os.path.join(os.path.dirname(__file__), "scripts", "jax_data_parallel.py")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [sys.executable, script], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report.pop("devices") == 2
    for variant, entry in report.items():
        assert entry["moved"] > 1e-3, variant
        assert entry["max_weight_diff"] < 1e-6 and entry["loss_diff"] < 1e-5, (variant, entry)
