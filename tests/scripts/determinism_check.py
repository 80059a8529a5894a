"""Trains a few steps after `keras.utils.set_random_seed(SEED)` and prints a
digest of everything the run produced, for `tests/test_determinism.py`.

Usage: python determinism_check.py VARIANT SEED {jit,nojit}

Nothing else is seeded: weight initialization, the noise generator (no `seed=`
given to `create`), the shuffling of `fit` and DiffAugment all derive from the
one global seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    variant, seed, jit = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "jit"
    import keras
    import numpy as np

    import kerasgan

    keras.utils.set_random_seed(seed)
    cls = kerasgan.get(variant)
    kw = {"num_classes": 10} if cls.conditional else {}
    gan = kerasgan.create(
        variant, image_shape=(16, 16, 1), base_filters=8, diffaugment="translation", **kw
    )
    gan.compile(jit_compile=jit)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (96, 16, 16, 1)).astype("float32")
    labels = rng.integers(0, 10, 96).astype("int32")
    x = [images, labels] if cls.conditional else [images]
    history = gan.fit(*x, batch_size=32, epochs=2, shuffle=True, verbose=0)
    h = hashlib.sha256()
    for v in gan.generator.weights + gan.discriminator.weights:
        h.update(np.ascontiguousarray(v.numpy()).tobytes())
    samples = gan.generate(8, **({"labels": 3} if cls.conditional else {}))
    print(
        "RESULT "
        + json.dumps(
            {
                "losses": {k: [float(x) for x in v] for k, v in history.history.items()},
                "weights_sha256": h.hexdigest(),
                "samples_sha256": hashlib.sha256(samples.tobytes()).hexdigest(),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
