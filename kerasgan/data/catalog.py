"""Datasets from tensorflow-datasets (imported lazily: importing it is slow)."""

from __future__ import annotations

import difflib
import os
from types import ModuleType

import tensorflow as tf

from kerasgan.data.errors import DataError
from kerasgan.data.pipeline import NO_LABEL, Source

#: Shuffle buffer for tensorflow-datasets sources (on top of shuffled files).
SHUFFLE_BUFFER = 10_000


class UnknownDatasetError(DataError):
    """tensorflow-datasets has no dataset of that name."""


def _tfds() -> ModuleType:
    try:
        import tensorflow_datasets as tfds
    except ImportError as e:
        raise DataError(
            f"tensorflow-datasets is not importable ({e}); pip install tensorflow-datasets"
        ) from None
    return tfds


def default_data_dir() -> str:
    """Where tensorflow-datasets keeps data when no data_dir is given."""
    try:
        from tensorflow_datasets.core import constants

        return constants.DATA_DIR
    except Exception:  # only used in messages
        return "~/tensorflow_datasets"


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _not_found(tfds: ModuleType, name: str) -> str:
    reason = f"tensorflow-datasets has no dataset {name!r}"
    try:
        known = tfds.list_builders(with_community_datasets=False)
        close = difflib.get_close_matches(name.split("/")[0].split(":")[0], known, n=3)
    except Exception:  # suggestions are optional
        close = []
    return reason + (f" (did you mean {', '.join(close)}?)" if close else "")


def tfds_source(
    name: str,
    split: str,
    *,
    data_dir: str | None,
    download: bool,
    shuffle: bool,
    seed: int | None,
) -> Source:
    """A `Source` over a tensorflow-datasets dataset with an "image" feature.

    Raises:
        DataError: with a one-line reason (no such dataset, not downloaded,
            download failed, ...); the caller adds what else was tried.
    """
    tfds = _tfds()
    data_dir = None if data_dir is None else os.fspath(data_dir)
    where = f"data_dir {data_dir or default_data_dir()}, download={download}"
    try:
        ds, info = tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            download=download,
            with_info=True,
            shuffle_files=shuffle,
            read_config=tfds.ReadConfig(shuffle_seed=seed),
        )
    except tfds.core.registered.DatasetNotFoundError:
        raise UnknownDatasetError(_not_found(tfds, name)) from None
    except Exception as e:  # offline, missing data, bad split: one clear error
        raise DataError(
            f"tensorflow-datasets {name!r} split {split!r} ({where}) failed: {_first_line(e)}"
        ) from None
    features = info.features
    if "image" not in features:
        raise DataError(
            f"tensorflow-datasets {name!r} has no 'image' feature; its features are "
            f"{', '.join(features.keys())}."
        )
    image_feature = features["image"]
    dtype = tf.as_dtype(image_feature.dtype)
    if dtype == tf.uint8:
        scale, shift = 1 / 127.5, -1.0
    elif dtype == tf.uint16:
        scale, shift = 1 / 32767.5, -1.0
    elif dtype.is_floating:
        scale, shift = 2.0, -1.0  # float images in tfds are in [0, 1]
    else:
        raise DataError(f"tensorflow-datasets {name!r} has {dtype.name} images; cannot scale them.")
    shape = tuple(image_feature.shape)
    if len(shape) == 2:
        shape = (*shape, 1)
    has_labels = "label" in features
    names = getattr(features["label"], "names", None) if has_labels else None

    def select(example: dict[str, tf.Tensor]) -> tuple[tf.Tensor, tf.Tensor]:
        label = tf.cast(example["label"], tf.int32) if has_labels else tf.constant(NO_LABEL)
        return example["image"], label

    def convert(image: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        image = tf.cast(image, tf.float32) * scale + shift
        if image.shape.rank == 2:
            image = image[..., None]
        return image, label

    size = int(ds.cardinality())
    return Source(
        what=f"tensorflow-datasets {name!r} split {split!r}",
        make_elements=lambda: ds.map(select, num_parallel_calls=tf.data.AUTOTUNE),
        convert=convert,
        size=size if size >= 0 else None,
        image_shape=shape,
        has_labels=has_labels,
        label_hint=f"Its features are {', '.join(features.keys())}.",
        class_names=list(names) if names else None,
        shuffle_buffer=SHUFFLE_BUFFER,
        # element-wise cast and scale; batches need a fixed (H, W, C)
        batch_convert=len(shape) == len(image_feature.shape) and None not in shape,
    )


def tfds_class_names(name: str, data_dir: str | None = None) -> list[str] | None:
    """Label names of a tensorflow-datasets dataset, from its builder (no download)."""
    try:
        tfds = _tfds()
        label = tfds.builder(name, data_dir=data_dir).info.features["label"]
        names = getattr(label, "names", None)
        return list(names) if names else None
    except Exception:  # unknown: None
        return None
