"""StyleGAN2: Karras, Laine, Aittala, Hellsten, Lehtinen & Aila, "Analyzing
and Improving the Image Quality of StyleGAN", CVPR 2020, arXiv:1912.04958;
training configuration from Karras et al. 2020, "Training Generative
Adversarial Networks with Limited Data" (ADA), arXiv:2006.06676."""

from __future__ import annotations

import math
from typing import Any, Literal

import keras
import numpy as np
from keras import ops

from kerasgan import backend, draws
from kerasgan._typing import Shape, Tensor
from kerasgan.architectures import stylegan2 as networks
from kerasgan.gan_model import GANModel
from kerasgan.registry import register

#: The ADA paper's EMA: half-life of `ema_kimg` thousand images (10 per 32
#: images of batch), ramped up over the first `ema_rampup` of training.
EMA_KIMG_PER_32 = 10.0


def _channel_base(image_shape: Shape, base_filters: int | None) -> int:
    """The papers' `channel_base` (32768) unless `base_filters`, the channels
    at the image size, is given (then `base_filters * res`)."""
    if base_filters is None:
        return 32768
    return int(base_filters) * int(image_shape[0])


@register("stylegan2")
class StyleGAN2(GANModel):
    """StyleGAN2 with the ADA paper's training recipe.

    Defaults:
    - networks (`kerasgan.architectures.stylegan2`): mapping network with a
      learning-rate multiplier of 0.01 and a tracked `w_avg`; synthesis from a
      learned constant with modulated/demodulated convolutions, per-pixel
      noise and a skip architecture; residual discriminator with minibatch
      standard deviation; equalized learning rate everywhere. Channels
      `base_filters` at the image size, doubling per halving of the
      resolution, at most `max_filters` (default: the paper's
      `min(32768 // res, 512)`), `w_dim=512`, 8 mapping layers: the paper's
      network, for a GPU. On a CPU: `base_filters=32, max_filters=128,
      w_dim=128, mapping_layers=2` (see the preset card);
    - non-saturating logistic loss;
    - lazy R1 on real images every 16 discriminator updates, weighted by 16,
      `gamma = 0.0002 * res^2 / 64` (the ADA paper's heuristic for batch 64;
      `r1_weight`);
    - lazy path-length regularization of the generator every 4 updates
      (`pl_interval`), weight 2 (`pl_weight`), on half the batch, its target
      the moving average of the lengths (decay 0.01), logged as `pl`;
    - style mixing: with probability 0.9 (`style_mixing_prob`) the layers
      from a random cutoff on take the `w` of a second `z`;
    - Adam, learning rate 0.0025, betas (0, 0.99), epsilon 1e-8, each
      adjusted for lazy regularization (`c = k / (k + 1)`: learning rate
      times c, betas to the power c);
    - EMA generator (`ema_decay` is the decay once ramped up; by default the
      ADA paper's half-life of 10 thousand images per 32 of batch, ramped
      up over the first 5% of training: `ema_rampup`);
    - ADA on (`ada="bgc"`, target 0.6, `p` from 0; see `GANModel`); `ada=None`
      trains without augmentation.

    `generate(..., truncation_psi=0.7)` pulls `w` towards `w_avg`.

    Images: square, side a power of two >= 16 (pad 28x28 Fashion-MNIST with
    `kerasgan.data.load(..., pad_to=32)`). Unconditional.

    Example:
        >>> gan = kerasgan.create("stylegan2", image_shape=(32, 32, 1),
        ...     base_filters=32, max_filters=128, w_dim=128, mapping_layers=2)
        >>> gan.compile()
        >>> gan.generate(16, seed=0, ema=True, truncation_psi=0.7)
    """

    description = (
        "StyleGAN2 (Karras et al. 2020): mapping network, modulated convs, noise, "
        "lazy R1 + path length, style mixing."
    )
    default_adversarial_loss = "non_saturating"
    default_r1_interval = 16
    default_latent_dim = 512
    default_optimizer = {"learning_rate": 0.0025, "beta_1": 0.0, "beta_2": 0.99, "epsilon": 1e-8}
    generator_log_names = ("pl",)
    # XLA's CPU step of the CPU configuration: ~4.9 s against ~1.7 s as a graph
    # (docs/performance.md)
    auto_xla_on_cpu = False

    def __init__(
        self,
        generator: networks.StyleGAN2Generator,
        discriminator: keras.Model,
        latent_dim: int | None = None,
        num_classes: int | None = None,
        pl_weight: float = 2.0,
        pl_interval: int = 4,
        pl_decay: float = 0.01,
        pl_batch_shrink: int = 2,
        style_mixing_prob: float = 0.9,
        ema_rampup: float | None = 0.05,
        ema_decay: float | Literal["auto"] | None = "auto",
        r1_weight: float | None = None,
        ada: str | None = "bgc",
        **kwargs: Any,
    ) -> None:
        if not isinstance(generator, networks.StyleGAN2Generator):
            raise TypeError(
                "StyleGAN2 needs a kerasgan.architectures.stylegan2.StyleGAN2Generator "
                f"(its mapping, styles and noise inputs); got {type(generator).__name__}."
            )
        if num_classes is not None:
            raise ValueError("kerasgan's StyleGAN2 is unconditional; drop num_classes.")
        self.pl_weight = float(pl_weight)
        self.pl_interval = int(pl_interval)
        self.pl_decay = float(pl_decay)
        self.pl_batch_shrink = int(pl_batch_shrink)
        self.style_mixing_prob = float(style_mixing_prob)
        self.ema_rampup = None if ema_rampup is None else float(ema_rampup)
        if self.pl_weight < 0 or self.pl_interval < 1 or self.pl_batch_shrink < 1:
            raise ValueError(
                "pl_weight must be >= 0, pl_interval and pl_batch_shrink >= 1; got "
                f"{pl_weight}, {pl_interval}, {pl_batch_shrink}."
            )
        if not 0 <= self.style_mixing_prob <= 1:
            raise ValueError(f"style_mixing_prob must be in [0, 1]; got {style_mixing_prob}.")
        res = generator.image_shape[0]
        if r1_weight is None:
            r1_weight = 0.0002 * res * res / 64
        self._auto_ema = ema_decay == "auto"
        super().__init__(
            generator,
            discriminator,
            latent_dim=latent_dim,
            r1_weight=r1_weight,
            ema_decay=0.999 if ema_decay == "auto" else ema_decay,
            ada=ada,
            **kwargs,
        )
        self.pl_mean = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="pl_mean"
        )

    # -------------------------------------------------------------- builders
    @classmethod
    def check_image_shape(cls, image_shape: Shape) -> tuple[int, int, int]:
        return networks.check_image_shape(image_shape)

    @classmethod
    def build_generator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls,
        image_shape: Shape,
        latent_dim: int,
        num_classes: int | None = None,
        base_filters: int | None = None,
        max_filters: int = 512,
        w_dim: int = 512,
        mapping_layers: int = 8,
        output_activation: str | None = "tanh",
    ) -> networks.StyleGAN2Generator:
        if num_classes is not None:
            raise ValueError("kerasgan's StyleGAN2 is unconditional; drop num_classes.")
        return networks.StyleGAN2Generator(
            image_shape,
            latent_dim=latent_dim,
            w_dim=w_dim,
            mapping_layers=mapping_layers,
            channel_base=_channel_base(image_shape, base_filters),
            channel_max=max_filters,
            output_activation=output_activation,
            name="generator",
        )

    @classmethod
    def build_discriminator(  # type: ignore[override]  # each variant's builders take their own arguments
        cls,
        image_shape: Shape,
        num_classes: int | None = None,
        base_filters: int | None = None,
        max_filters: int = 512,
    ) -> keras.Model:
        return networks.stylegan2_discriminator(
            image_shape, _channel_base(image_shape, base_filters), max_filters
        )

    def default_optimizer_for(self, name: str) -> dict[str, Any]:
        # Lazy regularization: the ADA paper's c = k / (k + 1) adjustment.
        interval = self.r1_interval if name == "d_optimizer" else self.pl_interval
        regularized = self.r1_weight > 0 if name == "d_optimizer" else self.pl_weight > 0
        config = dict(self.default_optimizer)
        if regularized and interval > 1:
            c = interval / (interval + 1)
            config["learning_rate"] = config["learning_rate"] * c
            config["beta_1"] = config["beta_1"] ** c
            config["beta_2"] = config["beta_2"] ** c
        return config

    # ----------------------------------------------------------------- EMA
    def ema_decay_now(self, batch_size: int | Tensor) -> float | Tensor:
        if not self._auto_ema:
            return self.ema_decay
        # half-life ema_nimg images, ramped up: min(ema_nimg, images seen * rampup)
        batch = ops.cast(batch_size, "float32")
        ema_nimg = batch * (EMA_KIMG_PER_32 * 1000.0 / 32.0)
        if self.ema_rampup is not None:
            assert self.g_optimizer is not None  # called in the train step, after compile()
            seen = ops.cast(self.g_optimizer.iterations + 1, "float32") * batch
            ema_nimg = ops.minimum(ema_nimg, seen * self.ema_rampup)
        return ops.power(0.5, batch / ops.maximum(ema_nimg, 1e-8))

    # ------------------------------------------------------------- training
    def _draw_noises(self, batch_size: int | Tensor) -> list[Tensor]:
        return [
            draws.normal(shape, seed=self.seed_generator)
            for shape in self.generator.noise_shapes(batch_size)
        ]

    def _styles(self, z: Tensor, update_average: bool) -> Tensor:
        """Per-layer `w`s of a training batch, with style mixing."""
        g = self.generator
        w = g.mapping(z)
        if update_average:
            g.update_w_avg(w)
        ws = g.broadcast(w)
        if self.style_mixing_prob > 0:
            other = g.broadcast(g.mapping(self.sample_latent(ops.shape(z)[0])))
            cutoff = draws.randint((), 1, g.num_ws, seed=self.seed_generator)
            mix = draws.uniform((), 0.0, 1.0, seed=self.seed_generator)
            cutoff = ops.where(mix < self.style_mixing_prob, cutoff, g.num_ws)
            later = ops.arange(g.num_ws)[None, :, None] >= cutoff
            ws = ops.where(later, other, ws)
        return ws

    def _generate(self, z: Tensor, labels: Tensor | None = None, training: bool = False) -> Tensor:
        if not training:
            return self.generator(z, training=False)
        ws = self._styles(z, update_average=True)
        return self.generator.synthesize(ws, self._draw_noises(ops.shape(z)[0]), training=True)

    def path_length_penalty(self, batch_size: int | Tensor, update_mean: bool = True) -> Tensor:
        """`mean((|J_w^T y| - a)^2)` on `batch_size // pl_batch_shrink` images:
        `J_w` the Jacobian of the images with respect to the per-layer `w`s,
        `y` Gaussian noise images divided by `sqrt(H * W)`, `a` the moving
        average of the lengths (`pl_mean`, moved by `pl_decay` when
        `update_mean`). Unweighted."""
        if isinstance(batch_size, (int, np.integer)):  # static: shapes stay static
            n = max(int(batch_size) // self.pl_batch_shrink, 1)
        else:
            n = ops.maximum(batch_size // self.pl_batch_shrink, 1)
        z = self.sample_latent(n)
        ws = self._styles(z, update_average=False)
        noises = self._draw_noises(n)
        h, w, c = self.image_shape
        y = draws.normal((n, h, w, c), seed=self.seed_generator) / math.sqrt(h * w)
        grads = backend.input_gradients(
            lambda ws: self.generator.synthesize(ws, noises, training=True) * y, ws
        )
        grads = ops.cast(grads, "float32")  # bfloat16 under mixed precision
        lengths = ops.sqrt(ops.mean(ops.sum(ops.square(grads), axis=2), axis=1) + 1e-8)
        mean = self.pl_mean + self.pl_decay * (ops.mean(ops.stop_gradient(lengths)) - self.pl_mean)
        if update_mean:
            self.pl_mean.assign(mean)
        return ops.mean(ops.square(lengths - ops.stop_gradient(mean)))

    def generator_objective(
        self,
        batch_size: int | Tensor,
        labels: Tensor | None = None,
        training: bool = True,
        real: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        loss, logs = super().generator_objective(batch_size, labels, training, real)
        if not training or self.pl_weight == 0:
            zero = ops.zeros((), "float32")
            return loss, {**logs, "pl": zero, "pl_due": zero}
        assert self.g_optimizer is not None  # training happens after compile()
        due = ops.equal(ops.mod(self.g_optimizer.iterations, self.pl_interval), 0)
        value = backend.cond(
            due,
            lambda: ops.cast(self.path_length_penalty(batch_size), "float32"),
            lambda: ops.zeros((), "float32"),
        )
        loss = loss + value * (self.pl_weight * self.pl_interval)
        return loss, {**logs, "pl": value, "pl_due": ops.cast(due, "float32")}

    # ----------------------------------------------------------- generation
    def generate(
        self,
        n: int,
        labels: Any = None,
        seed: int | None = None,
        batch_size: int = 256,
        ema: bool = False,
        truncation_psi: float = 1.0,
    ) -> np.ndarray:
        """`GANModel.generate`, plus `truncation_psi`: `w = w_avg + psi (w - w_avg)`
        (1: none; 0: the average image for every `z`)."""
        truncation_psi = float(truncation_psi)
        if truncation_psi == 1.0:
            return super().generate(n, labels, seed, batch_size, ema)
        if labels is not None:
            raise ValueError("This StyleGAN2 model is unconditional; labels must be None.")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer number of images; got {n!r}.")
        if ema and self.ema_generator is None:
            raise ValueError("generate(ema=True) needs an EMA generator (ema_decay).")
        if seed is None:
            z = ops.convert_to_numpy(self.sample_latent(int(n)))
        else:
            rng = np.random.default_rng(seed)
            z = rng.standard_normal((int(n), self.latent_dim)).astype("float32")
        net = self.ema_generator if ema else self.generator
        assert net is not None  # checked above
        out = [
            ops.convert_to_numpy(net(z[i : i + batch_size], truncation_psi=truncation_psi))
            for i in range(0, int(n), batch_size)
        ]
        return np.concatenate(out).astype("float32")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            pl_weight=self.pl_weight,
            pl_interval=self.pl_interval,
            pl_decay=self.pl_decay,
            pl_batch_shrink=self.pl_batch_shrink,
            style_mixing_prob=self.style_mixing_prob,
            ema_rampup=self.ema_rampup,
        )
        if self._auto_ema:
            config["ema_decay"] = "auto"
        return config
