"""The `kerasgan` command line: variants, train, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan import cli


def test_variants_lists_every_registered_variant(capsys):
    assert cli.main(["variants"]) == 0
    out = capsys.readouterr().out
    for name, description in kerasgan.list_variants(details=True).items():
        assert name in out and description in out


def test_console_script_is_installed():
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "kerasgan"), "variants"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "wgan_gp" in result.stdout


@pytest.mark.parametrize("variant", ["dcgan", "cgan"])
def test_train_writes_model_and_sample_grids(tmp_path, variant):
    out = tmp_path / "run"
    code = cli.main(
        [
            "train",
            variant,
            "--epochs",
            "2",
            "--steps-per-epoch",
            "2",
            "--batch-size",
            "16",
            "--samples",
            "20",
            "--seed",
            "0",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    for name in ("samples.png", "samples_epoch_001.png", "samples_epoch_002.png"):
        png = (out / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    run = json.loads((out / "run.json").read_text())
    assert run["generator_steps"] == 4 and run["batch_size"] == 16 and run["seed"] == 0
    assert run["versions"]["keras"] == keras.__version__ and len(run["history"]["d_loss"]) == 2
    gan = keras.saving.load_model(out / f"{variant}.keras")
    assert gan.g_optimizer.iterations.numpy() == 4
    assert gan.generate(2, seed=0).shape == (2, 28, 28, 1)
    if variant == "cgan":
        assert gan.num_classes == 10


def test_train_user_errors_are_one_line(tmp_path, capsys):
    assert cli.main(["train", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kerasgan: error: Unknown GAN variant 'nope'") and "\n" not in err
    assert (
        cli.main(["train", "dcgan", "--dataset", str(tmp_path / "missing"), "--out", str(tmp_path)])
        == 2
    )
    assert "No local copy" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["train", "dcgan", "--out", str(blocker / "sub")]) == 2
    assert "Cannot write to --out" in capsys.readouterr().err


def test_sample_grid_layout():
    from kerasgan.utils import make_grid

    images = np.linspace(-1, 1, 5 * 4 * 4).reshape(5, 4, 4, 1).astype("float32")
    grid = make_grid(images, ncols=3, padding=1)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 1) and grid.dtype == np.uint8
    assert grid[1, 1, 0] == 0 and grid[-2, 4 + 5, 0] == 255  # first and last pixel
