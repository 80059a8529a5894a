"""Bad-input sweep: malformed data, corrupt model and zoo files, unwritable
outputs. Each case must raise one clear error (type and text checked) and
leave no partial file behind (the output folder is listed before and after,
and files that existed keep their bytes).

Run with `-s` to print the table "input -> error message".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from support import random_images, random_labels

import kerasgan
from kerasgan import zoo
from kerasgan.saving import ModelFileError

SHAPE = (16, 16, 1)


@pytest.fixture(scope="module")
def models():
    dc = kerasgan.create("dcgan", image_shape=SHAPE, base_filters=8, seed=0)
    dc.compile(jit_compile=False)
    cg = kerasgan.create("cgan", image_shape=SHAPE, base_filters=8, num_classes=10, seed=0)
    cg.compile(jit_compile=False)
    return dc, cg


@pytest.fixture(scope="module")
def files(tmp_path_factory, models):
    """A folder with a good .keras file, damaged copies, a plain file, and a
    damaged copy of each kind of zoo preset file."""
    root = tmp_path_factory.mktemp("bad-inputs")
    good = root / "good.keras"
    models[0].save(good)
    data = good.read_bytes()
    (root / "garbage.keras").write_bytes(b"this is not a zip archive")
    (root / "truncated.keras").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(flipped) // 3] ^= 0xFF  # inside the compressed weights
    (root / "bitflip.keras").write_bytes(bytes(flipped))
    import zipfile

    with zipfile.ZipFile(root / "not-a-model.keras", "w") as z:
        z.writestr("hello.txt", "hi")
    (root / "a-file").write_text("x")
    src = zoo.info("dcgan-fashion-mnist")["path"]
    for kind in ("weights", "metadata", "missing"):
        folder = root / f"zoo-{kind}"
        shutil.copytree(src, folder)
        if kind == "weights":
            w = folder / "generator.weights.h5"
            b = bytearray(w.read_bytes())
            b[len(b) // 2] ^= 0xFF
            w.write_bytes(bytes(b))
        elif kind == "metadata":
            (folder / "metadata.json").write_text('{"name": "dcgan-fashion-')
        else:
            (folder / "discriminator.weights.h5").unlink()
    return root


def _snapshot(root):
    return {
        os.path.relpath(os.path.join(d, f), root): open(os.path.join(d, f), "rb").read()
        for d, _, names in os.walk(root)
        for f in names
    }


def _cases(models, files):
    dc, cg = models
    x = random_images(32, SHAPE)
    y = random_labels(32)
    cli = [sys.executable, "-m", "kerasgan"]
    return {
        # --- data: shapes, dtypes, ranges, emptiness, labels
        "images without channel axis": (
            lambda: dc.fit(x[..., 0], batch_size=8, verbose=0),
            ValueError,
            r"add a channel axis",
        ),
        "channels-first images": (
            lambda: dc.fit(np.transpose(x, (0, 3, 1, 2)), batch_size=8, verbose=0),
            ValueError,
            "channels-first",
        ),
        "uint8 images in [0, 255]": (
            lambda: dc.fit(((x + 1) * 127.5).astype("uint8"), batch_size=8, verbose=0),
            ValueError,
            r"\[-1, 1\]",
        ),
        "float images in [0, 255]": (
            lambda: dc.fit((x + 1) * 127.5, batch_size=8, verbose=0),
            ValueError,
            r"\[-1, 1\]",
        ),
        "NaN in images": (
            lambda: dc.fit(np.where(x > 0.9, np.nan, x).astype("float32"), verbose=0),
            ValueError,
            "NaN",
        ),
        "string array": (
            lambda: dc.fit(np.array([["a"]]), verbose=0),
            ValueError,
            r"Expected a batch of images of shape \(batch, 16, 16, 1\)",
        ),
        "empty array": (lambda: dc.fit(x[:0], verbose=0), ValueError, "no samples"),
        "empty tf.data dataset": (
            lambda: dc.fit(tf.data.Dataset.from_tensor_slices(x).take(0).batch(8), verbose=0),
            ValueError,
            "dataset is empty",
        ),
        "fewer labels than images": (
            lambda: cg.fit(x, y[:20], batch_size=8, verbose=0),
            ValueError,
            "32 images but 20 labels",
        ),
        "labels out of range": (
            lambda: cg.fit(x, y + 10, batch_size=8, verbose=0),
            ValueError,
            r"labels must be in \[0, 10\)|range",
        ),
        "float labels": (
            lambda: cg.fit(x, y.astype("float32") + 0.5, batch_size=8, verbose=0),
            ValueError,
            "integer",
        ),
        "no labels for a conditional model": (
            lambda: cg.fit(x, batch_size=8, verbose=0),
            ValueError,
            "labels",
        ),
        "labels for an unconditional model": (
            lambda: dc.fit(x, y, batch_size=8, verbose=0),
            ValueError,
            "unconditional",
        ),
        # --- model files
        ".keras file that is not a zip": (
            lambda: kerasgan.load_model(files / "garbage.keras"),
            ModelFileError,
            "not a .keras model file",
        ),
        "truncated .keras file": (
            lambda: kerasgan.load_model(files / "truncated.keras"),
            ModelFileError,
            "truncated, corrupt",
        ),
        ".keras file with a flipped byte": (
            lambda: kerasgan.load_model(files / "bitflip.keras"),
            ModelFileError,
            "corrupt .keras file",
        ),
        "zip without a model": (
            lambda: kerasgan.load_model(files / "not-a-model.keras"),
            ModelFileError,
            "lacks config.json, model.weights.h5",
        ),
        "missing .keras file": (
            lambda: kerasgan.load_model(files / "nope.keras"),
            ModelFileError,
            "No such model file",
        ),
        # --- zoo presets
        "zoo preset with modified weights": (
            lambda: zoo.load(files / "zoo-weights"),
            zoo.ZooError,
            "Checksum mismatch for .*generator.weights.h5",
        ),
        "zoo preset with corrupt metadata.json": (
            lambda: zoo.load(files / "zoo-metadata"),
            zoo.ZooError,
            "Cannot read .*metadata.json",
        ),
        "zoo preset missing a weights file": (
            lambda: zoo.load(files / "zoo-missing"),
            zoo.ZooError,
            "missing discriminator.weights.h5",
        ),
        "unknown zoo preset name": (
            lambda: zoo.load("dcgan-fashion-mnsit"),
            zoo.ZooError,
            "Unknown zoo preset 'dcgan-fashion-mnsit'. Available: ",
        ),
        # --- outputs
        "save under a path whose folder is a file": (
            lambda: dc.save(files / "a-file" / "m.keras"),
            OSError,
            "folder .*a-file is a file",
        ),
        "save into a missing folder": (
            lambda: dc.save(files / "missing" / "m.keras"),
            OSError,
            "does not exist. Create the folder first",
        ),
        "save with a non-.keras name": (
            lambda: dc.save(files / "model.h5"),
            ValueError,
            r"Model files end in \.keras",
        ),
        "sample grid under a file": (
            lambda: dc.save_sample_grid(files / "a-file" / "grid.png"),
            OSError,
            "Cannot write .*grid.png: .*a-file is a file, not a folder",
        ),
        "CLI: sample from a corrupt .keras": (
            lambda: _cli(cli + ["sample", str(files / "truncated.keras"), "-o", "x.png"]),
            SystemExit,
            r"kerasgan: error: .*truncated.keras is not a .keras model file",
        ),
        "CLI: train into an unwritable --out": (
            lambda: _cli(
                cli
                + ["train", "dcgan", "--dataset", "fashion_mnist", "--out"]
                + [str(files / "a-file" / "run")]
            ),
            SystemExit,
            r"kerasgan: error: Cannot write to --out",
        ),
    }


def _cli(argv):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("kerasgan: error:")]
    # one clear line, exit status 2, no traceback
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    raise SystemExit(lines[0] if len(lines) == 1 else proc.stderr)


CASE_NAMES = [
    "images without channel axis",
    "channels-first images",
    "uint8 images in [0, 255]",
    "float images in [0, 255]",
    "NaN in images",
    "string array",
    "empty array",
    "empty tf.data dataset",
    "fewer labels than images",
    "labels out of range",
    "float labels",
    "no labels for a conditional model",
    "labels for an unconditional model",
    ".keras file that is not a zip",
    "truncated .keras file",
    ".keras file with a flipped byte",
    "zip without a model",
    "missing .keras file",
    "zoo preset with modified weights",
    "zoo preset with corrupt metadata.json",
    "zoo preset missing a weights file",
    "unknown zoo preset name",
    "save under a path whose folder is a file",
    "save into a missing folder",
    "save with a non-.keras name",
    "sample grid under a file",
    "CLI: sample from a corrupt .keras",
    "CLI: train into an unwritable --out",
]


def test_the_sweep_covers_every_case(models, files):
    assert sorted(CASE_NAMES) == sorted(_cases(models, files))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input_gets_one_clear_error_and_leaves_nothing_behind(name, models, files):
    fn, error, match = _cases(models, files)[name]
    before = _snapshot(files)
    weights = [v.numpy().copy() for m in models for v in m.weights]
    with pytest.raises(error, match=match) as info:
        fn()
    message = " ".join(str(info.value).split())
    print(f"| {name} | {type(info.value).__name__}: {message} |")
    assert _snapshot(files) == before, "a partial or changed file was left behind"
    after = [v.numpy() for m in models for v in m.weights]
    assert all(np.array_equal(a, b) for a, b in zip(weights, after)), "the model was changed"


def test_a_failed_save_keeps_the_previous_file(models, tmp_path, monkeypatch):
    """A save that dies midway (disk full, kill) leaves the old checkpoint whole
    and no temporary file."""
    dc = models[0]
    path = tmp_path / "ckpt.keras"
    dc.save(path)
    old = path.read_bytes()

    def dies_midway(self, filepath, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", dies_midway)
    with pytest.raises(
        OSError, match=r"ckpt.keras: the disk is full \(.* MB free .*previous file is kept"
    ):
        dc.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == ["ckpt.keras"]
    loaded = kerasgan.load_model(path)
    np.testing.assert_array_equal(loaded.generate(2, seed=1), dc.generate(2, seed=1))


def test_checkpoint_callback_saves_atomically(models, tmp_path):
    """Keras' ModelCheckpoint goes through GANModel.save, so it is atomic too."""
    dc = models[0]
    path = tmp_path / "best.keras"
    dc.fit(
        random_images(16, SHAPE),
        batch_size=8,
        epochs=1,
        verbose=0,
        callbacks=[keras.callbacks.ModelCheckpoint(str(path))],
    )
    assert sorted(os.listdir(tmp_path)) == ["best.keras"]
    assert json.loads(json.dumps(kerasgan.load_model(path).get_config()))["latent_dim"] == 128
