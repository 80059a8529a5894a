"""Feature networks, real statistics (and their cache) and `evaluate` end to end."""

from __future__ import annotations

import importlib
import os
import urllib.request

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasgan import data
from kerasgan.metrics import (
    ClassifierFeatures,
    InceptionV3Features,
    MissingWeightsError,
    RealStatistics,
    build_domain_classifier,
    evaluate,
    get_feature_network,
    real_statistics,
)

evaluate_module = importlib.import_module("kerasgan.metrics.evaluate")
pytestmark = pytest.mark.filterwarnings("ignore:frechet_distance. singular:RuntimeWarning")


@pytest.fixture(scope="module")
def fashion():
    x, y = data.load_arrays("fashion_mnist", "test")
    return x, y


def tiny_classifier(seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    return build_domain_classifier(filters=(4, 8, 8), feature_dim=16, **kwargs)


@pytest.fixture(scope="module")
def judge(fashion):
    """A small domain classifier trained for ~140 steps on 3000 real test images."""
    x, y = fashion
    keras.utils.set_random_seed(0)
    model = build_domain_classifier(
        filters=(8, 16, 16), feature_dim=32, batch_norm_momentum=0.9, convs_per_block=2
    )
    model.compile(
        keras.optimizers.Adam(3e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x[:3000], y[:3000], batch_size=64, epochs=3, verbose=0)
    _, accuracy = model.evaluate(x[9000:], y[9000:], verbose=0)
    return ClassifierFeatures(model), accuracy


# ------------------------------------------------------------------ feature networks
def test_classifier_features_shapes_ranges_and_batching(fashion):
    x = fashion[0][:70]
    net = ClassifierFeatures(tiny_classifier(), batch_size=32)  # 32 + 32 + 6
    feats, probs = net.extract(x, probabilities=True)
    assert net.logits is True  # Dense logits detected on the first batch
    assert feats.shape == (70, 16) and probs.shape == (70, 10)
    assert feats.dtype == probs.dtype == np.float32
    assert np.all(feats >= 0) and np.all(probs >= 0)  # features come after a ReLU
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(net.features(x[:5]), feats[:5], rtol=1e-5, atol=1e-6)
    named = ClassifierFeatures(net.classifier, feature_layer="features")
    np.testing.assert_allclose(named.features(x[:5]), feats[:5], rtol=1e-5, atol=1e-6)
    assert (net.input_shape, net.feature_dim, net.num_classes) == ((28, 28, 1), 16, 10)
    assert named.name != net.name and net.name == ClassifierFeatures(net.classifier).name


def test_softmax_outputs_are_detected_and_kept():
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Dense(4)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Softmax()(hidden))
    net = ClassifierFeatures(model)
    images = np.random.default_rng(0).uniform(-1, 1, (6, 8, 8, 1)).astype("float32")
    probs = net.probabilities(images)
    assert net.logits is False
    np.testing.assert_allclose(probs, model.predict(images, verbose=0), rtol=1e-5, atol=1e-7)
    forced = ClassifierFeatures(model, logits=True)  # explicit: softmax of probabilities
    assert not np.allclose(forced.probabilities(images), probs, atol=1e-3)


def _channel_means(channels):
    """A 'classifier' whose features are the per-channel means of 16x16 input."""
    inputs = keras.Input((16, 16, channels))
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    return ClassifierFeatures(keras.Model(inputs, keras.layers.Dense(2)(pooled)))


def test_grayscale_to_rgb_rgb_to_gray_and_resizing():
    gray = np.full((2, 7, 9, 1), 0.25, "float32")
    gray[1] = -0.5
    rgb = _channel_means(3).features(gray)  # 7x9 gray -> 16x16 RGB
    np.testing.assert_allclose(rgb, [[0.25] * 3, [-0.5] * 3], atol=1e-6)
    colour = np.zeros((1, 32, 32, 3), "float32")
    colour[..., 0], colour[..., 1], colour[..., 2] = 1.0, -1.0, 0.5
    luma = _channel_means(1).features(colour)  # 32x32 RGB -> 16x16 gray
    np.testing.assert_allclose(luma, [[0.299 - 0.587 + 0.5 * 0.114]], atol=1e-6)
    ramp = np.tile(np.linspace(-1, 1, 8, dtype="float32")[None, :, None], (8, 1, 1))[None]
    np.testing.assert_allclose(_channel_means(1).features(ramp), [[0.0]], atol=1e-6)


def test_bad_images_are_rejected():
    net = _channel_means(1)
    with pytest.raises(ValueError, match="floats in"):
        net.features(np.zeros((2, 16, 16, 1), "uint8"))
    with pytest.raises(ValueError, match=r"in \[-1, 1\]"):
        net.features(np.full((2, 16, 16, 1), 255.0, "float32"))
    with pytest.raises(ValueError, match="1 channel"):
        net.features(np.zeros((2, 16, 16, 2), "float32"))
    with pytest.raises(ValueError, match=r"\(n, H, W, C\)"):
        net.features(np.zeros((16, 16, 1), "float32"))


def test_inception_v3_random_weights_gray_input():
    net = InceptionV3Features(weights=None, batch_size=2)
    images = np.random.default_rng(0).uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    feats, probs = net.extract(images, probabilities=True)
    assert net.input_shape == (299, 299, 3) and net.name.startswith("inception_v3-random-")
    assert feats.shape == (3, 2048) and probs.shape == (3, 1000) and np.all(feats >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


@pytest.fixture
def offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    from keras.src.utils import file_utils

    monkeypatch.setattr(file_utils, "get_file", no_network)
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr(urllib.request, "urlretrieve", no_network)


def test_missing_imagenet_weights_give_one_clear_error(tmp_path, monkeypatch, offline):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    for make in (InceptionV3Features, lambda: get_feature_network("inception")):
        with pytest.raises(MissingWeightsError) as info:
            make()
        message = str(info.value)
        assert str(tmp_path / "models" / "inception_v3_weights_tf_dim_ordering_tf_kernels.h5") in (
            message
        )
        assert "keras.applications.InceptionV3()" in message and "weights=PATH" in message
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(MissingWeightsError, match="No such InceptionV3 weights file"):
        InceptionV3Features(weights=str(tmp_path / "nope.h5"))
    # Only the notop file: features, but no classifier head (no IS).
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5").touch()
    net = InceptionV3Features()
    assert net.num_classes is None and net.name == "inception_v3-imagenet"
    with pytest.raises(ValueError, match="IS needs class probabilities"):
        evaluate(np.zeros((4, 8, 8, 1), "float32"), net, np.zeros((4, 8, 8, 1)), "is", n=4)


def test_get_feature_network_resolves_files_and_rejects_unknown(tmp_path):
    path = tmp_path / "clf.keras"
    tiny_classifier().save(path)
    net = get_feature_network(str(path), batch_size=7)
    assert isinstance(net, ClassifierFeatures) and net.batch_size == 7 and net.feature_dim == 16
    with pytest.raises(FileNotFoundError, match="train_domain_classifier.py"):
        get_feature_network("no-such-classifier")


# --------------------------------------------------------------------------- evaluate
class ImageBank:
    """A stand-in conditional 'generator' that returns real images of the asked classes."""

    def __init__(self, x, y, collapse=False):
        self.num_classes, self.calls = 10, []
        self.by_class = [x[y == 0] if collapse else x[y == c] for c in range(10)]

    def generate(self, n, labels=None, seed=None, batch_size=256):
        self.calls.append((n, np.bincount(labels, minlength=10), seed))
        rng = np.random.default_rng(seed)
        return np.stack([self.by_class[c][rng.integers(len(self.by_class[c]))] for c in labels])


def test_evaluate_tells_real_from_noise_and_collapse(fashion, judge):
    x, y = fashion
    net, accuracy = judge
    assert accuracy > 0.5
    real = real_statistics(net, x[:400], n=400)
    noise = np.random.default_rng(0).uniform(-1, 1, (400, 28, 28, 1)).astype("float32")
    kwargs = dict(n=400, batch_size=128, kid_subsets=20, kid_subset_size=200)
    same = evaluate(x[400:800], net, real, **kwargs)
    bad = evaluate(noise, net, real, **kwargs)
    assert same["fid"] * 20 < bad["fid"] and abs(same["kid"]) * 10 < bad["kid"]
    assert same["precision"] > 0.7 and same["recall"] > 0.7 and bad["recall"] < 0.2
    assert same["is"] > 1.3 and same["is"] > bad["is"] + 0.2

    bank = ImageBank(x[1000:5000], y[1000:5000])
    conditional = evaluate(bank, net, real, seed=3, **kwargs)
    assert [c[0] for c in bank.calls] == [128, 128, 128, 16]
    np.testing.assert_array_equal(sum(c[1] for c in bank.calls), [40] * 10)  # labels cycle
    assert len({c[2] for c in bank.calls}) == 4  # one seed per batch
    assert conditional["fid"] * 5 < bad["fid"] and conditional["recall"] > 0.6
    again = evaluate(ImageBank(x[1000:5000], y[1000:5000]), net, real, seed=3, **kwargs)
    assert again["fid"] == conditional["fid"]  # same seed, same images
    collapsed = evaluate(ImageBank(x[1000:5000], y[1000:5000], True), net, real, **kwargs)
    assert collapsed["fid"] > 3 * conditional["fid"] and collapsed["recall"] < 0.5

    protocol = same["protocol"]
    assert protocol["feature_network"] == net.name and protocol["input_shape"] == [28, 28, 1]
    assert (protocol["n_fake"], protocol["n_real"], protocol["kid_subsets"]) == (400, 400, 20)
    assert protocol["kid_subset_size"] == 200 and protocol["pr_k"] == 3 and protocol["seed"] == 0


def test_crop_scores_padded_images_on_the_real_images_area(fashion, judge):
    x = fashion[0]
    net, _ = judge
    real = real_statistics(net, x[:400], n=400)
    kwargs = dict(metrics="fid,kid", n=400, batch_size=128, kid_subsets=10, kid_subset_size=200)
    fake = x[400:800]
    # what kerasgan.data.load(..., pad_to=32) makes of them (background is -1)
    padded = np.pad(fake, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=-1.0)
    plain = evaluate(fake, net, real, **kwargs)
    cropped = evaluate(padded, net, real, crop=28, **kwargs)
    assert cropped["fid"] == pytest.approx(plain["fid"], rel=1e-5)
    assert cropped["kid"] == pytest.approx(plain["kid"], rel=1e-4, abs=1e-6)
    assert cropped["protocol"]["crop"] == [28, 28] and plain["protocol"]["crop"] is None
    # without the crop the whole canvas is resized: smaller garments, a worse score
    resized = evaluate(padded, net, real, **kwargs)
    assert resized["fid"] > plain["fid"] + 1.0
    # an odd margin: one pixel more after than before, as pad_to puts it
    odd = np.pad(fake, ((0, 0), (1, 2), (2, 3), (0, 0)), constant_values=-1.0)
    np.testing.assert_array_equal(evaluate_module.center_crop(odd, (28, 28)), fake)
    with pytest.raises(ValueError, match="cannot crop 28x28 images to 32x32"):
        evaluate(fake, net, real, crop=32, **kwargs)
    for bad in (0, (28,), (28, 28.0), True, "28"):
        with pytest.raises(ValueError, match="crop must be a positive int"):
            evaluate(fake, net, real, crop=bad, **kwargs)


def test_evaluate_argument_errors(fashion):
    x = fashion[0][:8]
    net = ClassifierFeatures(tiny_classifier())
    with pytest.raises(ValueError, match="unknown metric.*bogus"):
        evaluate(x, net, x, metrics="fid,bogus", n=8)
    with pytest.raises(ValueError, match="need n=16 fake images"):
        evaluate(x, net, x, metrics="fid", n=16)
    other = real_statistics(ClassifierFeatures(tiny_classifier(seed=1)), x, n=8)
    with pytest.raises(ValueError, match="computed with"):
        evaluate(x, net, other, metrics="fid", n=8)


# ---------------------------------------------------------------------------- caching
@pytest.fixture
def count_computations(monkeypatch):
    calls = []
    original = evaluate_module._compute_real

    def counting(feature_net, source, n, split, batch_size):
        calls.append(n)
        return original(feature_net, source, n, split, batch_size)

    monkeypatch.setattr(evaluate_module, "_compute_real", counting)
    return calls


def test_real_statistics_are_cached_by_network_source_split_and_n(
    fashion, tmp_path, count_computations
):
    x = fashion[0]
    net = ClassifierFeatures(tiny_classifier())
    first = real_statistics(net, x[:100], n=80, cache_dir=tmp_path)
    second = real_statistics(net, x[:100], n=80, cache_dir=tmp_path)
    assert len(count_computations) == 1 and second.cache_path == first.cache_path
    assert isinstance(second, RealStatistics) and second.count == 80
    np.testing.assert_array_equal(second.features, first.features)
    np.testing.assert_array_equal(second.statistics.mean, first.statistics.mean)
    np.testing.assert_array_equal(second.statistics.covariance, first.statistics.covariance)
    assert len(os.listdir(tmp_path)) == 2  # .features.npz and .stats.npz, no temporaries

    real_statistics(net, x[:100], n=60, cache_dir=tmp_path)  # another n
    real_statistics(net, x[100:200], n=80, cache_dir=tmp_path)  # another source
    real_statistics(ClassifierFeatures(tiny_classifier(seed=1)), x[:100], 80, tmp_path)
    assert len(count_computations) == 4
    named = real_statistics(net, "fashion_mnist", n=50, cache_dir=tmp_path, split="test")
    assert named.source == "fashion_mnist" and named.count == 50
    np.testing.assert_allclose(named.features, first.features[:50], rtol=1e-5, atol=1e-6)
    real_statistics(net, "fashion_mnist", n=50, cache_dir=tmp_path, split="test")
    assert len(count_computations) == 5
    real_statistics(net, "fashion_mnist", n=50, cache_dir=tmp_path, split="train")
    assert len(count_computations) == 6

    with open(first.cache_path + ".stats.npz", "wb") as f:  # corrupt: recomputed
        f.write(b"junk")
    real_statistics(net, x[:100], n=80, cache_dir=tmp_path)
    assert len(count_computations) == 7

    ds = tf.data.Dataset.from_tensor_slices((x[:40], np.zeros(40, "int32"))).batch(16)
    with pytest.raises(ValueError, match="name="):
        real_statistics(net, ds, n=40, cache_dir=tmp_path)
    from_ds = real_statistics(net, ds, n=40, cache_dir=tmp_path, name="first40")
    np.testing.assert_allclose(from_ds.features, first.features[:40], rtol=1e-5, atol=1e-6)
