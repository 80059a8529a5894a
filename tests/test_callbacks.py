"""SampleGrid and LossCurves callbacks in a real fit."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tensorflow as tf
from support import COMPILED, make_gan, random_images

import kerasgan

pytestmark = pytest.mark.backends


def test_sample_grid_and_loss_curves_in_fit(tmp_path):
    gan = make_gan("dcgan", base_filters=8)
    gan.compile(jit_compile=COMPILED)
    grid = kerasgan.callbacks.SampleGrid(tmp_path, every=2, n=9, seed=5)
    curves = kerasgan.callbacks.LossCurves(tmp_path, title="test")
    gan.fit(random_images(16), batch_size=8, epochs=4, verbose=0, callbacks=[grid, curves])
    assert sorted(p.name for p in tmp_path.glob("samples_epoch_*.png")) == [
        "samples_epoch_002.png",
        "samples_epoch_004.png",
    ]
    # Fixed noise: the grid written at epoch 4 is what the model draws with that seed now.
    written = tf.io.decode_png(tf.io.read_file(str(tmp_path / "samples_epoch_004.png"))).numpy()
    expected = kerasgan.utils.make_grid(gan.generate(9, seed=5))
    np.testing.assert_array_equal(written, expected)
    history = json.loads((tmp_path / "history.json").read_text())
    assert set(history) == {"d_loss", "g_loss"} and len(history["d_loss"]) == 4
    png = tf.io.decode_png(tf.io.read_file(str(tmp_path / "loss_curves.png"))).numpy()
    assert png.shape[2] == 3 and png.min() < 100  # lines and text were drawn


def _tensorboard_images(folder):
    """{(tag, step): decoded image} from the event files in `folder`."""
    import glob
    import os

    images = {}
    for path in glob.glob(os.path.join(str(folder), "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.HasField("tensor"):  # TF2 image summaries: [w, h, png bytes]
                    encoded = tf.make_ndarray(value.tensor)
                    if encoded.dtype == object and len(encoded) == 3:
                        images[(value.tag, event.step)] = tf.io.decode_png(encoded[2]).numpy()
    return images


def test_sample_grid_goes_to_tensorboard_when_a_tensorboard_callback_is_present(tmp_path):
    import keras

    gan = make_gan("dcgan", base_filters=8)
    gan.compile(jit_compile=COMPILED)
    grid = kerasgan.callbacks.SampleGrid(tmp_path / "png", n=9, seed=5)
    logdir = tmp_path / "tb"
    gan.fit(
        random_images(16),
        batch_size=8,
        epochs=2,
        verbose=0,
        callbacks=[grid, keras.callbacks.TensorBoard(str(logdir))],
    )
    images = _tensorboard_images(logdir / "samples")
    assert sorted(images) == [("samples", 1), ("samples", 2)]
    png = tf.io.decode_png(tf.io.read_file(str(tmp_path / "png" / "samples_epoch_002.png")))
    np.testing.assert_array_equal(images[("samples", 2)], png.numpy())

    # Without a TensorBoard callback (or with tensorboard=False) no summaries are written.
    quiet = kerasgan.callbacks.SampleGrid(tmp_path / "png2", n=9, tensorboard=False)
    gan.fit(
        random_images(16),
        batch_size=8,
        epochs=1,
        verbose=0,
        callbacks=[quiet, keras.callbacks.TensorBoard(str(tmp_path / "tb2"))],
    )
    assert not (tmp_path / "tb2" / "samples").exists()
    alone = kerasgan.callbacks.SampleGrid(tmp_path / "png3", n=9)
    gan.fit(random_images(16), batch_size=8, epochs=1, verbose=0, callbacks=[alone])
    assert alone._writer_dir is None and (tmp_path / "png3" / "samples_epoch_001.png").exists()

    # An explicit folder works in any fit, even a plain keras.Model's callbacks list.
    explicit = kerasgan.callbacks.SampleGrid(tmp_path / "png4", n=9, tensorboard=tmp_path / "tb4")
    gan.fit(random_images(16), batch_size=8, epochs=1, verbose=0, callbacks=[explicit])
    assert sorted(_tensorboard_images(tmp_path / "tb4" / "samples")) == [("samples", 1)]


def test_loss_curves_resume_continues_the_history(tmp_path):
    first = kerasgan.callbacks.LossCurves(tmp_path)
    for epoch in range(3):
        first.on_epoch_end(epoch, {"d_loss": float(epoch)})
    resumed = kerasgan.callbacks.LossCurves(tmp_path, resume=True)
    resumed.on_epoch_end(2, {"d_loss": 20.0})  # epoch 3 re-run after a crash
    resumed.on_epoch_end(3, {"d_loss": 30.0})
    assert json.loads((tmp_path / "history.json").read_text()) == {"d_loss": [0, 1, 20, 30]}
    fresh = kerasgan.callbacks.LossCurves(tmp_path)
    assert fresh.history == {}


def test_sample_grid_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="every and n must be >= 1"):
        kerasgan.callbacks.SampleGrid(tmp_path, every=0)
