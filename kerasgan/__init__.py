"""kerasgan: generative adversarial networks for Keras 3.

>>> import kerasgan
>>> gan = kerasgan.create("dcgan", image_shape=(28, 28, 1))
>>> gan.compile(jit_compile=True)
>>> gan.fit(images, epochs=5, batch_size=128)
>>> gan.generate(64, seed=0).shape
(64, 28, 28, 1)
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from kerasgan import (  # noqa: E402
    architectures,
    augment,
    callbacks,
    data,
    fast_conv,
    fast_norm,
    losses,
    regularizers,
    saving,
    utils,
    zoo,
)
from kerasgan.gan_model import GANModel  # noqa: E402
from kerasgan.registry import create, get, list_variants, load_plugins, register  # noqa: E402
from kerasgan.saving import load_model  # noqa: E402
from kerasgan.variants import (  # noqa: E402
    ACGAN,
    CGAN,
    DCGAN,
    LSGAN,
    R1GAN,
    SNGAN,
    WGANGP,
    CGANProjection,
)
from kerasgan.version import __version__  # noqa: E402

__all__ = [
    "ACGAN",
    "CGAN",
    "CGANProjection",
    "DCGAN",
    "GANModel",
    "LSGAN",
    "R1GAN",
    "SNGAN",
    "WGANGP",
    "__version__",
    "load_model",
    "architectures",
    "augment",
    "callbacks",
    "create",
    "data",
    "fast_conv",
    "fast_norm",
    "get",
    "list_variants",
    "load_plugins",
    "losses",
    "register",
    "regularizers",
    "saving",
    "utils",
    "zoo",
]
