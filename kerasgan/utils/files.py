"""Atomic file writes: a crash or a full disk never leaves a half-written file."""

from __future__ import annotations

import os
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
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def write_atomically(data: bytes, path: StrPath) -> str:
    """Writes `data` to a temporary file next to `path`, then renames it over `path`.

    Creates missing parent folders; returns the path.
    """

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    return replace_atomically(path, write)
