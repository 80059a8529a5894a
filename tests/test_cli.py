"""The `kerasgan` command line: variants, train, and its errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

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
    for name in (
        "samples.png",
        "samples_epoch_001.png",
        "samples_epoch_002.png",
        "loss_curves.png",
    ):
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


def test_train_pads_images_with_pad_to(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "dcgan", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "8"]
    assert cli.main([*argv, "--pad-to", "32", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["image_shape"] == [32, 32, 1] and run["pad_to"] == 32
    assert cli.main([*argv, "--pad-to", "20", "--out", str(tmp_path / "small")]) == 2
    assert "smaller than the images" in capsys.readouterr().err


def test_train_set_options_and_fid_every(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "dcgan", "--epochs", "2", "--steps-per-epoch", "1", "--batch-size", "8"]
    argv += ["--set", "ema_decay=0.9", "--set", "base_filters=8", "--pad-to", "32"]
    argv += ["--fid-every", "2", "--fid-n", "40", "--out", str(out)]
    assert cli.main(argv) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["options"] == {"ema_decay": 0.9, "base_filters": 8}
    # measured at epoch 2 only, on the EMA generator too; a curve each
    history = json.loads((out / "history.json").read_text())
    assert len(history["fid"]) == 1 and len(history["d_loss"]) == 2
    assert 0 < history["fid"][0] < 1e4 and 0 < history["fid_ema"][0] < 1e4
    gan = keras.saving.load_model(out / "dcgan.keras")
    assert gan.ema_generator is not None and gan.ema_decay == 0.9
    small = kerasgan.create("dcgan", image_shape=(32, 32, 1), base_filters=8)
    assert gan.discriminator.count_params() == small.discriminator.count_params()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--set", "ema_decay"], "--set expects KEY=VALUE, e.g. --set ema_decay=0.999"),
        (["--set", "nope=1"], "--set: create('dcgan') got unexpected argument(s) ['nope']"),
        (["--set", "ema_decay=2"], "--set: "),
        (["--fid-every", "-1"], "--fid-every must be >= 0"),
        (["--backup-every", "-2"], "--backup-every must be >= 0 steps"),
        (["--fid-every", "1", "--fid-features", "no-such-net"], "--fid-every: "),
    ],
)
def test_train_option_errors_are_one_line(tmp_path, capsys, extra, message):
    argv = ["train", "dcgan", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "8"]
    assert cli.main([*argv, *extra, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kerasgan: error:") and "\n" not in err and message in err, err
    assert not (tmp_path / "run" / "run.json").exists()


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


# ------------------------------------------------------------------------ sample / zoo
@pytest.fixture
def tiny_preset(tmp_path, monkeypatch):
    gan = kerasgan.create("cgan", image_shape=(16, 16, 1), num_classes=3, base_filters=4, seed=0)
    root = tmp_path / "zoo"
    kerasgan.zoo.save(
        gan,
        "tiny",
        dataset="random",
        description="Tiny.",
        class_names=["T-shirt/top", "Sneaker", "Ankle boot"],
        zoo_dir=str(root),
    )
    monkeypatch.setenv(kerasgan.zoo.ZOO_PATH_ENV, str(root))
    return gan


def test_sample_from_zoo_with_label_names_and_npz(tiny_preset, tmp_path, capsys):
    out, npz = tmp_path / "grid.png", tmp_path / "s.npz"
    code = cli.main(
        [
            "sample",
            "tiny",
            "-n",
            "6",
            "--labels",
            "sneaker",
            "--seed",
            "3",
            "-o",
            str(out),
            "--npz",
            str(npz),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    arrays = np.load(npz)
    assert arrays["images"].shape == (6, 16, 16, 1)
    np.testing.assert_array_equal(arrays["labels"], [1] * 6)
    np.testing.assert_allclose(
        arrays["images"], tiny_preset.generate(6, labels=1, seed=3), atol=1e-6
    )
    assert (
        cli.main(
            [
                "sample",
                "tiny",
                "-n",
                "4",
                "--labels",
                "0,ankle_boot",
                "-o",
                str(out),
                "--npz",
                str(npz),
            ]
        )
        == 0
    )
    np.testing.assert_array_equal(np.load(npz)["labels"], [0, 0, 2, 2])


def test_sample_from_keras_file(tmp_path):
    gan = kerasgan.create("dcgan", image_shape=(16, 16, 1), base_filters=4)
    gan.compile(jit_compile=False)
    path = tmp_path / "m.keras"
    gan.save(path)
    out = tmp_path / "g.png"
    assert cli.main(["sample", str(path), "-n", "4", "-o", str(out)]) == 0
    assert out.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "no-such-preset"], "Unknown zoo preset 'no-such-preset'"),
        (["sample", "missing.keras"], "No such model file"),
        (["sample", "tiny", "--labels", "bag"], "Unknown label 'bag'"),
        (["sample", "tiny", "--labels", "9"], r"class ids in \[0, 2\]"),
        (["sample", "tiny", "-n", "5", "--labels", "0,1"], "not a multiple"),
        (["sample", "tiny", "-n", "0"], "positive number"),
        (["zoo", "show", "nope"], "Unknown zoo preset"),
    ],
)
def test_sample_and_zoo_errors_are_one_line(tiny_preset, tmp_path, capsys, argv, message):
    argv = argv + (["-o", str(tmp_path / "x.png")] if argv[0] == "sample" else [])
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kerasgan: error:") and "\n" not in err
    assert re.search(message, err), err


def test_zoo_list_show_export(tiny_preset, tmp_path, capsys):
    assert cli.main(["zoo", "list"]) == 0
    assert "tiny" in capsys.readouterr().out
    assert cli.main(["zoo", "show", "tiny"]) == 0
    out = capsys.readouterr().out
    assert "variant      cgan" in out and "Sneaker" in out
    gan = kerasgan.create("dcgan", image_shape=(16, 16, 1), base_filters=4)
    gan.compile(jit_compile=False)
    gan.save(tmp_path / "m.keras")
    run = tmp_path / "run.json"
    run.write_text(json.dumps({"generator_steps": 5, "history": {"d_loss": [1.0, 0.5]}}))
    assert (
        cli.main(
            [
                "zoo",
                "export",
                str(tmp_path / "m.keras"),
                "exported",
                "--dataset",
                "fashion_mnist",
                "--run",
                str(run),
                "--zoo-dir",
                str(tmp_path / "zoo"),
            ]
        )
        == 0
    )
    meta = kerasgan.zoo.info("exported")
    assert meta["training"]["generator_steps"] == 5
    assert meta["training"]["final_losses"] == {"d_loss": 0.5}


def test_train_resumes_after_a_real_interruption(tmp_path, capsys):
    """A training process killed after its first epoch continues with --resume
    (here, in this process)."""
    out = tmp_path / "run"
    exe = os.path.join(os.path.dirname(sys.executable), "kerasgan")
    # Many short epochs, so the kill surely lands before the end of the run.
    argv = [
        exe,
        "train",
        "dcgan",
        "--epochs",
        "10",
        "--steps-per-epoch",
        "3",
        "--batch-size",
        "8",
        "--samples",
        "4",
        "--seed",
        "0",
        "--out",
        str(out),
    ]
    proc = subprocess.Popen(
        argv + ["--no-jit"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 240
    metadata = out / "backup" / "training_metadata.json"

    def backed_up_epochs():
        try:  # written atomically by BackupAndRestore
            return json.loads(metadata.read_text())["epoch"]
        except (OSError, ValueError, KeyError):
            return 0

    while backed_up_epochs() < 1:
        assert proc.poll() is None and time.time() < deadline, "training did not reach epoch 1"
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert not (out / "dcgan.keras").exists()
    assert (out / "backup").is_dir()
    record = json.loads((out / "backup" / "training_metadata.json").read_text())
    assert record["epoch"] >= 1 and record["train_time_s"] > 0  # the clock survives the kill
    # Without --resume the interrupted run is protected.
    capsys.readouterr()
    assert cli.main(argv[1:]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert cli.main(argv[1:] + ["--no-jit", "--resume"]) == 0
    run = json.loads((out / "run.json").read_text())
    # 10 epochs x 3 steps: restored weights and optimizer state, no epoch counted twice.
    assert run["generator_steps"] == 30
    # the total training time counts the killed session too
    assert run["wall_time_s"] >= record["train_time_s"]
    assert len(run["history"]["d_loss"]) == 10
    assert (out / "samples_epoch_010.png").exists() and (out / "dcgan.keras").exists()
    assert not (out / "backup").exists()  # removed after a finished run
    # that it ends bit-identical to an uninterrupted run, after several kills:
    # tests/test_chaos.py
