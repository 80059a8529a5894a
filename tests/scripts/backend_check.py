"""One backend's side of the cross-backend checks (run with KERAS_BACKEND set).

    python tests/scripts/backend_check.py init DIR    # initial weights + batch (any backend)
    python tests/scripts/backend_check.py step DIR    # two train steps per case, injected draws
    python tests/scripts/backend_check.py load DIR    # load every other backend's .keras, train on
    python tests/scripts/backend_check.py zoo DIR     # zoo presets on fixed z

Each mode writes under DIR/<backend>/ (init: DIR/init/); tests/test_backends.py
compares the backends' outputs.
"""

from __future__ import annotations

import json
import os
import sys

import keras
import numpy as np

import kerasgan

BACKEND = keras.backend.backend()
BACKENDS = ("tensorflow", "jax", "torch")
IMAGE_SHAPE = (16, 16, 1)
BATCH = 8
#: learning rate of the two SGD optimizers in `step`
STEP_LR = 0.003

#: case name -> (variant, create() overrides)
CASES = {
    "dcgan": ("dcgan", {}),
    "lsgan": ("lsgan", {}),
    "wgan_gp": ("wgan_gp", {}),
    "r1gan": ("r1gan", {}),
    # lazy R1, through ADA's augmentations (p adapted after each step)
    "r1gan_lazy": (
        "r1gan",
        {"r1_interval": 2, "ada": "bgc", "ada_p": 0.5, "ada_interval": 1, "ada_speed_img": 800},
    ),
    "sngan": ("sngan", {}),
    "cgan": ("cgan", {"num_classes": 3}),
    "acgan": ("acgan", {"num_classes": 3}),
    "cgan_projection": ("cgan_projection", {"num_classes": 3}),
    # path length (second-order through upsampling) at both steps, style
    # mixing, noise, EMA ramp-up (lazy regularization and ADA: the r1gan_lazy case)
    "stylegan2": ("stylegan2", {"w_dim": 16, "mapping_layers": 2, "ada": None, "pl_interval": 1}),
    "dcgan_diffaugment_ema": (
        "dcgan",
        {"diffaugment": "color,translation,cutout", "ema_decay": 0.9},
    ),
}
#: cases whose steps JAX runs op by op (see `step`)
EAGER_ON_JAX = ("r1gan_lazy",)
for _name in kerasgan.list_variants():  # every registered variant gets a case
    CASES.setdefault(_name, (_name, {"num_classes": 3} if kerasgan.get(_name).conditional else {}))


def build(case):
    variant, overrides = CASES[case]
    return kerasgan.create(
        variant, image_shape=IMAGE_SHAPE, latent_dim=8, base_filters=8, seed=0, **overrides
    )


def weights_of(gan) -> dict:
    out = {}
    for role in ("generator", "discriminator", "ema_generator"):
        net = getattr(gan, role)
        if net is not None:
            for i, w in enumerate(net.get_weights()):
                out[f"{role}/{i}"] = np.asarray(w)
    return out


def set_weights(gan, arrays) -> None:
    for role in ("generator", "discriminator", "ema_generator"):
        net = getattr(gan, role)
        if net is not None:
            n = len(net.get_weights())
            net.set_weights([arrays[f"{role}/{i}"] for i in range(n)])


def batch(init_dir, case):
    data = np.load(os.path.join(init_dir, "batch.npz"))
    if CASES[case][1].get("num_classes"):
        return data["images"], data["labels"]
    return data["images"], None


def init(root) -> None:
    out = os.path.join(root, "init")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    images = np.tanh(rng.standard_normal((BATCH,) + IMAGE_SHAPE)).astype("float32")
    labels = rng.integers(0, 3, (BATCH,)).astype("int32")
    np.savez(os.path.join(out, "batch.npz"), images=images, labels=labels)
    for case in CASES:
        weights = weights_of(build(case))
        # Zero-initialized biases make exact zeros (cutout regions) hit
        # activation kinks, where Keras' backends pick different subgradients
        # (LeakyReLU at 0: slope on TensorFlow and PyTorch, 1 on JAX); a
        # small offset keeps the comparison off those measure-zero points.
        for key, w in weights.items():
            if w.ndim == 1 and w.dtype.kind == "f" and not np.any(w):
                weights[key] = (w + rng.uniform(-0.05, 0.05, w.shape)).astype(w.dtype)
        np.savez(os.path.join(out, f"{case}.npz"), **weights)


def step(root) -> None:
    out = os.path.join(root, BACKEND)
    os.makedirs(out, exist_ok=True)
    init_dir = os.path.join(root, "init")
    for case in CASES:
        gan = build(case)
        set_weights(gan, np.load(os.path.join(init_dir, f"{case}.npz")))
        gan.seed_generator = kerasgan.draws.InjectedDraws(0)
        # SGD with momentum, not the variants' Adam: Adam divides each update
        # by the gradient's own magnitude, so an element whose batch sum
        # nearly cancels (a bias, say) turns float32 rounding into a visible
        # weight difference, and that differs with the CPU's kernels (oneDNN
        # on vs off alone moved an SNGAN bias by 9e-7, 60x any other case).
        # SGD's update is linear in the gradient: the comparison then
        # measures the losses' and gradients' math, with optimizer slots to
        # save and load all the same.
        opts = [keras.optimizers.SGD(STEP_LR, momentum=0.9) for _ in range(2)]
        # Both steps take the same draws (a new InjectedDraws(0) before each):
        # eager steps on TensorFlow and PyTorch take them as they run; on JAX
        # (whose op-by-op steps compile every op on first use: minutes for
        # StyleGAN2's) one `jax.jit` step takes them once, as constants of its
        # trace, and runs twice -- except where a lazy branch draws, which a
        # trace takes whether or not the step runs it (EAGER_ON_JAX).
        if BACKEND == "jax":
            traced = case not in EAGER_ON_JAX
            gan.compile(*opts, jit_compile=traced, fast_layers=False)
        else:
            traced = False
            gan.compile(*opts, jit_compile=False, run_eagerly=True, fast_layers=False)
        x, y = batch(init_dir, case)
        logs = []
        for _ in range(2):
            if not traced:
                gan.seed_generator = kerasgan.draws.InjectedDraws(0)
            logs.append(gan.train_on_batch(x, y, return_dict=True))
        result = weights_of(gan)
        for i, step_logs in enumerate(logs):
            for k, v in step_logs.items():
                result[f"logs/{i}/{k}"] = np.asarray(float(v))
        result["record"] = np.asarray(json.dumps(gan.seed_generator.record))
        np.savez(os.path.join(out, f"{case}.npz"), **result)
        gan.seed_generator = keras.random.SeedGenerator(0)
        gan.save(os.path.join(out, f"{case}.keras"))
        print(case, {k: round(float(v), 5) for k, v in logs[-1].items()}, flush=True)


#: cases whose files every backend loads: one of each kind of state (EMA, a
#: penalty, lazy R1, an auxiliary classifier, spectral norm + conditional BN)
LOAD_CASES = ("dcgan_diffaugment_ema", "wgan_gp", "r1gan_lazy", "acgan", "cgan_projection")


def load_pairs(target):
    """(source backend, case) pairs `target` loads: every case, each from
    another source in turn, so that every case loads on every backend and
    every backend loads files from all three."""
    start = BACKENDS.index(target)
    return [(BACKENDS[(start + i) % len(BACKENDS)], case) for i, case in enumerate(LOAD_CASES)]


def load(root) -> None:
    init_dir = os.path.join(root, "init")
    report = {}
    for source, case in load_pairs(BACKEND):
        path = os.path.join(root, source, f"{case}.keras")
        gan = kerasgan.load_model(path)
        saved = np.load(os.path.join(root, source, f"{case}.npz"))
        diff = max(
            float(np.max(np.abs(w - saved[k]))) if w.size else 0.0
            for k, w in weights_of(gan).items()
        )
        opt = [np.asarray(v) for v in gan.d_optimizer.variables + gan.g_optimizer.variables]
        # trains on the quickest way to start: eagerly on TensorFlow and PyTorch,
        # one jax.jit step on JAX (op by op, every op would compile on first use)
        if BACKEND == "jax":
            gan.jit_compile = True
        else:
            gan.run_eagerly = True
        x, y = batch(init_dir, case)
        logs = gan.fit(x, y, batch_size=BATCH, epochs=1, verbose=0).history
        finite = all(np.isfinite(v[-1]) for v in logs.values())
        moved = max(
            float(np.max(np.abs(a - b))) if a.size else 0.0
            for a, b in zip(weights_of(gan).values(), (saved[k] for k in weights_of(gan)))
        )
        report[f"{source}/{case}"] = {
            "weights_max_diff": diff,
            "iterations": [
                int(opt[0]),
                int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations)),
            ],
            "finite": bool(finite),
            "moved": moved,
        }
    os.makedirs(os.path.join(root, BACKEND), exist_ok=True)
    with open(os.path.join(root, BACKEND, "load.json"), "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report)[:2000])


def zoo(root) -> None:
    out = os.path.join(root, BACKEND)
    os.makedirs(out, exist_ok=True)
    result = {}
    for name in kerasgan.zoo.list():
        # the same math, built the quickest way: a graph on TensorFlow, jax.jit on JAX
        gan = kerasgan.zoo.load(name, jit_compile=False if BACKEND == "tensorflow" else "auto")
        z = np.random.default_rng(0).standard_normal((8, gan.latent_dim)).astype("float32")
        inputs = (
            z if gan.num_classes is None else (z, np.arange(8, dtype="int32") % gan.num_classes)
        )
        result[name] = np.asarray(gan.predict(inputs, verbose=0))
        result[f"{name}/generate"] = gan.generate(8, seed=0, ema=gan.ema_generator is not None)
    np.savez(os.path.join(out, "zoo.npz"), **result)


if __name__ == "__main__":
    modes, root = sys.argv[1], sys.argv[2]
    for mode in modes.split(","):
        {"init": init, "step": step, "load": load, "zoo": zoo}[mode](root)
