"""Data sources, all offline: IDX (the real Fashion-MNIST files), .npz, image
folders, and tensorflow-datasets (mocked, and failing without a download)."""

from __future__ import annotations

import gzip
import os
import time

import numpy as np
import pytest
import tensorflow as tf

from kerasgan import data
from kerasgan.data import DataError, DataNotFoundError

FASHION_DIR = data.LOCAL_DIRS["fashion_mnist"][0]


def _write_idx(path, array, gz=True):
    array = np.ascontiguousarray(array, dtype=">u1")
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


@pytest.fixture(scope="module")
def fashion():
    assert os.path.isdir(FASHION_DIR), (
        f"{FASHION_DIR} is missing: install the Debian package dataset-fashion-mnist "
        "(make test and .ci/run do this)"
    )
    return data.load_arrays("fashion_mnist", "train")


def test_real_fashion_mnist_loads_offline(fashion):
    images, labels = fashion
    assert images.shape == (60000, 28, 28, 1) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 6000))
    test_images, test_labels = data.load_arrays(FASHION_DIR, "test")
    assert test_images.shape == (10000, 28, 28, 1) and test_labels.shape == (10000,)


def test_load_gives_batched_dataset(fashion):
    ds = data.load("fashion_mnist", batch_size=32, seed=0)
    batch = next(iter(ds))
    assert batch.shape == (32, 28, 28, 1)
    assert -1.0 <= float(batch.numpy().min()) and float(batch.numpy().max()) <= 1.0
    images, labels = next(iter(data.load("fashion_mnist", batch_size=8, conditional=True)))
    assert images.shape == (8, 28, 28, 1) and labels.shape == (8,)
    assert ds.cardinality().numpy() == 60000 // 32  # remainder dropped: one static shape


def test_pad_to_centres_fashion_mnist_on_a_32x32_black_canvas(fashion):
    images, labels = data.load_arrays("fashion_mnist", "test", pad_to=32)
    plain, plain_labels = data.load_arrays("fashion_mnist", "test")
    assert images.shape == (10000, 32, 32, 1) and images.dtype == np.float32
    np.testing.assert_array_equal(images[:, 2:30, 2:30], plain)
    border = np.ones((32, 32), bool)
    border[2:30, 2:30] = False
    assert np.all(images[:, border] == -1.0)
    np.testing.assert_array_equal(labels, plain_labels)
    batch, batch_labels = next(
        iter(data.load("fashion_mnist", batch_size=8, conditional=True, pad_to=(32, 32)))
    )
    assert batch.shape == (8, 32, 32, 1) and batch_labels.shape == (8,)
    odd = data.load_arrays("fashion_mnist", "test", pad_to=(31, 33), image_size=20)[0]
    assert odd.shape == (10000, 31, 33, 1)
    # an odd margin puts the extra pixel after the image
    assert np.all(odd[:, :5] == -1.0) and np.all(odd[:, 25:] == -1.0)
    with pytest.raises(DataError, match="pad_to=.*smaller than the images .*image_size"):
        data.load("fashion_mnist", pad_to=24)
    with pytest.raises(DataError, match="pad_to must be"):
        data.load("fashion_mnist", pad_to=-3)


@pytest.mark.parametrize("image_size", [None, (20, 20)])
def test_batch_conversion_gives_the_same_batches(image_size):
    """In-memory sources scale (and resize) whole batches after shuffling; the
    batches equal those of the per-image path, label for label."""
    from kerasgan.data.arrays import array_source
    from kerasgan.data.pipeline import make_dataset

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (100, 28, 28, 1)).astype("uint8")
    labels = rng.integers(0, 10, 100)
    source = array_source(images, labels, what="test arrays")
    assert source.batch_convert
    kwargs = dict(batch_size=16, conditional=True, image_size=image_size, seed=3)
    batched = list(make_dataset(source, shuffle=True, drop_remainder=False, **kwargs))
    source.batch_convert = False
    per_image = list(make_dataset(source, shuffle=True, drop_remainder=False, **kwargs))
    assert len(batched) == len(per_image) == 7
    for (a, la), (b, lb) in zip(batched, per_image):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
        np.testing.assert_array_equal(la.numpy(), lb.numpy())
    assert batched[-1][0].shape == (4, *(image_size or (28, 28)), 1)


def test_idx_round_trip_raw_and_gz(tmp_path):
    array = np.arange(2 * 3 * 4, dtype="uint8").reshape(2, 3, 4)
    _write_idx(tmp_path / "a.gz", array)
    _write_idx(tmp_path / "b", array, gz=False)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), array)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "b"), array)


def test_idx_corrupt_files(tmp_path):
    (tmp_path / "bad_magic").write_bytes(b"\x01\x02\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.read_idx(tmp_path / "bad_magic")
    array = np.zeros((4, 5), "uint8")
    _write_idx(tmp_path / "short", array, gz=False)
    content = (tmp_path / "short").read_bytes()
    (tmp_path / "short").write_bytes(content[:-3])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.read_idx(tmp_path / "short")
    (tmp_path / "broken.gz").write_bytes(b"\x1f\x8b\x08garbage")
    with pytest.raises(ValueError, match="Could not read IDX file"):
        data.read_idx(tmp_path / "broken.gz")


def test_idx_folder_and_errors(tmp_path):
    _write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.full((6, 28, 28), 255, "uint8"))
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(6, dtype="uint8"))
    images, labels = data.load_arrays(str(tmp_path))
    assert images.shape == (6, 28, 28, 1) and np.all(images == 1.0)
    np.testing.assert_array_equal(labels, np.arange(6))
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        data.load_arrays(str(tmp_path), "test")  # DataNotFoundError is a FileNotFoundError
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(5, dtype="uint8"))
    with pytest.raises(ValueError, match="6 images but .* 5 labels"):
        data.load_arrays(str(tmp_path))
    with pytest.raises(DataNotFoundError, match="Could not load 'no_such_data'"):
        data.load_arrays("no_such_data")


def test_fashion_mnist_class_names():
    names = data.class_names("fashion_mnist")
    assert names[0] == "T-shirt/top" and names[9] == "Ankle boot" and len(names) == 10
    assert data.class_names(FASHION_DIR) == names  # its local copy too
    assert data.class_names("/no/such/folder") is None


# --- tensorflow-datasets ----------------------------------------------------


@pytest.fixture(scope="module")
def tfds():
    import tensorflow_datasets

    return tensorflow_datasets


def _check_batch(images, shape):
    assert images.shape == shape and images.dtype == tf.float32
    values = images.numpy()
    assert values.min() >= -1.0 and values.max() <= 1.0


def test_tfds_mocked_mnist(tfds):
    with tfds.testing.mock_data(num_examples=20):
        _check_batch(next(iter(data.load("mnist", batch_size=4, seed=0))), (4, 28, 28, 1))
        images, labels = next(iter(data.load("mnist", batch_size=4, conditional=True)))
        _check_batch(images, (4, 28, 28, 1))
        assert labels.dtype == tf.int32 and labels.shape == (4,)
        assert np.all((labels.numpy() >= 0) & (labels.numpy() < 10))
        resized = data.load("mnist", batch_size=5, image_size=(32, 32), shuffle=False)
        assert resized.cardinality().numpy() == 4
        _check_batch(next(iter(resized)), (5, 32, 32, 1))
        all_images, all_labels = data.load_arrays("mnist")
        assert all_images.shape == (20, 28, 28, 1) and all_labels.shape == (20,)


def test_tfds_mocked_cifar10(tfds):
    with tfds.testing.mock_data(num_examples=12):
        images, labels = next(iter(data.load("cifar10", batch_size=6, conditional=True)))
        _check_batch(images, (6, 32, 32, 3))
        assert labels.dtype == tf.int32
    assert data.class_names("cifar10")[0] == "airplane"
    from kerasgan.data.catalog import tfds_class_names

    assert tfds_class_names("mnist") == [str(d) for d in range(10)]
    assert tfds_class_names("no_such_dataset_xyz") is None


def test_tfds_without_data_fails_fast_and_says_how_to_fix(tfds, tmp_path, monkeypatch):
    start = time.perf_counter()
    with pytest.raises(DataError) as error:
        data.load("mnist", data_dir=str(tmp_path), download=False)
    message = str(error.value)
    assert "'mnist'" in message and str(tmp_path) in message
    assert 'tfds.load("mnist"' in message and "internet" in message and ".npz" in message
    # fashion_mnist without its local copy: the local path and the Debian package.
    monkeypatch.setitem(data.LOCAL_DIRS, "fashion_mnist", [str(tmp_path / "missing")])
    with pytest.raises(DataNotFoundError) as error:
        data.load("fashion_mnist", data_dir=str(tmp_path), download=False)
    message = str(error.value)
    assert str(tmp_path / "missing") in message and "dataset-fashion-mnist" in message
    assert time.perf_counter() - start < 10


def test_unknown_name_lists_what_was_tried(tfds):
    with pytest.raises(DataError) as error:
        data.load("no_such_dataset_xyz")
    message = str(error.value)
    assert "file or folder named 'no_such_dataset_xyz'" in message
    assert "tensorflow-datasets has no dataset 'no_such_dataset_xyz'" in message
    assert "datasets/catalog" in message and len(message) < 2000
    with pytest.raises(DataNotFoundError, match="'./no/such/folder': there is no such file"):
        data.load("./no/such/folder")


# --- .npz --------------------------------------------------------------------


def test_npz_scales_each_kind(tmp_path):
    pixels = np.array([0, 51, 255], "uint8").repeat(4).reshape(3, 2, 2)
    expected = pixels.astype("float32")[..., None] / 127.5 - 1
    np.savez(tmp_path / "u8.npz", images=pixels)
    np.savez(tmp_path / "unit.npz", x=pixels / 255.0)
    np.savez(tmp_path / "signed.npz", arr_0=expected)
    for name in ("u8", "unit", "signed"):
        images, labels = data.load_arrays(str(tmp_path / f"{name}.npz"))
        assert images.dtype == np.float32 and images.shape == (3, 2, 2, 1) and labels is None
        np.testing.assert_allclose(images, expected, atol=1e-6)
    ds = data.load(str(tmp_path / "u8.npz"), batch_size=3, shuffle=False)
    np.testing.assert_allclose(next(iter(ds)).numpy(), expected, atol=1e-6)
    np.savez(tmp_path / "bad.npz", x=pixels * 2.0)
    with pytest.raises(DataError, match=r"floats in \[0, 510\]; expected \[0, 1\] or \[-1, 1\]"):
        data.load(str(tmp_path / "bad.npz"))
    (tmp_path / "junk.npz").write_bytes(b"not a zip archive")
    with pytest.raises(DataError, match="Could not read .*junk.npz as a .npz file"):
        data.load(str(tmp_path / "junk.npz"))
    with pytest.raises(DataError, match="has none.*labels, y, y_train, arr_1"):
        data.load(str(tmp_path / "u8.npz"), conditional=True, batch_size=2)


def test_npz_labels_and_test_split(tmp_path):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (8, 5, 5, 3), dtype="uint8")
    np.savez(
        tmp_path / "d.npz",
        x_train=x_train,
        y_train=np.arange(8) % 4,
        x_test=x_train[:4],
        y_test=np.full(4, 3),
    )
    path = str(tmp_path / "d.npz")
    images, labels = next(iter(data.load(path, batch_size=8, conditional=True, shuffle=False)))
    assert images.shape == (8, 5, 5, 3) and labels.dtype == tf.int32
    np.testing.assert_array_equal(labels.numpy(), np.arange(8) % 4)
    test_images, test_labels = data.load_arrays(path, "test")
    assert test_images.shape == (4, 5, 5, 3) and list(test_labels) == [3] * 4
    np.savez(tmp_path / "train_only.npz", images=x_train, labels=np.zeros(8))
    with pytest.raises(DataError, match="no test images.*x_test.*its keys are images, labels"):
        data.load(str(tmp_path / "train_only.npz"), "test")
    np.savez(tmp_path / "short.npz", images=x_train, labels=np.zeros(5))
    with pytest.raises(DataError, match=r"shape \(5,\); expected \(8,\)"):
        data.load(str(tmp_path / "short.npz"), conditional=True)
    with pytest.raises(DataError, match="fewer than batch_size=128"):
        data.load(path)


# --- image folders -------------------------------------------------------------


def _png(path, value, size=(4, 6), channels=1):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pixels = tf.fill((*size, channels), tf.constant(value, tf.uint8))
    tf.io.write_file(str(path), tf.io.encode_png(pixels))


def test_flat_image_folder(tmp_path):
    for i in range(5):
        _png(tmp_path / f"{i}.png", 255 if i % 2 else 0)
    (tmp_path / "notes.txt").write_text("not an image; ignored")
    batch = next(iter(data.load(str(tmp_path), batch_size=5, shuffle=False)))
    _check_batch(batch, (5, 4, 6, 1))
    np.testing.assert_array_equal(batch.numpy()[:, 0, 0, 0], [-1, 1, -1, 1, -1])
    assert data.class_names(str(tmp_path)) is None
    with pytest.raises(DataError, match="needs labels.*own sub-folder"):
        data.load(str(tmp_path), conditional=True, batch_size=2)
    resized = next(iter(data.load(str(tmp_path), batch_size=2, image_size=8)))  # int: square
    _check_batch(resized, (2, 8, 8, 1))
    images, labels = data.load_arrays(str(tmp_path))
    assert images.shape == (5, 4, 6, 1) and labels is None


def test_class_sub_folders(tmp_path):
    for name, value in (("cats", 0), ("dogs", 128), ("zebras", 255)):
        for i in range(3):
            _png(tmp_path / name / f"{i}.png", value, channels=3)
    assert data.class_names(str(tmp_path)) == ["cats", "dogs", "zebras"]
    ds = data.load(str(tmp_path), batch_size=9, conditional=True, seed=1)
    images, labels = next(iter(ds))
    _check_batch(images, (9, 4, 6, 3))
    expected = {0: -1.0, 1: 128 / 127.5 - 1, 2: 1.0}
    for image, label in zip(images.numpy(), labels.numpy()):
        assert abs(image[0, 0, 0] - expected[int(label)]) < 1e-6
    assert sorted(labels.numpy()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    arrays, array_labels = data.load_arrays(str(tmp_path))
    assert arrays.shape == (9, 4, 6, 3) and list(array_labels) == [0] * 3 + [1] * 3 + [2] * 3


def test_mixed_sizes_need_image_size(tmp_path):
    _png(tmp_path / "a.png", 0, size=(4, 6))
    _png(tmp_path / "b.png", 255, size=(10, 8))
    with pytest.raises(DataError) as error:
        data.load(str(tmp_path), batch_size=2)
    message = str(error.value)
    assert "a.png is 4x6" in message and "b.png is 10x8" in message
    assert "pass image_size=(h, w)" in message
    batch = next(iter(data.load(str(tmp_path), batch_size=2, image_size=(5, 5), shuffle=False)))
    _check_batch(batch, (2, 5, 5, 1))
    np.testing.assert_allclose(batch.numpy()[0], -1.0)
    np.testing.assert_allclose(batch.numpy()[1], 1.0)


def test_gray_and_rgb_mix_becomes_rgb(tmp_path):
    _png(tmp_path / "gray.png", 255, channels=1)
    _png(tmp_path / "rgb.png", 0, channels=3)
    _png(tmp_path / "rgba.png", 0, channels=4)
    batch = next(iter(data.load(str(tmp_path), batch_size=3, shuffle=False)))
    _check_batch(batch, (3, 4, 6, 3))
    np.testing.assert_allclose(batch.numpy()[0], 1.0)  # gray 255 -> white RGB


def test_bad_image_folders(tmp_path):
    with pytest.raises(DataNotFoundError, match="is empty"):
        data.load(str(tmp_path))
    _png(tmp_path / "good.png", 0)
    (tmp_path / "broken.png").write_bytes(b"definitely not a png")
    with pytest.raises(DataError, match="Cannot read image .*broken.png: not a PNG"):
        data.load(str(tmp_path), batch_size=1)
    (tmp_path / "broken.png").write_bytes(
        tf.io.encode_png(tf.zeros((2, 2, 1), tf.uint8)).numpy()[:20]
    )
    with pytest.raises(DataError, match="broken.png: corrupt PNG header"):
        data.load(str(tmp_path), batch_size=1)
    png = tf.io.encode_png(tf.zeros((9, 9, 3), tf.uint8)).numpy()
    (tmp_path / "broken.png").write_bytes(png[:-20])  # cut short: header fine, data not
    with pytest.raises(DataError, match="broken.png: truncated or corrupt PNG data"):
        data.load(str(tmp_path), batch_size=1)
    os.remove(tmp_path / "broken.png")
    os.makedirs(tmp_path / "classes" / "empty")
    with pytest.raises(DataError, match="empty holds no png/jpg"):
        data.load(str(tmp_path / "classes"))
    _png(tmp_path / "classes" / "loose.png", 0)
    with pytest.raises(DataError, match="both class sub-folders"):
        data.load(str(tmp_path / "classes"))
    with pytest.raises(DataError, match="image_size must be"):
        data.load(str(tmp_path), image_size=(0, 4))


def test_jpeg_gif_bmp(tmp_path):
    from PIL import Image  # test-only: writes the JPEG/GIF/BMP files

    rgb = np.full((6, 4, 3), 255, "uint8")
    Image.fromarray(rgb).save(tmp_path / "a.jpg")
    Image.fromarray(rgb).save(tmp_path / "b.gif")
    Image.fromarray(rgb).save(tmp_path / "c.bmp")
    tf.io.write_file(str(tmp_path / "d.png"), tf.io.encode_png(rgb))
    batch = next(iter(data.load(str(tmp_path), batch_size=4, shuffle=False)))
    _check_batch(batch, (4, 6, 4, 3))
    np.testing.assert_allclose(batch.numpy(), 1.0, atol=0.02)
