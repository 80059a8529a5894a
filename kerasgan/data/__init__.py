"""Training data: images scaled to [-1, 1] as `tf.data` pipelines.

`load("fashion_mnist")` reads the local copy installed by the Debian package
`dataset-fashion-mnist` when present (offline), and otherwise goes through
tensorflow-datasets. A folder holding the four MNIST-style IDX files loads
directly by path.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from kerasgan.data.idx import read_idx

__all__ = ["LOCAL_DIRS", "load", "load_arrays", "read_idx", "scale_images"]

#: Local folders searched for a dataset name before tensorflow-datasets.
LOCAL_DIRS = {
    "fashion_mnist": ["/usr/share/datasets/fashion-mnist"],
}

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def scale_images(images) -> np.ndarray:
    """uint8 images `(N, H, W[, C])` in [0, 255] -> float32 `(N, H, W, C)` in [-1, 1]."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    return images.astype("float32") / 127.5 - 1.0


def _find_idx(folder, split):
    names = _IDX_FILES.get(split)
    if names is None:
        raise ValueError(f"Unknown split {split!r} for IDX data; use 'train' or 'test'.")
    found = []
    for stem in names:
        for candidate in (stem + ".gz", stem):
            path = os.path.join(folder, candidate)
            if os.path.exists(path):
                found.append(path)
                break
        else:
            raise FileNotFoundError(
                f"{folder} has no {stem}[.gz]; an IDX dataset folder needs "
                f"{names[0]}.gz and {names[1]}.gz."
            )
    return found


def load_arrays(name_or_path: str, split: str = "train"):
    """`(images, labels)` as numpy arrays: float32 in [-1, 1] and int32.

    Args:
        name_or_path: a dataset name with a local copy (see `LOCAL_DIRS`), or a
            folder of MNIST-style IDX files.
        split: "train" or "test".
    """
    if os.path.isdir(os.fspath(name_or_path)):
        folder = os.fspath(name_or_path)
    else:
        folders = [d for d in LOCAL_DIRS.get(name_or_path, []) if os.path.isdir(d)]
        if not folders:
            tried = LOCAL_DIRS.get(name_or_path, [])
            hint = (
                f" Tried {', '.join(tried)}; on Debian/Ubuntu: "
                "sudo apt-get install dataset-fashion-mnist."
                if tried
                else ""
            )
            raise FileNotFoundError(
                f"No local copy of {name_or_path!r} and it is not a folder.{hint}"
            )
        folder = folders[0]
    image_path, label_path = _find_idx(folder, split)
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{image_path} has {images.shape[0]} images but {label_path} has "
            f"{labels.shape[0]} labels."
        )
    return scale_images(images), labels.astype("int32")


def load(
    name_or_path: str,
    split: str = "train",
    batch_size: int = 128,
    conditional: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    drop_remainder: bool = True,
) -> tf.data.Dataset:
    """A batched, shuffled, prefetched dataset of images in [-1, 1].

    Args:
        name_or_path: e.g. "fashion_mnist", or a folder of IDX files.
        split: "train" or "test".
        batch_size: images per batch.
        conditional: also yield integer labels, as `(images, labels)`.
        shuffle: shuffle every epoch.
        seed: shuffle seed.
        drop_remainder: drop the last partial batch (keeps one static batch
            shape, so XLA compiles the step once).
    """
    images, labels = load_arrays(name_or_path, split)
    ds = tf.data.Dataset.from_tensor_slices((images, labels) if conditional else images)
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
