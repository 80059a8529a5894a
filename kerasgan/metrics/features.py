"""Feature networks: images in [-1, 1] -> feature vectors (FID, KID, PR) and class
probabilities (IS).

Every network takes generator-style images, float `(n, H, W, C)` in [-1, 1],
and processes them `batch_size` at a time: grayscale is repeated to RGB (or RGB
turned to luma, ITU-R 601) as the network needs, then images are resized
bilinearly to its input size (antialiased, which only matters when shrinking).

- `InceptionV3Features`: Keras' ImageNet InceptionV3, 2048-d pool features.
- `ClassifierFeatures`: any Keras classifier, e.g. a Fashion-MNIST domain
  network from `build_domain_classifier` (`zoo/train_domain_classifier.py`).

>>> net = ClassifierFeatures.load("zoo/fashion-mnist-classifier")
>>> net.features(images).shape, net.probabilities(images).shape
((n, 128), (n, 10))
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
import zipfile
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import numpy.typing as npt

from kerasgan._typing import Shape, StrPath, Tensor

__all__ = [
    "ClassifierFeatures",
    "FeatureNetwork",
    "InceptionV3Features",
    "MissingWeightsError",
    "build_domain_classifier",
    "get_feature_network",
]

INCEPTION_TOP_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
INCEPTION_NOTOP_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
#: File names inside a classifier folder such as `zoo/fashion-mnist-classifier/`.
CLASSIFIER_FILE = "classifier.keras"
CLASSIFIER_METADATA_FILE = "metadata.json"
_LUMA = np.array([0.299, 0.587, 0.114], "float32")


class MissingWeightsError(FileNotFoundError):
    """Pretrained weights are not on this machine (nothing is downloaded)."""


def keras_cache_dir() -> str:
    """Where Keras keeps downloaded weights: `$KERAS_HOME/models`, else `~/.keras/models`."""
    home = os.environ.get("KERAS_HOME")
    if not home:
        home = os.path.join(os.path.expanduser("~"), ".keras")
        if not os.access(os.path.dirname(home), os.W_OK):  # what Keras itself falls back to
            home = os.path.join("/tmp", ".keras")
    return os.path.join(home, "models")


def _weights_digest(model: keras.Model) -> str:
    digest = hashlib.sha256()
    for w in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(w)).tobytes())
    return digest.hexdigest()[:12]


def _compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, reduce_retracing=True)
    return fn


class FeatureNetwork:
    """Base class: subclasses set `input_shape`, `feature_dim`, `num_classes` and
    implement `_network_outputs(x) -> (features, probabilities or None)` on
    prepared input (right channels and size, [-1, 1])."""

    input_shape: tuple = ()
    feature_dim: int = 0
    num_classes: int | None = None

    def __init__(self, batch_size: int) -> None:
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1; got {batch_size}.")
        self.batch_size = int(batch_size)
        # one compiled function per input image shape
        self._calls: dict[tuple[int, ...], Callable[[np.ndarray], Any]] = {}

    @property
    def name(self) -> str:
        raise NotImplementedError

    def _network_outputs(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        raise NotImplementedError

    def _prepare(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        h, w, c = self.input_shape
        if x.shape[-1] == 1 and c == 3:
            x = keras.ops.repeat(x, 3, axis=-1)
        elif x.shape[-1] == 3 and c == 1:
            x = keras.ops.matmul(x, keras.ops.convert_to_tensor(_LUMA[:, None]))
        if tuple(x.shape[1:3]) != (h, w):
            x = keras.ops.image.resize(x, (h, w), interpolation="bilinear", antialias=True)
        return self._network_outputs(x)

    def _check(self, images: npt.ArrayLike) -> np.ndarray:
        x = np.asarray(images)
        if x.ndim != 4:
            raise ValueError(f"images must have shape (n, H, W, C); got {x.shape}.")
        c = self.input_shape[-1]
        if x.shape[-1] != c and (x.shape[-1], c) not in ((1, 3), (3, 1)):
            raise ValueError(f"{self.name} takes images with {c} channel(s); got {x.shape[-1]}.")
        if x.dtype.kind != "f":
            raise ValueError(
                f"images must be floats in [-1, 1]; got dtype {x.dtype} (scale them, e.g. "
                "with kerasgan.data.scale_images)."
            )
        x = x.astype("float32", copy=False)
        if x.size and (not np.isfinite(x).all() or x.min() < -1.5 or x.max() > 1.5):
            raise ValueError(
                f"images must be finite and in [-1, 1]; got values in [{x.min()}, {x.max()}]."
            )
        return x

    def extract(
        self, images: npt.ArrayLike, probabilities: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """`(features (n, d), probabilities (n, classes) or None)` in one pass."""
        x = self._check(images)
        if probabilities and self.num_classes is None:
            raise ValueError(f"{self.name} has no classifier head: no class probabilities.")
        if x.shape[1:] not in self._calls:
            self._calls[x.shape[1:]] = _compiled(self._prepare)
        call = self._calls[x.shape[1:]]
        feat_batches, prob_batches = [], []
        for start in range(0, x.shape[0], self.batch_size):
            f, p = call(x[start : start + self.batch_size])
            feat_batches.append(keras.ops.convert_to_numpy(f).astype("float32"))
            if probabilities:
                prob_batches.append(keras.ops.convert_to_numpy(p).astype("float32"))
        feats = (
            np.concatenate(feat_batches)
            if feat_batches
            else np.zeros((0, self.feature_dim), "float32")
        )
        if not probabilities:
            return feats, None
        if prob_batches:
            return feats, np.concatenate(prob_batches)
        assert self.num_classes is not None  # checked above
        return feats, np.zeros((0, self.num_classes), "float32")

    def features(self, images: npt.ArrayLike) -> np.ndarray:
        """Feature vectors, float32 `(n, feature_dim)`."""
        return self.extract(images)[0]

    def probabilities(self, images: npt.ArrayLike) -> np.ndarray:
        """Class probabilities (softmax), float32 `(n, num_classes)`."""
        probs = self.extract(images, probabilities=True)[1]
        assert probs is not None  # extract raises where there is no classifier head
        return probs

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, input_shape={self.input_shape})"


_EXPECTED_WEIGHTS = (
    f"Expected Keras' {INCEPTION_NOTOP_FILE} (FID, KID, precision/recall) or "
    f"{INCEPTION_TOP_FILE} (also IS), or a .weights.h5 file saved from "
    "keras.applications.InceptionV3."
)


def _check_weights_file(path: str) -> str:
    """`path` if it can be an InceptionV3 weights file for Keras (an HDF5 file
    named .h5, or a .keras archive); else a one-line error saying what it is."""
    from kerasgan.utils.files import describe_file, is_hdf5

    if not os.path.exists(path):
        raise MissingWeightsError(f"No such InceptionV3 weights file: {path}. {_EXPECTED_WEIGHTS}")
    if os.path.isdir(path):
        raise MissingWeightsError(
            f"{path} is a folder; give the InceptionV3 weights file itself. {_EXPECTED_WEIGHTS}"
        )
    if path.endswith(".keras") and zipfile.is_zipfile(path):
        return path
    if not is_hdf5(path):
        raise ValueError(
            f"{path} is {describe_file(path)}, not InceptionV3 weights. {_EXPECTED_WEIGHTS}"
        )
    if not path.endswith(".h5"):
        raise ValueError(
            f"{path} is an HDF5 file, but Keras reads weights only from files whose name ends "
            "in .h5: rename it (or link it) to, e.g., inception.weights.h5."
        )
    return path


def _has_classifier_top(path: str) -> bool | None:
    """Whether the HDF5 weights file `path` holds InceptionV3's classifier top
    (its `predictions` Dense layer), in Keras' legacy `.h5` layout (the files
    Keras ships) or its `.weights.h5` one; `None` when it cannot tell. (Keras
    loads a full file into the network without top without a word, so this
    is decided before loading, not by trying.)"""
    try:
        import h5py

        with h5py.File(path, "r") as f:
            if "layer_names" in f.attrs:
                names = [
                    n.decode() if isinstance(n, bytes) else str(n) for n in f.attrs["layer_names"]
                ]
                return "predictions" in names
            if "layers" in f:  # keyed by class: InceptionV3's one Dense layer is its top
                return "dense" in f["layers"] or "predictions" in f["layers"]
    except Exception:  # not HDF5, unreadable, or no h5py: let Keras try
        return None
    return None


def _load_weights_quietly(model: keras.Model, path: str) -> None:
    """`model.load_weights(path)` without Keras' warning for each part of the
    file the model lacks: a file that does not fit raises, and that says it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipping ", UserWarning)
        model.load_weights(path)


class InceptionV3Features(FeatureNetwork):
    """Keras' InceptionV3: 2048-d pool features and the 1000-class ImageNet softmax.

    Input is 299x299x3 in [-1, 1], which is InceptionV3's own preprocessing,
    so images go in unscaled. Features are the global average pool of the last
    block (`include_top=False, pooling="avg"`, "pool3"); IS uses the softmax
    head of `include_top=True`. With the full (top) weights file one forward
    pass gives both; with only the notop file there are features but no IS.

    Protocol caveat: these are Keras' ImageNet weights, not the TF-slim graph
    (`pool_3`, 1008-way head) of the reference FID / IS code (TTUR,
    pytorch-fid, Salimans et al.). Absolute FIDs and ISs from this class are
    comparable only with other numbers measured with kerasgan's protocol
    (same network, resizing, n, real split), never with published values.

    Args:
        weights: "imagenet" reads Keras' cache (`$KERAS_HOME/models` or
            `~/.keras/models`) and never downloads: a missing file raises
            `MissingWeightsError` saying how to get it. `None`: random weights
            (tests). A path: a local weights file, full or notop, as Keras
            ships them (`inception_v3_weights_tf_dim_ordering_tf_kernels.h5`,
            `..._notop.h5`) or as `InceptionV3(...).save_weights("x.weights.h5")`
            writes them. A missing file raises `MissingWeightsError`, a file
            that is no HDF5 weights file `ValueError` (here); one that holds
            other weights raises `ValueError` when the network is first built.
        batch_size: images per forward pass.
    """

    input_shape = (299, 299, 3)
    feature_dim = 2048

    def __init__(self, weights: StrPath | None = "imagenet", batch_size: int = 64) -> None:
        super().__init__(batch_size)
        self.weights = weights
        self._model: keras.Model | None = None
        self._name: str | None = None
        self._path: str | None
        self.num_classes = 1000
        if weights == "imagenet":
            folder = keras_cache_dir()
            top = os.path.join(folder, INCEPTION_TOP_FILE)
            notop = os.path.join(folder, INCEPTION_NOTOP_FILE)
            if os.path.isfile(top):
                self._path, self._name = top, "inception_v3-imagenet"
            elif os.path.isfile(notop):
                self._path, self._name = notop, "inception_v3-imagenet"
                self.num_classes = None
            else:
                raise MissingWeightsError(
                    f"InceptionV3 ImageNet weights not found: {top} is missing (kerasgan "
                    "never downloads them). Fix: download them once on a machine with "
                    'internet access, python -c "import keras; keras.applications.'
                    'InceptionV3()", and copy the file into that folder (or set '
                    f"KERAS_HOME), or pass weights=PATH to a weights file. ({INCEPTION_NOTOP_FILE} "
                    "alone also works, for FID/KID/PR without IS.)"
                )
        elif weights is not None:
            self._path = _check_weights_file(os.fspath(weights))
        else:
            self._path = None

    @property
    def model(self) -> keras.Model:
        """`keras.Model` mapping prepared images to `[features, probabilities]` (or features)."""
        if self._model is None:
            self._model = self._build()
        return self._model

    def _build(self) -> keras.Model:
        apps = keras.applications
        if self._path is None:
            tops = [True]
        else:  # the file says whether it holds the classifier top; if not, try both
            has_top = _has_classifier_top(self._path)
            tops = [True, False] if has_top is None else [has_top]
        cause = ""
        for top in tops:
            if top:
                base = apps.InceptionV3(include_top=True, weights=None)
            else:
                base = apps.InceptionV3(include_top=False, weights=None, pooling="avg")
            if self._path is not None:
                try:
                    _load_weights_quietly(base, self._path)
                except (ValueError, OSError) as e:
                    cause = " ".join(str(e).split())[:200]
                    continue
            if not top:
                self.num_classes = None
                return base
            return keras.Model(base.input, [base.get_layer("avg_pool").output, base.output])
        tried = "with or without" if len(tops) == 2 else ("with" if tops[0] else "without")
        raise ValueError(
            f"{self._path} does not hold InceptionV3 weights: Keras could not load it into "
            f"InceptionV3 {tried} its classifier top ({cause}). {_EXPECTED_WEIGHTS}"
        )

    @property
    def name(self) -> str:
        if self._name is None:
            if self._path is None:
                self._name = f"inception_v3-random-{_weights_digest(self.model)}"
            else:
                with open(self._path, "rb") as f:
                    self._name = f"inception_v3-{hashlib.sha256(f.read()).hexdigest()[:12]}"
        return self._name

    def _network_outputs(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        out = self.model(x, training=False)
        return (out[0], out[1]) if isinstance(out, (list, tuple)) else (out, None)

    def extract(
        self, images: npt.ArrayLike, probabilities: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        self.model  # noqa: B018 - build first: num_classes depends on the weights file
        return super().extract(images, probabilities)


class ClassifierFeatures(FeatureNetwork):
    """Any Keras classifier as a feature network (e.g. a domain classifier for FID).

    Features are the output of `feature_layer` (a layer name; default: the
    input of the last layer, i.e. the penultimate activations). Probabilities
    are the model's output, put through a softmax when it is logits.

    Args:
        model: a single-input, single-output `keras.Model` with a static input shape.
        feature_layer: name of the layer whose output are the features.
        batch_size: images per forward pass.
        logits: whether the model outputs logits (softmax is applied) or
            probabilities. `None` decides once, on the first batch: a last
            layer with a softmax activation, or outputs that are non-negative
            with rows summing to 1, count as probabilities; anything else as
            logits. The decision is kept in `self.logits`.
    """

    def __init__(
        self,
        model: keras.Model,
        feature_layer: str | None = None,
        batch_size: int = 256,
        logits: bool | None = None,
    ) -> None:
        super().__init__(batch_size)
        if not isinstance(model, keras.Model) or len(model.outputs) != 1:
            raise ValueError("ClassifierFeatures needs a keras.Model with exactly one output.")
        shape = tuple(model.inputs[0].shape[1:])
        if len(shape) != 3 or None in shape:
            raise ValueError(f"the classifier needs a static (H, W, C) input; got {shape}.")
        last = model.layers[-1]
        feats = model.get_layer(feature_layer).output if feature_layer else last.input
        self.model = keras.Model(model.inputs[0], [feats, model.outputs[0]])
        self.classifier, self.feature_layer = model, feature_layer
        self.input_shape = tuple(int(d) for d in shape)
        self.feature_dim = int(feats.shape[-1])
        self.num_classes = int(model.outputs[0].shape[-1])
        if logits is None and getattr(last, "activation", None) is keras.activations.softmax:
            logits = False
        self.logits = logits
        self._name: str | None = None

    @classmethod
    def load(cls, path: StrPath, **kwargs: Any) -> ClassifierFeatures:
        """From a `.keras` file, or a folder with `classifier.keras` (and `metadata.json`,
        whose `feature_layer` / `logits` are used and `sha256` checked)."""
        path = os.fspath(path)
        meta: dict[str, Any] = {}
        if os.path.isdir(path):
            meta_path = os.path.join(path, CLASSIFIER_METADATA_FILE)
            if os.path.isfile(meta_path):
                with open(meta_path) as f:
                    meta = json.load(f)
            path = os.path.join(path, CLASSIFIER_FILE)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No classifier file {path}.")
        expected = (meta.get("sha256") or {}).get(CLASSIFIER_FILE)
        if expected:
            with open(path, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != expected:
                    raise ValueError(f"Checksum mismatch for {path}: restore the file.")
        kwargs.setdefault("feature_layer", meta.get("feature_layer"))
        kwargs.setdefault("logits", meta.get("logits"))
        from kerasgan.saving import check_no_code

        check_no_code(path)  # a classifier file holding code is refused before Keras reads it
        return cls(keras.saving.load_model(path, compile=False), **kwargs)

    @property
    def name(self) -> str:
        if self._name is None:
            layer = f"[{self.feature_layer}]" if self.feature_layer else ""
            self._name = f"{self.classifier.name}{layer}-{_weights_digest(self.classifier)}"
        return self._name

    def _network_outputs(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        feats, out = self.model(x, training=False)
        return feats, keras.ops.softmax(out, axis=-1) if self.logits else out

    def extract(
        self, images: npt.ArrayLike, probabilities: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if self.logits is None:
            probe = self._check(images)[: min(self.batch_size, 64)]
            if probe.shape[0]:
                self.logits = False  # so that _prepare returns the raw outputs
                out = keras.ops.convert_to_numpy(self._prepare(probe)[1])
                sums_to_one = np.allclose(out.sum(axis=1), 1.0, rtol=0, atol=1e-3)
                self.logits = not (out.min() >= 0 and sums_to_one)
                self._calls = {}  # traced functions capture self.logits
        return super().extract(images, probabilities)


def build_domain_classifier(
    image_shape: Shape = (28, 28, 1),
    num_classes: int = 10,
    filters: Sequence[int] = (32, 64, 128),
    feature_dim: int = 128,
    batch_norm_momentum: float = 0.99,
    convs_per_block: int = 1,
) -> keras.Model:
    """An uncompiled CNN classifier for FID-style features on small images.

    Blocks of `convs_per_block` conv-batchnorm-ReLU layers per width in
    `filters`, each followed by 2x2 max pooling and dropout 0.25; then a
    `feature_dim` ReLU dense layer named "features" (the features), dropout
    0.5, and a `Dense(num_classes)` named "logits" (no softmax). The defaults
    are sized for a 2-core CPU (~7 M multiply-adds per 28x28 image); the
    shipped `zoo/fashion-mnist-classifier` records its measured test accuracy
    in its `metadata.json`. Lower `batch_norm_momentum` (e.g. 0.9) for very
    short trainings (tests).
    """
    inputs = keras.Input(tuple(image_shape), name="images")
    x = inputs
    for width in filters:
        for _ in range(convs_per_block):
            x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
            x = keras.layers.BatchNormalization(momentum=batch_norm_momentum)(x)
            x = keras.layers.ReLU()(x)
        x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Dropout(0.25)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(feature_dim, activation="relu", name="features")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="domain_classifier")


def get_feature_network(
    spec: FeatureNetwork | StrPath = "inception",
    batch_size: int | None = None,
    inception_weights: StrPath | None = None,
) -> FeatureNetwork:
    """A feature network from a spec: "inception", a `.keras` classifier file, a
    classifier folder, or the name of a classifier folder in the zoo (e.g.
    "fashion-mnist-classifier").

    Args:
        spec: the spec above, or a `FeatureNetwork`, returned as is.
        batch_size: images per forward pass (default: the network's own).
        inception_weights: for "inception" only: a local InceptionV3 weights
            file (see `InceptionV3Features`' `weights`), e.g. Keras'
            `inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`, in place
            of the one in Keras' cache. Nothing is ever downloaded. `kerasgan
            eval --inception-weights PATH` passes it.
    """
    kwargs: dict[str, Any] = {} if batch_size is None else {"batch_size": batch_size}
    inception = not isinstance(spec, FeatureNetwork) and os.fspath(spec) in (
        "inception",
        "inception_v3",
        "inceptionv3",
    )
    if inception_weights is not None and not inception:
        raise ValueError(
            f"inception_weights is for the 'inception' feature network; the spec is {spec!r}."
        )
    if isinstance(spec, FeatureNetwork):
        return spec
    spec = os.fspath(spec)
    if inception:
        weights = "imagenet" if inception_weights is None else inception_weights
        return InceptionV3Features(weights=weights, **kwargs)
    if os.path.isfile(spec) or os.path.isdir(spec):
        return ClassifierFeatures.load(spec, **kwargs)
    from kerasgan.zoo import zoo_dirs

    plain_name = spec not in ("", ".", "..") and os.path.basename(spec) == spec
    for root in zoo_dirs() if plain_name else ():  # zoo names can't leave the zoo
        if os.path.isfile(os.path.join(root, spec, CLASSIFIER_FILE)):
            return ClassifierFeatures.load(os.path.join(root, spec), **kwargs)
    raise FileNotFoundError(
        f"Unknown feature network {spec!r}: use 'inception', a classifier .keras file, or a "
        f"folder with {CLASSIFIER_FILE} (searched the zoo: {', '.join(zoo_dirs()) or 'none'}). "
        "Train the Fashion-MNIST one with: python zoo/train_domain_classifier.py"
    )
