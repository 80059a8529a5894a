"""The TensorFlow trainer: `GradientTape` steps, `tf.distribute`, XLA policy.

Also the TensorFlow ops behind the faster layer forms (hand-written
gradients that TensorFlow computes faster than the automatic ones).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import keras
import tensorflow as tf

from kerasgan._typing import Tensor
from kerasgan.backend._common import StatefulTrainer, cpu_flags, steps_per_call


def num_replicas() -> int:
    """Number of replicas the current `tf.distribute` strategy runs in sync."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def replicas_share_host_cpu(strategy: tf.distribute.Strategy | None = None) -> bool:
    """True when the strategy runs several replicas on logical CPUs of one host.

    XLA cannot compile such a step: each replica's compiled cluster would read
    variables placed on another logical CPU device (TensorFlow's documented
    XLA limitation "tf.Variable on a different device"), for plain Keras
    models too. One replica per GPU, or one CPU per worker, is fine.
    """
    strategy = strategy or tf.distribute.get_strategy()
    if strategy.num_replicas_in_sync <= 1:
        return False
    try:
        devices = strategy.extended.worker_devices
    except (RuntimeError, NotImplementedError):  # strategies without local devices
        return False
    cpus = [d for d in devices if "CPU" in d.upper().rsplit("/", 1)[-1]]
    return len(cpus) > 1


def onednn_enabled() -> bool:
    """Whether TensorFlow's own CPU kernels run on oneDNN (on by default for
    x86-64 Linux builds since TF 2.9; `TF_ENABLE_ONEDNN_OPTS=0` turns it off)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in ("0", "false")


def cpu_only() -> bool:
    """True when TensorFlow sees no GPU/TPU, only the host CPU."""
    return all(d.device_type == "CPU" for d in tf.config.list_physical_devices())


def xla_is_faster(strategy: tf.distribute.Strategy | None = None) -> bool:
    """What `jit_compile="auto"` picks for a GAN step on this machine.

    XLA on accelerators. On a CPU, TensorFlow's graph kernels call oneDNN,
    which generates AVX-512 code at run time, while XLA:CPU's convolutions
    are precompiled for the binary's baseline instruction set. Returns
    `True` (XLA) unless the CPU has AVX-512 and oneDNN is on (the figures
    behind this choice: docs/performance.md).

    On a CPU-only machine the environment variable `KERASGAN_CPU_XLA`
    overrides the choice: `1` picks XLA, `0` a TensorFlow graph (which skips
    XLA's compile time: tens of seconds for the larger networks, worth it only
    for long runs).
    """
    strategy = strategy or tf.distribute.get_strategy()
    try:
        devices = strategy.extended.worker_devices
    except (RuntimeError, NotImplementedError):
        devices = ()
    kinds = {d.upper().rsplit("/", 1)[-1].split(":")[1] for d in devices if "DEVICE:" in d.upper()}
    if kinds - {"CPU"} or tf.config.list_logical_devices("GPU"):
        return True
    chosen = cpu_xla_override()
    if chosen is not None:
        return chosen
    return not ("avx512f" in cpu_flags() and onednn_enabled())


CPU_XLA_ENV = "KERASGAN_CPU_XLA"


def cpu_xla_override() -> bool | None:
    """`$KERASGAN_CPU_XLA` as a choice: True (`1`), False (`0`), None (unset)."""
    value = os.environ.get(CPU_XLA_ENV, "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("0", "false", "off", "no"):
        return False
    raise ValueError(
        f"{CPU_XLA_ENV}={os.environ[CPU_XLA_ENV]!r} is not a choice: set it to 1 (XLA) or "
        f'0 (a TensorFlow graph) for what compile(jit_compile="auto") picks on a CPU, or '
        "unset it for the measured choice of this machine."
    )


def step_logs(logs: dict[str, Any]) -> dict[str, Any]:
    """The logs a train/test step returns, in the form `fit` can reduce.

    Under `MultiWorkerMirroredStrategy`, Keras 3's `fit` averages the step's
    outputs with `strategy.reduce("MEAN", value, axis=0)`, which fails on the
    scalar metric results every model returns (keras-team/keras#20585). Each
    scalar is given a length-1 axis there, so the reduction is the mean over
    all replicas of all workers; everywhere else the logs pass unchanged.
    """
    strategy = tf.distribute.get_strategy()
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return logs
    return {k: tf.reshape(v, (1,)) if v.shape.rank == 0 else v for k, v in logs.items()}


def replica_rows(draw: Callable[[Any], Tensor], batch_size: int | Tensor) -> Tensor:
    """This replica's rows of a random draw made for the whole global batch.

    `draw(n)` returns a tensor of `n` random rows from a seed that every
    replica shares (a `keras.random.SeedGenerator` is mirrored, so each replica
    reads the same state). Drawing only `batch_size` rows would hand every
    replica the *same* noise; instead each replica draws the rows of the whole
    global batch (`batch_size * replicas`) and keeps its own contiguous slice.
    The replicas then see different noise, and the union is exactly what a
    single device draws for the global batch from the same seed, so a
    distributed step computes the same thing as an undistributed one. Outside
    a multi-replica step this is `draw(batch_size)`. (A last, uneven batch
    splits unequally across replicas; its slices may then overlap by a row.)
    """
    replicas = num_replicas()
    context = tf.distribute.get_replica_context()
    if replicas == 1 or context is None:
        return draw(batch_size)
    rows = draw(batch_size * replicas)
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * tf.cast(batch_size, tf.int32)
    return rows[start : start + batch_size]


class Trainer(StatefulTrainer):
    """`StatefulTrainer` whose training step runs after its batch arrives.

    Keras' optimizers count `iterations` with an op that reads no data. In a
    TensorFlow graph (no XLA) that op ran even when the step's `get_next` ran
    out at the end of a dataset of unknown length, so every such epoch
    counted one step more than it trained (which shifts Adam's bias
    correction, lazy penalty intervals and the step count that resuming
    relies on). Every op of the step now waits for the batch.
    """

    def train_step(self: keras.Model, data: Any) -> dict[str, Any]:
        arrived = [t for t in tf.nest.flatten(data) if tf.is_tensor(t)]
        with tf.control_dependencies(arrived):
            return self._train_step(data)

    def skipped_train_call(self: keras.Model, iterator: Any) -> dict[str, Any]:
        """A call of `train_function` for steps already trained before a
        resume: their batches are drawn (the step draws them on this backend)
        and dropped, nothing trains; the logs are the epoch's running means."""
        for _ in range(steps_per_call(self)):
            next(iterator)
        return super().skipped_train_call(iterator)


def _model_supports_jit(model: keras.Model) -> bool:
    """Keras' own test (every layer supports XLA, op determinism off)."""
    try:
        from keras.src.trainers.trainer import model_supports_jit
    except ImportError:  # pragma: no cover - Keras moved it
        return all(getattr(layer, "supports_jit", True) for layer in model._flatten_layers())
    return bool(model_supports_jit(model))


def resolve_jit_compile(model: keras.Model, requested: bool | str) -> bool | str:
    """`compile(jit_compile=...)` on TensorFlow: `True` is XLA, `False` a
    TensorFlow graph; `"auto"` is XLA where it is the faster choice for this
    machine (`xla_is_faster`) and, on a CPU without `KERASGAN_CPU_XLA`, for the
    variant (`auto_xla_on_cpu`), otherwise a graph. Keras' own `"auto"` (which
    turns XLA off on every CPU-only machine and under any distribution
    strategy) decides the remaining cases."""
    strategy = model.distribute_strategy
    if requested == "auto":
        if not xla_is_faster(strategy):
            requested = False
        elif cpu_only():
            if not getattr(model, "auto_xla_on_cpu", True) and cpu_xla_override() is None:
                requested = False  # the variant's XLA step is the slower one on CPUs
            elif not model._distribute_strategy:
                requested = _model_supports_jit(model)
    if requested is not False and replicas_share_host_cpu(strategy):
        if requested is True:
            raise ValueError(
                "jit_compile=True cannot run under a distribution strategy with several "
                "replicas on logical CPU devices of one machine: TensorFlow's XLA cannot "
                "read variables placed on another logical CPU (plain Keras models fail the "
                "same way). Use jit_compile=False (or 'auto') here; XLA works with one "
                "replica per GPU or one CPU per worker."
            )
        requested = False  # "auto": XLA cannot run here, see above
    return requested


def check_distribution(model: keras.Model) -> None:
    """Every `tf.distribute` strategy works; nothing to refuse."""


def auto_fast_layers(jit_compile: bool) -> set[str]:
    """The layer forms measured faster on TensorFlow, all on CPUs: the
    few-filter convolutions always, the sub-pixel transposed convolution
    under XLA, the separate bias gradient and the fused batch norm without
    it, grouped convolutions as one block-diagonal convolution in both. None
    on GPUs, where none was measured."""
    if not cpu_only():
        return set()
    if jit_compile:
        return {"conv", "conv_transpose", "grouped"}
    return {"conv", "bias", "norm", "grouped"}


def minimize(
    loss_fn: Callable[[], tuple[Tensor, dict[str, Tensor]]],
    variables: Iterable[keras.Variable],
    optimizer: keras.optimizers.Optimizer,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Runs `loss_fn()` under a tape and applies one optimizer update.

    Args:
        loss_fn: callable returning `(loss, logs)`; `loss` is the per-replica
            mean loss, `logs` a dict of scalars to report.
        variables: the variables to update.
        optimizer: a `keras.optimizers.Optimizer` (loss scaling for
            `mixed_float16` is handled through `optimizer.scale_loss`).

    Returns:
        `(loss, logs)` as returned by `loss_fn`.
    """
    with tf.GradientTape() as tape:
        loss, logs = loss_fn()
        # Gradients are summed over replicas by the optimizer: scale by the
        # replica count so that the update matches the global-batch mean.
        scaled = optimizer.scale_loss(loss / num_replicas())
    grads = tape.gradient(scaled, variables)
    # Embedding gradients arrive as IndexedSlices, which Keras' TensorFlow
    # optimizers apply as sparse ("lazy") updates; dense gradients give the
    # update JAX and PyTorch compute.
    grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
    optimizer.apply_gradients(zip(grads, variables))
    return loss, logs


def input_gradients(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Gradient of `sum(fn(x))` with respect to `x` (differentiable itself).

    When `fn` treats samples independently (no batch statistics), row `i` of
    the result is the gradient of `fn(x)[i]` with respect to `x[i]`.
    """
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.cast(fn(x), tf.float32)
        total = tf.reduce_sum(out)
    return tape.gradient(total, x)


def conv_transpose_with_native_gradients(
    forward: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    kernel: Tensor,
    strides: int | Sequence[int],
    padding: str,
) -> Tensor:
    """`forward(x, kernel)` (a channels-last 2D transposed convolution computed
    some other way) with the gradients of TensorFlow's own `conv2d_transpose`:
    the input gradient is the strided `conv2d` of the output gradient, the
    kernel gradient `Conv2DBackpropFilter`. Both are ordinary differentiable
    ops, so second-order gradients (gradient penalties) still work."""
    sh, sw = (strides, strides) if isinstance(strides, int) else tuple(strides)
    tf_strides = [1, sh, sw, 1]
    tf_padding = padding.upper()

    @tf.custom_gradient
    def op(x: Tensor, kernel: Tensor) -> tuple[Tensor, Callable[[Tensor], tuple[Tensor, Tensor]]]:
        def grad(dy: Tensor) -> tuple[Tensor, Tensor]:
            dx = tf.nn.conv2d(dy, kernel, tf_strides, tf_padding)
            dk = tf.raw_ops.Conv2DBackpropFilter(
                input=dy,
                filter_sizes=tf.shape(kernel),
                out_backprop=x,
                strides=tf_strides,
                padding=tf_padding,
            )
            return dx, dk

        return forward(x, kernel), grad

    # read variables outside: custom gradients see tensors only
    return op(tf.convert_to_tensor(x), tf.convert_to_tensor(kernel))


def conv_with_gemm_gradients(
    forward: Callable[[Tensor, Tensor], Tensor],
    x: Tensor,
    kernel: Tensor,
    pad_top: int,
    pad_left: int,
) -> Tensor:
    """`forward(x, kernel)` (a channels-last, stride-1 2D convolution computed
    some other way) with its gradients as two matrix products over a stack of
    shifted output gradients (`S[..., t] = dy` shifted by kernel tap `t`):
    `dx = S @ W^T`, `dW = x^T @ S`, `W` the kernel as (in, taps * out).
    For convolutions with very few output channels this beats TensorFlow's
    convolution-gradient kernels, which vectorize over output channels.
    Made of differentiable ops, so second-order gradients work."""

    @tf.custom_gradient
    def op(x: Tensor, kernel: Tensor) -> tuple[Tensor, Callable[[Tensor], tuple[Tensor, Tensor]]]:
        def grad(dy: Tensor) -> tuple[Tensor, Tensor]:
            kh, kw, c, f = kernel.shape
            h, w = x.shape[1], x.shape[2]
            oh, ow = dy.shape[1], dy.shape[2]
            # S[b, q, r, (i * kw + j) * f + o] = dy[b, q - i + pad_top, r - j + pad_left, o]
            dyp = tf.pad(
                dy,
                [
                    [0, 0],
                    [kh - 1 - pad_top, h - oh + pad_top],
                    [kw - 1 - pad_left, w - ow + pad_left],
                    [0, 0],
                ],
            )
            shifted = [
                dyp[:, kh - 1 - i : kh - 1 - i + h, kw - 1 - j : kw - 1 - j + w, :]
                for i in range(kh)
                for j in range(kw)
            ]
            stack = tf.reshape(tf.concat(shifted, axis=-1), (-1, kh * kw * f))
            wmat = tf.reshape(tf.transpose(kernel, (2, 0, 1, 3)), (c, kh * kw * f))
            dx = tf.reshape(tf.matmul(stack, wmat, transpose_b=True), tf.shape(x))
            dw = tf.matmul(tf.reshape(x, (-1, c)), stack, transpose_a=True)
            dk = tf.transpose(tf.reshape(dw, (c, kh, kw, f)), (1, 2, 0, 3))
            return dx, dk

        return forward(x, kernel), grad

    return op(tf.convert_to_tensor(x), tf.convert_to_tensor(kernel))


def bias_add(x: Tensor, bias: Tensor) -> Tensor:
    """`x + bias` over the last axis (a channels-last layer's bias), with the
    bias gradient as a plain sum of the output gradient.

    The forward op is TensorFlow's `BiasAdd`, as in Keras' own layers, so
    TensorFlow still fuses it into the convolution before it. The gradient
    is the same sum, computed by `Sum` instead of `BiasAddGrad`: TensorFlow's
    oneDNN graph pass merges a `BiasAddGrad` with the kernel gradient of the
    convolution before it into one `Conv2DBackpropFilterWithBias`, which on a
    convolution over few input channels (a discriminator's first layer on
    1-channel images) is slower than the two ops apart (docs/performance.md).
    Half-precision gradients are summed in float32.
    Made of differentiable ops, so second-order gradients work."""

    @tf.custom_gradient
    def op(x: Tensor, bias: Tensor) -> tuple[Tensor, Callable[[Tensor], tuple[Tensor, Tensor]]]:
        def grad(dy: Tensor) -> tuple[Tensor, Tensor]:
            wide = dy if dy.dtype in (tf.float32, tf.float64) else tf.cast(dy, tf.float32)
            db = tf.reduce_sum(wide, axis=list(range(dy.shape.rank - 1)))
            return dy, tf.cast(db, bias.dtype)

        return tf.nn.bias_add(x, bias), grad

    return op(tf.convert_to_tensor(x), tf.convert_to_tensor(bias))


def fused_batch_norm_training(
    x: Tensor, gamma: Tensor, beta: Tensor, epsilon: float
) -> tuple[Tensor, Tensor, Tensor]:
    """Training-mode batch normalization of a channels-last rank-4 `x` as one
    fused TensorFlow op (`FusedBatchNormV3`, oneDNN on CPU; its gradient and
    second-order gradient are TensorFlow's). Returns the output and the batch
    mean and *biased* variance (what Keras' `BatchNormalization` uses for its
    moving statistics; the op itself returns the Bessel-corrected one)."""
    y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
        x, gamma, beta, epsilon=epsilon, data_format="NHWC", is_training=True
    )
    n = tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), variance.dtype)
    return y, mean, variance * (n - 1.0) / tf.maximum(n, 1.0)


def cond(pred: Tensor, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """`keras.ops.cond` (assignments in the branch taken are kept)."""
    import keras

    return keras.ops.cond(pred, true_fn, false_fn)


def prepare_network(network: keras.Model) -> None:
    """Nothing to change on this backend."""
