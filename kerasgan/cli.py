"""The `kerasgan` command line.

kerasgan variants
kerasgan train VARIANT [--dataset fashion_mnist] [--epochs N] [--batch-size B]
                       [--out DIR] [--jit | --no-jit] [--steps-per-epoch S] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


class UserError(Exception):
    """A mistake the user can fix; printed as one line, no traceback."""


def _cmd_variants(args) -> int:
    import kerasgan

    for name, description in kerasgan.list_variants(details=True).items():
        print(f"{name:<12} {description}")
    return 0


def _sample_grid(gan, n, seed):
    if gan.num_classes is None:
        return gan.generate(n, seed=seed)
    # One row per class when it fits: row r shows class r.
    per_row = max(1, n // gan.num_classes)
    labels = [c for c in range(gan.num_classes) for _ in range(per_row)][:n]
    return gan.generate(len(labels), labels=labels, seed=seed), per_row


def _cmd_train(args) -> int:
    import keras

    import kerasgan
    from kerasgan import data
    from kerasgan.utils import save_grid

    if args.epochs < 1 or args.batch_size < 1:
        raise UserError("--epochs and --batch-size must be positive integers.")
    try:
        os.makedirs(args.out, exist_ok=True)
        probe = os.path.join(args.out, ".write_test")
        open(probe, "w").close()
        os.remove(probe)
    except OSError as e:
        raise UserError(f"Cannot write to --out {args.out}: {e.strerror}.") from None

    cls = kerasgan.get(args.variant)
    conditional = bool(cls.conditional)
    images, labels = data.load_arrays(args.dataset, "train")
    ds = data.load(
        args.dataset, batch_size=args.batch_size, conditional=conditional, seed=args.seed
    )
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    kwargs = {"num_classes": int(labels.max()) + 1} if conditional else {}
    gan = kerasgan.create(
        args.variant,
        image_shape=images.shape[1:],
        latent_dim=args.latent_dim,
        seed=args.seed,
        **kwargs,
    )
    del images, labels
    gan.compile(jit_compile=args.jit)

    grid_seed = 1234 if args.seed is None else args.seed

    def write_grid(path):
        out = _sample_grid(gan, args.samples, grid_seed)
        if isinstance(out, tuple):
            save_grid(out[0], path, ncols=out[1])
        else:
            save_grid(out, path)

    class EpochGrid(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            write_grid(os.path.join(args.out, f"samples_epoch_{epoch + 1:03d}.png"))

    print(
        f"Training {args.variant} on {args.dataset} ({gan.image_shape}), batch {args.batch_size}, "
        f"{args.epochs} epoch(s), XLA {'on' if gan.jit_compile else 'off'} -> {args.out}"
    )
    start = time.time()
    history = gan.fit(
        ds,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        callbacks=[EpochGrid()],
        verbose=2 if os.environ.get("CI") else 1,
    )
    wall_time = time.time() - start
    model_path = os.path.join(args.out, f"{args.variant}.keras")
    gan.save(model_path)
    grid_path = os.path.join(args.out, "samples.png")
    write_grid(grid_path)
    run = {
        "variant": args.variant,
        "dataset": args.dataset,
        "image_shape": list(gan.image_shape),
        "num_classes": gan.num_classes,
        "latent_dim": gan.latent_dim,
        "epochs": args.epochs,
        "generator_steps": int(gan.g_optimizer.iterations.numpy()),
        "discriminator_steps": int(gan.d_optimizer.iterations.numpy()),
        "batch_size": args.batch_size,
        "seed": args.seed,
        "jit_compile": bool(gan.jit_compile),
        "wall_time_s": round(wall_time, 1),
        "versions": library_versions(),
        "history": {k: [float(v) for v in vals] for k, vals in history.history.items()},
    }
    with open(os.path.join(args.out, "run.json"), "w") as f:
        json.dump(run, f, indent=2)
    print(f"Saved {model_path}, {grid_path} and run.json ({wall_time:.0f} s)")
    return 0


def library_versions() -> dict:
    """Versions of kerasgan and the libraries it runs on."""
    import keras
    import numpy
    import tensorflow

    import kerasgan

    return {
        "kerasgan": kerasgan.__version__,
        "keras": keras.__version__,
        "tensorflow": tensorflow.__version__,
        "numpy": numpy.__version__,
        "python": sys.version.split()[0],
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerasgan", description="GANs for Keras 3.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("variants", help="list the registered GAN variants")
    p.set_defaults(func=_cmd_variants)

    p = sub.add_parser("train", help="train a variant and write samples and a .keras file")
    p.add_argument("variant", help="a registered variant, see `kerasgan variants`")
    p.add_argument("--dataset", default="fashion_mnist", help="dataset name or IDX folder")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps-per-epoch", type=int, default=None)
    p.add_argument("--latent-dim", type=int, default=None)
    p.add_argument("--samples", type=int, default=64, help="images in the sample grid")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--out", default=None, help="output folder (default runs/VARIANT)")
    p.add_argument("--jit", dest="jit", action="store_true", default=True, help="XLA (default)")
    p.add_argument("--no-jit", dest="jit", action="store_false", help="no XLA")
    p.set_defaults(func=_cmd_train)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "out", "") is None:
        args.out = os.path.join("runs", args.variant)
    try:
        return args.func(args)
    except (UserError, ValueError, FileNotFoundError, TypeError) as e:
        print(f"kerasgan: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kerasgan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
