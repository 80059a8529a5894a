"""Checks on what a file claims to hold, made before anything is allocated for it.

A file header says how much data follows (an IDX header its dimensions, a
`.npy` header its shape, an image header its pixel count). The loaders compare
that claim with what the file can hold and with this machine's memory before
reading the data, so a lying or damaged header gives a `DataError` at once
instead of a multi-gigabyte allocation.
"""

from __future__ import annotations

import os

from kerasgan.data.errors import DataError


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine, or None where it cannot be told."""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None
    return pages * page_size if pages > 0 and page_size > 0 else None


def human_bytes(count: int) -> str:
    """`count` bytes in the largest unit that keeps the number >= 1 (1.5 GB)."""
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if size < 1000 or unit == "PB":
            return f"{count} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def check_fits_in_memory(nbytes: int, path: str, claim: str) -> None:
    """Raises `DataError` when `nbytes` (what `claim` says `path` holds) exceeds
    this machine's physical memory: reading it could only end in an
    out-of-memory failure, so it is refused before any of it is read."""
    memory = physical_memory()
    if memory is not None and nbytes > memory:
        raise DataError(
            f"{path} says it holds {claim} ({human_bytes(nbytes)}), more than this machine's "
            f"memory ({human_bytes(memory)}). A corrupt or hostile header says that; if the "
            "data is genuine, store it as a folder of image files, which is streamed from "
            "disk instead of read into memory."
        )
