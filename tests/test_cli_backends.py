"""`kerasgan train` on the JAX and PyTorch backends (KERAS_BACKEND), as users run it.

The training runs are subprocesses started together, so the two backends
cost about one run's time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile

import pytest

import kerasgan

KERASGAN = os.path.join(os.path.dirname(sys.executable), "kerasgan")


def _start(backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend)
    return subprocess.Popen(
        [KERASGAN, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _finish(process, timeout=300):
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def test_train_on_jax_and_torch_writes_model_and_samples(tmp_path):
    train = ["train", "wgan_gp", "--dataset", "fashion_mnist", "--epochs", "1"]
    train += ["--steps-per-epoch", "2", "--batch-size", "8", "--samples", "4"]
    train += ["--latent-dim", "16", "--seed", "0"]
    start = time.time()
    runs = {b: _start(b, *train, "--out", tmp_path / b) for b in ("jax", "torch")}
    refused = _start("torch", "train", "dcgan", "--jit", "--out", tmp_path / "jit")
    results = {b: _finish(p) for b, p in runs.items()}
    code, out, err = _finish(refused)
    elapsed = time.time() - start

    for backend, (code_b, out_b, err_b) in results.items():
        assert code_b == 0, f"{backend}: {err_b[-3000:]}"
        folder = tmp_path / backend
        assert f"{backend} backend" in out_b
        for name in ("samples.png", "samples_epoch_001.png", "loss_curves.png"):
            assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        model = folder / "wgan_gp.keras"
        kerasgan.saving.check_model_file(model)
        with zipfile.ZipFile(model) as archive:
            record = json.loads(archive.read(kerasgan.saving.VARIANT_MEMBER))
        assert record["variant"] == "wgan_gp"
        run = json.loads((folder / "run.json").read_text())
        assert run["backend"] == backend and run["generator_steps"] == 2
        assert run["discriminator_steps"] == 2 * 5  # WGAN-GP: five critic updates per step
        assert run["versions"][backend]  # the backend library's version
        assert run["jit_compile"] is (backend == "jax")  # jax.jit by default; eager on PyTorch

    # --jit on PyTorch: one clear line naming the flag and the alternatives, no traceback
    assert code == 2, err[-3000:]
    message = [line for line in err.splitlines() if line.startswith("kerasgan: error:")]
    assert len(message) == 1 and "Traceback" not in err
    assert "--jit" in message[0] and "PyTorch" in message[0] and "KERAS_BACKEND=jax" in message[0]
    assert not (tmp_path / "jit").exists()  # refused before anything was written
    assert elapsed < 240, f"the backend CLI runs took {elapsed:.0f} s"


@pytest.mark.backends
def test_zoo_preset_generates_on_this_backend():
    model = kerasgan.zoo.load("cgan-fashion-mnist")
    images = model.generate(16, labels=7)
    assert images.shape == (16, 28, 28, 1)
    assert images.min() >= -1 and images.max() <= 1
