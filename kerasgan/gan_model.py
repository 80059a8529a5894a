"""`GANModel`: a `keras.Model` whose `fit` runs the adversarial loop."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from kerasgan import (
    architectures,
    augment,
    backend,
    fast_conv,
    fast_norm,
    losses,
    regularizers,
    saving,
    validation,
)

__all__ = ["GANModel"]

_SEED_STATE_KEY = "noise_seed_state"


def _model_supports_jit(model) -> bool:
    """Keras' own test (every layer supports XLA, op determinism off)."""
    try:
        from keras.src.trainers.trainer import model_supports_jit
    except ImportError:  # pragma: no cover - Keras moved it
        return all(getattr(layer, "supports_jit", True) for layer in model._flatten_layers())
    return bool(model_supports_jit(model))


def _serialize(obj):
    return keras.saving.serialize_keras_object(obj)


def _deserialize(config):
    return keras.saving.deserialize_keras_object(config)


def _is_array_like(x) -> bool:
    return isinstance(x, (np.ndarray, list, tuple)) or keras.ops.is_tensor(x)


@keras.saving.register_keras_serializable(package="kerasgan")
class GANModel(keras.Model):
    """A generator and a discriminator trained against each other with `fit`.

    Each `train_step` makes `d_steps` discriminator (critic) updates, each on
    the step's real batch with fresh noise, then one generator update. Real
    and fake images go through the discriminator in separate calls, so batch
    normalization never mixes their statistics. Losses are reported as
    `d_loss` (the full discriminator objective, penalties included),
    `g_loss`, and `gp` / `r1` (the unweighted penalty) when enabled.

    Variants subclass this class and change its class-level defaults (loss,
    penalties, `d_steps`, optimizer settings, default networks), or override
    `discriminator_loss` / `generator_loss`.

    Args:
        generator: `keras.Model` mapping `z` (or `[z, labels]` when
            conditional) to images in [-1, 1].
        discriminator: `keras.Model` mapping images (or `[images, labels]`)
            to one logit per image.
        latent_dim: size of `z`; read from the generator's input when omitted.
        num_classes: number of classes of a conditional model, else `None`.
        d_steps: discriminator updates per generator update (>= 1).
        adversarial_loss: a name from `kerasgan.losses.ALL_LOSSES`.
        gradient_penalty_weight: WGAN-GP weight `lambda` (0 disables).
        r1_weight: R1 weight `gamma`; the penalty is `gamma / 2 * E||grad||^2`.
        r1_interval: lazy regularization (Karras et al. 2020): compute R1
            every `r1_interval` discriminator updates, scaled by the interval.
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

    Example:
        >>> gan = kerasgan.create("dcgan", image_shape=(28, 28, 1))
        >>> gan.compile(jit_compile=True)
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
    default_latent_dim = 128
    #: Adam settings used by `compile()` when no optimizer is given.
    default_optimizer = {"learning_rate": 2e-4, "beta_1": 0.5, "beta_2": 0.999}
    #: Whether the variant needs `num_classes` (class-conditional).
    conditional = False

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
        seed: int | None = None,
        ema_decay: float | None = None,
        diffaugment: str | None = None,
        **kwargs,
    ):
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
        self.gradient_penalty_weight = float(
            self.default_gradient_penalty_weight
            if gradient_penalty_weight is None
            else gradient_penalty_weight
        )
        self.r1_weight = float(self.default_r1_weight if r1_weight is None else r1_weight)
        r1_interval = self.default_r1_interval if r1_interval is None else r1_interval
        if (
            isinstance(r1_interval, bool)
            or not isinstance(r1_interval, (int, np.integer))
            or (r1_interval < 1)
        ):
            raise ValueError(f"r1_interval must be an integer >= 1; got {r1_interval!r}.")
        self.r1_interval = int(r1_interval)
        if self.gradient_penalty_weight < 0 or self.r1_weight < 0:
            raise ValueError("Penalty weights must be >= 0.")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="noise_seed")
        policy = augment.parse_policy(diffaugment)
        self.diffaugment = ",".join(policy) if policy else None
        self._check_networks()

        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.gp_tracker = keras.metrics.Mean(name="gp")
        self.r1_tracker = keras.metrics.Mean(name="r1")
        self.d_optimizer = None
        self.g_optimizer = None
        self.ema_decay = None
        self.ema_generator = None
        if ema_decay is not None:
            self.enable_ema(ema_decay)
        self.built = True

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
            self.ema_generator = ema
        self.ema_decay = decay
        if getattr(self, "train_function", None) is not None:
            self.make_train_function(force=True)  # retrace with the EMA update

    def _update_ema(self) -> None:
        decay = self.ema_decay
        for ema_var, var in zip(self.ema_generator.weights, self.generator.weights):
            if var.trainable:
                ema_var.assign(decay * ema_var + (1.0 - decay) * ops.cast(var, ema_var.dtype))
            else:
                ema_var.assign(var)

    # --------------------------------------------------------------- factory
    @classmethod
    def build_generator(
        cls,
        image_shape,
        latent_dim,
        num_classes=None,
        base_filters=64,
        embedding_dim=50,
        kernel_initializer="glorot_uniform",
    ):
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
        image_shape,
        num_classes=None,
        base_filters=64,
        batch_norm=True,
        negative_slope=0.2,
        kernel_initializer="glorot_uniform",
    ):
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
        image_shape=None,
        latent_dim=None,
        num_classes=None,
        generator=None,
        discriminator=None,
        **overrides,
    ):
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
        shape = self.generator.inputs[0].shape
        if len(shape) != 2 or shape[-1] is None:
            raise ValueError(
                "Could not read latent_dim from the generator's first input of shape "
                f"{tuple(shape)}; pass latent_dim=..."
            )
        return int(shape[-1])

    def _check_networks(self) -> None:
        n_in = 2 if self.num_classes is not None else 1
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
        g_out = tuple(self.generator.outputs[0].shape[1:])
        d_in = tuple(self.discriminator.inputs[0].shape[1:])
        if g_out != d_in:
            raise ValueError(
                f"The generator makes images of shape {g_out} but the discriminator "
                f"takes {d_in}; build both for the same image_shape."
            )

    @property
    def image_shape(self) -> tuple:
        """`(height, width, channels)` of the generated images."""
        return tuple(int(d) for d in self.generator.outputs[0].shape[1:])

    # ----------------------------------------------------------------- compile
    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        *,
        jit_compile="auto",
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        fast_layers="auto",
        **kwargs,
    ):
        """Configures the two optimizers and how the step is compiled.

        Args:
            d_optimizer: optimizer (instance, name or config) of the
                discriminator; the variant's paper default when omitted.
            g_optimizer: optimizer of the generator; same default.
            jit_compile: `True` compiles the train step with XLA, `False`
                runs it as a TensorFlow graph. `"auto"` uses XLA when every
                layer supports it, the distribution strategy allows it (not
                with several replicas on logical CPUs of one machine, where
                `True` raises) and it is the faster choice here: always on
                GPUs; on CPUs unless the CPU has AVX-512 and TensorFlow's
                oneDNN kernels are on, where they outrun XLA's convolutions
                (`kerasgan.backend.xla_is_faster`; figures in
                benchmarks/NOTES.md). The choice is made where the model is
                compiled (or loaded), so a saved `"auto"` re-decides there.
            run_eagerly: run the step eagerly, for debugging.
            steps_per_execution: batches per compiled call.
            fast_layers: compute some layers of the two networks in a faster
                form that is the same function of the same weights (to float
                rounding; layers, configs and saved files unchanged):
                strided `Conv2DTranspose` as sub-pixel convolutions
                (`kerasgan.fast_conv`: no multiplications by the zeros the
                standard form inserts; about twice as fast under XLA on CPU),
                stride-1 `Conv2D` with at most 4 output channels (a to-image
                layer) as matrix products (0.4-0.5x the time), other
                `Conv2D` with a bias with its gradient kept apart from the
                kernel gradient (`backend.bias_add`: TensorFlow's oneDNN
                pass merges the two into one slow op; a DCGAN step 0.98x),
                and `BatchNormalization` in training as one fused op
                (`kerasgan.fast_norm`, 0.4x). `fast_layer_names` lists the
                rewritten layers. `False`: Keras' implementation everywhere;
                `True`: all four. `"auto"`: each where it measured faster -
                the few-filter `Conv2D` form always, the transposed one only
                under XLA (without XLA TensorFlow's own kernel skips the
                zeros), the bias and batch-norm forms only without XLA (XLA
                neither merges the one nor leaves the other unfused).
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
        self._compile_requests = {
            "jit_compile": jit_compile,
            "fast_layers": fast_layers,
        }
        if jit_compile == "auto":
            jit_compile = self._resolve_auto_jit()
        if jit_compile is not False and backend.replicas_share_host_cpu(self.distribute_strategy):
            if jit_compile is True:
                raise ValueError(
                    "jit_compile=True cannot run under a distribution strategy with several "
                    "replicas on logical CPU devices of one machine: TensorFlow's XLA cannot "
                    "read variables placed on another logical CPU (plain Keras models fail the "
                    "same way). Use jit_compile=False (or 'auto') here; XLA works with one "
                    "replica per GPU or one CPU per worker."
                )
            jit_compile = False  # "auto": XLA cannot run here, see above
        super().compile(
            optimizer=None,
            jit_compile=jit_compile,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            **kwargs,
        )
        if self._compile_requests["jit_compile"] is True and not self.jit_compile:
            raise ValueError(
                "jit_compile=True was requested but Keras disabled XLA for this model "
                "(a layer without XLA support, or TensorFlow op determinism enabled)."
            )
        if fast_layers == "auto":  # each form where it measured faster
            transposed, fused_norm = bool(self.jit_compile), not self.jit_compile
        else:
            transposed = fused_norm = fast_layers
        self.fast_layer_names = []
        for network in (self.generator, self.discriminator):
            self.fast_layer_names += fast_conv.accelerate(
                network,
                conv_transpose=transposed,
                conv=fast_layers is not False,
                bias=fused_norm,  # oneDNN's merged bias + kernel gradient: graphs only
            )
            if fused_norm:
                self.fast_layer_names += fast_norm.accelerate(network)
            else:
                fast_norm.restore(network)
        # Optimizer slots exist from the start, so that weights saved with their
        # state (`.keras`, `save_weights`, `BackupAndRestore`) load before any step.
        self.build_optimizers()

    def _resolve_auto_jit(self):
        """`jit_compile="auto"`: XLA where it is the faster choice for this
        machine (`backend.xla_is_faster`), otherwise a TensorFlow graph. Keras'
        own "auto" (which turns XLA off on every CPU-only machine and under
        any distribution strategy) decides the remaining cases."""
        if not backend.xla_is_faster(self.distribute_strategy):
            return False
        if backend.cpu_only() and not self._distribute_strategy:
            return _model_supports_jit(self)
        return "auto"

    def _make_optimizer(self, optimizer, name):
        if optimizer is None:
            optimizer = keras.optimizers.Adam(**self.default_optimizer, name=name)
        else:
            optimizer = keras.optimizers.get(optimizer)
        # float16 gradients underflow without loss scaling (as Keras' own compile does it)
        policies = {n.dtype_policy.name for n in (self, self.generator, self.discriminator)}
        if "mixed_float16" in policies and not isinstance(
            optimizer, keras.optimizers.LossScaleOptimizer
        ):
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer, name=f"{name}_loss_scale")
        return optimizer

    def get_compile_config(self):
        if not self.compiled or self.d_optimizer is None:
            return {}
        return {
            "d_optimizer": _serialize(self.d_optimizer),
            "g_optimizer": _serialize(self.g_optimizer),
            # what was asked for: "auto" decides again where the model is loaded
            "jit_compile": self._compile_requests["jit_compile"],
            "run_eagerly": self.run_eagerly,
            "steps_per_execution": self.steps_per_execution,
            "fast_layers": self._compile_requests["fast_layers"],
        }

    def compile_from_config(self, config):
        config = dict(config)
        d_opt = _deserialize(config.pop("d_optimizer"))
        g_opt = _deserialize(config.pop("g_optimizer"))
        self.compile(d_opt, g_opt, **config)

    def build_optimizers(self) -> None:
        """Creates both optimizers' variables (slots) if they don't exist yet."""
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator.trainable_variables)
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator.trainable_variables)

    # ------------------------------------------------------------------- noise
    def sample_latent(self, batch_size, seed=None):
        """Gaussian noise `z` of shape `(batch_size, latent_dim)`.

        Uses the model's `SeedGenerator` unless `seed` is given. Inside a
        `tf.distribute` step each replica gets its own slice of the noise of
        the global batch (`kerasgan.backend.replica_rows`), not a copy of the
        other replicas' noise.
        """
        seed = self.seed_generator if seed is None else seed
        return backend.replica_rows(
            lambda n: keras.random.normal((n, self.latent_dim), seed=seed), batch_size
        )

    # ------------------------------------------------------------ the networks
    def _generate(self, z, labels=None, training=False):
        if self.num_classes is None:
            return self.generator(z, training=training)
        return self.generator([z, labels], training=training)

    def _discriminate(self, images, labels=None, training=False, **kwargs):
        """Calls the discriminator, on DiffAugment-ed images while training.

        Extra keyword arguments go to the discriminator's `call` (e.g.
        `return_class_logits=True` for an auxiliary-classifier discriminator).
        """
        if training and self.diffaugment:
            images = augment.diff_augment(images, self.diffaugment, seed=self.seed_generator)
        if self.num_classes is None:
            return self.discriminator(images, training=training, **kwargs)
        return self.discriminator([images, labels], training=training, **kwargs)

    def call(self, inputs, training=False):
        """Maps noise to images: `z`, or `(z, labels)` for a conditional model."""
        if self.num_classes is None:
            z, labels = inputs, None
        else:
            if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
                raise ValueError(
                    "A conditional GANModel is called on (z, labels); got a single input."
                )
            z, labels = inputs
            labels = ops.cast(ops.reshape(labels, (-1, 1)), "int32")
        return self._generate(z, labels, training=training)

    # ------------------------------------------------------------------ losses
    def discriminator_loss(self, real_logits, fake_logits):
        """Adversarial loss of the discriminator (override in a variant)."""
        return self._d_loss_fn(real_logits, fake_logits)

    def generator_loss(self, fake_logits):
        """Adversarial loss of the generator (override in a variant)."""
        return self._g_loss_fn(fake_logits)

    def discriminator_objective(self, real, fake, labels=None, training=True):
        """Full discriminator loss and its logged terms for one update."""
        real_logits = self._discriminate(real, labels, training=training)
        fake_logits = self._discriminate(fake, labels, training=training)
        loss = self.discriminator_loss(real_logits, fake_logits)
        penalty, logs = self.discriminator_penalties(real, fake, labels, training=training)
        return loss + penalty, logs

    def discriminator_penalties(self, real, fake, labels=None, training=True):
        """The weighted sum of the enabled penalties (gradient penalty, R1, the
        discriminator's own `losses`) and their logged unweighted values.

        Variants that override `discriminator_objective` add this to their loss.
        """

        def critic(x):
            return self._discriminate(x, labels, training=training)

        loss = ops.zeros((), "float32")
        logs = {}
        if self.gradient_penalty_weight > 0:
            gp = regularizers.gradient_penalty(critic, real, fake, seed=self.seed_generator)
            loss = loss + self.gradient_penalty_weight * gp
            logs["gp"] = gp
        if self.r1_weight > 0:
            if self.r1_interval == 1 or not training:
                r1 = regularizers.r1_penalty(critic, real)
                logs["r1_due"] = ops.ones((), "float32")
            else:
                # Lazy R1: only every r1_interval-th update, weighted by the interval.
                due = ops.equal(ops.mod(self.d_optimizer.iterations, self.r1_interval), 0)
                r1 = ops.cond(
                    due,
                    lambda: regularizers.r1_penalty(critic, real),
                    lambda: ops.zeros((), "float32"),
                )
                logs["r1_due"] = ops.cast(due, "float32")
            lazy = training and self.r1_interval > 1
            loss = loss + 0.5 * self.r1_weight * (self.r1_interval if lazy else 1) * r1
            logs["r1"] = r1
        if self.discriminator.losses:
            loss = loss + ops.cast(ops.sum(self.discriminator.losses), "float32")
        return loss, logs

    def generator_objective(self, batch_size, labels=None, training=True):
        """Generator loss for one update."""
        fake = self._generate(self.sample_latent(batch_size), labels, training=training)
        loss = self.generator_loss(self._discriminate(fake, labels, training=training))
        if self.generator.losses:
            loss = loss + ops.cast(ops.sum(self.generator.losses), "float32")
        return loss, {}

    # ------------------------------------------------------------------- steps
    def _unpack(self, data):
        """Splits a batch into (images, labels) and checks static specs."""
        images, labels = validation._split_element(
            data if isinstance(data, (tuple, list)) else (data,)
        )
        validation.check_label_presence(labels is not None, self.num_classes, self.variant_name)
        validation.check_image_spec(images.shape, images.dtype, self.image_shape)
        images = ops.cast(images, "float32")
        if labels is not None:
            validation.check_label_spec(labels.shape, labels.dtype, self.num_classes)
            labels = ops.cast(ops.reshape(labels, (-1, 1)), "int32")
        return images, labels

    def train_step(self, data):
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
        g_loss, _ = backend.minimize(
            lambda: self.generator_objective(batch_size, labels),
            self.generator.trainable_variables,
            self.g_optimizer,
        )
        if self.ema_generator is not None:
            self._update_ema()
        return self._update_trackers(d_loss, g_loss, d_logs)

    def test_step(self, data):
        real, labels = self._unpack(data)
        batch_size = ops.shape(real)[0]
        fake = self._generate(self.sample_latent(batch_size), labels, training=False)
        d_loss, d_logs = self.discriminator_objective(real, fake, labels, training=False)
        g_loss, _ = self.generator_objective(batch_size, labels, training=False)
        return self._update_trackers(d_loss, g_loss, d_logs)

    def predict_step(self, data):
        flat = [t for t in keras.tree.flatten(data) if t is not None]
        if self.num_classes is None:
            return self(flat[0], training=False)
        if len(flat) < 2:
            raise ValueError("A conditional GANModel predicts from (z, labels) pairs.")
        return self((flat[0], flat[1]), training=False)

    def _update_trackers(self, d_loss, g_loss, d_logs):
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        if "gp" in d_logs:
            self.gp_tracker.update_state(d_logs["gp"])
        if "r1" in d_logs:
            # Lazy R1 steps without the penalty don't count in its average.
            self.r1_tracker.update_state(d_logs["r1"], sample_weight=d_logs["r1_due"])
        return backend.step_logs({m.name: m.result() for m in self.metrics})

    @property
    def metrics(self):
        trackers = [self.d_loss_tracker, self.g_loss_tracker]
        if self.gradient_penalty_weight > 0:
            trackers.append(self.gp_tracker)
        if self.r1_weight > 0:
            trackers.append(self.r1_tracker)
        return trackers

    # --------------------------------------------------------------------- fit
    def _assert_compiled(self):
        if not self.compiled or self.d_optimizer is None:
            raise RuntimeError(
                "Call compile() before fit(): gan.compile() uses the variant's paper "
                "optimizers; gan.compile(d_optimizer=..., g_optimizer=...) sets your own."
            )

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit` on images, or on (images, labels) for a conditional model.

        `x` may be a numpy array / tensor of images in [-1, 1] (with `y` the
        integer labels), or a `tf.data.Dataset` of images or `(images, labels)`.
        """
        self._assert_compiled()
        validation.check_fit_data(self, x, y)
        if not _is_array_like(x):
            # A dataset brings its own shuffling; don't make Keras warn about it.
            kwargs.setdefault("shuffle", False)
        callbacks = kwargs.get("callbacks")
        for cb in callbacks or ():
            if hasattr(cb, "link_tensorboard"):  # SampleGrid -> TensorBoard images
                cb.link_tensorboard(callbacks)
        return super().fit(x, y, *args, **kwargs)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """`keras.Model.save`, atomically for `.keras` files.

        The file is written next to `filepath` and renamed over it when
        complete (`kerasgan.saving.save_model`): an error or a crash never
        leaves a partial file, and an existing file is kept until the new one
        is whole. Keras' `ModelCheckpoint` saves through this method too.
        """
        if zipped is False:  # Keras' unzipped folder format, as Keras writes it
            return super().save(filepath, overwrite=overwrite, zipped=zipped, **kwargs)
        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        validation.check_fit_data(self, x, y)
        return super().evaluate(x, y, *args, **kwargs)

    # ---------------------------------------------------------------- generate
    def generate(
        self,
        n: int,
        labels=None,
        seed: int | None = None,
        batch_size: int = 256,
        ema: bool = False,
    ):
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
        z = self.sample_latent(n, seed=seed)
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
            inputs = inputs if self.num_classes is None else [z, labels.reshape(-1, 1)]
            images = self.ema_generator.predict(inputs, batch_size=min(batch_size, n), verbose=0)
        else:
            images = self.predict(inputs, batch_size=min(batch_size, n), verbose=0)
        return np.asarray(images, dtype="float32")

    def sample_grid(self, n: int = 64, seed: int | None = 0, ema=None) -> np.ndarray:
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

    def save_sample_grid(self, path, n: int = 64, seed: int | None = 0, ema=None) -> str:
        """Writes `sample_grid(n, seed, ema)` as a PNG, atomically; returns the path."""
        from kerasgan.utils import write_png

        return write_png(self.sample_grid(n, seed=seed, ema=ema), path)

    def _generation_labels(self, n, labels):
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
        validation.check_label_values(labels, self.num_classes)
        return labels

    # ----------------------------------------------------------- serialization
    def get_config(self):
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
            seed=self.seed,
            ema_decay=self.ema_decay,
            diffaugment=self.diffaugment,
        )
        return config

    def save_own_variables(self, store):
        super().save_own_variables(store)
        # Keras does not save a SeedGenerator's state; keep the noise stream.
        store[_SEED_STATE_KEY] = self.seed_generator.state

    def load_own_variables(self, store):
        keys = list(store.keys())
        if _SEED_STATE_KEY in keys:
            self.seed_generator.state.assign(store[_SEED_STATE_KEY])
        super().load_own_variables({k: store[k] for k in keys if k != _SEED_STATE_KEY})

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = _deserialize(config["generator"])
        config["discriminator"] = _deserialize(config["discriminator"])
        return cls(**config)
