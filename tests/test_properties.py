"""Property-based tests (hypothesis) of `fit`'s input validation and of the
data loaders (issue 21, item 5).

Random shapes, dtypes, value ranges, label encodings and input structures go
through `GANModel.fit`, and random, truncated and mutated IDX, `.npz` and
image files through `kerasgan.data`. The property, everywhere: the call
either succeeds, and then only on valid input and with the documented result,
or raises one kerasgan error (`assert_kerasgan_error`: a `ValueError` /
`TypeError` raised by a `raise` statement in kerasgan's own code), never a raw
TensorFlow / JAX / PyTorch / NumPy / zipfile / struct error.

Every strategy draws parameters (a shape, a dtype, a seed), not arrays: the
arrays and files are built from them in the test, so a falsifying example is
printed in a few lines and pasted back as an `@example`. The runs are
derandomized (the same examples every run) and write no example database.
"""

from __future__ import annotations

import ast
import functools
import gzip
import io
import math
import os
import struct
import tempfile
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import NUM_CLASSES, make_gan

import kerasgan
from kerasgan import data
from kerasgan.validation import RANGE_TOLERANCE

IMAGE_SHAPE = (28, 28, 1)


def _settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,  # the same examples every run (CI reproducibility)
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- the error contract -----------------------------------------------------------

KERASGAN_DIR = os.path.dirname(os.path.abspath(kerasgan.__file__))
FOREIGN_MODULES = ("tensorflow", "keras", "jax", "jaxlib", "torch", "numpy", "PIL", "zipfile")


@functools.cache
def _raise_lines(filename: str) -> frozenset[int]:
    """The lines of `filename` that belong to a `raise` statement."""
    with open(filename, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


def assert_kerasgan_error(exc: BaseException, allowed=(ValueError, TypeError)) -> None:
    """Fails unless `exc` is one of kerasgan's own errors: an `allowed` type
    that is not a TensorFlow / Keras / JAX / PyTorch / NumPy exception class,
    raised by a `raise` statement in kerasgan's source (so not an error of a
    call that kerasgan made and let through), with a message."""
    kind = type(exc)
    name = f"{kind.__module__}.{kind.__qualname__}"
    assert isinstance(exc, allowed), f"{name} is not a kerasgan error: {exc}"
    assert kind.__module__.split(".")[0] not in FOREIGN_MODULES, f"raw {name}: {exc}"
    tb = exc.__traceback__
    assert tb is not None
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
    where = f"{filename}:{tb.tb_lineno}"
    assert filename.startswith(KERASGAN_DIR + os.sep), f"{name} raised from {where}: {exc}"
    assert tb.tb_lineno in _raise_lines(filename), (
        f"{name} escaped from a call at {where} (not a raise statement of kerasgan): {exc}"
    )
    assert str(exc).strip(), f"{name} from {where} has no message"


def test_assert_kerasgan_error_tells_kerasgan_errors_from_raw_ones():
    from kerasgan import validation

    with pytest.raises(ValueError) as info:
        validation.check_label_values(np.array([11]), NUM_CLASSES)
    assert_kerasgan_error(info.value)
    with pytest.raises(ValueError) as info:
        validation.check_label_values(np.array([np.nan]), NUM_CLASSES)  # int(nan) in kerasgan
    with pytest.raises(AssertionError, match="escaped from a call"):
        assert_kerasgan_error(info.value)
    with pytest.raises(ValueError) as info:
        np.zeros(0).min()  # raised in NumPy
    with pytest.raises(AssertionError, match="raised from"):
        assert_kerasgan_error(info.value)
    with pytest.raises(AssertionError, match="not a kerasgan error"):
        assert_kerasgan_error(struct.error("unpack requires a buffer of 4 bytes"))


# --- fit: what the inputs are made of -----------------------------------------------

FLOAT_DTYPES = ("float32", "float16", "float64")
IMAGE_DTYPES = FLOAT_DTYPES + ("uint8", "int32", "int64", "bool", "complex64", "object", "str")
LABEL_DTYPES = ("int32", "int64", "uint8", "int8", "int16", "uint32", "uint64")
#: value ranges of the images: (low, high) of a uniform draw
RANGES = {"signed": (-1.0, 1.0), "unit": (0.0, 1.0), "byte": (0.0, 255.0), "over": (-1.2, 1.2)}
LAYOUTS = ("model", "no-channel", "channels-first", "channels", "single", "random")
LABEL_KINDS = (
    "none",
    "ids",
    "column",
    "list",
    "out-of-range",
    "negative",
    "one-hot",
    "one-hot-int",
    "float-ids",
    "strings",
    "bool",
    "scalar",
    "matrix",
)
MAX_ELEMENTS = 30_000


class Images(NamedTuple):
    """How to build a batch of images (`make_images`)."""

    layout: str  # of LAYOUTS: the model's shape, or a way of getting it wrong
    n: int  # images (leading axis) for the layouts that have one
    dims: tuple[int, ...]  # the shape for layout "random"
    dtype: str
    values: str  # a key of RANGES
    special: float | None  # NaN or +-inf put into one element
    seed: int
    tensor: bool  # a tensor of the backend instead of a numpy array


class Labels(NamedTuple):
    """How to build labels for `n` images (`make_labels`)."""

    kind: str  # of LABEL_KINDS
    dtype: str
    delta: int  # how many more labels than images
    seed: int


def _cap(shape: tuple[int, ...]) -> tuple[int, ...]:
    """`shape`, its largest dims halved until it has at most MAX_ELEMENTS elements."""
    dims = list(shape)
    while math.prod(dims) > MAX_ELEMENTS:
        i = dims.index(max(dims))
        dims[i] = max(dims[i] // 2, 1)
    return tuple(dims)


@st.composite
def image_specs(draw, valid: bool = False):
    """Any images; with `valid`, only images `fit` trains on (float, the
    model's shape, finite, in [-1, 1] or [0, 1])."""
    seed = draw(st.integers(0, 2**16))
    if valid:
        return Images(
            layout="model",
            n=draw(st.integers(1, 6)),
            dims=(),
            dtype=draw(st.sampled_from(FLOAT_DTYPES)),
            values=draw(st.sampled_from(["signed", "unit"])),
            special=None,
            seed=seed,
            tensor=draw(st.booleans()),
        )
    layout = draw(st.sampled_from(LAYOUTS))
    dims: tuple[int, ...] = ()
    if layout == "random":
        rank = draw(st.integers(1, 5))
        dims = _cap(tuple(draw(st.lists(st.integers(1, 40), min_size=rank, max_size=rank))))
    dtype = draw(st.sampled_from(IMAGE_DTYPES))
    return Images(
        layout=layout,
        n=draw(st.integers(0, 6)),
        dims=dims,
        dtype=dtype,
        values=draw(st.sampled_from(list(RANGES))),
        special=draw(st.sampled_from([None, math.nan, math.inf, -math.inf])),
        seed=seed,
        tensor=dtype not in ("object", "str") and draw(st.booleans()),
    )


@st.composite
def label_specs(draw, valid_for: bool | None = None):
    """Any labels; with `valid_for` (whether the model is conditional), only
    labels `fit` takes for that model (None, or one class id per image)."""
    if valid_for is None:
        kind = draw(st.sampled_from(LABEL_KINDS))
        delta = draw(st.sampled_from([0, 0, 0, -1, 1]))
    else:
        kind = draw(st.sampled_from(["ids", "ids", "column", "list"])) if valid_for else "none"
        delta = 0
    return Labels(kind, draw(st.sampled_from(LABEL_DTYPES)), delta, draw(st.integers(0, 2**16)))


@st.composite
def fit_inputs(draw, conditional: bool):
    """`(images, labels)`: valid ones, then as often as not one or both
    replaced by anything."""
    images, labels = draw(image_specs(valid=True)), draw(label_specs(valid_for=conditional))
    replace = draw(st.sampled_from(["nothing", "images", "labels", "both"]))
    if replace in ("images", "both"):
        images = draw(image_specs())
    if replace in ("labels", "both"):
        labels = draw(label_specs())
    return images, labels


def _shape(spec: Images, image_shape=IMAGE_SHAPE) -> tuple[int, ...]:
    h, w, c = image_shape
    return {
        "model": (spec.n, h, w, c),
        "no-channel": (spec.n, h, w),
        "channels-first": (spec.n, c, h, w),
        "channels": (spec.n, h, w, c + 2),
        "single": (h, w, c),
        "random": spec.dims,
    }[spec.layout]


def make_images(spec: Images, tensor: bool = True):
    """The images of `spec`: a numpy array, or (`spec.tensor` and `tensor`) a
    tensor of the backend."""
    rng = np.random.default_rng(spec.seed)
    low, high = RANGES[spec.values]
    values = rng.uniform(low, high, _shape(spec))
    if spec.special is not None and values.size:
        values.flat[rng.integers(values.size)] = spec.special
    with np.errstate(all="ignore"):
        if spec.dtype == "bool":
            images = values > 0.5
        elif spec.dtype == "object":
            images = values.astype(object)
        elif spec.dtype == "str":
            images = values.astype(str)
        elif np.dtype(spec.dtype).kind in "iu":
            images = np.round(values).astype(spec.dtype)
        else:
            images = values.astype(spec.dtype)
    return keras.ops.convert_to_tensor(images) if spec.tensor and tensor else images


def make_labels(spec: Labels, n: int):
    """The labels of `spec` for `n` images (None for kind "none")."""
    if spec.kind == "none":
        return None
    rng = np.random.default_rng(spec.seed)
    count = max(n + spec.delta, 0)
    ids = rng.integers(0, NUM_CLASSES, count)
    made = {
        "ids": lambda: ids.astype(spec.dtype),
        "column": lambda: ids.astype(spec.dtype)[:, None],
        "list": lambda: [int(i) for i in ids],
        "out-of-range": lambda: (ids + NUM_CLASSES).astype(spec.dtype),
        "negative": lambda: -1 - ids,
        "one-hot": lambda: np.eye(NUM_CLASSES, dtype="float32")[ids],
        "one-hot-int": lambda: np.eye(NUM_CLASSES, dtype=spec.dtype)[ids],
        "float-ids": lambda: ids.astype("float32"),
        "strings": lambda: ids.astype(str),
        "bool": lambda: ids > 4,
        "scalar": lambda: np.array(3, spec.dtype),
        "matrix": lambda: rng.integers(0, NUM_CLASSES, (count, 2)).astype(spec.dtype),
    }
    return made[spec.kind]()


def _numpy(x):
    return x if isinstance(x, np.ndarray) else keras.ops.convert_to_numpy(x)


def valid_images(images, image_shape=IMAGE_SHAPE) -> bool:
    """What `fit` documents it trains on: a non-empty float batch of the
    model's image shape, finite, in [-1, 1] (with `RANGE_TOLERANCE`)."""
    images = _numpy(images)
    if images.dtype.kind != "f" or images.ndim != 4 or images.shape[1:] != image_shape:
        return False
    if images.shape[0] == 0 or not np.all(np.isfinite(images)):
        return False
    return bool(images.min() >= -1 - RANGE_TOLERANCE and images.max() <= 1 + RANGE_TOLERANCE)


def valid_labels(labels, n: int, conditional: bool) -> bool:
    """None for an unconditional model; else one integer class id per image
    (shape (N,) or (N, 1), a list of ints too) in [0, NUM_CLASSES)."""
    if not conditional or labels is None:
        return labels is None and not conditional
    labels = np.asarray(labels) if isinstance(labels, list) else _numpy(labels)
    if labels.dtype.kind not in "iu" or labels.ndim not in (1, 2) or labels.shape[0] != n:
        return False
    if labels.ndim == 2 and labels.shape[1] != 1:
        return False
    return bool(labels.size == 0 or (labels.min() >= 0 and labels.max() < NUM_CLASSES))


@pytest.fixture(scope="module")
def gans():
    """The two models every example trains (built and compiled once)."""
    models = {}
    for variant in ("dcgan", "cgan"):
        gan = make_gan(variant, base_filters=8)
        gan.compile(jit_compile=False)
        models[variant] = gan
    return models


def check_fit(gan, x, y, batch_size: int | None, valid: bool) -> None:
    """The property: `fit` trains (one step) on valid input, and raises one
    kerasgan error on anything else."""
    try:
        history = gan.fit(x, y, epochs=1, batch_size=batch_size, steps_per_epoch=1, verbose=0)
    except Exception as e:  # the property is about which exceptions
        assert_kerasgan_error(e)
        assert not valid, f"valid input refused: {type(e).__name__}: {e}"
        return
    assert valid, "fit trained on invalid input instead of refusing it"
    assert np.isfinite(history.history["d_loss"][-1])


#: the explicit examples' inputs: 4 valid images, no labels
VALID_IMAGES = Images("model", 4, (), "float32", "signed", None, 0, False)
NO_LABELS = Labels("none", "int32", 0, 0)

#: how `fit` gets the arrays: fit(x, y), fit((x, y)), fit([x, y]), fit((x,), y),
#: fit((x, y, weights)), fit({"images": x, "labels": y})
STRUCTURES = ("args", "pair", "list-pair", "one-tuple", "triple", "dict")


def _fit_property(gan, inputs: tuple[Images, Labels], structure: str, batch_size: int) -> None:
    image_spec, label_spec = inputs
    x = make_images(image_spec)
    y = make_labels(label_spec, x.shape[0])
    valid = valid_images(x) and valid_labels(y, x.shape[0], gan.num_classes is not None)
    if structure in ("pair", "list-pair"):
        x, y = (x, y) if structure == "pair" else [x, y], None
    elif structure == "one-tuple":
        x, valid = (x,), valid and y is None
    elif structure == "triple":
        x, y, valid = (x, y, np.ones(x.shape[0], "float32")), None, False
    elif structure == "dict":
        x, y, valid = {"images": x, "labels": y}, None, False
    check_fit(gan, x, y, batch_size, valid)


@_settings(max_examples=80)
@given(
    inputs=fit_inputs(conditional=False),
    structure=st.sampled_from(STRUCTURES),
    batch_size=st.integers(1, 8),
)
# fit({"images": x, "labels": None}): AttributeError 'dict' object has no attribute 'shape'
@example(inputs=(VALID_IMAGES, NO_LABELS), structure="dict", batch_size=2)
# fit((x, None, weights)): AttributeError 'tuple' object has no attribute 'shape'
@example(inputs=(VALID_IMAGES, NO_LABELS), structure="triple", batch_size=2)
def test_unconditional_fit_on_arrays_trains_or_raises_a_kerasgan_error(
    gans, inputs, structure, batch_size
):
    _fit_property(gans["dcgan"], inputs, structure, batch_size)


@_settings(max_examples=70)
@given(
    inputs=fit_inputs(conditional=True),
    structure=st.sampled_from(STRUCTURES),
    batch_size=st.integers(1, 8),
)
# fit((x, y)) passed the checks, then reached the step as one tuple of images and was
# refused there ("needs integer class labels")
@example(inputs=(VALID_IMAGES, Labels("ids", "int32", 0, 0)), structure="pair", batch_size=2)
# fit(x, uint64 labels) on PyTorch: "Unsupported dtype for PyTorch: uint64" from Keras
@example(inputs=(VALID_IMAGES, Labels("ids", "uint64", 0, 0)), structure="args", batch_size=2)
# fit([x, [ids]]): Keras got the list as x: "Unrecognized data type"
@example(inputs=(VALID_IMAGES, Labels("list", "int32", 0, 0)), structure="list-pair", batch_size=2)
# fit((x, y, weights)) with mismatched lengths: Keras' "Data cardinality is ambiguous"
@example(inputs=(VALID_IMAGES, Labels("ids", "int32", 1, 0)), structure="triple", batch_size=2)
def test_conditional_fit_on_arrays_trains_or_raises_a_kerasgan_error(
    gans, inputs, structure, batch_size
):
    _fit_property(gans["cgan"], inputs, structure, batch_size)


# --- fit on tf.data datasets ------------------------------------------------------------

#: how the dataset holds the arrays: batches of images or (images, labels), a dict,
#: a nested tuple, ({"image": images}, labels), (images, labels, labels), single
#: images (not batched), a batch from a generator of unknown rank or of unknown dims, nothing,
#: label batches of another size than the image batches
DATASET_STRUCTURES = (
    "batches",
    "batches",
    "batches",
    "dict",
    "nested",
    "image-dict",
    "triple",
    "unbatched",
    "unknown-rank",
    "unknown-dims",
    "empty",
    "label-batches",
)


def _slices(array, batch_size: int | None):
    import tensorflow as tf

    ds = (
        tf.data.Dataset.from_tensor_slices(array)
        if np.ndim(array)
        else tf.data.Dataset.from_tensors(array).repeat()
    )
    return ds if batch_size is None else ds.batch(batch_size)


def make_dataset(structure: str, images, labels, batch_size: int):
    """A tf.data.Dataset holding `images` (and `labels`) as `structure` says."""
    import tensorflow as tf

    if isinstance(labels, list):
        labels = np.asarray(labels)
    if images.dtype == object:
        images = images.astype(str)
    if structure in ("unknown-rank", "unknown-dims"):
        element = images if labels is None else (images, labels)

        def spec(array, rank_known: bool):
            shape = [None] * array.ndim if rank_known else None
            return tf.TensorSpec(shape=shape, dtype=tf.as_dtype(array.dtype))

        # unknown-dims: the images' rank is known (their dims are not), the labels' is not
        signature = (
            spec(images, structure == "unknown-dims")
            if labels is None
            else (spec(images, structure == "unknown-dims"), spec(labels, False))
        )
        return tf.data.Dataset.from_generator(lambda: iter([element]), output_signature=signature)
    ds = _slices(images, None if structure == "unbatched" else batch_size)
    if labels is not None:
        label_batch = batch_size + 1 if structure == "label-batches" else batch_size
        ds = tf.data.Dataset.zip(
            (ds, _slices(labels, None if structure == "unbatched" else label_batch))
        )
    pair = labels is not None
    if structure == "dict":
        ds = ds.map(lambda *e: {"image": e[0], "label": e[1]} if pair else {"image": e[0]})
    elif structure == "nested":
        ds = ds.map(lambda *e: (e,))
    elif structure == "image-dict":
        ds = ds.map(lambda *e: ({"image": e[0]},) + e[1:])
    elif structure == "triple":
        ds = ds.map(lambda *e: (e[0], e[-1], e[-1]))
    elif structure == "empty":
        ds = ds.take(0)
    return ds


def valid_dataset(structure: str, ds, conditional: bool) -> bool:
    """Whether `fit` (one step) is documented to train on `ds`: batches of
    images, or (images, labels), whose first batch is valid."""
    if structure not in ("batches", "unknown-rank", "unknown-dims", "label-batches"):
        return False
    first = next(iter(ds), None)
    if first is None:
        return False
    images, labels = first if isinstance(first, tuple) else (first, None)
    images = images.numpy()
    labels = None if labels is None else labels.numpy()
    return valid_images(images) and valid_labels(labels, images.shape[0], conditional)


def _dataset_property(gan, inputs: tuple[Images, Labels], structure: str, batch_size: int):
    image_spec, label_spec = inputs
    images = make_images(image_spec, tensor=False)
    ds = make_dataset(structure, images, make_labels(label_spec, images.shape[0]), batch_size)
    check_fit(gan, ds, None, None, valid_dataset(structure, ds, gan.num_classes is not None))


@_settings(max_examples=40)
@given(
    inputs=fit_inputs(conditional=False),
    structure=st.sampled_from(DATASET_STRUCTURES),
    batch_size=st.integers(1, 8),
)
# a dataset of ((images,),): AttributeError 'tuple' object has no attribute 'shape'
@example(inputs=(VALID_IMAGES, NO_LABELS), structure="nested", batch_size=2)
# images of unknown rank: Keras' "ops.shape must have a statically known rank" in the step
# on TensorFlow (it now gets the model's image shape)
@example(inputs=(VALID_IMAGES, NO_LABELS), structure="unknown-rank", batch_size=2)
def test_unconditional_fit_on_datasets_trains_or_raises_a_kerasgan_error(
    gans, inputs, structure, batch_size
):
    _dataset_property(gans["dcgan"], inputs, structure, batch_size)


@_settings(max_examples=35)
@given(
    inputs=fit_inputs(conditional=True),
    structure=st.sampled_from(DATASET_STRUCTURES),
    batch_size=st.integers(1, 8),
)
# ({"image": images}, labels): AttributeError 'dict' object has no attribute 'shape'
@example(inputs=(VALID_IMAGES, Labels("ids", "int32", 0, 0)), structure="image-dict", batch_size=2)
# channels-first images of unknown dims passed the static checks: TensorFlow's
# InvalidArgumentError in the first step
@example(
    inputs=(VALID_IMAGES._replace(layout="channels-first"), Labels("ids", "int32", 0, 0)),
    structure="unknown-dims",
    batch_size=2,
)
# a scalar label of unknown rank: IndexError (labels.shape[0]) in the first-batch check
@example(
    inputs=(VALID_IMAGES, Labels("scalar", "int32", 0, 0)), structure="unknown-dims", batch_size=2
)
# uint64 labels on PyTorch: "Unsupported dtype for PyTorch: uint64" from Keras
@example(inputs=(VALID_IMAGES, Labels("ids", "uint64", 0, 0)), structure="batches", batch_size=2)
def test_conditional_fit_on_datasets_trains_or_raises_a_kerasgan_error(
    gans, inputs, structure, batch_size
):
    _dataset_property(gans["cgan"], inputs, structure, batch_size)


# --- the data loaders: IDX files ----------------------------------------------------------

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
#: how a file is damaged: cut short, extended, one byte flipped (in the header or
#: after it), a dimension of the header overwritten, or replaced by random bytes
MUTATIONS = ("none", "none", "truncate", "append", "flip-header", "flip-data", "set-dim", "random")


class Idx(NamedTuple):
    """How to write one IDX file (`idx_bytes`)."""

    code: int  # type code: one of IDX_TYPES, or any byte
    dims: tuple[int, ...]
    values: str  # "small" (0..9), "pixels" (0..255 or [0, 1]), "huge" (>= 2**31), "bytes"
    mutation: str  # of MUTATIONS
    at: int  # where (or what) the mutation writes
    gz: bool
    mutate_packed: bool  # mutate the gzip stream instead of the IDX bytes
    seed: int


@st.composite
def idx_specs(draw, dims=None, intact: int = 0, codes=None):
    """One IDX file; `dims` draws its dimensions (default: any rank 0..4),
    `codes` its type code (default: a valid one or any byte), and `intact`
    more draws leave it undamaged."""
    if dims is None:
        dims = st.lists(st.integers(0, 12), min_size=0, max_size=4).map(tuple)
    dims = draw(dims)
    return Idx(
        code=draw(
            st.sampled_from(sorted(IDX_TYPES)) | st.integers(0, 255) if codes is None else codes
        ),
        dims=_cap(dims) if dims else dims,
        values=draw(st.sampled_from(["small", "pixels", "huge", "bytes"])),
        mutation=draw(st.sampled_from(("none",) * intact + MUTATIONS)),
        at=draw(st.integers(0, 2**32 - 1)),
        gz=draw(st.booleans()),
        mutate_packed=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )


def _mutate(raw: bytes, mutation: str, at: int, header: int, rng) -> bytes:
    if mutation == "truncate":
        return raw[: at % max(len(raw), 1)]
    if mutation == "append":
        return raw + rng.bytes(1 + at % 16)
    if mutation in ("flip-header", "flip-data"):
        span = (0, header) if mutation == "flip-header" else (header, len(raw))
        if span[1] <= span[0]:
            return raw
        i = span[0] + at % (span[1] - span[0])
        return raw[:i] + bytes([raw[i] ^ (1 + (at >> 8) % 255)]) + raw[i + 1 :]
    if mutation == "set-dim" and header > 4:
        i = 4 + 4 * ((at >> 24) % ((header - 4) // 4))
        return raw[:i] + struct.pack(">I", at) + raw[i + 4 :]
    if mutation == "random":
        return rng.bytes(at % 64)
    return raw


def idx_bytes(spec: Idx) -> tuple[bytes, bytes]:
    """(the file's bytes, the IDX bytes they unpack to before any mutation of the gzip
    stream)."""
    rng = np.random.default_rng(spec.seed)
    dtype = np.dtype(IDX_TYPES.get(spec.code, ">u1"))
    count = math.prod(spec.dims)
    if spec.values == "bytes":
        data = rng.bytes(count * dtype.itemsize)
    elif spec.values == "huge":
        with np.errstate(invalid="ignore"):  # wraps around in the integer types
            data = (2.0**31 + rng.integers(0, 10, count) * 1e12).astype(dtype).tobytes()
    else:
        high = 10 if spec.values == "small" else 256
        values = rng.integers(0, high, count)
        if dtype.kind == "f" and spec.values == "pixels":
            values = values / 255
        data = values.astype(dtype).tobytes()
    head = bytes([0, 0, spec.code, len(spec.dims)]) + b"".join(
        struct.pack(">I", d) for d in spec.dims
    )
    raw = head + data
    if not spec.mutate_packed or not spec.gz:
        raw = _mutate(raw, spec.mutation, spec.at, len(head), rng)
    if not spec.gz:
        return raw, raw
    packed = gzip.compress(raw, mtime=0)
    if spec.mutate_packed:
        packed = _mutate(packed, spec.mutation, spec.at, 10, rng)
    return packed, raw


def _expected_idx(raw: bytes) -> np.ndarray | None:
    """What `read_idx` must return for IDX bytes `raw`, or None where it must refuse them."""
    if len(raw) < 4 or raw[0] or raw[1] or raw[2] not in IDX_TYPES or raw[3] == 0:
        return None
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        return None
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(IDX_TYPES[raw[2]])
    if len(raw) - 4 - 4 * ndim != math.prod(dims) * dtype.itemsize:
        return None
    return np.frombuffer(raw[4 + 4 * ndim :], dtype).reshape(dims)


def assert_data_error(exc: BaseException) -> None:
    """`exc` is kerasgan.data's own error (a `DataError`, or a `ValueError` of kerasgan)."""
    assert_kerasgan_error(exc, allowed=(ValueError,))


@_settings(max_examples=150)
@given(spec=idx_specs())
def test_read_idx_returns_what_the_file_holds_or_raises_a_data_error(spec):
    content, raw = idx_bytes(spec)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "train-images-idx3-ubyte" + (".gz" if spec.gz else ""))
        Path(path).write_bytes(content)
        try:
            array = data.read_idx(path)
        except Exception as e:  # the property is about which exceptions
            assert_data_error(e)
            return
    expected = _expected_idx(raw)
    assert expected is not None, "read_idx read a file that is not valid IDX"
    assert array.shape == expected.shape and array.dtype == expected.dtype.newbyteorder("=")
    np.testing.assert_array_equal(array, expected)


def _check_arrays(images, labels, count: int | None = None, classes: int | None = None) -> None:
    """`load_arrays`' documented result: float32 (N, H, W, C) in [-1, 1] with C in
    1..4, and None or int32 (N,) class ids >= 0 (< `classes` when given)."""
    assert isinstance(images, np.ndarray) and images.dtype == np.float32
    assert images.ndim == 4 and min(images.shape[:3]) >= 1 and 1 <= images.shape[-1] <= 4
    assert count is None or images.shape[0] == count
    assert np.all(np.isfinite(images)) and images.min() >= -1 and images.max() <= 1
    if labels is not None:
        assert isinstance(labels, np.ndarray) and labels.dtype == np.int32
        assert labels.shape == images.shape[:1] and labels.min() >= 0
        assert classes is None or labels.max() < classes


@st.composite
def idx_folders(draw):
    """(images, labels) IDX files, mostly of one count and undamaged."""
    n, h, w = (draw(st.sampled_from([*range(1, 10), 0])) for _ in range(3))
    labels_n = draw(st.sampled_from([n] * 10 + [n + 1]))
    codes = st.sampled_from([0x08] * 6 + sorted(IDX_TYPES))
    return (
        draw(idx_specs(st.just((n, h, w)), intact=12, codes=codes)),
        draw(idx_specs(st.just((labels_n,)), intact=12, codes=codes)),
    )


@_settings(max_examples=100)
@given(files=idx_folders())
# float32 images of 0x5 pixels: NumPy's "zero-size array to reduction operation minimum"
@example(
    files=(
        Idx(0x0D, (2, 0, 5), "pixels", "none", 0, False, False, 0),
        Idx(0x08, (2,), "small", "none", 0, False, False, 0),
    )
)
# uint8 images of 0x5 pixels were loaded as such
@example(
    files=(
        Idx(0x08, (2, 0, 5), "pixels", "none", 0, False, False, 0),
        Idx(0x08, (2,), "small", "none", 0, False, False, 0),
    )
)
# float64 labels 2**31 + k * 1e12 (whole numbers) were cast to int32 -2147483648
@example(
    files=(
        Idx(0x08, (2, 3, 3), "pixels", "none", 0, False, False, 0),
        Idx(0x0E, (2,), "huge", "none", 0, False, False, 0),
    )
)
def test_idx_folder_loads_or_raises_a_data_error(files):
    images, labels = files
    with tempfile.TemporaryDirectory() as folder:
        for spec, stem in (
            (images, "train-images-idx3-ubyte"),
            (labels, "train-labels-idx1-ubyte"),
        ):
            path = os.path.join(folder, stem + (".gz" if spec.gz else ""))
            Path(path).write_bytes(idx_bytes(spec)[0])
        try:
            arrays = data.load_arrays(folder)
        except Exception as e:
            assert_data_error(e)
            return
    _check_arrays(*arrays)


# --- the data loaders: .npz files ---------------------------------------------------------

NPZ_DTYPES = (
    "uint8",
    "uint16",
    "int8",
    "int32",
    "int64",
    "float16",
    "float32",
    "float64",
    "bool",
    "complex64",
    "str",
    "object",
)
NPZ_IMAGE_KEYS = ("images", "x", "x_train", "arr_0", "x_test", "pictures")
NPZ_LABEL_KEYS = ("labels", "y", "y_train", "arr_1", "y_test", "targets")
NPZ_NAME_KEYS = ("class_names", "label_names")


class Array(NamedTuple):
    """How to build one array of a `.npz` (`make_array`)."""

    shape: tuple[int, ...]
    dtype: str
    values: str  # "small" (0..9), "pixels" (0..255, or [0, 1] for floats), "signed"
    # ([-1, 1]), "huge" (>= 2**31), "nan" (pixels with a NaN)
    seed: int


class Npz(NamedTuple):
    """How to write a `.npz` file (`npz_bytes`)."""

    arrays: tuple[tuple[str, Array], ...]  # (key, array)
    split: str  # the split to load
    compressed: bool  # np.savez_compressed
    mutation: str  # of MUTATIONS, on the file's bytes
    at: int


@st.composite
def arrays(draw, shape):
    return Array(
        shape=draw(shape),
        dtype=draw(st.sampled_from(("uint8", "float32") * 4 + NPZ_DTYPES)),
        values=draw(
            st.sampled_from(["small", "pixels", "pixels", "pixels", "signed", "huge", "nan"])
        ),
        seed=draw(st.integers(0, 2**16)),
    )


@st.composite
def npz_specs(draw):
    n, h, w = (draw(st.sampled_from([*range(1, 8), 0])) for _ in range(3))
    any_shape = st.lists(st.integers(0, 6), max_size=5).map(tuple)
    channels = st.sampled_from([(), (), (1,), (3,), (4,), (5,)])
    image_shape = st.sampled_from([True] * 4 + [False]).flatmap(
        lambda images: channels.map(lambda c: (n, h, w, *c)) if images else any_shape
    )
    label_shape = st.sampled_from([(n,), (n,), (n,), (n, 1), (n + 1,), (n, 3), ()])
    image_key = draw(st.sampled_from(NPZ_IMAGE_KEYS[:4] * 2 + NPZ_IMAGE_KEYS[4:]))
    entries = [(image_key, draw(arrays(image_shape)))]
    if draw(st.booleans()):
        label_keys = NPZ_LABEL_KEYS[NPZ_IMAGE_KEYS.index(image_key)]
        label_key = draw(st.sampled_from([label_keys] * 4 + list(NPZ_LABEL_KEYS)))
        entries.append((label_key, draw(arrays(label_shape))))
    if draw(st.integers(0, 3)) == 0:
        name_shape = st.sampled_from([(3,), (3,), (), (2, 2), (0,)])
        entries.append((draw(st.sampled_from(NPZ_NAME_KEYS)), draw(arrays(name_shape))))
    split = "test" if image_key == "x_test" else "train"
    return Npz(
        arrays=tuple(entries),
        split=draw(st.sampled_from([split] * 6 + ["train", "test", "validation"])),
        compressed=draw(st.booleans()),
        mutation=draw(st.sampled_from(("none",) * 8 + MUTATIONS)),
        at=draw(st.integers(0, 2**32 - 1)),
    )


def make_array(spec: Array) -> np.ndarray:
    rng = np.random.default_rng(spec.seed)
    if spec.values == "small":
        values = rng.integers(0, 10, spec.shape).astype(float)
    elif spec.values == "huge":
        values = 2.0**31 + rng.integers(0, 10, spec.shape) * 1e12
    elif spec.values == "signed":
        values = rng.uniform(-1, 1, spec.shape)
    else:
        values = rng.integers(0, 256, spec.shape).astype(float)
        if spec.dtype.startswith(("float", "complex")):
            values /= 255
        if spec.values == "nan" and values.size:
            values.flat[rng.integers(values.size)] = np.nan
    with np.errstate(all="ignore"):
        if spec.dtype in ("str", "object"):
            return values.astype(spec.dtype if spec.dtype == "object" else str)
        if spec.dtype == "bool":
            return values > 0.5
        return values.astype(spec.dtype)


def npz_bytes(spec: Npz) -> bytes:
    out = io.BytesIO()
    save = np.savez_compressed if spec.compressed else np.savez
    save(out, **{key: make_array(array) for key, array in spec.arrays})
    raw = out.getvalue()
    return _mutate(raw, spec.mutation, spec.at, 30, np.random.default_rng(spec.at % 2**16))


@_settings(max_examples=200)
@given(spec=npz_specs())
# class names saved as one number (a 0-d array): TypeError 'int' object is not iterable
@example(
    spec=Npz(
        arrays=(
            ("x", Array((2, 4, 4), "uint8", "pixels", 0)),
            ("class_names", Array((), "uint8", "small", 0)),
        ),
        split="train",
        compressed=False,
        mutation="none",
        at=0,
    )
)
def test_npz_loads_or_raises_a_data_error(spec):
    split = spec.split
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "data.npz")
        Path(path).write_bytes(npz_bytes(spec))
        try:
            names = data.class_names(path)
        except Exception as e:
            assert_data_error(e)
        else:
            assert names is None or all(isinstance(name, str) for name in names)
        try:
            images, labels = data.load_arrays(path, split)
        except Exception as e:
            assert_data_error(e)
            return
        _check_arrays(images, labels)
        conditional = labels is not None
        ds = data.load(path, split, batch_size=2, shuffle=False, drop_remainder=False)
        batch = next(
            iter(data.load(path, split, 2, conditional, shuffle=False, drop_remainder=False))
        )
        assert ds is not None
        first = batch[0] if conditional else batch
        np.testing.assert_allclose(first.numpy(), images[:2], atol=1e-6)


# --- the data loaders: image folders ------------------------------------------------------

#: PIL modes each format is written in
IMAGE_MODES = {
    "PNG": ("L", "RGB", "RGBA", "1", "LA", "P", "P-alpha", "I;16"),
    "JPEG": ("L", "RGB", "CMYK"),
    "BMP": ("L", "RGB", "RGBA", "1", "P"),
    "GIF": ("L", "P", "RGB"),
}
EXTENSIONS = {"PNG": ".png", "JPEG": ".jpg", "BMP": ".bmp", "GIF": ".gif"}
#: how a file is damaged: not at all, cut short, one byte flipped, random bytes
#: (after the format's first bytes, or none), empty, or named as another format
DAMAGE = ("none",) * 10 + ("truncate", "flip", "random-body", "random", "empty", "misnamed")


class ImageFile(NamedTuple):
    """How to write one image file (`image_bytes`)."""

    format: str  # a key of IMAGE_MODES
    mode: str  # of IMAGE_MODES[format]
    size: tuple[int, int]  # (width, height)
    damage: str  # of DAMAGE
    at: int
    seed: int


class Folder(NamedTuple):
    files: tuple[ImageFile, ...]
    classes: int  # 0: a flat folder; else files go round-robin into this many sub-folders
    image_size: int | None  # load_arrays(image_size=...)


@st.composite
def image_files(draw, size):
    fmt = draw(st.sampled_from(["PNG", "PNG", "JPEG", "BMP", "GIF"]))
    return ImageFile(
        format=fmt,
        mode=draw(st.sampled_from(IMAGE_MODES[fmt])),
        size=draw(size),
        damage=draw(st.sampled_from(DAMAGE)),
        at=draw(st.integers(0, 2**32 - 1)),
        seed=draw(st.integers(0, 2**16)),
    )


@st.composite
def folders(draw):
    """Image files, mostly of one size."""
    sizes = st.tuples(st.integers(1, 12), st.integers(1, 12))
    size = draw(sizes)
    one_size = st.sampled_from([True] * 3 + [False]).flatmap(
        lambda same: st.just(size) if same else sizes
    )
    files = draw(st.lists(image_files(one_size), min_size=1, max_size=5))
    return Folder(
        files=tuple(files),
        classes=draw(st.sampled_from([0, 0, 1, 2, 3])),
        image_size=draw(st.sampled_from([None, None, None, 8])),
    )


def image_bytes(spec: ImageFile) -> bytes:
    from PIL import Image

    rng = np.random.default_rng(spec.seed)
    width, height = spec.size
    mode = spec.mode.split("-")[0]
    rgba = Image.fromarray(rng.integers(0, 256, (height, width, 4), dtype=np.uint8), "RGBA")
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, (height, width), dtype=np.uint16))
    elif mode == "P":
        image = rgba.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    else:
        image = rgba.convert(mode)
    out = io.BytesIO()
    options = {"transparency": 0} if spec.mode == "P-alpha" else {}
    image.save(out, spec.format, **options)
    raw = out.getvalue()
    if spec.damage == "truncate":
        return raw[: spec.at % len(raw)]
    if spec.damage == "flip":
        i = spec.at % len(raw)
        return raw[:i] + bytes([raw[i] ^ (1 + (spec.at >> 8) % 255)]) + raw[i + 1 :]
    if spec.damage == "random-body":
        return raw[: 2 + spec.at % 30] + rng.bytes(spec.at % 200)
    if spec.damage == "random":
        return rng.bytes(spec.at % 200)
    if spec.damage == "empty":
        return b""
    return raw


def write_folder(spec: Folder, root: str) -> list[str]:
    paths = []
    for i, file in enumerate(spec.files):
        folder = os.path.join(root, f"class{i % spec.classes}") if spec.classes else root
        os.makedirs(folder, exist_ok=True)
        ext = EXTENSIONS[file.format]
        if file.damage == "misnamed":
            ext = EXTENSIONS["GIF" if file.format == "PNG" else "PNG"]
        paths.append(os.path.join(folder, f"{i:02d}{ext}"))
        Path(paths[-1]).write_bytes(image_bytes(file))
    return paths


@_settings(max_examples=80)
@given(spec=folders())
# a PNG with one byte flipped inside its image data: its header reads, TensorFlow's decoder
# fails, and load_arrays raised TensorFlow's InvalidArgumentError naming no file
@example(
    spec=Folder(
        files=(ImageFile("PNG", "RGB", (10, 5), "flip", 1369, 18601),), classes=0, image_size=None
    )
)
def test_image_folder_loads_or_raises_a_data_error(spec):
    with tempfile.TemporaryDirectory() as root:
        write_folder(spec, root)
        try:
            images, labels = data.load_arrays(root, image_size=spec.image_size)
        except Exception as e:
            assert_data_error(e)
            return
    classes = min(spec.classes, len(spec.files))
    _check_arrays(images, labels, count=len(spec.files), classes=classes or None)
    assert (labels is None) == (classes == 0)
    if spec.image_size is not None:
        assert images.shape[1:3] == (spec.image_size, spec.image_size)
    else:
        width, height = spec.files[0].size
        assert images.shape[1:3] == (height, width)
