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

from kerasgan import architectures, callbacks, data, losses, regularizers, utils, zoo  # noqa: E402
from kerasgan.gan_model import GANModel  # noqa: E402
from kerasgan.registry import create, get, list_variants, load_plugins, register  # noqa: E402
from kerasgan.variants import CGAN, DCGAN, LSGAN, R1GAN, WGANGP  # noqa: E402
from kerasgan.version import __version__  # noqa: E402

__all__ = [
    "CGAN",
    "DCGAN",
    "GANModel",
    "LSGAN",
    "R1GAN",
    "WGANGP",
    "__version__",
    "architectures",
    "callbacks",
    "create",
    "data",
    "get",
    "list_variants",
    "load_plugins",
    "losses",
    "register",
    "regularizers",
    "utils",
    "zoo",
]
