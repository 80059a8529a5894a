"""Saving and loading again and again does not rebuild Keras' reference objects.

Keras' saving walk (`saving_lib.get_attr_skipset`) caches under one name and
looks up under another, so without kerasgan's workaround every save and load
builds a reference `Optimizer` (with variables) per optimizer walked; on
TensorFlow that memory is never given back, and a run that backs up every few
steps grows by megabytes an hour (the soak benchmark found it). These tests
count the reference optimizers built during saves and loads after the first.
"""

from __future__ import annotations

import numpy as np
import pytest
from keras.src.optimizers import optimizer as keras_optimizer
from support import make_gan, random_images

import kerasgan

pytestmark = pytest.mark.backends


@pytest.fixture
def built_optimizers(monkeypatch):
    """Counts every `keras.optimizers.Optimizer` constructed (Keras' reference
    object is of exactly that class)."""
    made = []
    init = keras_optimizer.Optimizer.__init__

    def counting_init(self, *args, **kwargs):
        made.append(type(self))
        init(self, *args, **kwargs)

    monkeypatch.setattr(keras_optimizer.Optimizer, "__init__", counting_init)
    return made


def test_repeated_saves_and_loads_build_no_reference_optimizers(tmp_path, built_optimizers):
    gan = make_gan("dcgan", base_filters=4, latent_dim=8, seed=0)
    gan.compile()
    gan.fit(random_images(16, seed=0), batch_size=8, epochs=1, verbose=0)
    gan.save(tmp_path / "first.keras")  # the first save may compute the skip-sets
    gan.save_weights(tmp_path / "first.weights.h5")
    del built_optimizers[:]

    for _ in range(3):
        gan.save(tmp_path / "m.keras")
        gan.save_weights(tmp_path / "m.weights.h5")
        gan.load_weights(tmp_path / "m.weights.h5")
    loaded = kerasgan.load_model(tmp_path / "m.keras")
    # a loaded model builds its own two optimizers, nothing else
    assert len(built_optimizers) == 2, built_optimizers
    for a, b in zip(gan.variables, loaded.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    # Keras' own clear_session empties its global state: still no rebuilding
    import keras

    keras.backend.clear_session()
    gan.save(tmp_path / "m.keras")
    del built_optimizers[:]
    gan.save(tmp_path / "m.keras")
    gan.save_weights(tmp_path / "m.weights.h5")
    assert built_optimizers == []


def test_without_the_workaround_keras_rebuilds_them(tmp_path, built_optimizers, monkeypatch):
    """The control: the same saves through Keras alone build a reference
    optimizer for each of the GAN's two optimizers on every save (if a Keras
    release fixes its cache, this test says so and the workaround can go)."""
    import keras

    from kerasgan import saving

    monkeypatch.setattr(saving, "keep_keras_saving_from_leaking", lambda: None)
    keras.backend.clear_session()
    gan = make_gan("dcgan", base_filters=4, latent_dim=8, seed=0)
    gan.compile()
    gan.fit(random_images(16, seed=0), batch_size=8, epochs=1, verbose=0)
    gan.save_weights(tmp_path / "first.weights.h5")
    del built_optimizers[:]
    gan.save_weights(tmp_path / "m.weights.h5")
    assert len(built_optimizers) >= 2, (
        "Keras no longer rebuilds reference optimizers when saving: "
        "kerasgan.saving.keep_keras_saving_from_leaking may be removed"
    )
