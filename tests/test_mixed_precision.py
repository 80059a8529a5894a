"""Mixed precision for every variant: bfloat16 compute (tested on CPU: jax.jit on JAX; on
TensorFlow a graph, eager for StyleGAN2 and R3GAN, and XLA for DCGAN and WGAN-GP — XLA's
bfloat16 step compiles for 10-60 s per variant, and the XLA step of every variant is built
by tests/test_variants.py), float16 with loss scaling; images, logits and penalties stay
float32."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from support import (
    QUICK_STEP,
    TEST_SIZES,
    compiled_for,
    fit_args,
    make_gan,
    slow_on_tensorflow,
    step_test_shape,
)

import kerasgan
import kerasgan.testing

pytestmark = pytest.mark.backends

VARIANTS = kerasgan.list_variants()


@pytest.fixture
def policy(request):
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")


def tiny(variant):
    return make_gan(variant, base_filters=4, latent_dim=8, seed=0)


def compute_dtypes(model):
    return {
        layer.compute_dtype
        for layer in model._flatten_layers(include_self=False)
        if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)
    }


#: bfloat16 under TensorFlow's XLA: a plain step and one with a gradient penalty
XLA_BFLOAT16 = ("dcgan", "wgan_gp")


#: bfloat16 on JAX in `make test`: a plain step, a gradient penalty and a label
#: input (each variant's jax.jit bfloat16 step compiles for 15-70 s on a CPU;
#: TensorFlow and PyTorch run every variant, `make test-full` every one on JAX)
JAX_BFLOAT16 = ("dcgan", "wgan_gp", "cgan")


@pytest.mark.parametrize(
    "variant",
    [
        v if v in JAX_BFLOAT16 else pytest.param(v, marks=pytest.mark.extended_on("jax"))
        for v in VARIANTS
    ],
)
def test_bfloat16_trains(variant):
    """kerasgan.testing's mixed-precision check: layers compute in bfloat16 (not
    silently float32), a step trains with finite losses, images stay float32."""
    kwargs = {**TEST_SIZES.get(variant, {}), "base_filters": 4, "latent_dim": 8, "seed": 0}
    checker = kerasgan.testing.VariantChecker(
        variant,
        image_shape=step_test_shape(variant),
        jit_compile_after_load=compiled_for(variant) if variant in XLA_BFLOAT16 else QUICK_STEP,
        # eager for the largest graphs on TensorFlow: the subject is the dtypes
        run_eagerly_after_load=slow_on_tensorflow(variant),
        **kwargs,
    )
    checker.check_mixed_precision("mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"  # restored


@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
@pytest.mark.parametrize("variant", ["dcgan", "wgan_gp"])
def test_float16_uses_loss_scaling_and_float32_penalties(variant, policy):
    gan = tiny(variant)
    gan.compile(jit_compile=QUICK_STEP)
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(opt, keras.optimizers.LossScaleOptimizer)
    x, y = fit_args(variant, 16)
    history = gan.fit(x, y, batch_size=8, epochs=1, verbose=0).history
    assert all(math.isfinite(v[-1]) for v in history.values()), history
    if variant == "wgan_gp":
        # the penalty is computed from float32 gradients even with float16 layers
        real, fake = x[:8], gan.generate(8, seed=0)
        critic = lambda t: gan.discriminator(t, training=False)  # noqa: E731
        gp = kerasgan.regularizers.gradient_penalty(critic, real, fake, seed=0)
        assert keras.ops.convert_to_numpy(gp).dtype == np.float32
    # saved and loaded with its loss-scale optimizers
    gan2 = keras.saving.load_model(_save(gan))
    assert isinstance(gan2.g_optimizer, keras.optimizers.LossScaleOptimizer)


def _save(gan):
    import tempfile

    path = tempfile.mkdtemp() + "/m.keras"
    gan.save(path)
    return path
