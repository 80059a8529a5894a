"""What every source hands over (`Source`), and the shared `tf.data` pipeline."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from kerasgan.data.errors import DataError

NO_LABEL = -1
#: Shuffle buffer for sources of unknown size.
DEFAULT_SHUFFLE_BUFFER = 10_000


@dataclass
class Source:
    """One resolved data source, before shuffling, batching and resizing.

    Attributes:
        what: a short description for messages, e.g. "image folder /data/faces".
        make_elements: builds the unshuffled dataset of cheap elements (file
            names, uint8 images): shuffling happens on these, before decoding.
        convert: maps one element to `(image, label)`: float32 `(H, W, C)` in
            [-1, 1] and an int32 label (`NO_LABEL` when the source has none).
        size: the number of examples, when known.
        image_shape: `(H, W, C)`; None in H or W when images vary in size.
        has_labels: whether labels are real.
        label_hint: how to give this kind of source labels (for the error).
        class_names: names of the label ids, when known.
        shuffle_buffer: shuffle buffer cap; None shuffles the whole source.
        arrays: for in-memory sources, returns `(images, labels)` as numpy
            without a pipeline (`load_arrays` fast path).
        batch_convert: `convert` is element-wise and also takes a batch
            `(B, H, W, C)`; the pipeline then converts whole batches (one call
            per batch instead of one per image: less tf.data overhead).
        find_damaged: after a TensorFlow error while reading the source, finds
            the file behind it: a message naming the file, or None.
    """

    what: str
    make_elements: Callable[[], tf.data.Dataset]
    convert: Callable
    size: int | None
    image_shape: tuple
    has_labels: bool
    label_hint: str = ""
    class_names: list[str] | None = None
    shuffle_buffer: int | None = None
    arrays: Callable[[], tuple[np.ndarray, np.ndarray | None]] | None = None
    batch_convert: bool = False
    find_damaged: Callable[[], str | None] | None = None


def check_image_size(
    image_size: int | Sequence[int] | None, what: str = "image_size"
) -> tuple[int, int] | None:
    """None, an int n (-> (n, n)) or `(h, w)` of positive ints -> `(h, w)` or None."""
    if image_size is None:
        return None
    if isinstance(image_size, (int, np.integer)):
        image_size = (image_size, image_size)
    try:
        h, w = (int(v) for v in image_size)
        ok = h > 0 and w > 0 and all(float(v) == int(v) for v in image_size)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise DataError(f"{what} must be (height, width) of positive ints; got {image_size!r}.")
    return h, w


def check_pad_to(
    pad_to: int | Sequence[int] | None,
    image_shape: Sequence[int | None],
    image_size: tuple[int, int] | None,
) -> tuple[int, int] | None:
    """`pad_to` (None, an int or `(h, w)`) as `(h, w)`, checked against the
    images' size (after `image_size`, if given): padding never shrinks."""
    pad_to = check_image_size(pad_to, what="pad_to")
    if pad_to is None:
        return None
    height, width = image_size if image_size is not None else image_shape[:2]
    if height is None or width is None:
        raise DataError(
            "pad_to needs images of one size; pass image_size=(h, w) too to resize them first."
        )
    if pad_to[0] < height or pad_to[1] < width:
        raise DataError(
            f"pad_to={pad_to} is smaller than the images ({height}, {width}): padding only "
            "adds pixels; pass image_size=(h, w) to shrink them."
        )
    return pad_to


def pad(image: tf.Tensor, pad_to: Sequence[int]) -> tf.Tensor:
    """Centres `(..., H, W, C)` images in [-1, 1] on a `pad_to` canvas of -1
    (the background of dark-background images such as Fashion-MNIST); an odd
    margin puts the extra pixel after the image."""
    height, width = image.shape[-3], image.shape[-2]
    top, left = (pad_to[0] - height) // 2, (pad_to[1] - width) // 2
    margins = [[top, pad_to[0] - height - top], [left, pad_to[1] - width - left], [0, 0]]
    margins = [[0, 0]] * (image.shape.rank - 3) + margins
    return tf.pad(image, margins, constant_values=-1.0)


def resize(image: tf.Tensor, image_size: Sequence[int]) -> tf.Tensor:
    """Bilinear, antialiased resize of `(H, W, C)` images in [-1, 1], kept in [-1, 1]."""
    image = tf.image.resize(image, image_size, method="bilinear", antialias=True)
    return tf.clip_by_value(image, -1.0, 1.0)


def make_dataset(
    source: Source,
    *,
    batch_size: int,
    conditional: bool,
    image_size: tuple[int, int] | None,
    shuffle: bool,
    seed: int | None,
    drop_remainder: bool,
    pad_to: int | Sequence[int] | None = None,
) -> tf.data.Dataset:
    """shuffle -> decode/scale (+ resize, + pad) -> batch -> prefetch.

    Sources whose `convert` works on batches of fixed-size images get
    shuffle -> batch -> scale (+ resize) -> prefetch instead: the same
    batches, with one conversion per batch rather than per image.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise DataError(f"batch_size must be a positive int; got {batch_size!r}.")
    if batch_size < 1:
        raise DataError(f"batch_size must be a positive int; got {batch_size}.")
    if conditional and not source.has_labels:
        raise DataError(
            f"conditional=True needs labels, but {source.what} has none. "
            f"{source.label_hint}".strip()
        )
    height, width, channels = source.image_shape
    if image_size is None and (height is None or width is None):
        raise DataError(
            f"Images in {source.what} vary in size; pass image_size=(h, w) to resize them."
        )
    if drop_remainder and source.size is not None and source.size < batch_size:
        raise DataError(
            f"{source.what} has {source.size} examples, fewer than batch_size={batch_size}: "
            "with drop_remainder=True there would be no batch at all. Lower batch_size "
            "or pass drop_remainder=False."
        )
    pad_to = check_pad_to(pad_to, (height, width), image_size)
    if image_size is not None and tuple(image_size) == (height, width):
        image_size = None  # already that size
    convert = source.convert

    def finish(*element: tf.Tensor) -> tf.Tensor | tuple[tf.Tensor, tf.Tensor]:
        image, label = convert(*element)
        if image_size is not None:
            image = resize(image, image_size)
        if pad_to is not None:
            image = pad(image, pad_to)
        return (image, label) if conditional else image

    def batches(elements: tf.data.Dataset) -> tf.data.Dataset:
        if source.batch_convert and height is not None and width is not None:
            ds = elements.batch(batch_size, drop_remainder=drop_remainder)
            return ds.map(finish, num_parallel_calls=tf.data.AUTOTUNE)
        ds = elements.map(finish, num_parallel_calls=tf.data.AUTOTUNE)
        return ds.batch(batch_size, drop_remainder=drop_remainder)

    ds = source.make_elements()
    if not shuffle:
        return batches(ds).prefetch(tf.data.AUTOTUNE)
    buffer = source.size or DEFAULT_SHUFFLE_BUFFER
    if source.shuffle_buffer is not None:
        buffer = min(buffer, source.shuffle_buffer)
    buffer = max(int(buffer), 1)
    if seed is None or not source.size:
        ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
        return batches(ds).prefetch(tf.data.AUTOTUNE)
    return _ResumableOrder(
        ds, batches, buffer, seed, source.size, batch_size, drop_remainder
    ).dataset()


class _ResumableOrder:
    """Shuffled batches whose order is a function of the seed and of how many
    batches were already trained.

    `position` (a `tf.Variable`) is the number of batches already consumed.
    Pass `k` over the data is shuffled with a seed made from `(seed, k)`; an
    iteration reads `position` when it starts and yields the batches from
    there on: the rest of pass `position // batches_per_pass` (the batches
    of it already consumed skipped before decoding), then the next passes. Keeping
    `position` at the model's step count (`GANModel.fit` does) makes a
    resumed run see the batches an uninterrupted one would have seen.
    """

    def __init__(
        self,
        elements: tf.data.Dataset,
        batches: Callable[[tf.data.Dataset], tf.data.Dataset],
        buffer: int,
        seed: int,
        size: int,
        batch_size: int,
        drop_remainder: bool,
    ) -> None:
        self.elements, self.batches, self.buffer = elements, batches, buffer
        self.batch_size = batch_size
        per_pass = size // batch_size if drop_remainder else -(-size // batch_size)
        self.per_pass = max(per_pass, 1)
        self.base = int(seed) % _SEED_MODULUS
        self.position = tf.Variable(0, dtype=tf.int64, trainable=False, name="data_position")

    def _pass(self, index: tf.Tensor, skip_batches: tf.Tensor) -> tf.data.Dataset:
        # The pass's seed is a tensor. TensorFlow pairs an op seed with the
        # graph-level seed (`tf.random.set_seed`) and then compares the pair
        # with (0, 0) in Python, which a tensor cannot answer; this function's
        # own graph gets no graph-level seed, so the order depends on `seed`
        # and the pass alone.
        tf.compat.v1.get_default_graph().seed = None
        seed = (self.base * 1_000_003 + index) % _SEED_MODULUS
        shuffled = self.elements.shuffle(self.buffer, seed=seed, reshuffle_each_iteration=False)
        return self.batches(shuffled.skip(skip_batches * self.batch_size))

    def _start(self) -> tuple[tf.Tensor, tf.Tensor]:
        consumed = self.position.read_value()
        return consumed // self.per_pass, consumed % self.per_pass

    def _tag(self, ds: tf.data.Dataset) -> tf.data.Dataset:
        ds = ds.prefetch(tf.data.AUTOTUNE)
        ds._kerasgan_position = self.position  # GANModel.fit keeps it at the step count
        ds._kerasgan_endless = self.endless
        return ds

    def _stream(self) -> tf.data.Dataset:
        def passes(_: tf.Tensor) -> tf.data.Dataset:
            first, skip = self._start()
            indices = tf.data.Dataset.range(first, tf.int64.max)
            return indices.flat_map(
                lambda k: self._pass(k, tf.where(k == first, skip, tf.zeros_like(skip)))
            )

        return tf.data.Dataset.range(1).flat_map(passes)

    def dataset(self) -> tf.data.Dataset:
        """One epoch: a pass's worth of batches from `position` (one whole
        pass when `position` is at a pass boundary, as in a run of whole
        epochs); what `fit` without `steps_per_epoch` takes."""
        epoch = self._stream().take(self.per_pass)
        return self._tag(epoch.apply(tf.data.experimental.assert_cardinality(self.per_pass)))

    def endless(self) -> tf.data.Dataset:
        """Every batch from `position` on (`fit` with `steps_per_epoch`)."""
        return self._tag(self._stream())


_SEED_MODULUS = 2**31 - 1


def read_error(source: Source, error: Exception) -> DataError:
    """The `DataError` for a TensorFlow `error` raised while reading `source`
    (a file damaged inside, which only decoding finds), naming the file
    where the source can find it."""
    damaged = source.find_damaged() if source.find_damaged is not None else None
    if damaged is not None:
        return DataError(damaged)
    return DataError(
        f"Could not read {source.what}: {tf_error_message(error)}. A file of it is "
        "damaged: find it and remove or replace it."
    )


def tf_error_message(error: Exception) -> str:
    """The first line of a TensorFlow error's message, without the name of the
    graph function it ran in (`{{function_node ...}}`)."""
    message = re.sub(r"\{\{[^}]*\}\}", "", str(getattr(error, "message", error))).strip()
    return message.splitlines()[0] if message else type(error).__name__


def collect(ds: tf.data.Dataset, with_labels: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Every batch of an unshuffled dataset as numpy `(images, labels or None)`."""
    images, labels = [], []
    for batch in ds.as_numpy_iterator():
        images.append(batch[0] if with_labels else batch)
        if with_labels:
            labels.append(batch[1])
    if not images:
        raise DataError("The data source is empty.")
    return np.concatenate(images), (np.concatenate(labels) if with_labels else None)
