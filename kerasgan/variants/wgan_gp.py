"""WGAN-GP: Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, "Improved
Training of Wasserstein GANs", NeurIPS 2017, arXiv:1704.00028."""

from __future__ import annotations

import keras

from kerasgan import architectures
from kerasgan._typing import Shape
from kerasgan.gan_model import GANModel
from kerasgan.registry import register


@register("wgan_gp")
class WGANGP(GANModel):
    """Wasserstein GAN with gradient penalty, with the paper's defaults.

    Defaults (from Algorithm 1 of the paper unless noted):
    - Wasserstein loss: critic minimises `E[D(G(z))] - E[D(x)]`, generator
      minimises `-E[D(G(z))]`;
    - gradient penalty `lambda * E[(||grad D(x_hat)||_2 - 1)^2]` with
      `lambda = 10`, `x_hat = x + alpha (G(z) - x)`, `alpha ~ U[0, 1]` drawn once
      per sample;
    - `n_critic = 5` critic updates per generator update (`d_steps=5`);
    - no batch normalization in the critic (the penalty is per sample);
    - Adam, learning rate 1e-4, beta_2 = 0.9 (Algorithm 1), beta_1 = 0.5.
      Algorithm 1 lists beta_1 = 0; 0.5 is the common choice of public
      implementations (e.g. keras.io's WGAN-GP example). Pass
      `d_optimizer`/`g_optimizer` to `compile` for beta_1 = 0.

    kerasgan runs the 5 critic updates inside one `train_step` on the step's
    real batch with fresh noise and fresh `alpha` each time; Algorithm 1 draws a
    new real batch for every critic update.

    Example:
        >>> gan = kerasgan.create("wgan_gp", image_shape=(32, 32, 3))
        >>> gan.compile(jit_compile=True)   # Adam(1e-4, 0.5, 0.9), d_steps=5
    """

    description = (
        "WGAN-GP (Gulrajani et al. 2017): Wasserstein critic, gradient penalty 10, 5 critic steps."
    )
    default_adversarial_loss = "wasserstein"
    default_gradient_penalty_weight = 10.0
    default_d_steps = 5
    default_optimizer = {"learning_rate": 1e-4, "beta_1": 0.5, "beta_2": 0.9}

    @classmethod
    def build_generator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls,
        image_shape: Shape,
        latent_dim: int,
        num_classes: int | None = None,
        base_filters: int = 64,
    ) -> keras.Model:
        return architectures.dcgan_generator(
            image_shape, latent_dim, num_classes, base_filters=base_filters
        )

    @classmethod
    def build_discriminator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls, image_shape: Shape, num_classes: int | None = None, base_filters: int = 64
    ) -> keras.Model:
        return architectures.dcgan_discriminator(
            image_shape, num_classes, base_filters=base_filters, batch_norm=False, name="critic"
        )
