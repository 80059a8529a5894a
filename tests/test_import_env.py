"""`import kerasgan` leaves the process environment to the user.

It must not choose the Keras backend (`KERAS_BACKEND`) nor change
TensorFlow's C++ logging (`TF_CPP_MIN_LOG_LEVEL`) for the process. The
libraries it runs on set environment variables of their own when imported
(JAX, which Keras imports, sets `TF_CPP_MIN_LOG_LEVEL=1` when it is unset),
so the check is that importing kerasgan changes exactly what importing those
libraries changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.backends

CHANGES = """
import json, os, sys
before = dict(os.environ)
{imports}
after = dict(os.environ)
changed = {{k: after.get(k) for k in set(before) | set(after) if before.get(k) != after.get(k)}}
print("RESULT " + json.dumps(changed))
"""


def _run(code, env):
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line.removeprefix("RESULT "))


def _env(**overrides):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_import_changes_no_more_environment_than_its_libraries():
    env = _env()  # this run's KERAS_BACKEND, TF_CPP_MIN_LOG_LEVEL unset
    ours = _run(CHANGES.format(imports="import kerasgan"), env)
    # what kerasgan imports on every backend: Keras (with its backend) and tf.data
    theirs = _run(CHANGES.format(imports="import keras, tensorflow"), env)
    assert ours == theirs
    assert "KERAS_BACKEND" not in ours
    # JAX's own default, or nothing; never a level chosen by kerasgan
    assert ours.get("TF_CPP_MIN_LOG_LEVEL") == theirs.get("TF_CPP_MIN_LOG_LEVEL")


def test_import_keeps_the_users_log_level_and_sets_no_backend():
    code = """
import json, os
import kerasgan
print("RESULT " + json.dumps([os.environ.get("TF_CPP_MIN_LOG_LEVEL"),
                              os.environ.get("KERAS_BACKEND"),
                              kerasgan.metrics.__name__,
                              callable(kerasgan.metrics.evaluate),
                              callable(kerasgan.metrics.frechet_distance)]))
"""
    level, backend, metrics, evaluate, fid = _run(
        code, _env(TF_CPP_MIN_LOG_LEVEL="0", KERAS_BACKEND=None)
    )
    assert level == "0" and backend is None
    # kerasgan.metrics is there after a plain `import kerasgan`
    assert metrics == "kerasgan.metrics" and evaluate and fid


WITHOUT_TENSORFLOW = """
import sys
sys.path.insert(0, {hide!r})  # TensorFlow and tfds raise ImportError, as if not installed
import numpy as np
import kerasgan
assert "tensorflow" not in sys.modules
gan = kerasgan.create("cgan", image_shape=(16, 16, 1), num_classes=3, base_filters=8, latent_dim=8)
gan.compile()
x = np.random.default_rng(0).uniform(-1, 1, (8, 16, 16, 1)).astype("float32")
y = np.arange(8) % 3
history = gan.fit(x, y, batch_size=4, epochs=1, verbose=0)
kerasgan.utils.save_grid(gan.generate(4, labels=1, seed=0), {png!r})
assert "tensorflow" not in sys.modules
try:
    kerasgan.data.load
except ImportError as error:
    print("DATA " + str(error))
print("RESULT " + json.dumps({{k: float(v[-1]) for k, v in history.history.items()}}))
"""


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow",
    reason="the TensorFlow backend needs TensorFlow",
)
def test_jax_and_torch_users_train_without_tensorflow(tmp_path):
    # Only tf.data input (kerasgan.data) needs TensorFlow off the TensorFlow backend.
    hide = tmp_path / "hide"
    for name in ("tensorflow", "tensorflow_datasets"):
        (hide / name).mkdir(parents=True)
        (hide / name / "__init__.py").write_text(f"raise ImportError('No module named {name}')")
    png = tmp_path / "grid.png"
    code = "import json\n" + WITHOUT_TENSORFLOW.format(hide=str(hide), png=str(png))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    losses = json.loads(result.stdout.split("RESULT ")[-1])
    assert set(losses) == {"d_loss", "g_loss"} and all(np.isfinite(list(losses.values())))
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "DATA No module named tensorflow" in result.stdout
