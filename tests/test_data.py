"""Local data: the IDX reader on the real Fashion-MNIST files and on bad files."""

from __future__ import annotations

import gzip
import os

import numpy as np
import pytest

from kerasgan import data

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
        data.load_arrays(str(tmp_path), "test")
    _write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(5, dtype="uint8"))
    with pytest.raises(ValueError, match="6 images but .* 5 labels"):
        data.load_arrays(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="No local copy of 'no_such_data'"):
        data.load_arrays("no_such_data")
