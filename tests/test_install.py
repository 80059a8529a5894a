"""A plain (non-editable) install: the wheel built from this repository, installed
into a fresh virtual environment, finds the zoo presets and the domain classifier
(installed as data files under <prefix>/share/kerasgan/zoo) and its command runs."""

from __future__ import annotations

import glob
import os
import site
import subprocess
import sys
import sysconfig

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

CHECK = """
import os, sys
import kerasgan
from kerasgan.metrics import features
# not the source tree (the venv itself may lie under the repository's runs/)
source, zoo = os.path.join(sys.argv[1], "kerasgan"), os.path.join(sys.argv[1], "zoo")
assert not kerasgan.__file__.startswith(source), kerasgan.__file__
assert kerasgan.__file__.startswith(sys.prefix), kerasgan.__file__
dirs = kerasgan.zoo.zoo_dirs()  # the installed data files, not the source tree's zoo/
assert any(d.startswith(sys.prefix) for d in dirs), dirs
assert not any(d.startswith(zoo) for d in dirs), dirs
presets = kerasgan.zoo.list()
expected = {"dcgan-fashion-mnist", "cgan-fashion-mnist", "wgan-gp-fashion-mnist"}
assert expected <= set(presets), presets
gan = kerasgan.GANModel.from_preset("cgan-fashion-mnist", compile=False)
images = gan.generate(4, labels=7, seed=0)
assert images.shape == (4, 28, 28, 1), images.shape
net = features.get_feature_network("fashion-mnist-classifier")
feats, _ = net.extract(images)
assert feats.shape[0] == 4, feats.shape
assert kerasgan.testing.CHECKS
print("OK", kerasgan.__version__, kerasgan.__file__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    wheels = tmp / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(wheels), ROOT],
        check=True, capture_output=True, cwd=tmp, timeout=600,
    )  # fmt: skip
    (wheel,) = glob.glob(str(wheels / "kerasgan-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
         "--no-index", wheel],
        check=True, capture_output=True, cwd=tmp, timeout=600,
    )  # fmt: skip
    # kerasgan's dependencies (TensorFlow, Keras, ...) from this environment, read
    # after the fresh venv's own site-packages; its .pth files (the editable
    # install of the source tree) are not run
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    ours = site.getsitepackages() + [sysconfig.get_paths()["purelib"]]
    with open(os.path.join(purelib, "deps.pth"), "w") as f:
        f.write("\n".join(dict.fromkeys(ours)) + "\n")
    return tmp, venv, python


def test_a_wheel_install_finds_the_presets_and_the_classifier(installed):
    tmp, venv, python = installed
    assert glob.glob(str(venv / "share" / "kerasgan" / "zoo" / "*" / "*.weights.h5"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KERASGAN_ZOO_PATH")}
    result = subprocess.run(
        [python, "-c", CHECK, ROOT], cwd=tmp, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("OK"), result.stdout


def test_the_installed_command_lists_the_presets(installed):
    tmp, venv, _ = installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KERASGAN_ZOO_PATH")}
    result = subprocess.run(
        [str(venv / "bin" / "kerasgan"), "zoo", "list"],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "dcgan-fashion-mnist" in result.stdout and "cgan-fashion-mnist" in result.stdout
