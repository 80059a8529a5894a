"""The benchmark's Keras networks, a minimal hand-written Keras GAN, and FLOP counts.

- `kerasio_networks()`: the keras.io-style DCGAN (28x28x1, latent
  128; generator Dense -> 7x7x128, two stride-2 `Conv2DTranspose(128, 4)`,
  `Conv2D(1, 7)`; discriminator two stride-2 `Conv2D` 64/128 with LeakyReLU,
  global max pool, `Dense(1)`).
- `MinimalGAN`: the smallest correct `keras.Model` with its own `train_step`
  (as in the keras.io examples): the baseline that kerasgan's `fit` must not
  be slower than ("no library overhead").
- `train_step_flops(gan, batch)`: floating-point operations of one training
  step, counted by TensorFlow's profiler on the step's graph (forward, backward
  and optimizer ops), and `analytic_kerasio_flops` to check the counter.
- `compiled_step_instructions(model, batch)`: what XLA makes of one training
  step, as a count of instructions by (opcode, shape), split into those that
  touch a non-scalar tensor and the scalar-only rest: two steps that differ
  only in scalar bookkeeping (loss trackers) have equal non-scalar counts.
"""

from __future__ import annotations

import collections
import itertools
import re

import keras
from keras import layers

LATENT = 128


def kerasio_networks():
    generator = keras.Sequential(
        [
            keras.Input((LATENT,)),
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(0.2),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2DTranspose(128, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(1, 7, padding="same", activation="tanh"),
        ],
        name="generator",
    )
    discriminator = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(64, 3, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(128, 3, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    return generator, discriminator


def analytic_kerasio_flops(batch: int) -> dict:
    """Multiply-adds x 2 of the keras.io network's convolutions and dense
    layers for one training step (D update on `batch` real + `batch` fake,
    G update on `batch`), by hand. Backward of a layer = 2x its forward
    (input gradient + weight gradient), except that the first layer of D
    needs no input gradient on the D update and G's layers are not
    differentiated in the D update."""
    g_layers = [
        LATENT * 7 * 7 * 128,  # dense
        7 * 7 * 128 * 128 * 16,  # conv-transpose 7 -> 14 (per input pixel)
        14 * 14 * 128 * 128 * 16,  # conv-transpose 14 -> 28
        28 * 28 * 128 * 49,  # conv 7x7 -> 1 channel
    ]
    d_layers = [
        14 * 14 * 64 * 9,  # conv 3x3 s2, 1 -> 64
        7 * 7 * 128 * 64 * 9,  # conv 3x3 s2, 64 -> 128
        128,  # dense
    ]
    g_fwd = 2 * sum(g_layers)
    d_fwd = 2 * sum(d_layers)
    d_update = batch * (g_fwd + 2 * d_fwd + 2 * (2 * d_fwd - 2 * d_layers[0]) + 2 * 2 * d_layers[0])
    g_update = batch * (3 * g_fwd + 3 * d_fwd)
    return {
        "generator_forward_per_image": g_fwd,
        "discriminator_forward_per_image": d_fwd,
        "step": d_update + g_update,
    }


class MinimalGAN(keras.Model):
    """A bare DCGAN `train_step` (non-saturating loss, one D and one G update)."""

    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.generator, self.discriminator = generator, discriminator
        self.seed = keras.random.SeedGenerator(0)

    def compile(self, **kwargs):
        super().compile(**kwargs)
        self.d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.d_opt.build(self.discriminator.trainable_variables)
        self.g_opt.build(self.generator.trainable_variables)

    def train_step(self, real):
        import tensorflow as tf

        batch = tf.shape(real)[0]
        z = keras.random.normal((batch, LATENT), seed=self.seed)
        fake = self.generator(z, training=True)
        with tf.GradientTape() as tape:
            d_loss = tf.reduce_mean(tf.nn.softplus(-self.discriminator(real, training=True)))
            d_loss += tf.reduce_mean(tf.nn.softplus(self.discriminator(fake, training=True)))
        grads = tape.gradient(d_loss, self.discriminator.trainable_variables)
        self.d_opt.apply_gradients(zip(grads, self.discriminator.trainable_variables))
        z = keras.random.normal((batch, LATENT), seed=self.seed)
        with tf.GradientTape() as tape:
            logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = tf.reduce_mean(tf.nn.softplus(-logits))
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_opt.apply_gradients(zip(grads, self.generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}


def train_step_flops(model, batch_size: int, image_shape=(28, 28, 1), labels: bool = False):
    """FLOPs of one `model.train_step` on a batch, by TensorFlow's profiler.

    Traces the step (without XLA) into a graph and sums the registered
    `flops` statistics of its ops: convolutions (and their input / filter
    gradients), matmuls, element-wise ops. Optimizer updates are included.
    """
    import tensorflow as tf
    from tensorflow.python.profiler import model_analyzer, option_builder

    spec = tf.TensorSpec((batch_size, *image_shape), tf.float32)
    if labels:
        spec = (spec, tf.TensorSpec((batch_size,), tf.int32))
    concrete = tf.function(model.train_step).get_concrete_function(spec)
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    info = model_analyzer.profile(concrete.graph, options=options)
    total = int(info.total_float_ops)
    # The profiler's BatchMatMul count ignores adj_x / adj_y and so counts,
    # e.g., the gradient of a per-example dot product (128, 1, 12544)^T @
    # (128, 1, 1) as a 12544 x 12544 product (40 GFLOP instead of 3 MFLOP):
    # replace its figure for those ops with 2 * |output| * contracted size.
    counted = {}

    def walk(node):
        counted[node.name] = node.float_ops
        for child in node.children:
            walk(child)

    walk(info)
    for op in concrete.graph.get_operations():
        if op.type in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3") and op.name in counted:
            x, out = op.inputs[0].shape, op.outputs[0].shape
            if x.rank is None or not out.is_fully_defined():
                continue
            k = x[-2] if op.get_attr("adj_x") else x[-1]
            total += 2 * out.num_elements() * k - counted[op.name]
    return total


def _hlo_shapes(shape: str) -> list:
    """The array shapes in an HLO shape string, layouts dropped:
    `"(f32[2,3]{1,0}, s64[])"` -> `["f32[2,3]", "s64[]"]`."""
    return re.findall(r"\b[a-z]+\d*\[[\d,]*\]", re.sub(r"\{[^}]*\}", "", shape))


def _is_scalar(shape: str) -> bool:
    return shape.endswith("[]")


def hlo_instructions(hlo: str) -> tuple:
    """`(non_scalar, scalar)`: `collections.Counter`s of the instructions of an
    HLO module's text by `(opcode, shape)`, fused computations included.

    An instruction is scalar when its result and every operand are scalars
    (a tuple counts by its elements, and its shape is written without its
    scalar elements, so that a step returning two more scalars still matches);
    a `get-tuple-element` or `parameter` counts by its result alone.
    Instruction names are unique in a module, so operands are looked up by name.
    """
    parsed, shapes = [], {}
    for line in hlo.splitlines():
        m = re.match(r"\s*(?:ROOT\s+)?%?([\w.\-]+) = ", line)
        if not m:
            continue
        rhs = line[m.end() :]
        if rhs.startswith("("):  # tuple shape: up to its closing parenthesis
            depths = itertools.accumulate((ch == "(") - (ch == ")") for ch in rhs)
            end = next(i for i, depth in enumerate(depths) if depth == 0) + 1
            shape, rest = rhs[:end], rhs[end:].lstrip()
        else:
            shape, _, rest = rhs.partition(" ")
        op = re.match(r"([\w\-]+)\(([^)]*)\)", rest)
        if not op:
            continue
        shapes[m.group(1)] = _hlo_shapes(shape)
        operands = re.findall(r"%([\w.\-]+)", op.group(2))
        parsed.append((op.group(1), shapes[m.group(1)], shape.startswith("("), operands))
    non_scalar, scalar = collections.Counter(), collections.Counter()
    for opcode, out, is_tuple, operands in parsed:
        big = [s for s in out if not _is_scalar(s)]
        touched = list(big)
        if opcode not in ("get-tuple-element", "parameter"):
            for name in operands:
                touched += [s for s in shapes.get(name, []) if not _is_scalar(s)]
        if touched:
            key = "(" + ", ".join(big) + ")" if is_tuple else out[0]
            non_scalar[(opcode, key)] += 1
        else:
            scalar[(opcode, ", ".join(out))] += 1
    return non_scalar, scalar


def compiled_step_instructions(model, batch_size: int, image_shape=(28, 28, 1), labels=False):
    """`hlo_instructions` of `model.train_step` on one batch as XLA compiles
    it (optimized HLO, the step alone, without `fit`'s loop around it)."""
    import tensorflow as tf

    batch = tf.zeros((batch_size, *image_shape))
    if labels:
        batch = (batch, tf.zeros((batch_size,), tf.int32))
    step = tf.function(model.train_step, jit_compile=True)
    return hlo_instructions(step.experimental_get_compiler_ir(batch)(stage="optimized_hlo"))
