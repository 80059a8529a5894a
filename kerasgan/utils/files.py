"""Atomic file writes: a crash or a full disk never leaves a half-written file."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
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
