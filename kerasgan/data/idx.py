"""The IDX format of MNIST-style datasets (optionally gzipped), file and folder."""

from __future__ import annotations

import gzip
import os
import re

import numpy as np

from kerasgan.data.errors import DataError, DataNotFoundError

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_NAME = re.compile(r".*-idx\d-ubyte(\.gz)?$")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file (`.gz` or raw) into a numpy array.

    Raises:
        DataError: the file is not valid IDX (bad magic, truncated data).
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"Could not read IDX file {path}: {e}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number).")
    ndim = data[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[data[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(
            f"{path} is truncated or corrupt: header says {dims} ({expected} bytes), "
            f"found {len(data) - header} bytes of data."
        )
    return (
        np.frombuffer(data, dtype=dtype, offset=header)
        .reshape(dims)
        .astype(dtype.newbyteorder("="))
    )


def is_idx_folder(folder: str) -> bool:
    """Whether `folder` holds any MNIST-style IDX file (`*-idxN-ubyte[.gz]`)."""
    return any(_IDX_NAME.match(name) for name in os.listdir(folder))


def find_idx(folder: str, split: str) -> list[str]:
    """Paths of the `(images, labels)` IDX files of `split` in `folder`."""
    names = IDX_FILES.get(split)
    if names is None:
        raise DataError(f"Unknown split {split!r} for IDX data in {folder}; use 'train' or 'test'.")
    found = []
    for stem in names:
        for candidate in (stem + ".gz", stem):
            path = os.path.join(folder, candidate)
            if os.path.exists(path):
                found.append(path)
                break
        else:
            raise DataNotFoundError(
                f"{folder} has no {stem}[.gz]: the {split!r} split of an IDX dataset folder "
                f"needs {names[0]}[.gz] and {names[1]}[.gz]."
            )
    return found


def read_idx_folder(folder: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw `(images, labels)` of one split of an IDX folder."""
    image_path, label_path = find_idx(folder, split)
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{image_path} has {images.shape[0]} images but {label_path} has "
            f"{labels.shape[0]} labels."
        )
    return images, labels
