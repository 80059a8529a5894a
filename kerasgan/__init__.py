"""kerasgan: generative adversarial networks for Keras 3.

>>> import kerasgan
>>> gan = kerasgan.create("dcgan", image_shape=(28, 28, 1))
>>> gan.compile(jit_compile=True)
>>> gan.fit(images, epochs=5, batch_size=128)
>>> gan.generate(64, seed=0).shape
(64, 28, 28, 1)
"""

from __future__ import annotations

from typing import Any as _Any  # private: `kerasgan.Any` would look like API

from kerasgan import _command

# Only in the `kerasgan` command, never when a program imports kerasgan: hide
# TensorFlow's C++ log lines (see kerasgan/_command.py) before Keras imports it.
if _command.started_as_command():
    _command.quiet_imports("keras")

from kerasgan import (  # noqa: E402 - after the command's quiet import of Keras
    ada,
    architectures,
    augment,
    callbacks,
    conditioning,
    draws,
    losses,
    metrics,
    penalties,
    regularizers,
    saving,
    utils,
    zoo,
)
from kerasgan.gan_model import GANModel
from kerasgan.registry import create, get, list_variants, load_plugins, register
from kerasgan.saving import load_model
from kerasgan.variants import (
    ACGAN,
    CGAN,
    DCGAN,
    LSGAN,
    R1GAN,
    R3GAN,
    SNGAN,
    WGANGP,
    CGANProjection,
    StyleGAN2,
)
from kerasgan.version import __version__

__all__ = [
    "ACGAN",
    "CGAN",
    "CGANProjection",
    "DCGAN",
    "GANModel",
    "LSGAN",
    "R1GAN",
    "R3GAN",
    "SNGAN",
    "StyleGAN2",
    "WGANGP",
    "__version__",
    "load_model",
    "architectures",
    "ada",
    "augment",
    "callbacks",
    "conditioning",
    "create",
    "draws",
    "data",
    "get",
    "list_variants",
    "load_plugins",
    "losses",
    "metrics",
    "penalties",
    "register",
    "regularizers",
    "saving",
    "testing",
    "utils",
    "zoo",
]


def __getattr__(name: str) -> _Any:
    # kerasgan.data holds the tf.data pipelines: it loads TensorFlow, so it is
    # imported on first use (a JAX or PyTorch user need not load TensorFlow).
    # kerasgan.testing, the harness for variant authors, is only for tests.
    if name in ("data", "testing"):
        import importlib

        return importlib.import_module(f"kerasgan.{name}")
    raise AttributeError(f"module 'kerasgan' has no attribute {name!r}")
