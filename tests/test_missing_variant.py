"""Loading a `.keras` file whose variant is not registered in the loading process.

A plugin variant whose module was not imported used to fail with Keras'
"Could not locate class" and a dump of the whole model config (17 KB for a
DCGAN). Both `kerasgan.load_model` and `keras.saving.load_model` now raise one
short `MissingClassError` naming the class, the module to import and (for
files written by `GANModel.save`) the variant; an installed plugin (entry
point) is found without importing it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import kerasgan
from kerasgan import saving

pytestmark = pytest.mark.backends

PLUGIN = "kg_unimported_plugin"
VARIANT = "unimported_gan"
PLUGIN_SOURCE = f"""
import kerasgan


@kerasgan.register({VARIANT!r})
class UnimportedGAN(kerasgan.GANModel):
    description = "A plugin variant the loading process has not imported."
    default_adversarial_loss = "hinge"
"""
SAVE = f"""
import json, sys
import keras, numpy as np
import {PLUGIN}

g = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="tanh"),
                      keras.layers.Reshape((4, 4, 1))])
d = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
gan = {PLUGIN}.UnimportedGAN(g, d, seed=0)
gan.compile()
gan.save(sys.argv[1])                          # kerasgan's save: records the variant
keras.saving.save_model(gan, sys.argv[2])      # Keras' own: no record
print(json.dumps(gan.generate(2, seed=0).tolist()))
"""
LOAD = """
import json, sys
import keras, kerasgan

path, keras_path = sys.argv[1], sys.argv[2]
out = {}
for key, load, file in (
    ("kerasgan", kerasgan.load_model, path),
    ("keras", keras.saving.load_model, path),
    ("keras_unrecorded", kerasgan.load_model, keras_path),
):
    try:
        load(file)
        out[key] = None
    except Exception as e:
        out[key] = {"type": type(e).__name__, "message": str(e),
                    "types": [c.__name__ for c in type(e).__mro__]}
if len(sys.argv) > 3:  # then import the plugin: the same file loads
    sys.path.insert(0, sys.argv[3])
    __import__(sys.argv[4])
    model = kerasgan.load_model(path)
    out["after_import"] = [type(model).__name__, model.generate(2, seed=0).tolist()]
print("RESULT " + json.dumps(out))
"""
ENTRY_POINT_LOAD = """
import json, sys
import keras
import kerasgan  # noqa: F401 - kerasgan itself, not the plugin

model = keras.saving.load_model(sys.argv[1])   # no kerasgan.load_model either
print("RESULT " + json.dumps([type(model).__name__, type(model).__module__, model.variant_name]))
"""


def _run(code, *args, pythonpath=None):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _result(stdout):
    line = [x for x in stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


@pytest.fixture(scope="module")
def plugin_files(tmp_path_factory):
    """A plugin package (module + entry point) and two files saved with it."""
    root = tmp_path_factory.mktemp("missing_variant")
    site = root / "site"
    site.mkdir()
    (site / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE)
    info = site / "kg_unimported_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kg-unimported-plugin\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(f"[kerasgan.variants]\n{VARIANT} = {PLUGIN}\n")
    path, keras_path = root / "plugin.keras", root / "plugin_keras_saved.keras"
    images = json.loads(_run(SAVE, path, keras_path, pythonpath=str(site)).splitlines()[-1])
    return {"site": site, "path": path, "keras_path": keras_path, "images": images}


def test_missing_plugin_variant_gives_one_short_error(plugin_files):
    path, site = plugin_files["path"], plugin_files["site"]
    out = _result(
        _run(LOAD, path, plugin_files["keras_path"], site, PLUGIN)  # site not on the path
    )
    ours, theirs, unrecorded = out["kerasgan"], out["keras"], out["keras_unrecorded"]

    # kerasgan.load_model: the variant, its class, the module to import
    assert ours["type"] == "MissingClassError" and "ModelFileError" in ours["types"]
    message = ours["message"]
    assert len(message) < 500, message
    assert f"'{VARIANT}'" in message and "UnimportedGAN" in message
    assert f"import {PLUGIN}" in message and str(path) in message
    assert "Full object config" not in message and "{" not in message

    # keras.saving.load_model: the same kind of error (the file path is not known there)
    assert theirs["type"] == "MissingClassError", theirs
    assert len(theirs["message"]) < 500, theirs["message"]
    assert "UnimportedGAN" in theirs["message"] and f"import {PLUGIN}" in theirs["message"]

    # a file saved by Keras itself records no variant: class and module are still named
    assert unrecorded["type"] == "MissingClassError", unrecorded
    assert len(unrecorded["message"]) < 500
    assert "UnimportedGAN" in unrecorded["message"] and f"import {PLUGIN}" in unrecorded["message"]

    # importing the module it names is the whole fix
    name, images = out["after_import"]
    assert name == "UnimportedGAN"
    np.testing.assert_allclose(images, plugin_files["images"], rtol=1e-5, atol=1e-6)


def test_installed_plugin_variant_loads_without_importing_it(plugin_files):
    """An installed plugin (entry point) is found by keras.saving.load_model itself."""
    out = _result(
        _run(ENTRY_POINT_LOAD, plugin_files["path"], pythonpath=str(plugin_files["site"]))
    )
    assert out == ["UnimportedGAN", PLUGIN, VARIANT]


# ---------------------------------------------------------------- in process
def _config(registered_name, module, class_name):
    return {
        "module": module,
        "class_name": class_name,
        "config": {},
        "registered_name": registered_name,
    }


def test_keras_deserialization_of_a_missing_kerasgan_class_is_short():
    with pytest.raises(saving.MissingClassError) as info:
        keras.saving.deserialize_keras_object(
            _config("kerasgan>NoSuchGAN", "someone_elses.plugin", "NoSuchGAN")
        )
    message = str(info.value)
    assert len(message) < 300 and "NoSuchGAN" in message
    assert "import someone_elses.plugin" in message
    assert info.value.class_name == "NoSuchGAN" and info.value.module == "someone_elses.plugin"


def test_other_missing_classes_keep_keras_error():
    with pytest.raises(TypeError, match="Could not locate class 'NoSuchLayer'"):
        keras.saving.deserialize_keras_object(
            _config("somebody>NoSuchLayer", "somebody.layers", "NoSuchLayer")
        )


@pytest.mark.parametrize(
    "module, expected",
    [
        ("kerasgan.variants.gone", "saved by another kerasgan version"),
        ("__main__", "defined in the script that saved it"),
        ("my_plugin.variants", "import my_plugin.variants"),
    ],
)
def test_missing_class_messages(module, expected):
    message = saving.missing_class_message("SomeGAN", module, "some_gan", "m.keras")
    assert expected in message and "'some_gan'" in message and message.startswith("m.keras")
    assert len(message) < 400


def test_a_missing_custom_network_class_is_short(tmp_path):
    """Not a kerasgan class: kerasgan.load_model still leaves out the config dump."""

    @keras.saving.register_keras_serializable(package="kg_missing_test")
    class SubclassedGenerator(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(16, activation="tanh")
            self.reshape = keras.layers.Reshape((4, 4, 1))

        def call(self, z):
            return self.reshape(self.dense(z))

    discriminator = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    gan = kerasgan.GANModel(SubclassedGenerator(), discriminator, latent_dim=8)
    gan.compile()
    path = tmp_path / "custom.keras"
    gan.save(path)
    custom = keras.saving.get_custom_objects()
    registered = custom.pop("kg_missing_test>SubclassedGenerator")
    try:
        with pytest.raises(saving.ModelFileError) as info:
            kerasgan.load_model(path)
    finally:
        custom["kg_missing_test>SubclassedGenerator"] = registered
    message = str(info.value)
    assert len(message) < 500, message
    assert "SubclassedGenerator" in message and "Full object config" not in message
    assert kerasgan.load_model(path).generator.__class__ is SubclassedGenerator


def test_saved_files_record_their_variant(tmp_path):
    gan = kerasgan.create("dcgan", image_shape=(16, 16, 1), latent_dim=4, base_filters=4)
    gan.compile()
    gan.save(tmp_path / "dcgan.keras")
    record = saving.read_variant_record(tmp_path / "dcgan.keras")
    assert record["variant"] == "dcgan" and record["class_name"] == "DCGAN"
    assert record["module"] == type(gan).__module__
    assert saving.read_variant_record(tmp_path / "nothing.keras") == {}
    loaded = kerasgan.load_model(tmp_path / "dcgan.keras")
    assert type(loaded) is type(gan)


def test_the_hook_is_installed_once():
    from keras.src.saving import serialization_lib

    assert saving.install_keras_hook()
    hooked = serialization_lib._retrieve_class_or_fn
    assert saving.install_keras_hook()
    assert serialization_lib._retrieve_class_or_fn is hooked
    assert not hasattr(hooked._kerasgan_original, "_kerasgan_original")  # not wrapped twice
