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
