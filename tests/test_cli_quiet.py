"""A quiet, honest command line: no TensorFlow log lines in the `kerasgan`
command (and no change for programs that import kerasgan), one clear line for
a file that is not a model, and local InceptionV3 weights via
`--inception-weights`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
import zipfile

import numpy as np
import pytest

from kerasgan import _command, cli, metrics
from kerasgan.utils.files import describe_file

KERASGAN = os.path.join(os.path.dirname(sys.executable), "kerasgan")
#: TensorFlow's C++ log lines (glog style) and absl's notice before them.
TF_LOG = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\]|absl::InitializeLog|oneDNN", re.M
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _new_user_env(**extra):
    """The environment of a user who set no TensorFlow logging variable."""
    env = {k: v for k, v in os.environ.items() if k != _command.LEVEL_VARIABLE}
    env.update(extra)
    return env


def _run(argv, cwd, **extra):
    return subprocess.run(
        argv, capture_output=True, text=True, env=_new_user_env(**extra), cwd=cwd, timeout=300
    )


# ------------------------------------------------------------- no log lines
def test_help_prints_no_tensorflow_log_lines(tmp_path):
    result = _run([KERASGAN, "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: kerasgan" in result.stdout and "TF_CPP_MIN_LOG_LEVEL=0" in result.stdout
    assert not TF_LOG.search(result.stderr), result.stderr


def test_an_error_exit_is_one_line_and_no_log_lines(tmp_path):
    (tmp_path / "cat.png").write_bytes(PNG)
    result = _run([sys.executable, "-m", "kerasgan", "sample", "cat.png"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith("kerasgan: error: cat.png is a PNG image, not a model.")
    assert not (tmp_path / "samples.png").exists()


def test_importing_kerasgan_leaves_tensorflow_logging_to_the_user(tmp_path):
    code = (
        "import json, os, kerasgan\n"
        "print(json.dumps([os.environ.get('TF_CPP_MIN_LOG_LEVEL'),"
        " kerasgan._command.started_as_command()]))"
    )
    result = _run([sys.executable, "-c", code], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    level, command = json.loads(result.stdout.strip().splitlines()[-1])
    # unset, or JAX's own default (Keras imports JAX when it is installed); never the command's
    assert level in (None, "1") and level != _command.COMMAND_LEVEL
    assert command is False


def test_started_as_command(monkeypatch):
    def started(argv, main_file=None):
        monkeypatch.setattr(sys, "orig_argv", argv, raising=False)
        main = types.ModuleType("__main__")
        if main_file is not None:
            main.__file__ = main_file
        monkeypatch.setitem(sys.modules, "__main__", main)
        return _command.started_as_command()

    assert started(["python", "/venv/bin/kerasgan", "--help"], "/venv/bin/kerasgan")
    assert started(["python", "-m", "kerasgan", "eval"])
    assert started(["python", "-X", "dev", "-u", "-mkerasgan"])
    assert started(["python", "-m", "kerasgan.cli", "variants"])
    assert not started(["python", "-m", "kerasgan.cli_helper"])
    assert not started(["python", "-c", "import kerasgan"])
    assert not started(["python", "-m", "pytest", "tests"], "/venv/lib/pytest/__main__.py")
    assert not started(["python", "train.py"], "/home/me/train.py")


def test_log_lines_below_the_level_are_dropped_the_rest_kept():
    text = (
        b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        b"I0000 00:00:1796605182.059846    3249 port.cc:153] oneDNN custom operations are on.\n"
        b"I0000 00:00:1796605182.255992    3249 cpu_feature_guard.cc:227] This TensorFlow binary\n"
        b"To enable the following instructions: AVX2 FMA, in other operations, rebuild.\n"
        b"a warning of Python\n"
        b"W0101 12:00:01.000001    3249 gpu.cc:1] a warning\n"
        b"E0000 00:00:1796605527.469469    6442 cuda_platform.cc:52] failed call to cuInit\n"
    )
    lines = text.splitlines(keepends=True)
    assert _command.filter_log_lines(text, 0) == text
    assert _command.filter_log_lines(text, 2) == b"".join([lines[4], lines[6]])
    assert _command.filter_log_lines(text, 3) == lines[4]


def test_the_command_level_is_a_default_the_user_can_change(monkeypatch):
    monkeypatch.delenv(_command.LEVEL_VARIABLE, raising=False)
    _command.quiet_imports("json")  # imported already: only the variable is set
    assert os.environ[_command.LEVEL_VARIABLE] == _command.COMMAND_LEVEL
    monkeypatch.setenv(_command.LEVEL_VARIABLE, "0")
    _command.quiet_imports("json")
    assert os.environ[_command.LEVEL_VARIABLE] == "0"


# ------------------------------------------------ a file that is not a model
def test_describe_file(tmp_path):
    files = {
        "a.png": PNG,
        "a.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 16,
        "a.txt": "héllo\n".encode(),
        "a.json": b'{"a": 1}',
        "empty": b"",
        "a.h5": b"\x89HDF\r\n\x1a\n" + b"\x00" * 16,
        "a.bin": bytes(range(256)),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    np.savez(tmp_path / "a.npz", x=np.zeros(2))
    got = {name: describe_file(tmp_path / name) for name in [*files, "a.npz", "missing"]}
    assert got == {
        "a.png": "a PNG image",
        "a.jpg": "a JPEG image",
        "a.txt": "a text file",
        "a.json": "a JSON file",
        "empty": "an empty file",
        "a.h5": "an HDF5 file (Keras weights, or a model in the legacy .h5 format)",
        "a.bin": "a file of an unknown format",
        "a.npz": "a NumPy .npz archive",
        "missing": "missing",
    }
    assert describe_file(tmp_path) == "a folder"


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cat.png").write_bytes(PNG)
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "empty_dir").mkdir()
    run = tmp_path / "run"
    run.mkdir()
    (run / "dcgan.keras").write_bytes(b"")
    (run / "run.json").write_text('{"variant": "dcgan", "history": {}}')
    preset = tmp_path / "preset"
    preset.mkdir()
    (preset / "metadata.json").write_text("{}")
    with zipfile.ZipFile(tmp_path / "model.zip", "w") as z:
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", "")
    return tmp_path


EXPECTED = "Expected a .keras model file"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "cat.png"], f"cat.png is a PNG image, not a model. {EXPECTED}"),
        (["sample", "notes.txt"], f"notes.txt is a text file, not a model. {EXPECTED}"),
        (["sample", "empty_dir"], "empty_dir is a folder but not a zoo preset (it has no metadata"),
        (
            ["sample", "run"],
            "run is a folder but not a zoo preset (it has no metadata.json); it "
            "holds dcgan.keras: give that file, e.g. run/dcgan.keras.",
        ),
        (
            ["sample", "run/run.json"],
            "is a JSON file, not a model; the model of that run is run/dcgan.keras.",
        ),
        (["sample", "preset/metadata.json"], "not a model; give its preset folder, preset."),
        (
            ["sample", "model.zip"],
            "is a Keras model archive whose name does not end in .keras, "
            "not a model; rename it to end in .keras.",
        ),
        (["eval", "cat.png", "--dataset", "fashion_mnist"], "cat.png is a PNG image, not a model"),
        (["zoo", "export", "cat.png", "x", "--dataset", "d"], "cat.png is a PNG image, not a"),
        (["zoo", "show", "cat.png"], "cat.png is a PNG image, not a preset. Expected a zoo preset"),
        (["zoo", "show", "run/dcgan.keras"], "is a model file, not a zoo preset; make a preset"),
        (["sample", "no-such-model"], "Unknown zoo preset 'no-such-model'. Available: "),
    ],
)
def test_a_file_that_is_not_a_model_is_named(files, capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kerasgan: error:") and "\n" not in err, err
    assert message in err, err
    if "Unknown zoo preset" not in message:
        assert "available presets: " in err
    assert not (files / "samples.png").exists()


# ------------------------------------------------------ --inception-weights
@pytest.mark.parametrize(
    "extra, message",
    [
        (
            ["--inception-weights", "cat.png"],
            "--inception-weights: cat.png is a PNG image, not InceptionV3 weights. Expected "
            "Keras' inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        (
            ["--inception-weights", "nope.h5"],
            "--inception-weights: No such InceptionV3 weights file",
        ),
        (
            ["--inception-weights", "empty_dir"],
            "empty_dir is a folder; give the InceptionV3 weights",
        ),
        (
            ["--inception-weights", "notes.txt", "--features", "x.keras"],
            "--inception-weights is for --features inception",
        ),
        ([], "or pass --inception-weights PATH with a weights file"),
    ],
)
def test_eval_inception_weights_errors(files, capsys, monkeypatch, extra, message):
    monkeypatch.setenv("KERAS_HOME", str(files))  # no weights in the Keras cache
    assert cli.main(["eval", "dcgan-fashion-mnist", "-n", "4", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kerasgan: error:") and "\n" not in err and message in err, err


def test_train_inception_weights_needs_the_inception_fid(files, capsys):
    assert cli.main(["train", "dcgan", "--inception-weights", "x.h5", "--out", "out"]) == 2
    assert "--inception-weights is for the FID of --fid-every" in capsys.readouterr().err
    assert not (files / "out").exists()


def test_library_inception_weights_argument(files):
    with pytest.raises(ValueError, match=r"cat.png is a PNG image, not InceptionV3 weights"):
        metrics.get_feature_network("inception", inception_weights="cat.png")
    with pytest.raises(metrics.MissingWeightsError, match="No such InceptionV3 weights file"):
        metrics.get_feature_network("inception", inception_weights="nope.h5")
    with pytest.raises(ValueError, match="inception_weights is for the 'inception' feature"):
        metrics.get_feature_network("fashion-mnist-classifier", inception_weights="x.h5")
    (files / "weights.hdf5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(ValueError, match=r"names? ends? in \.h5: rename it"):
        metrics.get_feature_network("inception", inception_weights="weights.hdf5")
    assert "inception_weights" in metrics.get_feature_network.__doc__


def test_whether_a_weights_file_holds_the_classifier_top(tmp_path):
    import h5py

    from kerasgan.metrics.features import _has_classifier_top

    with h5py.File(tmp_path / "keras_top.h5", "w") as f:  # the layout of the files Keras ships
        f.attrs["layer_names"] = [b"conv2d", b"avg_pool", b"predictions"]
    with h5py.File(tmp_path / "keras_notop.h5", "w") as f:
        f.attrs["layer_names"] = [b"conv2d", b"mixed10"]
    with h5py.File(tmp_path / "top.weights.h5", "w") as f:  # save_weights' layout
        f.create_group("layers/conv2d")
        f.create_group("layers/dense")
    with h5py.File(tmp_path / "notop.weights.h5", "w") as f:
        f.create_group("layers/conv2d")
    (tmp_path / "cat.h5").write_bytes(PNG)
    names = ["keras_top.h5", "keras_notop.h5", "top.weights.h5", "notop.weights.h5", "cat.h5"]
    assert [_has_classifier_top(str(tmp_path / n)) for n in names] == [
        True,
        False,
        True,
        False,
        None,
    ]


@pytest.mark.slow  # builds InceptionV3 (299x299) a few times: ~30 s on two CPU cores
def test_eval_with_a_local_inception_weights_file(tmp_path, capsys):
    import keras

    keras.utils.set_random_seed(0)
    notop = tmp_path / "my_notop.weights.h5"  # made here: nothing is downloaded
    keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg").save_weights(
        notop
    )
    argv = ["eval", "dcgan-fashion-mnist", "--split", "test", "-n", "2", "--batch-size", "2"]
    argv += ["--metrics", "fid", "--inception-weights", str(notop)]
    assert cli.main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    net = metrics.get_feature_network("inception", inception_weights=notop)
    assert f"features {net.name} 299x299x3" in out and "FID" in out
    assert net.name.startswith("inception_v3-") and net.name != "inception_v3-imagenet"

    other = tmp_path / "other.weights.h5"  # HDF5 weights, but not InceptionV3's
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save_weights(other)
    net = metrics.get_feature_network("inception", inception_weights=other)
    with pytest.raises(ValueError, match=r"other.weights.h5 does not hold InceptionV3 weights"):
        net.model  # noqa: B018 - built on first use
