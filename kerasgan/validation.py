"""Input checks that turn common mistakes into one clear error each.

Checks run twice: in `GANModel.fit` before training starts (on numpy arrays
in full, on the first batch of a `tf.data.Dataset`), and on static shapes and
dtypes when the train step is traced, which covers every other input kind.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from kerasgan._typing import Shape, Tensor

if TYPE_CHECKING:
    import keras

#: Tolerance on the [-1, 1] range check (float rounding of scaled uint8 data).
RANGE_TOLERANCE = 1e-3

SCALE_HINT = "scale them first, e.g. images = images.astype('float32') / 127.5 - 1"


def _shape_tuple(shape: Any) -> tuple[int | None, ...] | None:
    if hasattr(shape, "as_list"):
        shape = shape.as_list() if shape.rank is not None else None
    elif shape is not None:
        shape = list(shape)
    return None if shape is None else tuple(None if d is None else int(d) for d in shape)


class _Dtype:
    """A dtype of any backend (TensorFlow, JAX, PyTorch, NumPy), by kind."""

    def __init__(self, dtype: Any) -> None:
        import keras

        try:
            self.name = keras.backend.standardize_dtype(dtype)
        except (TypeError, ValueError):  # strings, objects: not a tensor dtype
            self.name = str(getattr(dtype, "name", dtype))
        self.is_bool = self.name == "bool"
        self.is_integer = self.name.startswith(("int", "uint"))
        self.is_floating = self.name.startswith(("float", "bfloat"))


def check_image_spec(shape: Shape | None, dtype: Any, image_shape: Shape) -> None:
    """Checks the static shape and dtype of a batch of images."""
    shape = _shape_tuple(shape)
    image_shape = tuple(image_shape)
    dtype = _Dtype(dtype)
    dims = ", ".join(str(d) for d in image_shape)
    expected = f"(batch, {dims})"
    if shape is None:
        raise ValueError(
            f"Expected a batch of images of shape {expected}; got images of unknown rank "
            "(a tf.data pipeline that lost its static shape, e.g. from_generator with "
            "TensorSpec(shape=None)) — give them one, e.g. "
            f"dataset.map(lambda images: tf.ensure_shape(images, (None, {dims})))."
        )
    if len(shape) != 4:
        hint = ""
        if len(shape) == 3 and image_shape[-1] == 1 and shape[1:] == image_shape[:2]:
            hint = " — add a channel axis, e.g. images[..., None]"
        elif len(shape) == 3 and shape == image_shape:
            hint = " — that is a single image; add a batch axis, e.g. images[None]"
        raise ValueError(
            f"Expected a batch of images of shape {expected}; got rank-{len(shape)} "
            f"shape {shape}{hint}."
        )
    if shape[1:] != image_shape and None not in shape[1:]:
        hint = ""
        if shape[1:3] == image_shape[:2] and shape[3] != image_shape[2]:
            hint = (
                f" — the model was built for {image_shape[2]} channel(s) but the images "
                f"have {shape[3]}; build the model with image_shape={shape[1:]} or "
                "convert the images"
            )
        elif shape[1] == image_shape[2] and shape[2:] == image_shape[:2]:
            hint = " — the images are channels-first; transpose to (batch, H, W, C)"
        else:
            hint = f" — resize the images, or build the model with image_shape={shape[1:]}"
        raise ValueError(f"Expected images of shape {expected}; got {shape}{hint}.")
    if dtype.is_integer or dtype.is_bool:
        raise ValueError(
            f"Expected float images scaled to [-1, 1]; got dtype {dtype.name} "
            f"(raw pixel values?) — {SCALE_HINT}."
        )
    if not dtype.is_floating:
        raise ValueError(f"Expected float images scaled to [-1, 1]; got dtype {dtype.name}.")


def check_image_values(images: Tensor) -> None:
    """Checks that concrete image values lie in [-1, 1]."""
    images = np.asarray(images)
    if images.size == 0:
        raise ValueError("Got an empty batch of images; the training data has no samples.")
    lo, hi = float(np.min(images)), float(np.max(images))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError("The images contain NaN or Inf values; clean the data before training.")
    if lo < -1 - RANGE_TOLERANCE or hi > 1 + RANGE_TOLERANCE:
        hint = SCALE_HINT if hi > 1.5 else "rescale them to [-1, 1]"
        raise ValueError(
            f"Expected images scaled to [-1, 1] (the generator ends in tanh); got values "
            f"in [{lo:g}, {hi:g}] — {hint}."
        )


def check_label_presence(has_labels: bool, num_classes: int | None, variant: str) -> None:
    """Conditional models need labels; unconditional ones must not get them."""
    if num_classes is not None and not has_labels:
        raise ValueError(
            f"This {variant} model is conditional (num_classes={num_classes}) and needs "
            "integer class labels: call fit(images, labels), or give a dataset of "
            "(images, labels) pairs."
        )
    if num_classes is None and has_labels:
        raise ValueError(
            f"This {variant} model is unconditional but got labels with the images. "
            "Pass images only — fit(images), or dataset.map(lambda x, y: x) — or use a "
            "conditional variant such as 'cgan' with num_classes=..."
        )


def check_label_spec(shape: Shape | None, dtype: Any, num_classes: int) -> None:
    """Checks the static shape and dtype of a batch of labels."""
    shape = _shape_tuple(shape)
    dtype = _Dtype(dtype)
    if not dtype.is_integer:
        raise ValueError(
            f"Expected integer class labels in [0, {num_classes - 1}]; got dtype "
            f"{dtype.name} — convert them, e.g. labels.astype('int32') (one-hot labels: "
            "labels.argmax(-1))."
        )
    if shape is not None and not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
        raise ValueError(
            f"Expected labels of shape (batch,) with integer class ids; got shape {shape}"
            " — one-hot labels can be converted with labels.argmax(-1)."
        )


def check_label_values(labels: Tensor, num_classes: int) -> None:
    """Checks that concrete labels lie in [0, num_classes)."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return
    lo, hi = int(np.min(labels)), int(np.max(labels))
    if lo < 0 or hi >= num_classes:
        raise ValueError(
            f"Labels out of range: expected class ids in [0, {num_classes - 1}] for "
            f"num_classes={num_classes}; got values in [{lo}, {hi}]."
        )


def check_batch_sizes(n_images: int | None, n_labels: int | None) -> None:
    if n_images is not None and n_labels is not None and n_images != n_labels:
        raise ValueError(f"Got {n_images} images but {n_labels} labels; give one label per image.")


def _split_element(element: Any) -> tuple[Any, Any]:
    """(images, labels) from a dataset element or a fit `(x, y)` pair."""
    if isinstance(element, dict):
        raise ValueError(
            "Expected dataset elements to be images or (images, labels) tuples; got a "
            f"dict with keys {sorted(element)} — map it, e.g. "
            "dataset.map(lambda d: (d['image'], d['label']))."
        )
    if isinstance(element, (tuple, list)):
        if len(element) == 3 and element[2] is None:  # train_on_batch(x, y): no weights
            element = element[:2]
        if len(element) == 2 and element[1] is None:
            element = element[:1]
        if len(element) == 1:
            return element[0], None
        if len(element) == 2:
            return element[0], element[1]
        if len(element) == 3:
            raise ValueError("Sample weights are not supported by GAN training; drop them.")
        raise ValueError(
            f"Expected images or (images, labels); got a tuple of {len(element)} items."
        )
    return element, None


def _check_dense(spec: Any, element_spec: Any) -> None:
    """The images or labels of a dataset element must be one dense tensor each."""
    tf = sys.modules["tensorflow"]
    if not isinstance(spec, tf.TensorSpec):
        raise ValueError(
            "Expected dataset elements to be images or (images, labels), each one dense "
            f"tensor; got elements {element_spec} — map the dataset to that form, e.g. "
            "dataset.map(lambda pair: (pair[0], pair[1]))."
        )


def _for_backends(dataset: Any, images_spec: Any, labels_spec: Any, image_shape: Shape) -> Any:
    """`dataset` (checked) with what a backend cannot take changed: images of
    unknown rank get the model's shape (TensorFlow's step needs a static
    rank), uint64 labels become int32 (PyTorch has no uint64)."""
    tf = sys.modules["tensorflow"]
    set_shape = images_spec.shape.rank is None
    cast_labels = labels_spec is not None and labels_spec.dtype == tf.uint64
    if not (set_shape or cast_labels):
        return dataset

    def change(images: Any, labels: Any = None) -> Any:
        if set_shape:
            images = tf.ensure_shape(images, (None, *image_shape))
        if labels is None:
            return images
        return images, tf.cast(labels, tf.int32) if cast_labels else labels

    return dataset.map(change)


def check_fit_data(model: keras.Model, x: Any, y: Any) -> tuple[Any, Any]:
    """Validates `fit(x, y)` inputs of the common kinds before training starts.

    Returns `(x, y)` as Keras is to get them: an `(images, labels)` (or
    `(images,)`) tuple or list given as `x` is split into `x` and `y`, labels
    given as a list (or as uint64, which PyTorch lacks) become int32, and a
    dataset of images of unknown rank gets the model's image shape.
    """
    variant = model.variant_name
    tf = sys.modules.get("tensorflow")  # a tf.data input means TensorFlow is loaded
    if tf is not None and isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ValueError(
                "When x is a tf.data.Dataset, labels must be inside it as (images, labels) "
                "pairs, not passed as y."
            )
        images_spec, labels_spec = _split_element(x.element_spec)
        for spec in (images_spec, labels_spec):
            if spec is not None:
                _check_dense(spec, x.element_spec)
        check_label_presence(labels_spec is not None, model.num_classes, variant)
        if images_spec.shape.rank is not None:  # else the model's is set (_for_backends)
            check_image_spec(images_spec.shape, images_spec.dtype, model.image_shape)
        if labels_spec is not None:
            check_label_spec(labels_spec.shape, labels_spec.dtype, model.num_classes)
        empty = True
        for element in x.take(1):
            empty = False
            images, labels = _split_element(element)
            # the static shapes above may have unknown dims: the first batch's are known
            check_image_spec(images.shape, images.dtype, model.image_shape)
            check_image_values(images)
            if labels is not None:
                check_label_spec(labels.shape, labels.dtype, model.num_classes)
                check_label_values(labels, model.num_classes)
                check_batch_sizes(images.shape[0], labels.shape[0])
        if empty:
            raise ValueError(
                "The training dataset is empty: it yielded no batches. Check the source "
                "(split name, file pattern, a filter() that drops everything) and that "
                "batch(..., drop_remainder=True) gets at least one full batch."
            )
        return _for_backends(x, images_spec, labels_spec, model.image_shape), y
    if isinstance(x, dict):
        raise ValueError(
            "Expected x to be images (an array or tensor), an (images, labels) tuple or a "
            f"tf.data.Dataset; got a dict with keys {sorted(map(str, x))} — pass "
            "fit(images, labels) instead."
        )
    if isinstance(x, (tuple, list)):
        if y is not None:
            raise ValueError(
                f"x is a {type(x).__name__} of length {len(x)} and labels are given as y too: "
                "pass the images as one array, fit(images, labels), or images and labels "
                "together as x, fit((images, labels))."
            )
        x, y = _split_element(x)
        if not is_array(x):
            raise ValueError(
                "Expected the images to be one numpy array or tensor; got a "
                f"{type(x).__name__} — convert them, e.g. np.asarray(images, 'float32')."
            )
    if not is_array(x):
        return x, y  # generators, PyDatasets: checked when the step is traced
    check_label_presence(y is not None, model.num_classes, variant)
    images = x if _is_tf_tensor(x) else np.asarray(x)
    check_image_spec(images.shape, images.dtype, model.image_shape)
    check_image_values(images)
    if y is not None:
        labels = np.asarray(y)
        check_label_spec(labels.shape, labels.dtype, model.num_classes)
        check_batch_sizes(images.shape[0], labels.shape[0])
        check_label_values(labels, model.num_classes)
        if not is_array(y) or labels.dtype == np.uint64:  # a list; PyTorch has no uint64
            y = labels.astype("int32")  # class ids in [0, num_classes), checked above
    return x, y


def is_array(x: object) -> bool:
    """Whether `x` is an in-memory array: NumPy, or a tensor of TensorFlow or
    of the Keras backend (JAX, PyTorch)."""
    import keras

    return isinstance(x, np.ndarray) or _is_tf_tensor(x) or keras.ops.is_tensor(x)


def _is_tf_tensor(x: object) -> bool:
    # Without importing TensorFlow: a JAX or PyTorch user may not load it at all.
    tf = sys.modules.get("tensorflow")
    return tf is not None and tf.is_tensor(x)
