"""Sample grids as PNG files (no plotting library needed)."""

from __future__ import annotations

import math
import struct
import zlib

import numpy as np
import numpy.typing as npt

from kerasgan._typing import StrPath
from kerasgan.utils.files import write_atomically


def make_grid(images: npt.ArrayLike, ncols: int | None = None, padding: int = 2) -> np.ndarray:
    """Tiles images in [-1, 1] of shape `(N, H, W, C)` into one uint8 image.

    Returns an array of shape `(rows * (H + padding) + padding, ..., C)`.
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(f"Expected images of shape (N, H, W, 1|3|4); got {images.shape}.")
    n, h, w, c = images.shape
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    pixels = np.clip((images + 1.0) * 127.5 + 0.5, 0, 255).astype("uint8")
    grid = np.full(
        (nrows * (h + padding) + padding, ncols * (w + padding) + padding, c), 255, "uint8"
    )
    for i in range(n):
        r, col = divmod(i, ncols)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y : y + h, x : x + w] = pixels[i]
    return grid


def write_png(image: npt.ArrayLike, path: StrPath) -> str:
    """Writes a uint8 `(H, W, C)` image as a PNG, atomically; returns the path."""
    return write_atomically(encode_png(image), path)


def encode_png(image: npt.ArrayLike) -> bytes:
    """The bytes of a PNG file holding a uint8 `(H, W)` or `(H, W, 1|2|3|4)` image
    (grey, grey+alpha, RGB, RGBA; 8 bits per channel, no library needed)."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"encode_png expects a uint8 image; got dtype {image.dtype}.")
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 2, 3, 4) or 0 in image.shape[:2]:
        raise ValueError(f"encode_png expects shape (H, W, 1|2|3|4); got {image.shape}.")
    h, w, c = image.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    # Each row starts with filter byte 0 (None).
    rows = np.concatenate([np.zeros((h, 1), np.uint8), image.reshape(h, w * c)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def save_grid(images: npt.ArrayLike, path: StrPath, ncols: int | None = None) -> str:
    """Writes `make_grid(images)` as a PNG, atomically; returns the path."""
    return write_png(make_grid(images, ncols), path)
