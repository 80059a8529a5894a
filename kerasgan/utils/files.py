"""Atomic file writes (a crash or a full disk never leaves a half-written file), and
`describe_file`, which names what a file given in the wrong place is."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator

from kerasgan._typing import StrPath


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _parents(folder: str) -> Iterator[str]:
    while True:
        yield folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent


def replace_atomically(
    path: StrPath, write: Callable[[str], object], suffix: str = ".tmp", create_folders: bool = True
) -> str:
    """Calls `write(tmp)` on a temporary file next to `path`, then renames it over `path`.

    The rename is atomic, so `path` is either its old content or the complete
    new one; on any error the temporary file is removed. Returns the path.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        if create_folders:
            os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=suffix)
        os.close(fd)
    except OSError as e:
        blocker = next(
            (p for p in _parents(folder) if os.path.exists(p) and not os.path.isdir(p)), None
        )
        reason = f"{blocker} is a file, not a folder" if blocker else f"{e.strerror}"
        raise OSError(e.errno, f"Cannot write {path}: {reason}; nothing was written") from None
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; use the usual mode
        os.replace(tmp, path)
    except BaseException as e:
        written = os.path.getsize(tmp) if os.path.exists(tmp) else 0
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError) and is_disk_full(e):
            raise disk_full_error(path, written) from None
        raise
    return path


def is_disk_full(error: OSError) -> bool:
    """A full disk or quota (h5py's errors carry the text, not the errno)."""
    return error.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(error)


def disk_full_error(path: str, written: int = 0) -> OSError:
    """The `OSError` for a write to `path` that found the disk full: where, how
    much is free, roughly how much the file needs, and that the old file is kept."""
    folder = os.path.dirname(os.path.abspath(path))
    free = shutil.disk_usage(folder).free
    size = max(written, os.path.getsize(path) if os.path.exists(path) else 0)
    need = f"at least {size / 1e6:.1f} MB" if size else "more"
    kept = "the previous file is kept" if os.path.exists(path) else "nothing was written"
    return OSError(
        errno.ENOSPC,
        f"Cannot write {path}: the disk is full ({free / 1e6:.1f} MB free in {folder}, the "
        f"file needs {need}); {kept}. Free some space and run the command again.",
    )


def write_atomically(data: bytes, path: StrPath) -> str:
    """Writes `data` to a temporary file next to `path`, then renames it over `path`.

    Creates missing parent folders; returns the path.
    """

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    return replace_atomically(path, write)


#: Leading bytes -> what a file is, for `describe_file`.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (Keras weights, or a model in the legacy .h5 format)"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "a program (an ELF binary)"),
)


def _describe_zip(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return "a damaged zip archive"
    if {"config.json", "model.weights.h5"} <= names:
        return "a Keras model archive whose name does not end in .keras"
    if names and all(n.endswith(".npy") for n in names):
        return "a NumPy .npz archive"
    return "a zip archive"


def describe_file(path: StrPath) -> str:
    """What `path` is, as a phrase for an error message: "a PNG image", "a text
    file", "a folder", "an empty file", ... Reads at most the first 4 KiB (and a
    zip archive's list of members); never raises."""
    path = os.fspath(path)
    if os.path.isdir(path):
        return "a folder"
    if not os.path.exists(path):
        return "missing"
    if not os.path.isfile(path):
        return "not a regular file"
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError as e:
        return f"a file that cannot be read ({e.strerror})"
    if not head:
        return "an empty file"
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return what
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _describe_zip(path)
    if b"\x00" not in head:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as e:  # a character cut at the 4 KiB mark is still text
            text = head[: e.start].decode("utf-8") if e.start >= len(head) - 3 else ""
        if text.strip():
            return "a JSON file" if text.lstrip()[:1] in ("{", "[") else "a text file"
        if text:
            return "a text file (blank)"
    return "a file of an unknown format"


def is_hdf5(path: StrPath) -> bool:
    """Whether `path` starts with the HDF5 signature (at byte 0, 512, 1024 or 2048,
    where an HDF5 file may keep it); never raises."""
    try:
        with open(path, "rb") as f:
            head = f.read(2048 + 8)
    except OSError:
        return False
    return any(head[at : at + 8] == b"\x89HDF\r\n\x1a\n" for at in (0, 512, 1024, 2048))
