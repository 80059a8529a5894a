"""Minimal hand-written GAN steps on each Keras backend, for library overhead.

The baseline that kerasgan's `fit` is compared with on the backend it runs
on (`benchmarks/backends.py`): the smallest correct `keras.Model` with its
own `train_step`, as in the keras.io guides "Customizing what happens in
`fit()`" for each backend, trained by the same `fit` loop as kerasgan, so
that the two differ only in the step. Non-saturating loss, one
discriminator update on the real and a generated batch (two discriminator
calls), then one generator update; Adam(2e-4, 0.5, 0.999) for each network;
the discriminator's update sees the generated batch without a gradient.

- TensorFlow: `networks.MinimalGAN` (`tf.GradientTape`, `apply_gradients`),
  compiled by `fit` with XLA or as a graph (`compile(jit_compile=...)`).
- JAX: `JaxMinimalGAN`, a stateless step (`stateless_call`,
  `jax.value_and_grad`, `optimizer.stateless_apply`, the noise seed threaded
  through the state) that `fit` compiles with `jax.jit` (`jit_compile=True`).
- PyTorch: `TorchMinimalGAN`, an eager step (`torch.autograd.grad`,
  `optimizer.apply` on the Keras variables; the generated batch of the
  discriminator update under `torch.no_grad`).

Import with `KERAS_BACKEND` set: `minimal_model(...)` builds the current
backend's.
"""

from __future__ import annotations

import keras
from keras import ops

LATENT = 128


class OptimizerPair:
    """Both networks' optimizers as the one `model.optimizer` that Keras'
    trainers read (`variables` threads through JAX's stateless step; both
    are built before `fit`, so `build` has nothing to do)."""

    built = True

    def __init__(self, d_opt, g_opt):
        self.d_opt, self.g_opt = d_opt, g_opt

    @property
    def variables(self):
        return [*self.d_opt.variables, *self.g_opt.variables]

    @property
    def iterations(self):
        return self.g_opt.iterations

    def build(self, variables=None):
        pass


class _Base(keras.Model):
    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.seed = keras.random.SeedGenerator(0)
        self.built = True  # both networks are; `fit` need not call the model

    def compile(self, jit_compile=False):
        super().compile(jit_compile=jit_compile)
        self.d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.d_opt.build(self.discriminator.trainable_variables)
        self.g_opt.build(self.generator.trainable_variables)
        self.optimizer = OptimizerPair(self.d_opt, self.g_opt)


def _real(data):
    return data[0] if isinstance(data, (tuple, list)) else data


class JaxMinimalGAN(_Base):
    """Keras' stateless JAX step, written out for a GAN."""

    def compile(self, jit_compile=True):
        super().compile(jit_compile=jit_compile)

        def positions(variables, within):
            index = {id(v): i for i, v in enumerate(within)}
            return [index[id(v)] for v in variables]

        g, d = self.generator, self.discriminator
        self._g_t = positions(g.trainable_variables, self.trainable_variables)
        self._d_t = positions(d.trainable_variables, self.trainable_variables)
        self._g_n = positions(g.non_trainable_variables, self.non_trainable_variables)
        self._d_n = positions(d.non_trainable_variables, self.non_trainable_variables)
        (self._seed_n,) = positions([self.seed.state], self.non_trainable_variables)
        self._d_opt_count = len(self.d_opt.variables)

    def train_step(self, state, data):
        import jax

        trainable, non_trainable, opt_vars, metrics_vars = state
        real = _real(data)
        g_t = [trainable[i] for i in self._g_t]
        d_t = [trainable[i] for i in self._d_t]
        g_n = [non_trainable[i] for i in self._g_n]
        d_n = [non_trainable[i] for i in self._d_n]
        seed = non_trainable[self._seed_n]
        increment = ops.convert_to_tensor([0, 1], seed.dtype)
        d_ov, g_ov = opt_vars[: self._d_opt_count], opt_vars[self._d_opt_count :]
        g, d = self.generator, self.discriminator
        batch = real.shape[0]

        z = keras.random.normal((batch, LATENT), seed=seed)
        seed = seed + increment
        fake, g_n = g.stateless_call(g_t, g_n, z, training=True)

        def d_loss_fn(d_t, d_n):
            real_logits, d_n = d.stateless_call(d_t, d_n, real, training=True)
            fake_logits, d_n = d.stateless_call(d_t, d_n, fake, training=True)
            loss = ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))
            return loss, d_n

        (d_loss, d_n), grads = jax.value_and_grad(d_loss_fn, has_aux=True)(d_t, d_n)
        d_t, d_ov = self.d_opt.stateless_apply(d_ov, grads, d_t)

        z = keras.random.normal((batch, LATENT), seed=seed)
        seed = seed + increment

        def g_loss_fn(g_t, g_n, d_n):
            fake, g_n = g.stateless_call(g_t, g_n, z, training=True)
            logits, d_n = d.stateless_call(d_t, d_n, fake, training=True)
            return ops.mean(ops.softplus(-logits)), (g_n, d_n)

        (g_loss, (g_n, d_n)), grads = jax.value_and_grad(g_loss_fn, has_aux=True)(g_t, g_n, d_n)
        g_t, g_ov = self.g_opt.stateless_apply(g_ov, grads, g_t)

        trainable, non_trainable = list(trainable), list(non_trainable)
        for positions, values, target in (
            (self._g_t, g_t, trainable),
            (self._d_t, d_t, trainable),
            (self._g_n, g_n, non_trainable),
            (self._d_n, d_n, non_trainable),
        ):
            for i, value in zip(positions, values):
                target[i] = value
        non_trainable[self._seed_n] = seed
        state = (trainable, non_trainable, [*d_ov, *g_ov], metrics_vars)
        return {"d_loss": d_loss, "g_loss": g_loss}, state


class TorchMinimalGAN(_Base):
    """Keras' eager PyTorch step, written out for a GAN."""

    def train_step(self, data):
        import torch

        real = _real(data)
        batch = real.shape[0]
        g, d = self.generator, self.discriminator
        z = keras.random.normal((batch, LATENT), seed=self.seed)
        with torch.no_grad():
            fake = g(z, training=True)
        d_loss = ops.mean(ops.softplus(-d(real, training=True)))
        d_loss = d_loss + ops.mean(ops.softplus(d(fake, training=True)))
        variables = d.trainable_variables
        grads = torch.autograd.grad(d_loss, [v.value for v in variables])
        with torch.no_grad():
            self.d_opt.apply(grads, variables)

        z = keras.random.normal((batch, LATENT), seed=self.seed)
        g_loss = ops.mean(ops.softplus(-d(g(z, training=True), training=True)))
        variables = g.trainable_variables
        grads = torch.autograd.grad(g_loss, [v.value for v in variables])
        with torch.no_grad():
            self.g_opt.apply(grads, variables)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}


def minimal_model(generator, discriminator, jit_compile):
    """The current backend's minimal GAN on these networks, compiled."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import networks

        model = networks.MinimalGAN(generator, discriminator)
    elif backend == "jax":
        model = JaxMinimalGAN(generator, discriminator)
    elif backend == "torch":
        model = TorchMinimalGAN(generator, discriminator)
    else:
        raise ValueError(f"no minimal GAN step for the {backend} backend")
    model.compile(jit_compile=jit_compile)
    return model
