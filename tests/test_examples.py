"""Every example script runs for real on Fashion-MNIST (a few steps), in-process,
and writes its samples and a model that loads back."""

from __future__ import annotations

import glob
import os
import runpy
import sys

import numpy as np
import pytest

import kerasgan

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")
SCRIPTS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(EXAMPLES, "train_*.py")))
VARIANT_OF = {
    "train_dcgan.py": "dcgan",
    "train_lsgan.py": "lsgan",
    "train_r1gan.py": "r1gan",
    "train_wgan_gp.py": "wgan_gp",
    "train_sngan.py": "sngan",
    "train_cgan.py": "cgan",
    "train_acgan.py": "acgan",
    "train_cgan_projection.py": "cgan_projection",
    "train_r3gan.py": "r3gan",
    "train_stylegan2.py": "stylegan2",
}

pytestmark = pytest.mark.slow


def test_one_example_per_variant():
    assert sorted(VARIANT_OF) == SCRIPTS
    assert sorted(VARIANT_OF.values()) == sorted(kerasgan.list_variants())


#: The heaviest example (its networks compile for a minute); in `make test` its
#: variant trains through tests/test_variants.py and tests/test_stylegan2.py.
EXTENDED_EXAMPLES = ("train_stylegan2.py",)


@pytest.mark.parametrize(
    "script",
    [pytest.param(s, marks=pytest.mark.extended) if s in EXTENDED_EXAMPLES else s for s in SCRIPTS],
)
def test_example_runs_on_real_data(script, tmp_path, monkeypatch):
    argv = [script, "--epochs", "1", "--steps-per-epoch", "2", "--out", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(os.path.join(EXAMPLES, script), run_name="__main__")
    variant = VARIANT_OF[script]
    model_file = tmp_path / f"{variant}.keras"
    assert (tmp_path / f"{variant}_samples.png").stat().st_size > 1000
    gan = kerasgan.load_model(model_file)
    assert gan.variant_name == variant
    kw = {"labels": 3} if gan.num_classes else {}
    images = gan.generate(4, seed=0, **kw)
    # R3GAN's and StyleGAN2's examples pad the 28x28 images to 32x32
    side = 32 if variant in ("r3gan", "stylegan2") else 28
    assert images.shape == (4, side, side, 1) and np.isfinite(images).all()
