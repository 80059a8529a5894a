"""In-memory sources: numpy arrays, IDX folders and `.npz` files."""

from __future__ import annotations

import math
import zipfile
import zlib
from typing import IO

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from kerasgan.data.errors import DataError
from kerasgan.data.limits import check_fits_in_memory, human_bytes
from kerasgan.data.pipeline import NO_LABEL, Source

#: `.npz` keys searched for images and labels, in order, per split.
NPZ_IMAGE_KEYS = {"train": ("images", "x", "x_train", "arr_0"), "test": ("x_test",)}
NPZ_LABEL_KEYS = {"train": ("labels", "y", "y_train", "arr_1"), "test": ("y_test",)}
_PAIRED_LABELS = {"images": "labels", "x": "y", "x_train": "y_train", "arr_0": "arr_1"}
NPZ_CLASS_NAME_KEYS = ("class_names", "label_names")


def _with_channels(images: np.ndarray, what: str) -> np.ndarray:
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 2, 3, 4):
        hint = ""
        if images.ndim == 4 and images.shape[1] in (1, 3):
            hint = " It looks channels-first: use np.moveaxis(images, 1, -1)."
        raise DataError(
            f"{what} have shape {images.shape}; expected (N, H, W) or (N, H, W, C) "
            f"with C in 1..4.{hint}"
        )
    if images.shape[0] == 0:
        raise DataError(f"{what} are empty (shape {images.shape}).")
    if 0 in images.shape[1:3]:
        raise DataError(
            f"{what} have shape {images.shape}: images of 0 pixels; expected (N, H, W) or "
            "(N, H, W, C) with H and W at least 1."
        )
    return images


def _range_kind(images: np.ndarray, what: str) -> str:
    """'uint8' (0..255 integers), 'unit' (floats in [0, 1]) or 'signed' ([-1, 1])."""
    if images.dtype == np.uint8:
        return "uint8"
    if images.dtype.kind in "iu":
        low, high = int(images.min()), int(images.max())
        if 0 <= low and high <= 255:
            return "uint8"
        raise DataError(f"{what} are integers in [{low}, {high}]; expected 0..255 (uint8).")
    if images.dtype.kind == "f":
        lo, hi = float(images.min()), float(images.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise DataError(f"{what} contain NaN or infinite values.")
        if 0.0 <= lo and hi <= 1.0:
            return "unit"
        if -1.0 <= lo and hi <= 1.0:
            return "signed"
        raise DataError(
            f"{what} are floats in [{lo:.4g}, {hi:.4g}]; expected [0, 1] or [-1, 1] "
            "(store 0..255 data as uint8, or divide it by 255)."
        )
    raise DataError(f"{what} have dtype {images.dtype}; expected uint8 or float images.")


def _scale(images: np.ndarray, kind: str) -> np.ndarray:
    if kind == "uint8":
        return images.astype("float32") / 127.5 - 1.0
    if kind == "unit":
        return images.astype("float32") * 2.0 - 1.0
    return images.astype("float32")


def scale_images(images: npt.ArrayLike, what: str = "images") -> np.ndarray:
    """Images `(N, H, W[, C])` -> float32 `(N, H, W, C)` in [-1, 1].

    uint8 (or integers in 0..255) map x/127.5 - 1; floats in [0, 1] map
    2x - 1; floats already in [-1, 1] (with negatives) are kept. Anything else
    raises `DataError`.
    """
    images = _with_channels(np.asarray(images), what)
    return _scale(images, _range_kind(images, what))


def _check_labels(labels: npt.ArrayLike, count: int, what: str) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or labels.shape[0] != count:
        raise DataError(
            f"{what} have shape {labels.shape}; expected ({count},) for {count} images."
        )
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind != "f" or not np.all(labels == np.round(labels)):
            raise DataError(f"{what} must be integer class ids; got dtype {labels.dtype}.")
    if labels.min() < 0:
        raise DataError(f"{what} must be class ids >= 0; found {labels.min()}.")
    if labels.max() > np.iinfo(np.int32).max:
        raise DataError(
            f"{what} must be class ids that fit in int32 (at most 2147483647); found "
            f"{labels.max()}."
        )
    return labels.astype("int32")


def array_source(
    images: npt.ArrayLike,
    labels: npt.ArrayLike | None = None,
    *,
    what: str,
    label_hint: str = "",
    class_names: list[str] | None = None,
) -> Source:
    """A `Source` over arrays; uint8 stays uint8 in memory and is scaled per batch."""
    images = _with_channels(np.asarray(images), f"Images of {what}")
    kind = _range_kind(images, f"Images of {what}")
    raw = images.astype("uint8", copy=False) if kind == "uint8" else _scale(images, kind)
    if labels is not None:
        labels = _check_labels(labels, len(raw), f"Labels of {what}")
    placeholder = np.full(len(raw), NO_LABEL, "int32")

    def make_elements() -> tf.data.Dataset:
        return tf.data.Dataset.from_tensor_slices((raw, placeholder if labels is None else labels))

    def convert(image: tf.Tensor, label: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        if image.dtype == tf.uint8:
            image = tf.cast(image, tf.float32) / 127.5 - 1.0
        return image, label

    return Source(
        what=what,
        make_elements=make_elements,
        convert=convert,
        size=len(raw),
        image_shape=tuple(raw.shape[1:]),
        has_labels=labels is not None,
        label_hint=label_hint,
        class_names=class_names,
        arrays=lambda: (_scale(raw, "uint8") if kind == "uint8" else raw, labels),
        batch_convert=True,
    )


_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive
#: Deflate packs at most about 1032 bytes into one; a zip directory that says a
#: member unpacks to more than this many times its packed size is lying.
_MAX_DEFLATE_RATIO = 1100
_READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,  # a compression method zipfile cannot unpack
    RuntimeError,  # an encrypted member
)


class NpzArchive:
    """A `.npz` archive whose members are checked before they are read.

    Only `.npy` members holding plain numbers or strings are read: an object
    array (which `np.load` could only unpickle, and unpickling can run code)
    is refused, as is a member whose `.npy` header claims a shape larger than
    the member's data, or than this machine's memory. The checks read the
    zip directory and the few hundred bytes of the `.npy` header, so a lying
    header fails before anything is allocated for it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(path, "rb") as f:
                magic = f.read(len(_NPY_MAGIC))
        except OSError as e:
            raise DataError(f"Could not read {path} as a .npz file: {e}") from None
        if magic == _NPY_MAGIC:
            raise DataError(
                f"{path} is a single .npy array, not a .npz archive (np.savez): save it with "
                "np.savez(path, images=images) (and labels=labels)."
            )
        if not magic.startswith(_ZIP_MAGICS):
            problem = (
                "it is empty (0 bytes)"
                if not magic
                else f"it does not start like a zip archive (first bytes {magic[:4].hex(' ')})"
            )
            raise DataError(
                f"Could not read {path} as a .npz file: {problem}; expected an archive written "
                "by np.savez."
            )
        try:
            self.zip = zipfile.ZipFile(path)
        except _READ_ERRORS as e:
            raise DataError(f"Could not read {path} as a .npz file: {e}") from None
        names = self.zip.namelist()
        self.members = {name.removesuffix(".npy"): name for name in names}
        self.members.update({n.removesuffix(".npy"): n for n in names if n.endswith(".npy")})
        self.files = list(self.members)

    def __enter__(self) -> NpzArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def _fail(self, key: str, problem: str) -> DataError:
        return DataError(f"{self.path}: key {key!r} {problem}")

    def _check_directory(self, key: str, info: zipfile.ZipInfo) -> None:
        packed, unpacked = info.compress_size, info.file_size
        if info.compress_type == zipfile.ZIP_STORED and packed != unpacked:
            lie = f"{unpacked} bytes but stores {packed}"
        elif info.compress_type == zipfile.ZIP_DEFLATED and (
            unpacked > _MAX_DEFLATE_RATIO * packed + 1024
        ):
            lie = f"{human_bytes(unpacked)} packed into {packed} bytes, more than deflate can do"
        else:
            return
        raise self._fail(
            key,
            f"is corrupt: the zip directory says its member holds {lie}. Write the file "
            "again with np.savez.",
        )

    def _check_header(self, key: str, info: zipfile.ZipInfo, member: IO[bytes]) -> None:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        if dtype.hasobject:
            raise self._fail(
                key,
                f"is an array of Python objects (dtype {dtype}): reading it means unpickling, "
                "and unpickling a file can run any code, so kerasgan reads .npz files with "
                "allow_pickle=False. Save numbers instead: images as uint8 or float32 "
                "(np.asarray(images, 'uint8')), labels as integers, class names as strings "
                "(np.array(names, dtype=str)).",
            )
        claim = f"shape {shape} of {dtype}"
        if any(dim < 0 for dim in shape):
            raise self._fail(key, f"is corrupt: its .npy header says {claim}.")
        nbytes = math.prod(shape) * dtype.itemsize
        available = info.file_size - member.tell()
        if nbytes > available:
            raise self._fail(
                key,
                f"is truncated or corrupt: its .npy header says {claim} "
                f"({human_bytes(nbytes)}) but the archive holds {human_bytes(available)} of "
                "data for it. Write the file again with np.savez.",
            )
        check_fits_in_memory(nbytes, f"{self.path} (key {key!r})", claim)

    def array(self, key: str) -> np.ndarray:
        """The array under `key`, after the checks in the class docstring."""
        info = self.zip.getinfo(self.members[key])
        self._check_directory(key, info)
        try:
            with self.zip.open(info) as member:
                if member.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                    raise self._fail(
                        key, "is not a .npy array (a file np.savez did not write); remove it."
                    )
                member.seek(0)
                self._check_header(key, info, member)
                member.seek(0)
                return np.lib.format.read_array(member, allow_pickle=False)
        except DataError:
            raise
        except _READ_ERRORS as e:
            raise self._fail(key, f"could not be read: {e}") from None

    def class_names(self, key: str) -> list[str]:
        """The names under `key`: a 1-D array, one name per class id."""
        names = self.array(key)
        if names.ndim != 1:
            raise self._fail(
                key,
                f"has shape {names.shape}; expected one class name per label id as a 1-D "
                "array, e.g. np.array(['cat', 'dog']).",
            )
        return [str(name) for name in names.tolist()]


def npz_class_names(path: str) -> list[str] | None:
    """Class names stored in a `.npz` under `class_names` / `label_names`, else None."""
    with NpzArchive(path) as archive:
        for key in NPZ_CLASS_NAME_KEYS:
            if key in archive.files:
                return archive.class_names(key)
    return None


def npz_source(path: str, split: str) -> Source:
    """The `split` of a `.npz` file (see `NPZ_IMAGE_KEYS`, `NPZ_LABEL_KEYS`).

    The archive is read with the checks of `NpzArchive`: object arrays are not
    unpickled, and a `.npy` header claiming more data than its member holds
    (or than this machine's memory) is refused before anything is allocated.
    Class names, then labels, are read before the images, so a bad small
    array fails before the large one is read. Everything is read into memory:
    for data larger than memory use a folder of image files.

    Raises:
        DataError: naming the file and key, for an archive that is not a
            `.npz` written by `np.savez`, is damaged, lies about its sizes,
            holds objects, or whose arrays are not images / labels.
    """
    if split not in NPZ_IMAGE_KEYS:
        raise DataError(f"Unknown split {split!r} for {path}; use 'train' or 'test'.")
    with NpzArchive(path) as archive:
        keys = list(archive.files)
        image_key = next((k for k in NPZ_IMAGE_KEYS[split] if k in keys), None)
        if image_key is None:
            raise DataError(
                f"{path} has no {split} images: looked for keys "
                f"{', '.join(NPZ_IMAGE_KEYS[split])}; its keys are {', '.join(keys) or 'none'}."
            )
        label_keys = NPZ_LABEL_KEYS[split]
        paired = _PAIRED_LABELS.get(image_key, "y_test")
        label_key = paired if paired in keys else next((k for k in label_keys if k in keys), None)
        names = None  # the small arrays first: a bad one fails before the images are read
        for key in NPZ_CLASS_NAME_KEYS:
            if key in keys:
                names = archive.class_names(key)
        labels = None if label_key is None else archive.array(label_key)
        images = archive.array(image_key)
    hint = f"Store labels under one of {', '.join(label_keys)}; its keys are {', '.join(keys)}."
    return array_source(
        images,
        labels,
        what=f"{path} (key {image_key!r})",
        label_hint=hint,
        class_names=names,
    )
