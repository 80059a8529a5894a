"""Backend-specific pieces: the only place that takes gradients.

Everything else in kerasgan is written with `keras.ops`. To add a JAX or
PyTorch train step later, add a sibling of `tensorflow.py` exposing the same
functions and select it here.
"""

import keras

if keras.backend.backend() != "tensorflow":  # pragma: no cover - guarded by CI
    raise ImportError(
        "kerasgan currently needs the TensorFlow backend of Keras 3; got "
        f"KERAS_BACKEND={keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow."
    )

from kerasgan.backend.tensorflow import (  # noqa: E402
    bias_add,
    conv_transpose_with_native_gradients,
    conv_with_gemm_gradients,
    cpu_flags,
    cpu_only,
    fused_batch_norm_training,
    input_gradients,
    minimize,
    num_replicas,
    replica_rows,
    replicas_share_host_cpu,
    step_logs,
    xla_is_faster,
)

__all__ = [
    "bias_add",
    "conv_transpose_with_native_gradients",
    "conv_with_gemm_gradients",
    "cpu_flags",
    "cpu_only",
    "fused_batch_norm_training",
    "input_gradients",
    "minimize",
    "num_replicas",
    "replica_rows",
    "replicas_share_host_cpu",
    "step_logs",
    "xla_is_faster",
]
