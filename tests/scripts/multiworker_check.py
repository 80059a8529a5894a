"""One worker of a two-worker `MultiWorkerMirroredStrategy` run on localhost.

Usage: python multiworker_check.py INDEX PORT0 PORT1 OUT_DIR [VARIANT]

Both workers train the same GAN on the same (auto-sharded) dataset; gradients
are all-reduced across the processes, so afterwards both hold the same
weights. Each prints a `RESULT` JSON line with its losses and a digest of its
weights; the chief (worker 0) also saves the model to OUT_DIR.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    index, port0, port1, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    variant = sys.argv[5] if len(sys.argv) > 5 else "dcgan"
    os.environ["TF_CONFIG"] = json.dumps(
        {
            "cluster": {"worker": [f"localhost:{port0}", f"localhost:{port1}"]},
            "task": {"type": "worker", "index": index},
        }
    )
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()

    import kerasgan

    images = np.random.default_rng(0).uniform(-1, 1, (128, 16, 16, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices(images).batch(32)  # global batch 32
    with strategy.scope():
        gan = kerasgan.create(variant, image_shape=(16, 16, 1), base_filters=8, seed=0)
        gan.compile()
    history = gan.fit(ds, epochs=2, verbose=0)

    def digest(variables):
        h = hashlib.sha256()
        for v in variables:
            h.update(np.ascontiguousarray(v.numpy()).tobytes())
        return h.hexdigest()

    networks = (gan.generator, gan.discriminator)
    if index == 0:
        gan.save(os.path.join(out, "chief.keras"))
    print(
        "RESULT "
        + json.dumps(
            {
                "worker": index,
                "replicas": strategy.num_replicas_in_sync,
                "jit_compile": bool(gan.jit_compile),
                "losses": {k: [float(x) for x in v] for k, v in history.history.items()},
                "trainable_sha256": digest([v for n in networks for v in n.trainable_weights]),
                "non_trainable_sha256": digest(
                    [v for n in networks for v in n.non_trainable_weights]
                ),
                "per_weight": {v.path: digest([v]) for n in networks for v in n.weights},
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
