"""Training data: images scaled to [-1, 1] as `tf.data` pipelines.

`load(name_or_path)` tries, in order:

1. a folder of MNIST-style IDX files (`train-images-idx3-ubyte[.gz]`, ...);
2. a `.npz` file (images under `images`/`x`/`x_train`/`arr_0`, labels under
   `labels`/`y`/`y_train`/`arr_1`; `x_test`/`y_test` for split="test");
3. a folder of images (png/jpg/jpeg/bmp/gif), flat or one sub-folder per class;
4. a dataset name with a local copy (`LOCAL_DIRS`), e.g. "fashion_mnist" from
   the Debian package `dataset-fashion-mnist`, read offline;
5. a tensorflow-datasets name (`tfds.load`).

Every failure raises `DataError` (a `ValueError`) saying what was tried and how
to fix it.

Damaged or hostile files get a `DataError` naming the file as soon as their
header is read, before anything of the size they claim is allocated: IDX
headers are checked against the file's (or the gzip trailer's) length, `.npy`
headers inside a `.npz` against their zip member, image headers against
`images.MAX_IMAGE_PIXELS`, and any claim larger than this machine's memory is
refused. `.npz` object arrays are never unpickled. See `read_idx`,
`arrays.npz_source` and the `images` module for what each loader accepts and
converts (palette, 16-bit, RGBA and mixed-mode images are converted).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import cast

import numpy as np
import tensorflow as tf

from kerasgan._typing import StrPath
from kerasgan.data.arrays import array_source, npz_class_names, npz_source, scale_images
from kerasgan.data.catalog import UnknownDatasetError, tfds_class_names, tfds_source
from kerasgan.data.errors import DataError, DataNotFoundError
from kerasgan.data.idx import is_idx_folder, read_idx, read_idx_folder
from kerasgan.data.images import folder_class_names, image_folder_source
from kerasgan.data.pipeline import Source, check_image_size, collect, make_dataset, read_error

__all__ = [
    "LOCAL_DIRS",
    "DataError",
    "DataNotFoundError",
    "class_names",
    "load",
    "load_arrays",
    "read_idx",
    "scale_images",
]

#: Local folders (or `.npz` files) searched for a dataset name before tensorflow-datasets.
LOCAL_DIRS = {
    "fashion_mnist": ["/usr/share/datasets/fashion-mnist"],
}

#: How to get a local copy, per dataset name (shown when none is found).
LOCAL_HINTS = {
    "fashion_mnist": "install the Debian package dataset-fashion-mnist "
    "(sudo apt-get install dataset-fashion-mnist)",
}

#: Class names known without tensorflow-datasets.
KNOWN_CLASS_NAMES = {
    "fashion_mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "mnist": tuple(str(digit) for digit in range(10)),
    "cifar10": (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ),
}


def _looks_like_path(spec: str) -> bool:
    return spec.startswith(("/", "./", "../", "~", ".\\", "..\\")) or spec.endswith(".npz")


def _from_folder(folder: str, split: str, resizing: bool, name: str | None = None) -> Source:
    if is_idx_folder(folder):
        images, labels = read_idx_folder(folder, split)
        names = KNOWN_CLASS_NAMES.get(name) if name else None
        class_list = cast("list[str] | None", names and list(names))  # the tuples are not empty
        return array_source(images, labels, what=f"IDX files in {folder}", class_names=class_list)
    return image_folder_source(folder, split, resizing)


def _from_file(path: str, split: str) -> Source:
    if path.lower().endswith(".npz"):
        return npz_source(path, split)
    if path.lower().endswith(".npy"):
        raise DataError(
            f"{path} is a single .npy array; kerasgan.data reads .npz archives: save it with "
            "np.savez(path, images=images) (and labels=labels), or pass a folder of images."
        )
    raise DataError(
        f"{path} is a file that kerasgan.data cannot read: pass a .npz file, a folder of "
        "images, or a folder of MNIST-style IDX files."
    )


def _local_name(folder: str) -> str | None:
    real = os.path.realpath(folder)
    for name, paths in LOCAL_DIRS.items():
        if any(os.path.realpath(path) == real for path in paths):
            return name
    return None


def _resolve(
    name_or_path: StrPath,
    split: str,
    *,
    image_size: tuple[int, int] | None = None,
    data_dir: str | None = None,
    download: bool = True,
    shuffle: bool = False,
    seed: int | None = None,
) -> Source:
    spec = os.path.expanduser(os.fspath(name_or_path))
    resizing = image_size is not None
    if os.path.isdir(spec):
        return _from_folder(spec, split, resizing, _local_name(spec))
    if os.path.isfile(spec):
        return _from_file(spec, split)
    if _looks_like_path(spec):
        raise DataNotFoundError(
            f"No local copy of {spec!r}: there is no such file or folder. Pass a folder of "
            "images, a .npz file, a folder of MNIST-style IDX files, or a dataset name."
        )
    tried = [f"a file or folder named {spec!r}: none in {os.getcwd()}"]
    for local in LOCAL_DIRS.get(spec, []):
        if os.path.isdir(local):
            return _from_folder(local, split, resizing, spec)
        if os.path.isfile(local):
            return _from_file(local, split)
        tried.append(f"local copy {local}: missing")
    try:
        return tfds_source(
            spec, split, data_dir=data_dir, download=download, shuffle=shuffle, seed=seed
        )
    except DataError as e:
        tried.append(str(e))
        unknown = isinstance(e, UnknownDatasetError)
    fixes = []
    if spec in LOCAL_HINTS:
        fixes.append(LOCAL_HINTS[spec])
    if unknown:
        fixes.append(
            "check the name: tensorflow-datasets names are listed at "
            "https://www.tensorflow.org/datasets/catalog/overview"
        )
    else:
        dir_arg = f', data_dir="{data_dir}"' if data_dir else ""
        fixes.append(
            "download it once with internet access: python -c 'import tensorflow_datasets "
            f'as tfds; tfds.load("{spec}"{dir_arg})\''
            + ("" if download else ", then load it (download=False here)")
        )
    fixes.append("or pass a folder of images, a .npz file, or a folder of MNIST-style IDX files")
    lines = [
        f"Could not load {spec!r} (split {split!r}). Tried:",
        *(f"  - {item}" for item in tried),
        "To fix it:",
        *(f"  - {fix}" for fix in fixes),
    ]
    raise DataNotFoundError("\n".join(lines))


def class_names(name_or_path: StrPath, data_dir: str | None = None) -> list[str] | None:
    """Names of the label ids, when known, else None.

    Known for: dataset names in `KNOWN_CLASS_NAMES` (e.g. fashion_mnist) and
    their local copies, tensorflow-datasets names with a `ClassLabel` "label",
    image folders with class sub-folders (the sorted sub-folder names), and
    `.npz` files with a `class_names` or `label_names` key.
    """
    spec = os.path.expanduser(os.fspath(name_or_path))
    if os.path.isdir(spec):
        name = _local_name(spec)
        if name in KNOWN_CLASS_NAMES:
            return list(KNOWN_CLASS_NAMES[name])
        return None if is_idx_folder(spec) else folder_class_names(spec)
    if os.path.isfile(spec):
        return npz_class_names(spec) if spec.lower().endswith(".npz") else None
    if spec in KNOWN_CLASS_NAMES:
        return list(KNOWN_CLASS_NAMES[spec])
    if _looks_like_path(spec):
        return None
    return tfds_class_names(spec, data_dir)


def load_arrays(
    name_or_path: StrPath,
    split: str = "train",
    *,
    image_size: int | Sequence[int] | None = None,
    data_dir: str | None = None,
    download: bool = True,
    pad_to: int | Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """`(images, labels)` as numpy arrays: float32 `(N, H, W, C)` in [-1, 1] and int32.

    Takes the same sources (and `image_size`, `pad_to`) as `load`; `labels` is
    None for sources without labels (a flat image folder, a `.npz` without
    labels). Everything is read into memory.
    """
    image_size = check_image_size(image_size)
    source = _resolve(
        name_or_path, split, image_size=image_size, data_dir=data_dir, download=download
    )
    if source.arrays is not None and image_size is None and pad_to is None:
        return source.arrays()
    ds = make_dataset(
        source,
        batch_size=256,
        conditional=source.has_labels,
        image_size=image_size,
        shuffle=False,
        seed=None,
        drop_remainder=False,
        pad_to=pad_to,
    )
    try:
        return collect(ds, source.has_labels)
    except tf.errors.OpError as e:  # a file damaged inside: found when decoding it
        raise read_error(source, e) from None


def load(
    name_or_path: StrPath,
    split: str = "train",
    batch_size: int = 128,
    conditional: bool = False,
    image_size: int | Sequence[int] | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    drop_remainder: bool = True,
    *,
    data_dir: str | None = None,
    download: bool = True,
    pad_to: int | Sequence[int] | None = None,
) -> tf.data.Dataset:
    """A batched, shuffled, prefetched dataset of float32 images in [-1, 1].

    Args:
        name_or_path: a folder of IDX files, a `.npz` file, a folder of images,
            a dataset name with a local copy (`LOCAL_DIRS`), or a
            tensorflow-datasets name (see the module docstring for the order).
        split: "train" or "test" (any tensorflow-datasets split string for
            tensorflow-datasets names).
        batch_size: images per batch.
        conditional: yield `(images, labels)` with int32 labels.
        image_size: `(h, w)` (or an int for square) to resize every image to
            (bilinear, antialiased); needed when a source's images vary in size.
        shuffle: shuffle every epoch (every pass over the data).
        seed: shuffle seed. With a seed (and a source of known size), the
            order of each pass is a function of the seed and the pass
            number, and `GANModel.fit` starts it where the model's step
            count says: a run resumed from a backup or a saved model sees
            the batches the uninterrupted run would have seen.
        drop_remainder: drop the last partial batch (keeps one static batch
            shape, so XLA compiles the step once).
        data_dir: tensorflow-datasets data folder (default: its own default).
        download: let tensorflow-datasets download data it does not have.
        pad_to: `(h, w)` (or an int for square) canvas to centre every image
            on, padded with -1 (black): 28x28 Fashion-MNIST with `pad_to=32`
            gets 2 background pixels on every side, the size that networks
            needing powers of two (R3GAN) take. Applied after `image_size`.

    Raises:
        DataError: the data could not be found or read; the message says what
            was tried and how to fix it.
    """
    image_size = check_image_size(image_size)
    source = _resolve(
        name_or_path,
        split,
        image_size=image_size,
        data_dir=data_dir,
        download=download,
        shuffle=shuffle,
        seed=seed,
    )
    return make_dataset(
        source,
        batch_size=batch_size,
        conditional=conditional,
        image_size=image_size,
        shuffle=shuffle,
        seed=seed,
        drop_remainder=drop_remainder,
        pad_to=pad_to,
    )
