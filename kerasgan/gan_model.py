"""`GANModel`: a `keras.Model` whose `fit` runs the adversarial loop.

This class is backend-neutral: what a variant declares (networks, loss,
penalties, conditioning), `compile`, the objectives, generation, config and
saving, all in `keras.ops`. The gradient step itself lives in a thin trainer
per backend (`kerasgan.backend.tensorflow` / `jax` / `torch`), the way Keras
splits `keras.Model` from its backend trainers; `GANModel` inherits the one of
the running backend.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Sequence
from typing import Any, cast

import keras
import numpy as np
import numpy.typing as npt
from keras import ops

from kerasgan import (
    _call_override,
    _fast_conv,
    _fast_norm,
    architectures,
    augment,
    backend,
    conditioning,
    draws,
    losses,
    penalties,
    saving,
    validation,
)
from kerasgan import (
    ada as ada_lib,
)
from kerasgan._typing import Shape, StrPath, Tensor
from kerasgan.draws import Seed

__all__ = ["GANModel"]

_SEED_STATE_KEY = "noise_seed_state"


def _serialize(obj: Any) -> dict[str, Any]:
    return keras.saving.serialize_keras_object(obj)


def _deserialize(config: Any) -> Any:
    return keras.saving.deserialize_keras_object(config)


def _portable(config: Any) -> Any:
    """An optimizer config that loads on every backend: Keras' PyTorch
    backend serializes its optimizers under their backend module
    (`keras.src.backend.torch.optimizers...`), which would rebuild a PyTorch
    optimizer on TensorFlow or JAX; the public `keras.optimizers` class is
    the same optimizer on each backend."""
    if isinstance(config, dict):
        config = {k: _portable(v) for k, v in config.items()}
        module = config.get("module")
        if isinstance(module, str) and module.startswith("keras.src.backend."):
            config["module"] = "keras.optimizers"
    elif isinstance(config, list):
        config = [_portable(v) for v in config]
    return config


def _check_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


@keras.saving.register_keras_serializable(package="kerasgan")
class GANModel(backend.Trainer, keras.Model):
    """A generator and a discriminator trained against each other with `fit`.

    Each `train_step` makes `d_steps` discriminator (critic) updates, each on
    the step's real batch with fresh noise, then one generator update. Real
    and fake images go through the discriminator in separate calls, so batch
    normalization never mixes their statistics. Losses are reported as
    `d_loss` (the full discriminator objective, penalties included),
    `g_loss`, and one entry per penalty (`gp`, `r1`, `r2`: the unweighted
    value) and per conditioning term (`cls_loss`).

    The same model trains on TensorFlow, JAX and PyTorch (`KERAS_BACKEND`).

    Variants subclass this class and change its class-level defaults (loss,
    penalties, `d_steps`, optimizer settings, default networks), or override
    `discriminator_loss` / `generator_loss`, `build_penalties` or
    `build_conditioning`.

    Args:
        generator: `keras.Model` mapping `z` (or `[z, labels]` when
            conditional) to images in [-1, 1].
        discriminator: `keras.Model` mapping images (or `[images, labels]`)
            to one logit per image.
        latent_dim: size of `z`; read from the generator's input when omitted
            (required for a subclassed generator without `inputs`).
        num_classes: number of classes of a conditional model, else `None`.
        d_steps: discriminator updates per generator update (>= 1).
        adversarial_loss: a name from `kerasgan.losses.ALL_LOSSES`.
        gradient_penalty_weight: WGAN-GP weight `lambda` (0 disables).
        r1_weight: R1 weight `gamma`; the penalty is `gamma / 2 * E||grad||^2`
            on real images.
        r1_interval: lazy regularization (Karras et al. 2020): compute R1
            (and R2) every `r1_interval` discriminator updates, scaled by the
            interval.
        r2_weight: R2 weight `gamma`: `gamma / 2 * E||grad||^2` on generated
            images (0 disables).
        seed: seed of the model's noise `SeedGenerator`.
        ema_decay: when set, keep an exponential moving average of the
            generator's weights in a separate `ema_generator` (see
            `enable_ema`).
        diffaugment: DiffAugment policy (Zhao et al. 2020), e.g.
            `"color,translation,cutout"`: while training, real and generated
            images pass through these differentiable augmentations before
            every discriminator call (discriminator and generator updates,
            penalties included). `None` (default) disables it; see
            `kerasgan.augment`.
        ada: adaptive discriminator augmentation (ADA, Karras et al. 2020):
            the group letters of its pipeline, e.g. `"bgc"` (the paper's:
            pixel blitting, geometric, color; see `kerasgan.ada`). Real and
            generated images pass through it with probability `p` before
            every discriminator call while training; `p` starts at `ada_p`
            and every `ada_interval` steps moves by
            `batch_size * ada_interval / ada_speed_img` up when
            `E[sign(D(real))]` exceeds `ada_target`, down otherwise. `p` is
            logged as `ada_p` and saved with the model. Not combined with
            `diffaugment`.
        ada_target: the target of `E[sign(D(real))]` (paper: 0.6); `None`
            keeps `p` fixed at `ada_p`.
        ada_p: the initial (or, with `ada_target=None`, fixed) probability.
        ada_interval: steps between two adjustments of `p` (paper: 4).
        ada_speed_img: images over which `p` can change by 1 (paper: 500k).

    Example:
        >>> gan = kerasgan.create("dcgan", image_shape=(28, 28, 1))
        >>> gan.compile()
        >>> gan.fit(images, epochs=1, batch_size=128)
        >>> samples = gan.generate(16, seed=0)      # (16, 28, 28, 1) in [-1, 1]
    """

    #: Registry name, set by `kerasgan.register`.
    variant_name = "gan"
    #: One-line description shown by `kerasgan.list_variants(details=True)`.
    description = "Generic GAN with configurable loss and penalties."
    #: Defaults of the constructor arguments a variant changes.
    default_adversarial_loss = "non_saturating"
    default_d_steps = 1
    default_gradient_penalty_weight = 0.0
    default_r1_weight = 0.0
    default_r1_interval = 1
    default_r2_weight = 0.0
    default_latent_dim = 128
    #: Adam settings used by `compile()` when no optimizer is given.
    default_optimizer = {"learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999}
    #: Whether the variant needs `num_classes` (class-conditional).
    conditional = False
    #: Whether `compile(jit_compile="auto")` may pick XLA on a CPU-only
    #: TensorFlow machine; False for a variant whose XLA step was measured
    #: slower than its graph step on every CPU (R3GAN, StyleGAN2).
    auto_xla_on_cpu = True

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int | None = None,
        num_classes: int | None = None,
        d_steps: int | None = None,
        adversarial_loss: str | None = None,
        gradient_penalty_weight: float | None = None,
        r1_weight: float | None = None,
        r1_interval: int | None = None,
        r2_weight: float | None = None,
        seed: int | None = None,
        ema_decay: float | None = None,
        diffaugment: str | None = None,
        ada: str | None = None,
        ada_target: float | None = ada_lib.ADA_TARGET,
        ada_p: float = 0.0,
        ada_interval: int = ada_lib.ADA_INTERVAL,
        ada_speed_img: float = ada_lib.ADA_SPEED_IMG,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(generator, keras.Model) or not isinstance(discriminator, keras.Model):
            raise TypeError(
                "generator and discriminator must be keras.Model instances; got "
                f"{type(generator).__name__} and {type(discriminator).__name__}."
            )
        self.generator = generator
        self.discriminator = discriminator
        self.num_classes = None if num_classes is None else int(num_classes)
        if self.conditional and self.num_classes is None:
            raise ValueError(
                f"The {self.variant_name!r} variant is class-conditional: pass num_classes=..."
            )
        if self.num_classes is not None and self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2; got {num_classes}.")
        self.conditioning = self.build_conditioning()
        self.latent_dim = int(latent_dim) if latent_dim is not None else self._infer_latent_dim()
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim (size of the noise z) must be >= 1; got {latent_dim}.")
        d_steps = self.default_d_steps if d_steps is None else d_steps
        if isinstance(d_steps, bool) or not isinstance(d_steps, (int, np.integer)) or d_steps < 1:
            raise ValueError(
                f"d_steps (discriminator updates per generator update) must be an integer "
                f">= 1; got {d_steps!r}."
            )
        self.d_steps = int(d_steps)
        self.adversarial_loss = adversarial_loss or self.default_adversarial_loss
        self._d_loss_fn, self._g_loss_fn = losses.get(self.adversarial_loss)

        def weight(value: float | None, default: float) -> float:
            return float(default if value is None else value)

        self.gradient_penalty_weight = weight(
            gradient_penalty_weight, self.default_gradient_penalty_weight
        )
        self.r1_weight = weight(r1_weight, self.default_r1_weight)
        self.r2_weight = weight(r2_weight, self.default_r2_weight)
        self.r1_interval = _check_int(
            self.default_r1_interval if r1_interval is None else r1_interval, "r1_interval"
        )
        if min(self.gradient_penalty_weight, self.r1_weight, self.r2_weight) < 0:
            raise ValueError("Penalty weights must be >= 0.")
        self.penalties = list(self.build_penalties())
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        policy = augment.parse_policy(diffaugment)
        self.diffaugment = ",".join(policy) if policy else None
        if ada is not None and self.diffaugment:
            raise ValueError(
                "Use one augmentation: diffaugment= (a fixed DiffAugment policy) or ada= "
                "(adaptive, ADA); got both."
            )
        self._image_shape = self._check_networks()
        self.ada = None
        if ada is not None:
            self.ada = ada_lib.AdaptiveAugmentation(
                self,
                ada,
                target=ada_target,
                p=ada_p,
                interval=ada_interval,
                speed_img=ada_speed_img,
            )
            self.ada.check_image_shape(self._image_shape)
        with _call_override.installing(self):
            backend.prepare_network(self.generator)
            backend.prepare_network(self.discriminator)

        self.d_loss_tracker = penalties.loss_tracker("d_loss")
        self.g_loss_tracker = penalties.loss_tracker("g_loss")
        #: steps of the current epoch trained before a resume, still to be
        #: passed over by `fit` (see `make_train_function`)
        self.steps_to_skip = 0
        self._term_names = (
            [p.name for p in self.penalties]
            + list(self.conditioning.log_names)
            + list(self.generator_log_names)
        )
        if self.ada is not None:
            self._term_names.append("ada_p")
        if len(set(self._term_names)) != len(self._term_names):
            raise ValueError(f"Penalty and loss-term names must differ; got {self._term_names}.")
        for name in self._term_names:
            # ADA's p is a state: its last value, not an average like the losses
            tracker = penalties.LastValue(name) if name == "ada_p" else penalties.loss_tracker(name)
            setattr(self, f"{name}_tracker", tracker)
        # set by compile(): keras optimizers (LossScaleOptimizer-wrapped under float16)
        self.d_optimizer: Any = None
        self.g_optimizer: Any = None
        self.ema_decay: float | None = None
        self.ema_generator: keras.Model | None = None
        if ema_decay is not None:
            self.enable_ema(ema_decay)
        self.built = True

    # ------------------------------------------------------ variant pieces
    #: Terms that `generator_objective` logs (each with a `NAME_due` flag,
    #: like a lazy penalty); a variant that adds generator regularizers
    #: lists them here (StyleGAN2: `("pl",)`).
    generator_log_names: tuple[str, ...] = ()

    def default_optimizer_for(self, name: str) -> dict:
        """Adam arguments of `compile()`'s default optimizer `name`
        ("d_optimizer" or "g_optimizer"): `default_optimizer` for both
        unless a variant overrides it."""
        return dict(self.default_optimizer)

    def build_conditioning(self) -> conditioning.Conditioning:
        """How labels enter this model: `LabelInput` when `num_classes` is
        set, else `Unconditional`. Variants override it (AC-GAN:
        `AuxiliaryClassifier`)."""
        if self.num_classes is None:
            return conditioning.Unconditional()
        return conditioning.LabelInput(self.num_classes)

    def build_penalties(self) -> list:
        """The discriminator's penalties, from the weight arguments
        (`kerasgan.penalties`); variants may add their own."""
        terms: list[penalties.Penalty] = []
        if self.gradient_penalty_weight > 0:
            terms.append(penalties.GradientPenalty(self.gradient_penalty_weight))
        if self.r1_weight > 0:
            terms.append(penalties.R1Penalty(self.r1_weight, self.r1_interval))
        if self.r2_weight > 0:
            terms.append(penalties.R2Penalty(self.r2_weight, self.r1_interval))
        return terms

    # --------------------------------------------------------------------- EMA
    def enable_ema(self, decay: float = 0.999) -> None:
        """Keeps `ema_generator`, an exponential moving average of the generator.

        After every generator update, each trainable EMA weight becomes
        `decay * ema + (1 - decay) * weight`; batch-norm statistics are copied.
        The EMA lives in its own variables: it is saved with the model, used by
        `generate(..., ema=True)`, and never touches the training weights.
        Calling it again changes the decay and keeps the average.
        """
        decay = float(decay)
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), e.g. 0.999; got {decay}.")
        if self.ema_generator is None:
            ema = keras.models.clone_model(self.generator)
            ema.name = "ema_generator"
            ema.set_weights(self.generator.get_weights())
            ema.trainable = False
            with _call_override.installing(self):
                backend.prepare_network(ema)
            self.ema_generator = ema
        self.ema_decay = decay
        if getattr(self, "train_function", None) is not None:
            self.make_train_function(force=True)  # retrace with the EMA update

    def ema_decay_now(self, batch_size: int | Tensor) -> float | Tensor | None:
        """The EMA decay of this step: `ema_decay`; a variant may make it
        depend on the step (StyleGAN2's ramp-up)."""
        return self.ema_decay

    def _update_ema(self, batch_size: int | Tensor | None = None) -> None:
        assert self.ema_generator is not None  # only called with an EMA generator
        decay = cast("float | Tensor", self.ema_decay_now(batch_size))  # set with the EMA
        for ema_var, var in zip(self.ema_generator.weights, self.generator.weights):
            if var.trainable:
                ema_var.assign(decay * ema_var + (1.0 - decay) * ops.cast(var, ema_var.dtype))
            else:
                ema_var.assign(var)

    # --------------------------------------------------------------- factory
    @classmethod
    def check_image_shape(cls, image_shape: Shape) -> tuple:
        """`(height, width, channels)` if the variant's default networks take
        `image_shape`, else a `ValueError` saying what they take."""
        return architectures.validate_image_shape(image_shape)

    @classmethod
    def build_generator(
        cls,
        image_shape: Shape,
        latent_dim: int,
        num_classes: int | None = None,
        base_filters: int = 64,
        embedding_dim: int = 50,
        kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
    ) -> keras.Model:
        """The variant's default generator (DCGAN-style unless overridden).

        Keyword arguments of a variant's builders can be passed to `create`.
        """
        return architectures.dcgan_generator(
            image_shape,
            latent_dim,
            num_classes,
            base_filters=base_filters,
            embedding_dim=embedding_dim,
            kernel_initializer=kernel_initializer,
        )

    @classmethod
    def build_discriminator(
        cls,
        image_shape: Shape,
        num_classes: int | None = None,
        base_filters: int = 64,
        batch_norm: bool = True,
        negative_slope: float = 0.2,
        kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
    ) -> keras.Model:
        """The variant's default discriminator (DCGAN-style unless overridden)."""
        return architectures.dcgan_discriminator(
            image_shape,
            num_classes,
            base_filters=base_filters,
            batch_norm=batch_norm,
            negative_slope=negative_slope,
            kernel_initializer=kernel_initializer,
        )

    @classmethod
    def create(
        cls,
        image_shape: Shape | None = None,
        latent_dim: int | None = None,
        num_classes: int | None = None,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
        **overrides: Any,
    ) -> GANModel:
        """Builds this variant with its default networks (see `kerasgan.create`)."""
        from kerasgan.factory import build_variant

        return build_variant(
            cls,
            image_shape=image_shape,
            latent_dim=latent_dim,
            num_classes=num_classes,
            generator=generator,
            discriminator=discriminator,
            **overrides,
        )

    # ------------------------------------------------------------------ checks
    def _infer_latent_dim(self) -> int:
        inputs = getattr(self.generator, "inputs", None)
        if not inputs:
            raise ValueError(
                f"Could not read latent_dim from the generator {self.generator.name!r} "
                "(a subclassed model has no inputs): pass latent_dim=..."
            )
        shape = inputs[0].shape
        if len(shape) != 2 or shape[-1] is None:
            raise ValueError(
                "Could not read latent_dim from the generator's first input of shape "
                f"{tuple(shape)}; pass latent_dim=..."
            )
        return int(shape[-1])

    def _check_networks(self) -> tuple:
        """Checks the networks fit together; returns the image shape."""
        n_in = self.conditioning.network_inputs
        for net, role, first in (
            (self.generator, "generator", "z"),
            (self.discriminator, "discriminator", "images"),
        ):
            inputs = getattr(net, "inputs", None)
            if inputs is not None and len(inputs) != n_in:
                want = f"[{first}, labels]" if n_in == 2 else first
                raise ValueError(
                    f"The {role} takes {len(inputs)} input(s) but this "
                    f"{'conditional' if n_in == 2 else 'unconditional'} model calls it "
                    f"with {want}."
                )
        g_out = self._symbolic_image_shape()
        d_inputs = getattr(self.discriminator, "inputs", None)
        if d_inputs:
            d_in = tuple(d_inputs[0].shape[1:])
            if g_out != d_in:
                raise ValueError(
                    f"The generator makes images of shape {g_out} but the discriminator "
                    f"takes {d_in}; build both for the same image_shape."
                )
        else:
            self._symbolic_logits(g_out)
        return g_out

    def _symbolic_image_shape(self) -> tuple:
        outputs = getattr(self.generator, "outputs", None)
        if outputs:
            return tuple(int(d) for d in outputs[0].shape[1:])
        z = keras.KerasTensor((None, self.latent_dim))
        labels = keras.KerasTensor((None, 1), dtype="int32")
        try:
            # A symbolic call, not just `compute_output_spec`: it also builds a
            # subclassed network, which Keras' JAX and PyTorch trainers otherwise
            # try to build by calling this model on a batch of images.
            spec = self.generator(self.conditioning.inputs(z, labels))
        except Exception as e:
            raise ValueError(
                f"Could not run the generator {self.generator.name!r} on noise of shape "
                f"(batch, {self.latent_dim}) to find its image shape: {e}"
            ) from e
        spec = keras.tree.flatten(spec)[0]
        if len(spec.shape) != 4 or None in spec.shape[1:]:
            raise ValueError(
                f"The generator must make images of shape (batch, height, width, channels); "
                f"got {tuple(spec.shape)}."
            )
        return tuple(int(d) for d in spec.shape[1:])

    def _symbolic_logits(self, image_shape: Shape) -> None:
        images = keras.KerasTensor((None,) + tuple(image_shape))
        labels = keras.KerasTensor((None, 1), dtype="int32")
        try:
            self.discriminator(self.conditioning.inputs(images, labels))  # builds it too
        except Exception as e:
            raise ValueError(
                f"The discriminator {self.discriminator.name!r} cannot take the generator's "
                f"images of shape {tuple(image_shape)}: {e}"
            ) from e

    @property
    def image_shape(self) -> tuple:
        """`(height, width, channels)` of the generated images."""
        return self._image_shape

    # ----------------------------------------------------------------- compile
    def compile(
        self,
        d_optimizer: keras.optimizers.Optimizer | str | dict[str, Any] | None = None,
        g_optimizer: keras.optimizers.Optimizer | str | dict[str, Any] | None = None,
        *,
        jit_compile: bool | str = "auto",
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        fast_layers: bool | str = "auto",
        **kwargs: Any,
    ) -> None:
        """Configures the two optimizers and how the step is compiled.

        Args:
            d_optimizer: optimizer (instance, name or config) of the
                discriminator; the variant's paper default when omitted.
            g_optimizer: optimizer of the generator; same default.
            jit_compile: `True` compiles the train step with XLA: TensorFlow's
                XLA, or `jax.jit` on JAX (PyTorch refuses it). `False` runs a
                TensorFlow graph, or the step op by op on JAX and PyTorch.
                `"auto"` (default): on TensorFlow, XLA where every layer
                supports it, the distribution strategy allows it (not with
                several replicas on logical CPUs of one machine, where `True`
                raises) and it is the faster choice for this machine
                (`kerasgan.backend.xla_is_faster`: GPUs, and CPUs without
                AVX-512 oneDNN kernels, except for variants with
                `auto_xla_on_cpu = False`; on a CPU, `KERASGAN_CPU_XLA=1` or
                `0` in the environment picks XLA or a graph instead);
                `jax.jit` on JAX; eager on PyTorch.
                The choice is made where the model is compiled (or loaded), so
                a saved `"auto"` re-decides there.
            run_eagerly: run the step eagerly, for debugging.
            steps_per_execution: batches per compiled call.
            fast_layers: compute some layers of the two networks in a faster
                form that is the same function of the same weights (to float
                rounding; layers, configs and saved files unchanged):
                strided `Conv2DTranspose` as sub-pixel convolutions,
                `Conv2D`/`Conv2DTranspose` with at most 4 output channels as
                matrix products, the bias gradient of other `Conv2D` layers
                apart from the kernel gradient, and training-mode
                `BatchNormalization` as one fused op (the last two on
                TensorFlow only). `fast_layer_names` lists the rewritten
                layers. `False`: Keras' implementation everywhere; `True`:
                every form the backend has; `"auto"`: each form where it was
                measured faster on this backend and step kind
                (`kerasgan.backend.auto_fast_layers`).
        """
        for key in ("optimizer", "loss", "metrics", "loss_weights", "weighted_metrics"):
            if key in kwargs:
                raise ValueError(
                    f"GANModel.compile() does not take {key!r}: pass d_optimizer= and "
                    "g_optimizer=; the adversarial loss is a model argument "
                    "(e.g. kerasgan.create(..., adversarial_loss='hinge'))."
                )
        self.d_optimizer = self._make_optimizer(d_optimizer, "d_optimizer")
        self.g_optimizer = self._make_optimizer(g_optimizer, "g_optimizer")
        if self.d_optimizer is self.g_optimizer:
            raise ValueError(
                "d_optimizer and g_optimizer must be two separate optimizer instances; "
                "sharing one mixes the two networks' optimizer state."
            )
        if jit_compile not in (True, False, "auto"):
            raise ValueError(f"jit_compile must be True, False or 'auto'; got {jit_compile!r}.")
        if fast_layers not in (True, False, "auto"):
            raise ValueError(f"fast_layers must be True, False or 'auto'; got {fast_layers!r}.")
        backend.check_distribution(self)
        self._compile_requests = {
            "jit_compile": jit_compile,
            "fast_layers": fast_layers,
        }
        jit = backend.resolve_jit_compile(self, jit_compile)
        super().compile(
            optimizer=None,
            jit_compile=jit,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            **kwargs,
        )
        if jit_compile is True and not self.jit_compile:
            raise ValueError(
                "jit_compile=True was requested but Keras disabled XLA for this model "
                "(a layer without XLA support, or TensorFlow op determinism enabled)."
            )
        # Keras' trainers and LR callbacks see both optimizers as one.
        self.optimizer = backend.OptimizerPair(self.d_optimizer, self.g_optimizer)
        self._apply_fast_layers(fast_layers)
        # Optimizer slots exist from the start, so that weights saved with their
        # state (`.keras`, `save_weights`, `BackupAndRestore`) load before any step.
        self.build_optimizers()

    def _apply_fast_layers(self, fast_layers: bool | str) -> None:
        compiled = bool(self.jit_compile) and not self.run_eagerly
        if fast_layers == "auto":
            forms = backend.auto_fast_layers(compiled)
        elif fast_layers:
            forms = {"conv", "conv_transpose", "bias", "norm", "grouped"}
        else:
            forms = set()
        if backend.fused_batch_norm_training is None:
            forms.discard("norm")
        if backend.NAME != "tensorflow":
            forms.discard("bias")  # a plain add: nothing to gain elsewhere
        self.fast_layer_names: list[str] = []
        with _call_override.installing(self):
            self._install_fast_layers(forms)

    def _install_fast_layers(self, forms: Collection[str]) -> None:
        for network in (self.generator, self.discriminator):
            self.fast_layer_names += _fast_conv.accelerate(
                network,
                conv_transpose="conv_transpose" in forms,
                conv="conv" in forms,
                bias="bias" in forms,
                grouped="grouped" in forms,
            )
            if "norm" in forms:
                self.fast_layer_names += _fast_norm.accelerate(network)
            else:
                _fast_norm.restore(network)

    def _make_optimizer(
        self, optimizer: keras.optimizers.Optimizer | str | dict[str, Any] | None, name: str
    ) -> keras.optimizers.Optimizer:
        if optimizer is None:
            optimizer = keras.optimizers.Adam(**self.default_optimizer_for(name), name=name)
        else:
            optimizer = keras.optimizers.get(optimizer)
        # float16 gradients underflow without loss scaling (as Keras' own compile does it)
        policies = {n.dtype_policy.name for n in (self, self.generator, self.discriminator)}
        if "mixed_float16" in policies and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer
        ):
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer, name=f"{name}_loss_scale")
        return optimizer

    def get_compile_config(self) -> dict[str, Any]:
        if not self.compiled or self.d_optimizer is None:
            return {}
        return {
            "d_optimizer": _portable(_serialize(self.d_optimizer)),
            "g_optimizer": _portable(_serialize(self.g_optimizer)),
            # what was asked for: "auto" decides again where the model is loaded
            "jit_compile": self._compile_requests["jit_compile"],
            "run_eagerly": self.run_eagerly,
            "steps_per_execution": self.steps_per_execution,
            "fast_layers": self._compile_requests["fast_layers"],
        }

    def compile_from_config(self, config: dict[str, Any]) -> None:
        config = dict(config)
        d_opt = _deserialize(_portable(config.pop("d_optimizer")))
        g_opt = _deserialize(_portable(config.pop("g_optimizer")))
        if config.get("jit_compile") is True and backend.NAME == "torch":
            config["jit_compile"] = "auto"  # saved on a backend with XLA
        self.compile(d_opt, g_opt, **config)

    def build_optimizers(self) -> None:
        """Creates both optimizers' variables (slots) if they don't exist yet."""
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)

    # ------------------------------------------------------------------- noise
    def sample_latent(self, batch_size: int | Tensor, seed: Seed = None) -> Tensor:
        """Gaussian noise `z` of shape `(batch_size, latent_dim)`.

        Uses the model's `SeedGenerator` unless `seed` is given. Inside a
        `tf.distribute` step each replica gets its own slice of the noise of
        the global batch (`kerasgan.backend.replica_rows`), not a copy of the
        other replicas' noise.
        """
        seed = self.seed_generator if seed is None else seed
        return backend.replica_rows(
            lambda n: draws.normal((n, self.latent_dim), seed=seed), batch_size
        )

    # ------------------------------------------------------------ the networks
    def _generate(self, z: Tensor, labels: Tensor | None = None, training: bool = False) -> Tensor:
        return self.generator(self.conditioning.inputs(z, labels), training=training)

    def _augment(self, images: Tensor, training: bool) -> Tensor:
        if training and self.diffaugment:
            return augment.diff_augment(images, self.diffaugment, seed=self.seed_generator)
        if training and self.ada is not None:
            return self.ada.augment(images, self.seed_generator)
        return images

    def _discriminate(
        self, images: Tensor, labels: Tensor | None = None, training: bool = False, **kwargs: Any
    ) -> Tensor:
        """The discriminator's logits, on DiffAugment-ed images while training.

        Extra keyword arguments go to the discriminator's `call`.
        """
        images = self._augment(images, training)
        return self.conditioning.discriminate(
            self.discriminator, images, labels, training, **kwargs
        )[0]

    def _discriminate_with_extra(
        self, images: Tensor, labels: Tensor | None = None, training: bool = False
    ) -> tuple[Tensor, Any]:
        """`(logits, extra)`: the logits and what the conditioning's loss terms need."""
        images = self._augment(images, training)
        return self.conditioning.discriminate(self.discriminator, images, labels, training)

    def call(self, inputs: Tensor | Sequence[Tensor], training: bool = False) -> Tensor:
        """Maps noise to images: `z`, or `(z, labels)` for a conditional model."""
        if self.num_classes is None:
            z, labels = inputs, None
        else:
            if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
                raise ValueError(
                    "A conditional GANModel is called on (z, labels); got a single input."
                )
            z, labels = inputs
            labels = _as_label_column(labels)
        return self._generate(z, labels, training=training)

    # ------------------------------------------------------------------ losses
    def discriminator_loss(self, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
        """Adversarial loss of the discriminator (override in a variant)."""
        return self._d_loss_fn(real_logits, fake_logits)

    def generator_loss(self, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
        """Adversarial loss of the generator (override in a variant).

        `real_logits` (the discriminator on the same step's real images) is
        given when the loss needs it (`generator_needs_real_logits`: the
        relativistic loss)."""
        if self.generator_needs_real_logits:
            return self._g_loss_fn(fake_logits, real_logits)
        return self._g_loss_fn(fake_logits)

    @property
    def generator_needs_real_logits(self) -> bool:
        """Whether the generator's loss compares with the real images' logits."""
        return bool(getattr(self._g_loss_fn, "needs_real_logits", False))

    def discriminator_objective(
        self, real: Tensor, fake: Tensor, labels: Tensor | None = None, training: bool = True
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Full discriminator loss and its logged terms for one update: the
        adversarial loss, the conditioning's terms, the penalties and the
        discriminator's own `losses`.

        A variant that overrides it calls `self.observe_real_logits(real_logits)`
        (what ADA adapts its probability from)."""
        real_logits, real_extra = self._discriminate_with_extra(real, labels, training)
        if training:
            self.observe_real_logits(real_logits)
        fake_logits, fake_extra = self._discriminate_with_extra(fake, labels, training)
        loss = self.discriminator_loss(real_logits, fake_logits)
        term, logs = self.conditioning.discriminator_terms(real_extra, fake_extra, labels)
        penalty, penalty_logs = self.discriminator_penalties(real, fake, labels, training=training)
        return loss + term + penalty, {**logs, **penalty_logs}

    def observe_real_logits(self, real_logits: Tensor) -> None:
        """Records a discriminator update's logits on the real images (the
        statistics of ADA's `p`; nothing without `ada`)."""
        if self.ada is not None:
            self.ada.observe(real_logits)

    def discriminator_penalties(
        self, real: Tensor, fake: Tensor, labels: Tensor | None = None, training: bool = True
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """The weighted sum of `self.penalties` and the discriminator's own
        `losses`, and the penalties' logs (each unweighted value and whether
        it was computed this update).

        Variants that override `discriminator_objective` add this to their loss.
        """
        loss = ops.zeros((), "float32")
        logs = {}
        for penalty in self.penalties:
            weighted, penalty_logs = penalty(self, real, fake, labels, training=training)
            loss = loss + weighted
            logs.update(penalty_logs)
        if self.discriminator.losses:
            loss = loss + ops.cast(ops.sum(self.discriminator.losses), "float32")
        return loss, logs

    def generator_objective(
        self,
        batch_size: int | Tensor,
        labels: Tensor | None = None,
        training: bool = True,
        real: Tensor | None = None,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Generator loss for one update (`real`: the step's real images, read
        only by losses that need real logits)."""
        fake = self._generate(self.sample_latent(batch_size), labels, training=training)
        logits, extra = self._discriminate_with_extra(fake, labels, training)
        if self.generator_needs_real_logits:
            if real is None:
                raise ValueError(
                    f"The {self.adversarial_loss!r} generator loss compares with real images: "
                    "call generator_objective(..., real=images)."
                )
            real_logits = self._discriminate(real, labels, training)
            loss = self.generator_loss(logits, real_logits)
        else:
            loss = self.generator_loss(logits)
        term, logs = self.conditioning.generator_terms(extra, labels)
        loss = loss + term
        if self.generator.losses:
            loss = loss + ops.cast(ops.sum(self.generator.losses), "float32")
        return loss, logs

    # ------------------------------------------------------------------- steps
    def _unpack(self, data: Any) -> tuple[Tensor, Tensor | None]:
        """Splits a batch into (images, labels) and checks static specs."""
        images, labels = validation._split_element(
            data if isinstance(data, (tuple, list)) else (data,)
        )
        validation.check_label_presence(labels is not None, self.num_classes, self.variant_name)
        validation.check_image_spec(images.shape, images.dtype, self.image_shape)
        images = ops.cast(images, "float32")
        if labels is not None:
            # labels only come with a conditional model (check_label_presence)
            num_classes = cast(int, self.num_classes)
            validation.check_label_spec(labels.shape, labels.dtype, num_classes)
            labels = _as_label_column(labels)
        return images, labels

    def _train_step(self, data: Any) -> dict[str, Tensor]:
        """One adversarial step, backend-neutral: `d_steps` discriminator
        updates, then one generator update (each through `backend.minimize`),
        then the EMA. The backend's `Trainer.train_step` calls it."""
        with _call_override.active(self):
            return self._adversarial_step(data)

    def _adversarial_step(self, data: Any) -> dict[str, Tensor]:
        real, labels = self._unpack(data)
        batch_size = ops.shape(real)[0]
        for _ in range(self.d_steps):
            z = self.sample_latent(batch_size)
            fake = ops.stop_gradient(self._generate(z, labels, training=True))
            d_loss, d_logs = backend.minimize(
                lambda fake=fake: self.discriminator_objective(real, fake, labels),
                self.discriminator.trainable_variables,
                self.d_optimizer,
            )
        g_loss, g_logs = backend.minimize(
            lambda: self.generator_objective(batch_size, labels, real=real),
            self.generator.trainable_variables,
            self.g_optimizer,
        )
        if self.ema_generator is not None:
            self._update_ema(batch_size)
        if self.ada is not None:
            self.ada.step(batch_size * backend.num_replicas())
        return self._update_trackers(d_loss, g_loss, self._merge_logs(d_logs, g_logs))

    def _merge_logs(
        self, d_logs: dict[str, Tensor], g_logs: dict[str, Tensor]
    ) -> dict[str, Tensor]:
        """The discriminator's logs and the generator's `generator_log_names`
        terms (with their `_due` flags)."""
        names = set(self.generator_log_names)
        extra = {k: v for k, v in g_logs.items() if k.removesuffix("_due") in names}
        if self.ada is not None:
            extra["ada_p"] = ops.convert_to_tensor(self.ada.p)
        return {**d_logs, **extra}

    def _test_step(self, data: Any) -> dict[str, Tensor]:
        with _call_override.active(self):
            return self._evaluation_step(data)

    def _evaluation_step(self, data: Any) -> dict[str, Tensor]:
        real, labels = self._unpack(data)
        batch_size = ops.shape(real)[0]
        fake = self._generate(self.sample_latent(batch_size), labels, training=False)
        d_loss, d_logs = self.discriminator_objective(real, fake, labels, training=False)
        g_loss, g_logs = self.generator_objective(batch_size, labels, training=False, real=real)
        return self._update_trackers(d_loss, g_loss, self._merge_logs(d_logs, g_logs))

    def _predict_step(self, data: Any) -> Tensor:
        with _call_override.active(self):
            return self._generation_step(data)

    def _generation_step(self, data: Any) -> Tensor:
        flat = [t for t in keras.tree.flatten(data) if t is not None]
        if self.num_classes is None:
            return self(flat[0], training=False)
        if len(flat) < 2:
            raise ValueError("A conditional GANModel predicts from (z, labels) pairs.")
        return self((flat[0], flat[1]), training=False)

    def _update_trackers(
        self, d_loss: Tensor, g_loss: Tensor, d_logs: dict[str, Tensor]
    ) -> dict[str, Tensor]:
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        for name in self._term_names:
            # A lazy penalty's skipped updates don't count in its average.
            weight = d_logs.get(f"{name}_due")
            getattr(self, f"{name}_tracker").update_state(d_logs[name], sample_weight=weight)
        return backend.step_logs({m.name: m.result() for m in self.metrics})

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        trackers = [self.d_loss_tracker, self.g_loss_tracker]
        return trackers + [getattr(self, f"{name}_tracker") for name in self._term_names]

    # --------------------------------------------------------------------- fit
    def _assert_compiled(self) -> None:
        if not self.compiled or self.d_optimizer is None:
            raise RuntimeError(
                "Call compile() before fit(): gan.compile() uses the variant's paper "
                "optimizers; gan.compile(d_optimizer=..., g_optimizer=...) sets your own."
            )

    def _loss_directions(self, callbacks: Iterable[keras.callbacks.Callback] | None) -> None:
        """`mode="auto"` monitors of this model's losses minimize them (Keras
        looks directions up only among compiled metrics)."""
        names = {m.name for m in self.metrics if getattr(m, "_direction", None) == "down"}
        for cb in callbacks or ():
            monitor = getattr(cb, "monitor", None)
            if (
                isinstance(cb, keras.callbacks.Callback)
                and hasattr(cb, "monitor_op")
                and getattr(cb, "mode", None) == "auto"
                and isinstance(monitor, str)
                and monitor.removeprefix("val_") in names
            ):
                cb.mode = "min"

    def make_train_function(self, force: bool = False) -> Any:
        """Keras' `train_function`, able to pass over the steps of an epoch
        that were trained before a resume (`steps_to_skip`, set by
        `kerasgan.callbacks.BackupAndRestore` from a mid-epoch backup): those
        calls draw their batch and train nothing."""
        super().make_train_function(force)
        trained: Any = getattr(self, "train_function", None)
        if trained is None or getattr(trained, "_passes_resumed_steps", False):
            return trained

        def train_function(*args: Any) -> Any:
            if self.steps_to_skip > 0:
                self.steps_to_skip -= backend.steps_per_call(self)
                return self.skipped_train_call(*args)
            return trained(*args)

        train_function._passes_resumed_steps = True  # type: ignore[attr-defined]
        self.train_function = train_function
        return train_function

    def fit(
        self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any
    ) -> keras.callbacks.History:
        """`keras.Model.fit` on images, or on (images, labels) for a conditional model.

        `x` may be a numpy array / tensor of images in [-1, 1] (with `y` the
        integer labels), or a `tf.data.Dataset` of images or `(images, labels)`
        (on every backend).
        """
        self._assert_compiled()
        backend.check_distribution(self)
        self.steps_to_skip = 0  # set again by a BackupAndRestore resuming mid-epoch
        x, y = validation.check_fit_data(self, x, y)
        if not validation.is_array(x):
            # A dataset brings its own shuffling; don't make Keras warn about it.
            kwargs.setdefault("shuffle", False)
        callbacks = kwargs.get("callbacks")
        position = getattr(x, "_kerasgan_position", None)
        if position is not None:  # kerasgan.data.load(..., seed=S): a resumable order
            if kwargs.get("steps_per_epoch") is not None:
                x = x._kerasgan_endless()  # epochs cut passes: one stream of them
            callbacks = [*(callbacks or []), _DataPosition(position)]
            kwargs["callbacks"] = callbacks
        self._loss_directions(callbacks)
        for cb in callbacks or ():
            if hasattr(cb, "link_tensorboard"):  # SampleGrid -> TensorBoard images
                cb.link_tensorboard(callbacks)
        return super().fit(x, y, *args, **kwargs)

    def save(
        self, filepath: StrPath, overwrite: bool = True, zipped: bool | None = None, **kwargs: Any
    ) -> None:
        """`keras.Model.save`, atomically for `.keras` files.

        The file is written next to `filepath` and renamed over it when
        complete (`kerasgan.saving.save_model`): an error or a crash never
        leaves a partial file, and an existing file is kept until the new one
        is whole. Keras' `ModelCheckpoint` saves through this method too.
        """
        if zipped is False:  # Keras' unzipped folder format, as Keras writes it
            saving.keep_keras_saving_from_leaking()
            return super().save(filepath, overwrite=overwrite, zipped=zipped, **kwargs)
        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: StrPath, *args: Any, **kwargs: Any) -> None:
        """`keras.Model.save_weights` (without the memory Keras' saving walk
        leaks on every call: see `kerasgan.saving.keep_keras_saving_from_leaking`)."""
        saving.keep_keras_saving_from_leaking()
        return super().save_weights(filepath, *args, **kwargs)

    def load_weights(self, filepath: StrPath, *args: Any, **kwargs: Any) -> None:
        """`keras.Model.load_weights` (see `save_weights`)."""
        saving.keep_keras_saving_from_leaking()
        return super().load_weights(filepath, *args, **kwargs)

    def evaluate(self, x: Any = None, y: Any = None, *args: Any, **kwargs: Any) -> Any:
        x, y = validation.check_fit_data(self, x, y)
        return super().evaluate(x, y, *args, **kwargs)

    # ---------------------------------------------------------------- generate
    def generate(
        self,
        n: int,
        labels: npt.ArrayLike | None = None,
        seed: int | None = None,
        batch_size: int = 256,
        ema: bool = False,
    ) -> np.ndarray:
        """Generates `n` images as a numpy array in [-1, 1].

        Args:
            n: number of images.
            labels: class ids for a conditional model: one int for all, or
                `n` ints; cycles through the classes when omitted.
            seed: an int gives the same images every call; `None` draws from
                the model's noise generator.
            batch_size: images per generator call.
            ema: use the moving-average generator (see `enable_ema`).

        Returns:
            float32 array of shape `(n,) + image_shape`.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer number of images; got {n!r}.")
        n = int(n)
        if seed is None:
            z = self.sample_latent(n)
        else:  # the same noise on every backend for the same seed
            z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype("float32")
        if self.num_classes is None:
            if labels is not None:
                raise ValueError(
                    f"This {self.variant_name} model is unconditional; labels must be None."
                )
            inputs = z
        else:
            labels = self._generation_labels(n, labels)
            inputs = (z, labels)
        if ema:
            if self.ema_generator is None:
                raise ValueError(
                    "generate(ema=True) needs an EMA generator: create the model with "
                    "ema_decay=0.999 or train with kerasgan.callbacks.EMA()."
                )
            inputs = self.conditioning.inputs(z, None if labels is None else labels.reshape(-1, 1))
            images = self.ema_generator.predict(inputs, batch_size=min(batch_size, n), verbose=0)
        else:
            images = self.predict(inputs, batch_size=min(batch_size, n), verbose=0)
        return np.asarray(images, dtype="float32")

    def sample_grid(self, n: int = 64, seed: int | None = 0, ema: bool | None = None) -> np.ndarray:
        """A uint8 `(H', W', C)` grid image of `n` samples; a conditional model
        gets one row per class.

        A fixed `seed` gives grids that are comparable across epochs. `ema`
        defaults to the EMA generator when the model has one.
        """
        from kerasgan.utils import make_grid

        ema = self.ema_generator is not None if ema is None else ema
        if self.num_classes is None:
            return make_grid(self.generate(n, seed=seed, ema=ema))
        per_class = max(1, n // self.num_classes)
        labels = np.repeat(np.arange(self.num_classes, dtype="int32"), per_class)
        images = self.generate(len(labels), labels=labels, seed=seed, ema=ema)
        return make_grid(images, ncols=per_class)

    def save_sample_grid(
        self, path: StrPath, n: int = 64, seed: int | None = 0, ema: bool | None = None
    ) -> str:
        """Writes `sample_grid(n, seed, ema)` as a PNG, atomically; returns the path."""
        from kerasgan.utils import write_png

        return write_png(self.sample_grid(n, seed=seed, ema=ema), path)

    def _generation_labels(self, n: int, labels: npt.ArrayLike | None) -> np.ndarray:
        if labels is None:
            return np.arange(n, dtype="int32") % self.num_classes
        labels = np.asarray(labels)
        if labels.dtype.kind not in "iu":
            raise ValueError(f"labels must be integer class ids; got dtype {labels.dtype}.")
        if labels.ndim == 0:
            labels = np.full((n,), int(labels), dtype="int32")
        labels = labels.reshape(-1).astype("int32")
        if labels.shape[0] != n:
            raise ValueError(f"Got {labels.shape[0]} labels for n={n} images; give one or n.")
        validation.check_label_values(labels, cast(int, self.num_classes))  # conditional
        return labels

    # ----------------------------------------------------------------- presets
    @classmethod
    def from_preset(
        cls, preset: str, *, compile: bool = True, jit_compile: bool | str = "auto"
    ) -> GANModel:
        """Loads a trained preset, as KerasHub's `Backbone.from_preset`.

        The same as `kerasgan.zoo.load(preset)`: offline, sha256-checked,
        compiled with the variant's optimizers (fresh state) unless
        `compile=False`.

        Args:
            preset: a name from `kerasgan.zoo.list()` (or
                `kerasgan.list_variants(pretrained=True)`), or a preset folder
                (written by `save_to_preset` or `kerasgan.zoo.save`).
            compile: compile the loaded model.
            jit_compile: passed to `compile`.

        Raises:
            ValueError: called on a variant class (`kerasgan.DCGAN.from_preset`)
                with a preset of another variant.

        Example:
            >>> gan = kerasgan.GANModel.from_preset("cgan-fashion-mnist")
            >>> gan = kerasgan.CGAN.from_preset("cgan-fashion-mnist")  # the same
            >>> gan.generate(16, labels=7, seed=0)
        """
        from kerasgan import zoo

        if cls is not GANModel:
            variant = zoo.info(preset).get("variant")
            if variant is not None and variant != cls.variant_name:
                raise ValueError(
                    f"Preset {preset!r} is a {variant!r} model, not {cls.variant_name!r}: load "
                    f"it with kerasgan.GANModel.from_preset({preset!r}) or "
                    f"kerasgan.get({variant!r}).from_preset({preset!r})."
                )
        return zoo.load(preset, compile=compile, jit_compile=jit_compile)

    def save_to_preset(
        self,
        preset_dir: str,
        *,
        dataset: str = "unspecified",
        description: str = "",
        overwrite: bool = False,
    ) -> str:
        """Writes this model as a preset folder that `from_preset(preset_dir)`
        loads (config, weights, EMA weights, sha256 sums, a sample grid and a
        model card; see `kerasgan.zoo.save` for the training record and
        scores). The folder's name is the preset's name (lowercase letters,
        digits, `-`, `_`, `.`). Returns the folder."""
        import os

        from kerasgan import zoo

        folder = os.path.abspath(os.fspath(preset_dir))
        return zoo.save(
            self,
            os.path.basename(folder),
            dataset=dataset,
            description=description,
            zoo_dir=os.path.dirname(folder),
            overwrite=overwrite,
        )

    # ----------------------------------------------------------- serialization
    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            generator=_serialize(self.generator),
            discriminator=_serialize(self.discriminator),
            latent_dim=self.latent_dim,
            num_classes=self.num_classes,
            d_steps=self.d_steps,
            adversarial_loss=self.adversarial_loss,
            gradient_penalty_weight=self.gradient_penalty_weight,
            r1_weight=self.r1_weight,
            r1_interval=self.r1_interval,
            r2_weight=self.r2_weight,
            seed=self.seed,
            ema_decay=self.ema_decay,
            diffaugment=self.diffaugment,
        )
        # "ada" always: a variant may turn it on by default (StyleGAN2)
        config.update(self.ada.get_config() if self.ada is not None else {"ada": None})
        return config

    def save_own_variables(self, store: Any) -> None:
        super().save_own_variables(store)
        # Keras does not save a SeedGenerator's state; keep the noise stream.
        store[_SEED_STATE_KEY] = self.seed_generator.state

    def load_own_variables(self, store: Any) -> None:
        keys = list(store.keys())
        if _SEED_STATE_KEY in keys:
            self.seed_generator.state.assign(store[_SEED_STATE_KEY])
        super().load_own_variables({k: store[k] for k in keys if k != _SEED_STATE_KEY})

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GANModel:
        config = copy.deepcopy(config)  # Keras' deserializer consumes nested configs
        config["generator"] = _deserialize(config["generator"])
        config["discriminator"] = _deserialize(config["discriminator"])
        return cls(**config)


class _DataPosition(keras.callbacks.Callback):
    """Keeps a `kerasgan.data.load(..., seed=S)` dataset's position (batches
    consumed) at the model's step count, the generator optimizer's
    `iterations` (saved with the model and its backups): each epoch starts
    the data where the steps already trained left it."""

    def __init__(self, position: keras.Variable) -> None:
        super().__init__()
        self.position = position
        self.start = 0

    def _steps(self) -> int:
        """Steps trained before the epoch's first batch (the steps of it
        trained before a resume are drawn again and passed over)."""
        trained = int(ops.convert_to_numpy(self.model.g_optimizer.iterations))
        return trained - int(getattr(self.model, "steps_to_skip", 0))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.position.assign(self._steps())

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.start = self._steps()
        self.position.assign(self.start)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # no device sync per step: the epoch's first step count plus the steps run
        self.position.assign(self.start + batch + 1)


def _as_label_column(labels: Tensor) -> Tensor:
    """Labels as an int32 `(batch, 1)` column, the networks' label input."""
    return ops.cast(ops.reshape(labels, (-1, 1)), "int32")
