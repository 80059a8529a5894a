"""Untrusted files never run code (issue 21, item 3).

Hostile files are built with real Keras APIs: a model with a `Lambda` layer
whose function creates a marker file, a `.keras` archive whose config names
`os.system` or a custom class not registered at load time, a member named
`../escaped.txt`, a `.npz` with a pickled object whose unpickling creates the
marker, and zoo presets whose `metadata.json` was rewritten to match an edited
config, to name files outside the preset, or that link outside it. Each load
path (`kerasgan.load_model`, `keras.saving.load_model`, `kerasgan.zoo.load`,
`GANModel.from_preset`, the CLI commands, backups) must refuse before any of
it runs: the marker is never created, nothing is written outside the folder
given, and the error is one kerasgan `ValueError` that says what was wrong.
`test_the_hostile_files_run_code_when_loaded_unsafely` checks that the marker
is created when the same files are loaded with safe mode off, so the refusals
tested here are what keeps it from being created.

A bad `kerasgan train` command leaves no new folder behind (issue 21, item 2).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan import cli, zoo
from kerasgan.saving import ModelFileError, UnsafeModelError, find_code

pytestmark = pytest.mark.backends

SHAPE = (16, 16, 1)
TINY = dict(image_shape=SHAPE, base_filters=4, latent_dim=8, seed=0)
#: `kerasgan train` arguments for a one-step run of a tiny DCGAN on the tiny dataset.
TRAIN = (
    "--epochs 1 --steps-per-epoch 1 --batch-size 4 --samples 4 --latent-dim 8 "
    "--set base_filters=4 --seed 0"
).split()
if keras.backend.backend() != "jax":  # one step runs faster op by op than compiled, but on JAX
    TRAIN.append("--no-jit")


def _marking_lambda(marker):
    """A `Lambda` layer whose function creates `marker`: code a file must not run."""
    path = str(marker)  # a closure: Keras saves its value with the function's bytecode
    return keras.layers.Lambda(lambda x: (open(path, "w").close(), x)[1], name="gate")


class _Opener:
    """Unpickles as `open(marker, "w")`: a pickled object that creates the marker."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@keras.saving.register_keras_serializable(package="untrusted_test")
class MarkingLayer(keras.layers.Layer):
    """A custom class that creates the marker when it is rebuilt."""

    def __init__(self, marker="", **kwargs):
        super().__init__(**kwargs)
        self.marker = marker
        if marker:
            open(marker, "w").close()

    def call(self, x):
        return x

    def get_config(self):
        return {**super().get_config(), "marker": self.marker}


MARKING_LAYER = keras.saving.get_registered_name(MarkingLayer)


def _unregister(name):
    """Forgets a registered class (as in a process that never imported it)."""
    from keras.src.saving import object_registration

    cls = object_registration.GLOBAL_CUSTOM_OBJECTS.pop(name)
    object_registration.GLOBAL_CUSTOM_NAMES.pop(cls, None)
    return cls


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _rewrite(src, dst, config=None, extra=()):
    """A copy of the `.keras` archive `src` with another config.json and extra members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if config is not None and item.filename == "config.json":
                data = json.dumps(config).encode()
            zout.writestr(item, data)
        for name, data in extra:
            zout.writestr(name, data)
    return dst


def _with_last_layer(gan_config, layer):
    """`gan_config` whose generator's last layer (tanh) is replaced by `layer`, same name."""
    config = json.loads(json.dumps(gan_config))
    layers = config["config"]["generator"]["config"]["layers"]
    old = layers[-1]
    new = keras.saving.serialize_keras_object(layer)
    new["name"] = new["config"]["name"] = old["config"]["name"]
    new["inbound_nodes"] = old["inbound_nodes"]
    layers[-1] = new
    return config


def _forge(folder, config):
    """Writes `config` into the preset `folder` and updates metadata.json's sha256 to match."""
    (folder / zoo.CONFIG_FILE).write_text(json.dumps(config))
    meta = json.loads((folder / zoo.METADATA_FILE).read_text())
    meta["sha256"][zoo.CONFIG_FILE] = _sha(folder / zoo.CONFIG_FILE)
    (folder / zoo.METADATA_FILE).write_text(json.dumps(meta))


def _files(root):
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Hostile files in a fresh folder; `marker` does not exist when a test starts."""
    root = tmp_path_factory.mktemp("untrusted")
    marker = root / "MARKER"
    files = {"root": root, "marker": marker}

    good = kerasgan.create("dcgan", **TINY)
    good.compile(jit_compile=False)
    files["good"] = root / "good.keras"
    good.save(files["good"])
    with zipfile.ZipFile(files["good"]) as z:
        gan_config = json.loads(z.read("config.json"))

    generator = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16 * 16),
            keras.layers.Reshape(SHAPE),
            _marking_lambda(marker),
        ]
    )
    gan = kerasgan.create("dcgan", generator=generator, **TINY)
    gan.compile(jit_compile=False)
    files["lambda"] = root / "lambda.keras"
    gan.save(files["lambda"])

    classifier = keras.Sequential(
        [keras.Input(SHAPE), _marking_lambda(marker), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    files["classifier"] = root / "classifier.keras"
    classifier.save(files["classifier"])
    classifier = keras.Sequential(
        [keras.Input(SHAPE), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    files["good_classifier"] = root / "good-classifier.keras"
    classifier.save(files["good_classifier"])

    files["custom"] = _rewrite(
        files["good"],
        root / "custom.keras",
        _with_last_layer(gan_config, MarkingLayer(marker=str(marker))),
    )
    files["os_system"] = _rewrite(
        files["good"],
        root / "os-system.keras",
        {
            **gan_config,
            "config": {
                **gan_config["config"],
                "generator": {
                    "module": "os",
                    "class_name": "system",
                    "config": {"command": f"touch {marker}"},
                    "registered_name": "system",
                },
            },
        },
    )
    (root / "sub").mkdir()
    files["traversal"] = _rewrite(
        files["good"], root / "sub" / "traversal.keras", extra=[("../escaped.txt", b"x")]
    )
    # as text: Keras' from_config changes the dicts it is given
    files["lambda_config"] = json.dumps(_with_last_layer(gan_config, _marking_lambda(marker)))

    images = np.random.default_rng(0).integers(0, 256, (8, *SHAPE[:2]), dtype=np.uint8)
    files["dataset"] = root / "tiny.npz"
    np.savez(files["dataset"], images=images)
    files["pickle"] = root / "pickled.npz"
    np.savez(files["pickle"], images=np.array([_Opener(marker)], dtype=object))
    files["pickled_stats"] = root / "pickled.stats.npz"
    np.savez(
        files["pickled_stats"],
        version=np.int64(1),
        count=np.int64(2),
        mean=np.array([_Opener(marker)], dtype=object),
        m2=np.zeros((1, 1)),
    )

    marker.unlink()  # building the Lambda and MarkingLayer layers above ran them
    _unregister(MARKING_LAYER)
    yield files
    assert not marker.exists()


@pytest.fixture
def marker(hostile):
    yield hostile["marker"]
    assert not hostile["marker"].exists(), "code from a hostile file ran"


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    """A zoo folder on $KERASGAN_ZOO with one tiny preset `tiny`."""
    root = tmp_path / "zoo"
    gan = kerasgan.create("dcgan", **TINY)
    zoo.save(gan, "tiny", dataset="random", zoo_dir=str(root))
    monkeypatch.setenv(zoo.ZOO_PATH_ENV, str(root))
    monkeypatch.chdir(tmp_path)  # paths in these tests are relative to tmp_path
    return root


def _cli_error(capsys, argv):
    """Runs the CLI; returns its one-line error (after checking status 2)."""
    assert cli.main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("kerasgan: error:") and "\n" not in err, err
    return err


# ----------------------------------------------------------------------- controls
def test_the_hostile_files_run_code_when_loaded_unsafely(hostile):
    """The hostile files are real: with safe mode off (or the class registered,
    or pickles allowed) loading them creates the marker, which the tests below
    never see."""
    marker = hostile["marker"]

    def runs(load):
        assert not marker.exists()
        try:
            load()
        except Exception:  # only whether the code ran matters here
            pass
        ran = marker.exists()
        if ran:
            marker.unlink()
        return ran

    assert runs(lambda: keras.saving.load_model(hostile["lambda"], safe_mode=False))
    assert runs(lambda: kerasgan.load_model(hostile["lambda"], safe_mode=False))  # Keras' opt-in
    assert runs(
        lambda: keras.saving.deserialize_keras_object(
            json.loads(hostile["lambda_config"]), safe_mode=False
        )
    )
    keras.saving.get_custom_objects()[MARKING_LAYER] = MarkingLayer
    try:
        assert runs(lambda: keras.saving.load_model(hostile["custom"]))
    finally:
        _unregister(MARKING_LAYER)
    assert runs(lambda: np.load(hostile["pickle"], allow_pickle=True)["images"])
    assert runs(lambda: np.load(hostile["pickled_stats"], allow_pickle=True)["mean"])


# ------------------------------------------------------------------ .keras files
def test_lambda_layer_is_refused_before_keras_reads_it(hostile, marker):
    with pytest.raises(UnsafeModelError) as info:
        kerasgan.load_model(hostile["lambda"])
    message = str(info.value)
    assert message.startswith(f"Refusing to load {hostile['lambda']}: it holds Python code")
    assert "layer 'gate' (Lambda)" in message and "nothing from the file was run" in message
    assert "without Lambda layers" in message
    assert info.value.where == "layer 'gate' (Lambda)"
    assert isinstance(info.value, ModelFileError) and isinstance(info.value, ValueError)
    # Keras' own loader keeps safe_mode on: its error, and no code run either
    with pytest.raises(ValueError, match="Lambda"):
        keras.saving.load_model(hostile["lambda"])


def test_unknown_module_and_unregistered_class_are_refused(hostile, marker):
    with pytest.raises(ModelFileError, match="needs class system from module 'os'") as info:
        kerasgan.load_model(hostile["os_system"])
    assert "not registered in this process" in str(info.value)
    assert "Full object config" not in str(info.value)
    with pytest.raises(ModelFileError, match="needs class MarkingLayer") as info:
        kerasgan.load_model(hostile["custom"])
    assert "not registered in this process" in str(info.value)
    with pytest.raises(TypeError, match="Could not locate class"):
        keras.saving.load_model(hostile["custom"])


def test_archive_member_outside_the_folder_is_refused(hostile, marker):
    outside = hostile["root"] / "escaped.txt"
    with pytest.raises(ModelFileError, match=r"member '\.\./escaped\.txt' would be written") as e:
        kerasgan.load_model(hostile["traversal"])
    assert "save the model again" in str(e.value)
    assert not outside.exists()


@pytest.mark.filterwarnings("ignore:The object being serialized includes a `lambda`")
def test_find_code_sees_every_lambda_in_a_keras_config():
    def config(obj):
        return json.loads(json.dumps(keras.saving.serialize_keras_object(obj)))

    assert find_code(config(keras.layers.Lambda(lambda x: x, name="f"))) == "layer 'f' (Lambda)"
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu")])
    assert find_code(config(model)) is None
    model.compile(loss=lambda y, p: (y - p) ** 2)  # a lambda in the compile config
    assert find_code(config(model)) == f"object {model.name!r} (Sequential)"
    assert find_code([{"x": config(lambda x: x)}]) == "the model config"
    assert find_code(config(keras.layers.Lambda(keras.activations.relu))) is None


# ------------------------------------------------------------------------- zoo
def test_preset_with_forged_checksums_is_refused(hostile, tiny_zoo, marker, capsys):
    folder = tiny_zoo / "tiny"
    _forge(folder, json.loads(hostile["lambda_config"]))
    zoo._verify(str(folder), zoo._read_metadata(str(folder)))  # the checksums do match
    for load in (zoo.load, kerasgan.GANModel.from_preset, kerasgan.DCGAN.from_preset):
        with pytest.raises(zoo.ZooError) as info:
            load("tiny")
        message = str(info.value)
        assert message.startswith(
            f"Refusing to load preset {folder}: its config.json holds Python code (layer "
        )
        assert "(Lambda): a lambda saved as bytecode" in message
        assert "nothing from it was run" in message
    for argv in (
        ["sample", "tiny", "-o", "x.png"],
        ["eval", "tiny", "--dataset", "x", "--features", hostile["good_classifier"]],
    ):
        assert "Refusing to load preset" in _cli_error(capsys, argv)
    assert not os.path.exists("x.png")


def test_preset_with_an_unregistered_class_is_refused(hostile, tiny_zoo, marker):
    with zipfile.ZipFile(hostile["custom"]) as z:
        _forge(tiny_zoo / "tiny", json.loads(z.read("config.json")))
    with pytest.raises(zoo.ZooError, match=r"Could not rebuild preset .*MarkingLayer") as info:
        zoo.load("tiny")
    assert len(str(info.value)) < 800 and "Full object config" not in str(info.value)


@pytest.mark.parametrize("name", ["../outside", "../zoo/../outside", "tiny/../../outside"])
def test_preset_names_stay_inside_the_zoo(tiny_zoo, name, capsys):
    shutil.copytree(tiny_zoo / "tiny", tiny_zoo.parent / "outside")
    os.chdir(tiny_zoo / "tiny")  # where `name` is not a folder: it is looked up as a name
    assert not os.path.isdir(name)
    for call in (zoo.load, zoo.info, kerasgan.GANModel.from_preset):
        with pytest.raises(zoo.ZooError, match=r"Invalid zoo preset name .*no '/' or '\.\.'"):
            call(name)
    err = _cli_error(capsys, ["sample", name, "-o", tiny_zoo.parent / "x.png"])
    assert "Invalid zoo preset name" in err
    assert not (tiny_zoo.parent / "x.png").exists()
    assert "Invalid zoo preset name" in _cli_error(capsys, ["zoo", "show", name])


def test_metadata_cannot_name_files_outside_the_preset(tiny_zoo):
    folder = tiny_zoo / "tiny"
    secret = tiny_zoo.parent / "secret.txt"
    secret.write_text("not a preset file")
    meta = json.loads((folder / zoo.METADATA_FILE).read_text())
    for name in ("../secret.txt", str(secret)):
        forged = {**meta, "sha256": {**meta["sha256"], name: _sha(secret)}}
        (folder / zoo.METADATA_FILE).write_text(json.dumps(forged))
        with pytest.raises(zoo.ZooError, match="not a plain file name in the preset folder"):
            zoo.load("tiny")
    (folder / zoo.METADATA_FILE).write_text(json.dumps({**meta, "sha256": "abc"}))
    with pytest.raises(zoo.ZooError, match="'sha256' must map file names"):
        zoo.load("tiny")


def test_links_out_of_a_preset_are_refused(tiny_zoo):
    folder = tiny_zoo / "tiny"
    outside = tiny_zoo.parent / "elsewhere.h5"
    os.replace(folder / zoo.GENERATOR_WEIGHTS_FILE, outside)  # same bytes: the sha256 matches
    os.symlink(outside, folder / zoo.GENERATOR_WEIGHTS_FILE)
    with pytest.raises(zoo.ZooError, match=r"generator\.weights\.h5 is a link to .*outside the"):
        zoo.load("tiny")
    # a link inside the folder is fine, and so is a preset folder linked into the zoo
    os.remove(folder / zoo.GENERATOR_WEIGHTS_FILE)
    os.replace(outside, folder / "real.h5")
    os.symlink("real.h5", folder / zoo.GENERATOR_WEIGHTS_FILE)
    os.symlink(folder, tiny_zoo / "linked")
    assert zoo.load("linked", compile=False).latent_dim == 8


# ------------------------------------------------------------------------- npz
def test_pickled_objects_in_npz_files_are_refused(hostile, marker, tmp_path, capsys):
    from kerasgan.metrics import FeatureStatistics

    with pytest.raises(ValueError, match="is not a FeatureStatistics file .*allow_pickle=False"):
        FeatureStatistics.load(hostile["pickled_stats"])
    with pytest.raises(kerasgan.data.DataError, match="(?i)pickl"):
        kerasgan.data.load_arrays(str(hostile["pickle"]))
    out = tmp_path / "run"
    err = _cli_error(
        capsys, ["train", "dcgan", "--dataset", hostile["pickle"], "--out", out, *TRAIN]
    )
    assert "pickl" in err.lower() and not out.exists()


# ------------------------------------------------------------------------- CLI
def test_cli_commands_refuse_hostile_models(hostile, marker, tmp_path, capsys):
    out = tmp_path / "out"
    for argv in (
        ["sample", hostile["lambda"], "-o", out / "grid.png"],
        [
            "eval",
            hostile["lambda"],
            "--dataset",
            hostile["dataset"],
            "--json",
            out / "s.json",
            "--features",
            hostile["good_classifier"],
        ],
        ["zoo", "export", hostile["lambda"], "evil", "--dataset", "x", "--zoo-dir", out / "zoo"],
    ):
        assert "Refusing to load" in _cli_error(capsys, argv)
    assert "needs class system" in _cli_error(capsys, ["sample", hostile["os_system"], "-o", out])
    run = tmp_path / "run.json"
    run.write_text("[1, 2]")
    argv = ["zoo", "export", hostile["good"], "x", "--dataset", "x", "--run", run]
    assert "is not a run.json" in _cli_error(capsys, [*argv, "--zoo-dir", out / "zoo"])
    argv = ["eval", hostile["good"], "--dataset", hostile["dataset"], "-n", "2"]
    err = _cli_error(capsys, [*argv, "--features", hostile["classifier"]])
    assert err.startswith(f"kerasgan: error: --features: Refusing to load {hostile['classifier']}")
    err = _cli_error(capsys, [*argv, "--features", "../x"])
    assert "--features: no file or folder ../x" in err
    assert not out.exists()  # nothing written, not even the folders


def test_train_with_bad_input_leaves_nothing_behind(hostile, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert "Unknown GAN variant 'nosuchgan'" in _cli_error(capsys, ["train", "nosuchgan"])
    assert "No local copy" in _cli_error(capsys, ["train", "dcgan", "--dataset", "/nonexistent"])
    new = tmp_path / "new" / "run"
    _cli_error(capsys, ["train", "nosuchgan", "--out", new])
    _cli_error(capsys, ["train", "dcgan", "--dataset", tmp_path / "missing", "--out", new])
    args = ["train", "dcgan", "--dataset", hostile["dataset"], *TRAIN]
    assert "--set: " in _cli_error(capsys, [*args, "--set", "nope=1", "--out", new])
    assert os.listdir(tmp_path) == []  # no runs/, no new/
    # a failure inside fit, before the first backup: the folders it created go
    existing = tmp_path / "mine"
    existing.mkdir()
    (existing / "notes.txt").write_text("keep me")

    def broken_fit(self, *args, **kwargs):
        raise ValueError("broken input")

    monkeypatch.setattr(kerasgan.GANModel, "fit", broken_fit)
    assert "broken input" in _cli_error(capsys, [*args, "--out", new])
    assert "broken input" in _cli_error(capsys, [*args, "--out", existing / "run"])
    assert "broken input" in _cli_error(capsys, [*args, "--out", existing])
    assert sorted(os.listdir(tmp_path)) == ["mine"]
    assert _files(existing) == ["notes.txt"]  # a folder that was there is kept


def test_train_writes_only_inside_out_and_refuses_a_hostile_backup(hostile, tmp_path, capsys):
    out, outside = tmp_path / "out", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    for name in ("run.json", ".write_test"):  # links planted where train writes
        (outside / name).write_text("precious")
        os.symlink(outside / name, out / name)
    argv = ["train", "dcgan", "--dataset", hostile["dataset"], "--out", out, *TRAIN]
    assert cli.main([str(a) for a in argv]) == 0, capsys.readouterr().err
    assert [(outside / n).read_text() for n in ("run.json", ".write_test")] == ["precious"] * 2
    assert json.loads((out / "run.json").read_text())["generator_steps"] == 1
    assert not os.path.islink(out / "run.json")

    backup = out / "backup"
    backup.mkdir()
    shutil.copy(hostile["lambda"], backup / "latest.weights.h5")  # not an HDF5 file
    (backup / "training_metadata.json").write_text('{"epoch": 0}')
    before = _files(backup)
    err = _cli_error(capsys, [*argv, "--resume"])
    assert err.startswith(f"kerasgan: error: Cannot resume from the backup in {backup}: ")
    assert f"delete {backup}" in err
    (backup / "latest.weights.h5").unlink()
    (backup / "training_metadata.json").write_text('{"epoch": "__import__(\'os\')"}')
    err = _cli_error(capsys, [*argv, "--resume"])
    assert "records epoch \"__import__('os')\", not a number of epochs" in err
    assert _files(backup) == [n for n in before if n != "latest.weights.h5"]  # kept
    assert not hostile["marker"].exists()

    shutil.rmtree(backup)
    history = (out / "history.json").read_text()
    (out / "history.json").write_text('{"d_loss": "not numbers"}')
    err = _cli_error(capsys, [*argv, "--resume"])
    assert f"Cannot resume the loss curves from {out / 'history.json'}" in err
    (out / "history.json").write_text(history)
    os.symlink(outside, backup)
    assert "is a link" in _cli_error(capsys, [*argv, "--resume"])
    assert sorted(os.listdir(outside)) == [".write_test", "run.json"]
