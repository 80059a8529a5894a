"""Type aliases for kerasgan's annotations (they have no effect at run time).

Keras, TensorFlow and the other backends do not publish one tensor type that a
type checker can follow, so a tensor is annotated as `Tensor` (an alias of
`Any`): documentation for the reader, no constraint for the checker.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

#: A tensor of the Keras backend (`tf.Tensor`, `jax.Array`, `torch.Tensor`), a
#: symbolic `keras.KerasTensor` while a functional model is built, or anything
#: `keras.ops` accepts (NumPy arrays, Python numbers).
Tensor = Any

#: A shape as Keras gives it: a tuple or list of sizes, `None` where unknown.
Shape = Sequence[Any]

#: A file or folder path: a string or a `pathlib.Path` (any `os.PathLike`).
StrPath = str | os.PathLike[str]
