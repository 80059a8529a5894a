"""The IDX format of MNIST-style datasets (optionally gzipped), file and folder.

An IDX file is a header (two zero bytes, a type code, the number of
dimensions, then each dimension as a big-endian uint32) followed by exactly
the values the dimensions call for. The header is checked against the file
before the data is read: a raw file must be exactly as long as its header
says; a gzipped one must unpack to that length, which its gzip trailer (the
unpacked size modulo 4 GiB) tells without unpacking anything. A header
claiming more than the machine's memory is refused. So a damaged, cut or
lying file fails at once with a `DataError`, and reading never allocates more
than the data the file really holds. (A file of several gzip streams joined
together is refused too, since its trailer gives the last stream's size only:
unpack it and gzip it again as one stream.)
"""

from __future__ import annotations

import gzip
import math
import os
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol, TypeVar

import numpy as np

from kerasgan.data.errors import DataError, DataNotFoundError
from kerasgan.data.limits import check_fits_in_memory, human_bytes

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_TYPE_NAMES = "0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64"

IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_NAME = re.compile(r".*-idx\d-ubyte(\.gz)?$")
_CHUNK = 1 << 22  # bytes of data read at a time
_GZIP_MAGIC = b"\x1f\x8b"
_T = TypeVar("_T")


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class _Header:
    dims: tuple[int, ...]
    dtype: np.dtype
    size: int  # bytes of the header itself

    @property
    def nbytes(self) -> int:
        return math.prod(self.dims) * self.dtype.itemsize

    def describe(self) -> str:
        return f"shape {self.dims} of {self.dtype.newbyteorder('=').name}"


def _read_header(f: _Readable, path: str) -> _Header:
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _DTYPES:
        raise DataError(
            f"{path} is not an IDX file (bad magic number {magic.hex(' ') or 'none'}): an IDX "
            f"file starts with 0x00 0x00, a type code ({_TYPE_NAMES}) and its number of "
            "dimensions."
        )
    ndim = magic[3]
    if ndim == 0:
        raise DataError(f"{path} is not a usable IDX file: its header says it has 0 dimensions.")
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(
            f"{path} is truncated: its header says {ndim} dimensions ({4 * ndim} bytes) but "
            f"the file ends after {len(raw_dims)} of them."
        )
    dims = struct.unpack(f">{ndim}I", raw_dims)
    return _Header(dims=dims, dtype=np.dtype(_DTYPES[magic[2]]), size=4 + 4 * ndim)


def _gzip_unpacked_size(raw: BinaryIO, path: str) -> int:
    """The gzip trailer's ISIZE: the unpacked size modulo 2**32."""
    length = os.fstat(raw.fileno()).st_size
    if length < 18:  # 10-byte gzip header + 8-byte trailer
        raise DataError(
            f"Could not read IDX file {path}: it is truncated, {length} bytes is too short "
            "for a gzip file (at least 18)."
        )
    raw.seek(length - 4)
    (isize,) = struct.unpack("<I", raw.read(4))
    raw.seek(0)
    return isize


def _check_length(raw: BinaryIO, path: str, header: _Header, unpacked: int | None) -> None:
    """The data length the file holds vs the one its header claims, without reading
    it; `unpacked` is a gzipped file's trailer size, None for a raw file."""
    claim = header.describe()
    if unpacked is not None:
        if (header.size + header.nbytes) % 2**32 != unpacked:
            raise DataError(
                f"{path} is truncated or corrupt: its IDX header says {claim} "
                f"({human_bytes(header.nbytes)} of data, {header.size + header.nbytes} bytes "
                f"unpacked) but its gzip trailer says it unpacks to {unpacked} bytes (modulo "
                "4 GiB). Download or copy it again; if it is several gzip streams joined "
                "together, unpack it and gzip it again as one."
            )
    else:
        found = os.fstat(raw.fileno()).st_size - header.size
        if found != header.nbytes:
            raise DataError(
                f"{path} is truncated or corrupt: header says {header.dims} "
                f"({header.nbytes} bytes), found {found} bytes of data."
            )
    check_fits_in_memory(header.nbytes, path, claim)


def _read_data(f: _Readable, path: str, header: _Header) -> np.ndarray:
    """The values after the header, read in chunks: memory grows with the data
    actually there, never with what the header claims."""
    expected = header.nbytes
    buffer = bytearray()
    while len(buffer) < expected:
        chunk = f.read(min(_CHUNK, expected - len(buffer)))
        if not chunk:
            raise DataError(
                f"{path} is truncated or corrupt: header says {header.dims} "
                f"({expected} bytes), found {len(buffer)} bytes of data."
            )
        buffer += chunk
    if f.read(1):
        raise DataError(
            f"{path} is corrupt: it holds more data than its header's {header.dims} "
            f"({expected} bytes)."
        )
    native = header.dtype.newbyteorder("=")
    values = np.frombuffer(buffer, dtype=header.dtype).reshape(header.dims)
    return values.astype(native, copy=False)


class _IdxFile:
    """An open IDX file (raw or gzipped); `header` is read on opening."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self.raw: BinaryIO = open(self.path, "rb")
        self.gzip: gzip.GzipFile | None = None
        try:
            self.unpacked: int | None = None  # a gzipped file's size from its trailer
            if self.path.endswith(".gz") or self.raw.read(2) == _GZIP_MAGIC:
                self.unpacked = _gzip_unpacked_size(self.raw, self.path)
                self.gzip = gzip.GzipFile(fileobj=self.raw, mode="rb")
            self.raw.seek(0)
            self.header = self._guard(lambda: _read_header(self._stream, self.path))
        except BaseException:
            self.close()
            raise

    @property
    def _stream(self) -> _Readable:
        return self.gzip if self.gzip is not None else self.raw

    def _guard(self, read: Callable[[], _T]) -> _T:
        try:
            return read()
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(
                f"Could not read IDX file {self.path}: {e}. It is truncated or damaged: "
                "download or copy it again."
            ) from None

    def read(self) -> np.ndarray:
        """The data, after checking the header against the file's length and memory."""
        _check_length(self.raw, self.path, self.header, self.unpacked)
        return self._guard(lambda: _read_data(self._stream, self.path, self.header))

    def close(self) -> None:
        if self.gzip is not None:
            self.gzip.close()
        self.raw.close()

    def __enter__(self) -> _IdxFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(path: str | os.PathLike) -> _IdxFile:
    try:
        return _IdxFile(path)
    except OSError as e:
        raise DataError(f"Could not read IDX file {os.fspath(path)}: {e}") from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file (raw, or gzipped: named `.gz` or starting like gzip) into numpy.

    The header is checked against the file's length (a gzipped file's unpacked
    length from its trailer) and this machine's memory before the data is
    read (see the module docstring).

    Raises:
        DataError: the file is not valid IDX (bad magic, truncated or damaged
            data, a header claiming more data than the file holds or than
            fits in memory).
    """
    with _open(path) as idx:
        return idx.read()


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
    """Raw `(images, labels)` of one split of an IDX folder.

    Both headers are read and compared (one label per image) before either
    file's data is read.
    """
    image_path, label_path = find_idx(folder, split)
    with _open(image_path) as image_file, _open(label_path) as label_file:
        count, label_count = image_file.header.dims[0], label_file.header.dims[0]
        if count != label_count:
            raise DataError(
                f"{image_path} has {count} images but {label_path} has {label_count} labels."
            )
        return image_file.read(), label_file.read()
