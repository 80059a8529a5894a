"""Shared helpers for the kerasgan tests."""

from __future__ import annotations

import numpy as np

import kerasgan

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)


def is_conditional(variant: str) -> bool:
    return bool(kerasgan.get(variant).conditional)


def make_gan(variant: str, image_shape=IMAGE_SHAPE, **kwargs):
    """The variant with its default networks (num_classes set when needed)."""
    if is_conditional(variant):
        kwargs.setdefault("num_classes", NUM_CLASSES)
    return kerasgan.create(variant, image_shape=image_shape, **kwargs)


def random_images(n: int, image_shape=IMAGE_SHAPE, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (n,) + tuple(image_shape)).astype("float32")


def random_labels(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, NUM_CLASSES, n).astype("int32")


def fit_args(variant: str, n: int = 32, seed: int = 0):
    """(x, y) for `fit`: y is None for unconditional variants."""
    y = random_labels(n, seed) if is_conditional(variant) else None
    return random_images(n, seed=seed), y


def weights_of(model) -> list:
    return [v.numpy().copy() for v in model.weights]


def changed(before, after) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, after))
