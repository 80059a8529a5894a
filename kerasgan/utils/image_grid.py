"""Sample grids as PNG files (no plotting library needed)."""

from __future__ import annotations

import math
import os

import numpy as np
import tensorflow as tf

from kerasgan.utils.files import write_atomically


def make_grid(images, ncols: int | None = None, padding: int = 2) -> np.ndarray:
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


def write_png(image, path: str | os.PathLike) -> str:
    """Writes a uint8 `(H, W, C)` image as a PNG, atomically; returns the path."""
    return write_atomically(tf.io.encode_png(np.asarray(image, dtype="uint8")).numpy(), path)


def save_grid(images, path: str | os.PathLike, ncols: int | None = None) -> str:
    """Writes `make_grid(images)` as a PNG, atomically; returns the path."""
    return write_png(make_grid(images, ncols), path)
