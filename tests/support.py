"""Shared helpers for the kerasgan tests."""

from __future__ import annotations

import keras
import numpy as np

import kerasgan

#: `compile(jit_compile=COMPILED)`: a compiled step where the backend has one
#: (XLA on TensorFlow, jax.jit on JAX); PyTorch refuses `True` and runs eagerly.
COMPILED = "auto" if keras.backend.backend() == "torch" else True

#: The quickest step to build when a test's subject is not the compiled step: a
#: TensorFlow graph (XLA takes longer to compile), `jax.jit` on JAX (op by op, each
#: op compiles on first use: slower than one compile), eager on PyTorch.
QUICK_STEP = False if keras.backend.backend() == "tensorflow" else COMPILED

#: Variants whose step takes TensorFlow's XLA 30-100 s to compile on a CPU (more in
#: bfloat16). Their compiled step is built and trained by tests/test_variants.py;
#: tests whose subject is something else (mixed-precision dtypes, training on
#: after a reload) run them as a TensorFlow graph via `compiled_for`.
SLOW_TO_COMPILE = ("stylegan2", "r3gan")

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)


def slow_on_tensorflow(variant: str) -> bool:
    """Whether `variant` is one of `SLOW_TO_COMPILE` and the backend TensorFlow."""
    return keras.backend.backend() == "tensorflow" and variant in SLOW_TO_COMPILE


def compiled_for(variant: str):
    """`COMPILED`, except a TensorFlow graph (no XLA) for `SLOW_TO_COMPILE` on TensorFlow."""
    return False if slow_on_tensorflow(variant) else COMPILED


def is_conditional(variant: str) -> bool:
    return bool(kerasgan.get(variant).conditional)


def image_shape_for(variant: str, image_shape=IMAGE_SHAPE) -> tuple:
    """`image_shape`, or the next square power-of-two shape for a variant
    whose networks take only those (R3GAN: 28x28 -> 32x32)."""
    try:
        kerasgan.get(variant).check_image_shape(image_shape)
        return tuple(image_shape)
    except ValueError:
        side = 1 << (max(image_shape[:2]) - 1).bit_length()
        return (side, side, image_shape[2])


#: Narrower networks for the registry-wide tests of variants whose defaults
#: are the papers' GPU-sized ones (what the tests check does not depend on width).
TEST_SIZES = {
    "r3gan": {"base_filters": 16, "max_filters": 64},
    # ADA (on by default) has tests of its own (test_ada_training, the backend check)
    "stylegan2": {
        "base_filters": 16,
        "max_filters": 64,
        "w_dim": 64,
        "mapping_layers": 2,
        "ada": None,
    },
}


#: Images of the registry-wide step tests: 16x16 for the variants whose compile time
#: grows with their per-resolution blocks (half the compile of 32x32); their
#: default networks at 28x28, 32x32 and 64x64 are built by test_variants.
SMALL_SHAPE = (16, 16, 1)


def step_test_shape(variant: str) -> tuple:
    """`SMALL_SHAPE` for `SLOW_TO_COMPILE` variants, else `image_shape_for(variant)`."""
    return SMALL_SHAPE if variant in SLOW_TO_COMPILE else image_shape_for(variant)


def make_gan(variant: str, image_shape=IMAGE_SHAPE, small: bool = True, **kwargs):
    """The variant with its default networks (num_classes set when needed), on
    `image_shape_for(variant, image_shape)`; with `small`, the `TEST_SIZES`
    widths unless given."""
    if small:
        for key, value in TEST_SIZES.get(variant, {}).items():
            kwargs.setdefault(key, value)
    if is_conditional(variant):
        kwargs.setdefault("num_classes", NUM_CLASSES)
    return kerasgan.create(variant, image_shape=image_shape_for(variant, image_shape), **kwargs)


def random_images(n: int, image_shape=IMAGE_SHAPE, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, (n,) + tuple(image_shape)).astype("float32")


def random_labels(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, NUM_CLASSES, n).astype("int32")


def fit_args(variant: str, n: int = 32, seed: int = 0):
    """(x, y) for `fit`: y is None for unconditional variants."""
    y = random_labels(n, seed) if is_conditional(variant) else None
    return random_images(n, image_shape_for(variant), seed=seed), y


def weights_of(model) -> list:
    return [v.numpy().copy() for v in model.weights]


def changed(before, after) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, after))


_JUDGE = {}


def fashion_judge():
    """A small CNN trained on half of real Fashion-MNIST for one epoch (~80-85% test
    accuracy), cached for the session: the referee of "does it look like clothing"."""
    if "model" in _JUDGE:
        return _JUDGE["model"], _JUDGE["accuracy"]
    import keras

    from kerasgan import data

    x, y = data.load_arrays("fashion_mnist", "train")
    xt, yt = data.load_arrays("fashion_mnist", "test")
    keras.utils.set_random_seed(0)
    clf = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
            keras.layers.Conv2D(64, 3, strides=2, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    clf.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    clf.fit(x[:30000], y[:30000], batch_size=128, epochs=1, verbose=0)
    _, accuracy = clf.evaluate(xt, yt, verbose=0)
    _JUDGE.update(model=clf, accuracy=accuracy)
    return clf, accuracy


def judge_probabilities(images):
    import keras

    clf, _ = fashion_judge()
    return keras.ops.convert_to_numpy(keras.ops.softmax(clf.predict(images, verbose=0)))
