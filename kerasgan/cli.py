"""The `kerasgan` command line.

    kerasgan variants
    kerasgan train VARIANT --dataset NAME|PATH --epochs N --batch-size B --out DIR
                           [--jit | --no-jit] [--resume] [--seed S] [--pad-to 32]
                           [--set KEY=VALUE ...] [--fid-every N [--fid-n 2000]]
                           [--fid-features NET [--inception-weights PATH]]
    kerasgan sample MODEL.keras|ZOO_NAME -n 64 [--labels 7 | sneaker,bag] [--seed S]
                    -o grid.png [--npz samples.npz]
    kerasgan zoo list | show NAME | export MODEL.keras NAME --dataset D [--run run.json]
    kerasgan eval MODEL.keras|ZOO_NAME --dataset NAME|PATH --metrics fid,kid,pr,is -n 10000
                  [--features inception|CLASSIFIER.keras|fashion-mnist-classifier]
                  [--inception-weights PATH] [--json out.json] [--seed S] [--ema] [--crop 28]

User mistakes print one line, `kerasgan: error: ...`, and exit with status 2; a
file that is not a model is named for what it is ("x.png is a PNG image, not a
model"). TensorFlow's C++ log lines are hidden in the command (not for programs
that import kerasgan): see kerasgan/_command.py; TF_CPP_MIN_LOG_LEVEL=0 shows them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kerasgan import _command
from kerasgan._typing import StrPath
from kerasgan.utils.versions import library_versions
from kerasgan.version import __version__

if TYPE_CHECKING:
    import keras

    from kerasgan.callbacks import MetricCallback
    from kerasgan.gan_model import GANModel
    from kerasgan.metrics.features import FeatureNetwork

BACKUP_DIR = "backup"
RUN_FILE = "run.json"
CURVES_FILE = "loss_curves.png"


class UserError(Exception):
    """A mistake the user can fix; printed as one line, no traceback."""


def _probe(folder: str) -> None:
    """Creates and removes a file of a fresh name in `folder` (never through a link)."""
    fd, probe = tempfile.mkstemp(dir=folder, prefix=".write_test.")
    os.close(fd)
    os.remove(probe)


def _check_writable_dir(path: str, flag: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
        _probe(path)
    except OSError as e:
        raise UserError(f"Cannot write to {flag} {path}: {e.strerror}.") from None


def _check_creatable_dir(path: str, flag: str) -> None:
    """Fails as `_check_writable_dir` would, but creates nothing: an existing
    folder gets a probe file; for a missing one, its nearest existing parent
    must be a writable folder."""
    if os.path.isdir(path):
        return _check_writable_dir(path, flag)
    parent = os.path.abspath(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise UserError(f"Cannot write to {flag} {path}: {parent} is a file, not a folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"Cannot write to {flag} {path}: permission denied in {parent}.")


def _make_dirs(path: str, flag: str) -> str | None:
    """`os.makedirs(path)`; returns the outermost folder it created (None if none)."""
    top, parent = None, os.path.abspath(path)
    while not os.path.exists(parent):
        top, parent = parent, os.path.dirname(parent)
    _check_writable_dir(path, flag)
    return top


def _check_writable_file(path: str, flag: str) -> None:
    """Fails if `path` can't be written; creates nothing (its folder is made on writing)."""
    if os.path.isdir(path):
        raise UserError(f"{flag} {path} is a folder; give a file name.")
    _check_creatable_dir(os.path.dirname(os.path.abspath(path)), flag)


def _write_json(record: Any, path: str) -> None:
    """Writes `record` at `path`, atomically (a link at `path` is replaced, not followed)."""
    from kerasgan.utils.files import write_atomically

    write_atomically(json.dumps(record, indent=2).encode(), path)


INCEPTION_NAMES = ("inception", "inception_v3", "inceptionv3")


def _check_feature_spec(spec: StrPath, flag: str) -> None:
    """Refuses, before anything is loaded, a feature network named by a path that
    is not there (a zoo name is a plain folder name: no `/`, no `../`), and a
    classifier `.keras` file that holds code (`kerasgan.saving.check_no_code`)."""
    from kerasgan.saving import ModelFileError, check_no_code
    from kerasgan.zoo import zoo_dirs

    spec = os.fspath(spec)
    if spec in INCEPTION_NAMES:
        return
    if os.path.isfile(spec) and not spec.endswith(".keras"):
        from kerasgan.utils.files import describe_file

        raise UserError(
            f"{flag} {spec} is {describe_file(spec)}, not a feature network; give "
            "'inception', a classifier .keras file or folder, or the name of a classifier "
            "folder in the zoo."
        )
    if os.path.exists(spec):
        candidates = [spec]
    elif os.path.isabs(spec) or "/" in spec or os.sep in spec:
        raise UserError(
            f"{flag}: no file or folder {spec}; give 'inception', a classifier .keras file or "
            "folder, or the name of a classifier folder in the zoo."
        )
    else:
        candidates = [os.path.join(root, spec) for root in zoo_dirs()]
    for path in candidates:
        if os.path.isdir(path):
            path = os.path.join(path, "classifier.keras")
        if os.path.isfile(path):
            if path.endswith(".keras"):
                try:
                    check_no_code(path)
                except ModelFileError as e:
                    raise UserError(f"{flag}: {e}") from None
            return


def _feature_network(
    spec: StrPath, inception_weights: str | None, flag: str, batch_size: int | None = None
) -> FeatureNetwork:
    """`kerasgan.metrics.get_feature_network` for the command line: errors name
    the options (`--inception-weights`), not the library's arguments."""
    from kerasgan import metrics

    if inception_weights is not None and os.fspath(spec) not in INCEPTION_NAMES:
        raise UserError(
            f"--inception-weights is for {flag} inception; {flag} is {spec!r}. Drop one of them."
        )
    _check_feature_spec(spec, flag)
    try:
        return metrics.get_feature_network(
            spec, batch_size=batch_size, inception_weights=inception_weights
        )
    except metrics.MissingWeightsError as e:
        message = str(e).replace("pass weights=PATH to", "pass --inception-weights PATH with")
        where = f"{flag} {spec}" if inception_weights is None else "--inception-weights"
        raise UserError(f"{where}: {message}") from None
    except ValueError as e:
        if inception_weights is None:
            raise
        raise UserError(f"--inception-weights: {e}") from None


# --------------------------------------------------------------------- variants
def _cmd_variants(args: argparse.Namespace) -> int:
    import kerasgan

    for name, description in kerasgan.list_variants(details=True).items():
        print(f"{name:<16} {description}")
    return 0


# ------------------------------------------------------------------------ train
def _num_classes(args: argparse.Namespace, data: ModuleType) -> int:
    if args.num_classes:
        return args.num_classes
    names = data.class_names(args.dataset)
    if not names:
        raise UserError(f"Cannot tell how many classes {args.dataset!r} has; pass --num-classes N.")
    return len(names)


def _image_shape(ds: Any) -> tuple[int, ...]:
    spec = ds.element_spec[0] if isinstance(ds.element_spec, tuple) else ds.element_spec
    shape = tuple(spec.shape[1:])
    if None in shape:
        batch = next(iter(ds))
        batch = batch[0] if isinstance(batch, tuple) else batch
        shape = tuple(batch.shape[1:])
    return tuple(int(d) for d in shape)


def _option_value(text: str) -> Any:
    """'0.999' -> 0.999, 'true' -> True, '[1, 2]' -> [1, 2], 'cpu' -> 'cpu'."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _parse_options(items: Iterable[str] | None) -> dict:
    """`--set KEY=VALUE` arguments -> create() keyword arguments."""
    options = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise UserError(f"--set expects KEY=VALUE, e.g. --set ema_decay=0.999; got {item!r}.")
        options[key] = _option_value(value.strip())
    return options


def _metric_callbacks(
    args: argparse.Namespace, gan: GANModel, data: ModuleType
) -> list[MetricCallback]:
    """MetricCallbacks logging `fid` (and `fid_ema`) every --fid-every epochs."""
    import kerasgan

    if not args.fid_every:
        return []
    features = args.fid_features
    if features is None:
        if str(args.dataset) != "fashion_mnist":
            raise UserError(
                "--fid-every needs --fid-features: a classifier of your images (a .keras file "
                "or zoo name) or 'inception' (ImageNet weights in the Keras cache, or "
                "--inception-weights PATH)."
            )
        features = "fashion-mnist-classifier"
    try:
        feature_net = _feature_network(features, args.inception_weights, "--fid-features")
    except (ValueError, OSError) as e:
        raise UserError(f"--fid-every: {e}") from None
    crop = None
    if args.pad_to:  # score the area of the unpadded real images
        crop = _image_shape(data.load(args.dataset, batch_size=1, shuffle=False))[:2]
    common = dict(
        real=args.dataset,
        feature_net=feature_net,
        every=args.fid_every,
        n=args.fid_n,
        split="test",
        cache_dir=os.path.join(args.out, "feature-cache"),
        crop=crop,
        repeat_last=False,
    )
    try:
        out = [kerasgan.callbacks.MetricCallback("fid", **common)]
        if gan.ema_generator is not None:
            out.append(kerasgan.callbacks.MetricCallback("fid", name="fid_ema", ema=True, **common))
    except (ValueError, OSError) as e:
        raise UserError(f"--fid-every: {e}") from None
    return out


def _make_callbacks(
    args: argparse.Namespace, metric_callbacks: Iterable[keras.callbacks.Callback] = ()
) -> tuple[list[keras.callbacks.Callback], dict[str, list[float]]]:

    import kerasgan

    title = f"{args.variant} on {os.path.basename(str(args.dataset).rstrip('/'))}"
    curves = kerasgan.callbacks.LossCurves(args.out, title=title, resume=args.resume)
    args.backup = kerasgan.callbacks.BackupAndRestore(
        os.path.join(args.out, BACKUP_DIR), save_freq=args.backup_every or "epoch"
    )
    return [
        # first: a NaN/Inf stops the run before the backup could save diverged weights
        kerasgan.callbacks.DivergenceGuard(),
        kerasgan.callbacks.SampleGrid(args.out, n=args.samples, seed=args.grid_seed),
        # before the curves, which draw (and record) what they log
        *metric_callbacks,
        curves,
        # last: an epoch counts as done only once its grid and history are written, so a
        # run killed in between repeats that epoch (its history entry is replaced), and
        # never resumes past an epoch whose history was lost
        args.backup,
    ], curves.history


def _cmd_train(args: argparse.Namespace) -> int:
    import keras

    import kerasgan
    from kerasgan import data

    if args.epochs < 1 or args.batch_size < 1:
        raise UserError("--epochs and --batch-size must be positive integers.")
    if args.backup_every < 0:
        raise UserError("--backup-every must be >= 0 steps (0: back up at epoch ends only).")
    if args.fid_every < 0 or args.fid_n < 2:
        raise UserError("--fid-every must be >= 0 (0: never) and --fid-n >= 2.")
    if args.inception_weights is not None and not args.fid_every:
        raise UserError(
            "--inception-weights is for the FID of --fid-every N --fid-features inception; "
            "add those or drop it."
        )
    args.options = _parse_options(args.set)
    if args.jit is True and keras.backend.backend() == "torch":
        raise UserError(
            "--jit compiles the training step with XLA, which the PyTorch backend "
            "(KERAS_BACKEND=torch) does not offer: drop --jit (the step runs eagerly) or "
            "use KERAS_BACKEND=jax or KERAS_BACKEND=tensorflow."
        )
    # Everything that can fail on bad input is checked before --out is created, so a
    # failed command leaves no new folder behind.
    _check_creatable_dir(args.out, "--out")
    backup_dir = os.path.join(args.out, BACKUP_DIR)
    if os.path.islink(backup_dir):
        raise UserError(
            f"{backup_dir} is a link; train keeps (and at the end deletes) its backup there, "
            "so it must be a folder of its own: remove the link or choose another --out."
        )
    if os.path.isdir(backup_dir) and os.listdir(backup_dir) and not args.resume:
        raise UserError(
            f"{args.out} holds an interrupted run; pass --resume to continue it, or choose "
            "another --out."
        )
    cls = kerasgan.get(args.variant)
    conditional = bool(cls.conditional)
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    ds = data.load(
        args.dataset,
        batch_size=args.batch_size,
        conditional=conditional,
        seed=args.seed,
        pad_to=args.pad_to,
    )
    kwargs = {"num_classes": _num_classes(args, data)} if conditional else {}
    kwargs.update(args.options)
    try:
        gan = kerasgan.create(
            args.variant,
            image_shape=_image_shape(ds),
            latent_dim=args.latent_dim,
            seed=args.seed,
            **kwargs,
        )
    except (TypeError, ValueError) as e:
        if not args.options:
            raise
        raise UserError(f"--set: {e}") from None
    gan.compile(jit_compile=args.jit)
    args.grid_seed = 1234 if args.seed is None else args.seed
    metric_callbacks = _metric_callbacks(args, gan, data)
    created = _make_dirs(args.out, "--out")
    start = time.time()
    try:
        callbacks, history = _make_callbacks(args, metric_callbacks)
        print(
            f"Training {args.variant} on {args.dataset} {gan.image_shape}, batch "
            f"{args.batch_size}, {args.epochs} epoch(s), {keras.backend.backend()} backend, "
            f"XLA {'on' if gan.jit_compile else 'off'} -> {args.out}"
            + (" (resuming)" if args.resume else "")
        )
        gan.fit(
            ds,
            epochs=args.epochs,
            steps_per_epoch=args.steps_per_epoch,
            callbacks=callbacks,
            verbose=2 if os.environ.get("CI") else 1,
        )
    except Exception:
        # a run that failed before its first backup leaves nothing to resume: remove
        # the folders this command created (never one that was there before)
        if created is not None and not (os.path.isdir(backup_dir) and os.listdir(backup_dir)):
            shutil.rmtree(created, ignore_errors=True)
        raise
    wall_time = time.time() - start
    model_path = os.path.join(args.out, f"{args.variant}.keras")
    gan.save(model_path)
    grid_path = gan.save_sample_grid(
        os.path.join(args.out, "samples.png"), n=args.samples, seed=args.grid_seed
    )
    previous = _previous_wall_time(os.path.join(args.out, RUN_FILE)) if args.resume else 0.0
    run = {
        "variant": args.variant,
        "dataset": str(args.dataset),
        "image_shape": list(gan.image_shape),
        "pad_to": args.pad_to,
        "options": args.options,
        "num_classes": gan.num_classes,
        "latent_dim": gan.latent_dim,
        "epochs": args.epochs,
        "generator_steps": int(gan.g_optimizer.iterations.numpy()),
        "discriminator_steps": int(gan.d_optimizer.iterations.numpy()),
        "batch_size": args.batch_size,
        "seed": args.seed,
        "jit_compile": bool(gan.jit_compile),
        # this session's time plus the time spent before an interruption (from the backup)
        # or in an earlier, completed run that was extended with --resume --epochs N
        "wall_time_s": round(wall_time + max(args.backup.previous_time_s, previous), 1),
        "command": "kerasgan " + " ".join(args.argv),
        "backend": keras.backend.backend(),
        "versions": _versions(),
        "history": history,
    }
    _write_json(run, os.path.join(args.out, RUN_FILE))
    # the curves PNG needs matplotlib; without it LossCurves has said so and written history.json
    plotted = any(getattr(cb, "plotted", None) for cb in callbacks)
    saved = [model_path, grid_path, *([CURVES_FILE] if plotted else []), RUN_FILE]
    print(f"Saved {', '.join(saved[:-1])} and {saved[-1]} ({wall_time:.0f} s)")
    return 0


def _previous_wall_time(path: str) -> float:
    """`wall_time_s` of the run.json an earlier run left at `path` (0 if none or unreadable)."""
    try:
        with open(path) as f:
            return max(float(json.load(f).get("wall_time_s", 0.0)), 0.0)
    except (OSError, ValueError, TypeError, AttributeError, RecursionError):
        return 0.0


def _versions() -> dict:
    """`library_versions()` and, on JAX or PyTorch, that library's version."""
    import keras

    versions = library_versions()
    name = keras.backend.backend()
    module = sys.modules.get(name)
    if name != "tensorflow" and module is not None:
        versions[name] = getattr(module, "__version__", None)
    return versions


# ----------------------------------------------------------------------- sample
def _available_presets() -> str:
    from kerasgan import zoo

    names = zoo.list()
    return ", ".join(names) if names else "none found; `kerasgan zoo list` says where it looked"


def _model_files_in(folder: str) -> list:
    try:
        return sorted(n for n in os.listdir(folder) if n.endswith(".keras"))[:3]
    except OSError:
        return []


MODEL_EXPECTED = (
    "a .keras model file (as `kerasgan train` writes), a zoo preset folder, or a preset name"
)
PRESET_EXPECTED = "a zoo preset name or folder"


def _check_model_spec(spec: StrPath, presets_only: bool = False) -> None:
    """Refuses, before anything is loaded, an existing file or folder that is not
    a model (or, with `presets_only`, not a preset), saying what it is and what
    was expected. A name that is no path here is left to `kerasgan.zoo`, which
    says "Unknown zoo preset" and lists the available ones."""
    from kerasgan.utils.files import describe_file
    from kerasgan.zoo import METADATA_FILE

    path = os.fspath(spec)
    expected = PRESET_EXPECTED if presets_only else MODEL_EXPECTED
    if not os.path.exists(path):
        return
    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, METADATA_FILE)):
            return
        inside = _model_files_in(path)
        hint = ""
        if inside and not presets_only:
            hint = f"; it holds {', '.join(inside)}: give that file, e.g. "
            hint += os.path.join(path, inside[0])
        raise UserError(
            f"{path} is a folder but not a zoo preset (it has no {METADATA_FILE}){hint}. "
            f"Expected {expected} (available presets: {_available_presets()})."
        )
    if path.endswith(".keras") and os.path.isfile(path):
        if not presets_only:
            return  # kerasgan.saving.load_model checks the file itself
        raise UserError(
            f"{path} is a model file, not a zoo preset; make a preset of it with "
            f"`kerasgan zoo export {path} NAME --dataset D`. Expected {expected} "
            f"(available presets: {_available_presets()})."
        )
    what = describe_file(path)
    hint = ""
    if os.path.basename(path) == METADATA_FILE:
        hint = f"; give its preset folder, {os.path.dirname(path) or '.'}"
    elif os.path.basename(path) == RUN_FILE and not presets_only:
        inside = _model_files_in(os.path.dirname(os.path.abspath(path)))
        if inside:
            hint = f"; the model of that run is {os.path.join(os.path.dirname(path), inside[0])}"
    elif what.startswith("a Keras model archive") and not presets_only:
        hint = "; rename it to end in .keras"
    kind = "a preset" if presets_only else "a model"
    raise UserError(
        f"{path} is {what}, not {kind}{hint}. Expected {expected} "
        f"(available presets: {_available_presets()})."
    )


def _load_model(spec: str) -> tuple[GANModel, list[str] | None]:
    """A `.keras` file or a zoo preset name/folder -> (model, class names or None)."""

    import kerasgan

    _check_model_spec(spec)
    if str(spec).endswith(".keras"):
        try:
            return kerasgan.saving.load_model(spec), None
        except kerasgan.saving.ModelFileError as e:
            raise UserError(str(e)) from None
    model = kerasgan.zoo.load(spec, compile=False)
    return model, kerasgan.zoo.info(spec).get("class_names")


def parse_labels(
    text: str, num_classes: int | None, class_names: Sequence[str] | None = None
) -> list[int]:
    """'7', '1,2,3' or 'sneaker,bag' -> list of class ids."""
    if num_classes is None:
        raise UserError("This model is unconditional; drop --labels.")
    lookup = {}
    for i, name in enumerate(class_names or []):
        lookup[name.lower()] = i
        lookup[name.lower().replace(" ", "_")] = i
        lookup[name.lower().split("/")[0]] = i
    ids = []
    for token in text.replace(" ", ",").split(","):
        token = token.strip()
        if not token:
            continue
        if token.lstrip("-").isdigit():
            ids.append(int(token))
        elif token.lower() in lookup:
            ids.append(lookup[token.lower()])
        else:
            known = ", ".join(class_names) if class_names else "(no class names: use ids)"
            raise UserError(f"Unknown label {token!r}; use ids 0-{num_classes - 1} or: {known}.")
    bad = [i for i in ids if not 0 <= i < num_classes]
    if bad or not ids:
        raise UserError(f"--labels must be class ids in [0, {num_classes - 1}]; got {text!r}.")
    return ids


def _write_npz(arrays: dict[str, Any], path: str) -> None:
    """`np.savez_compressed` exactly at `path` (NumPy would add `.npz` to a name
    without it), atomically."""
    import io

    import numpy as np

    from kerasgan.utils.files import write_atomically

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomically(buffer.getvalue(), path)


def _cmd_sample(args: argparse.Namespace) -> int:
    import numpy as np

    from kerasgan.utils import save_grid

    if args.n < 1:
        raise UserError("-n must be a positive number of images.")
    _check_writable_file(args.output, "-o")
    if args.npz:
        _check_writable_file(args.npz, "--npz")
    model, class_names = _load_model(args.model)
    labels = None
    if args.labels is not None:
        ids = parse_labels(args.labels, model.num_classes, class_names)
        if len(ids) == 1:
            labels = ids * args.n
        elif args.n % len(ids) == 0:
            labels = [i for i in ids for _ in range(args.n // len(ids))]
        else:
            raise UserError(f"-n {args.n} is not a multiple of the {len(ids)} labels given.")
    elif model.num_classes:
        labels = [i % model.num_classes for i in range(args.n)]
    images = model.generate(
        args.n, labels=labels, seed=args.seed, ema=model.ema_generator is not None
    )
    ncols = None
    if (
        args.labels is not None
        and labels is not None
        and 1 < len(set(labels))
        and args.n // len(set(labels)) > 1
    ):
        ncols = args.n // len(set(labels))  # one row per requested class
    save_grid(images, args.output, ncols=ncols)
    written = [args.output]
    if args.npz:
        arrays = {"images": images}
        if labels is not None:
            arrays["labels"] = np.asarray(labels, "int32")
        _write_npz(arrays, args.npz)
        written.append(args.npz)
    print(f"Wrote {args.n} samples to {' and '.join(written)}")
    return 0


# -------------------------------------------------------------------------- zoo
def _cmd_zoo(args: argparse.Namespace) -> int:
    import kerasgan

    if args.zoo_command == "list":
        presets = kerasgan.zoo.list(details=True)
        if not presets:
            print("No presets found in: " + (", ".join(kerasgan.zoo.zoo_dirs()) or "(none)"))
        for name, description in presets.items():
            print(f"{name:<24} {description}")
        return 0
    if args.zoo_command == "show":
        _check_model_spec(args.name, presets_only=True)
        meta = kerasgan.zoo.info(args.name)
        print(f"{meta['name']}: {meta.get('description', '')}")
        for key in ("variant", "dataset", "image_shape", "latent_dim", "num_classes"):
            print(f"  {key:<12} {meta.get(key)}")
        if meta.get("class_names"):
            print("  classes      " + ", ".join(meta["class_names"]))
        for key, value in (meta.get("training") or {}).items():
            if key != "history":
                print(f"  training.{key} = {value}")
        for key, value in (meta.get("scores") or {}).items():
            print(f"  score {key} = {value}")
        print(f"  path         {meta['path']}")
        return 0
    if args.zoo_command == "check":
        _check_model_spec(args.name, presets_only=True)
        try:
            check = kerasgan.zoo.check_scores(
                args.name,
                key=args.key,
                seed=args.seed,
                sigmas=args.sigmas,
                cache_dir=args.cache_dir,
            )
        except kerasgan.zoo.ZooError as e:
            raise UserError(str(e)) from None
        verdict = "OK" if check["ok"] else "DIFFERS FROM THE CARD"
        print(
            f"{args.name}: FID {check['fid']:.2f} ({check['n']} vs {check['n']} images, seed "
            f"{check['seed']}, features {check['key']}); the card's draws: {check['mean']:.2f} "
            f"± {check['std']:.2f}, tolerance ± {check['tolerance']:.2f}: {verdict}"
        )
        return 0 if check["ok"] else 1
    # export
    model, _ = _load_model(args.model)
    training = {}
    if args.run:
        with open(args.run) as f:
            run = json.load(f)
        if not isinstance(run, dict) or not isinstance(run.get("history") or {}, dict):
            raise UserError(f"--run {args.run} is not a run.json written by `kerasgan train`.")
        shown_elsewhere = (
            "history",
            "versions",
            "variant",
            "dataset",
            "image_shape",
            "latent_dim",
            "num_classes",
        )
        training = {k: v for k, v in run.items() if k not in shown_elsewhere}
        if run.get("history"):
            training["final_losses"] = {k: round(v[-1], 4) for k, v in run["history"].items()}
    from kerasgan import data

    path = kerasgan.zoo.save(
        model,
        args.name,
        dataset=args.dataset,
        description=args.description or f"{model.variant_name} trained on {args.dataset}",
        training=training,
        class_names=data.class_names(args.dataset) if model.num_classes else None,
        zoo_dir=args.zoo_dir,
        overwrite=args.overwrite,
    )
    print(f"Wrote preset {path}")
    return 0


# ------------------------------------------------------------------------- eval
def _format_scores(result: dict[str, Any]) -> list:
    rows = []
    for key, label, digits in (
        ("fid", "FID", 4),
        ("kid", "KID", 5),
        ("precision", "precision", 4),
        ("recall", "recall", 4),
        ("is", "IS", 3),
    ):
        if key in result:
            value = f"{result[key]:.{digits}f}"
            if f"{key}_std" in result:
                value += f" ± {result[key + '_std']:.{digits}f}"
            rows.append(f"  {label:<10} {value}")
    return rows


def _crop_arg(text: str) -> tuple[int, int]:
    """'28' or '28x24' -> (28, 28) or (28, 24)."""
    parts = str(text).lower().split("x")
    if len(parts) not in (1, 2) or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected N or HxW in pixels, e.g. 28; got {text!r}")
    sizes = [int(p) for p in parts]
    return (sizes[0], sizes[-1])


def _cmd_eval(args: argparse.Namespace) -> int:
    from kerasgan import metrics
    from kerasgan.metrics.evaluate import SPREAD_N, parse_metrics

    try:
        names = parse_metrics(args.metrics)
    except ValueError as e:
        raise UserError(f"--metrics: {e}") from None
    if args.n < 2 or (args.n_real is not None and args.n_real < 2) or args.batch_size < 1:
        raise UserError("-n and --n-real must be >= 2 and --batch-size >= 1.")
    if args.json:
        _check_writable_file(args.json, "--json")
    _check_model_spec(args.model)
    dataset = args.dataset
    if dataset is None and not str(args.model).endswith(".keras"):
        import kerasgan

        dataset = kerasgan.zoo.info(args.model).get("dataset")
    if dataset is None:
        raise UserError("Pass --dataset NAME|PATH: the real images to compare with.")
    if args.record and str(args.model).endswith(".keras"):
        raise UserError("--record writes into a zoo preset: give a preset name, not a .keras file.")
    feature_net = _feature_network(
        args.features, args.inception_weights, "--features", args.feature_batch_size
    )
    model, _ = _load_model(args.model)
    real = metrics.real_statistics(
        feature_net,
        dataset,
        args.n_real or args.n,
        cache_dir=args.cache_dir,
        batch_size=args.batch_size,
        split=args.split,
    )
    common = dict(metrics=names, seed=args.seed, batch_size=args.batch_size)
    try:
        result = metrics.evaluate(
            model, feature_net, real, n=args.n, ema=args.ema, crop=args.crop, **common
        )
    except ValueError as e:
        if args.crop is None or "crop" not in str(e):
            raise
        raise UserError(f"--crop: {e}") from None
    protocol = result["protocol"]
    print(
        f"{args.model}: {protocol['n_fake']} generated vs {protocol['n_real']} real images of "
        f"{dataset} ({args.split}), features {protocol['feature_network']} "
        f"{'x'.join(map(str, protocol['input_shape']))}, seed {args.seed}"
        + (", EMA generator" if args.ema else "")
        + (f", central {args.crop[0]}x{args.crop[1]} crop" if args.crop else "")
    )
    print("\n".join(_format_scores(result)))
    if args.record:
        result["reference"] = _real_floor(dataset, args, feature_net, real, common)
        print(f"Real vs real ({result['reference']['description']}):")
        print("\n".join(_format_scores(result["reference"])))
        if "fid" in names and min(args.n, real.count) >= 20:
            # the cheap re-check of this FID that `kerasgan zoo check` runs
            n_draw = min(SPREAD_N, args.n, real.count)  # the draws' default size
            spread = metrics.fid_spread(
                model,
                feature_net,
                real,
                n=n_draw,
                batch_size=args.batch_size,
                ema=args.ema,
                crop=args.crop,
            )
            result["spread"] = spread
            print(
                f"FID of {n_draw} vs {n_draw} over {len(spread['seeds'])} draws: "
                f"{spread['mean']:.2f} ± {spread['std']:.2f}"
            )
    result["command"] = "kerasgan " + " ".join(args.argv)
    if args.json:
        record = {"model": str(args.model), "dataset": str(dataset), **result}
        record["versions"] = library_versions()
        _write_json(record, args.json)
        print(f"Wrote {args.json}")
    if args.record:
        import kerasgan

        key = os.path.basename(str(args.features).rstrip("/")).removesuffix(".keras")
        result["versions"] = library_versions()
        metadata = kerasgan.zoo.record_scores(args.model, key, result)
        where = os.path.join(metadata["path"], "metadata.json")
        print(f"Recorded the scores as {key!r} in {where}")
    return 0


def _real_floor(
    dataset: str,
    args: argparse.Namespace,
    feature_net: FeatureNetwork,
    real: Any,
    common: dict[str, Any],
) -> dict:
    """The same metrics for held-out real images in place of generated ones."""
    from kerasgan import data, metrics

    other = "train" if args.split != "train" else "test"
    try:
        images, _ = data.load_arrays(dataset, other)
    except data.DataError as e:
        raise UserError(f"--record compares with real {other!r} images too: {e}") from None
    n = min(args.n, len(images))
    floor = metrics.evaluate(images[:n], feature_net, real, n=n, **common)
    floor.pop("protocol")
    floor["description"] = f"the first {n} real `{other}` images in place of generated ones"
    return floor


# ----------------------------------------------------------------------- parser
INCEPTION_WEIGHTS_HELP = (
    "a local InceptionV3 weights file, e.g. Keras' "
    "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5 (FID/KID/PR) or the file "
    "without _notop (also IS); default: that file in the Keras cache, ~/.keras/models. "
    "Nothing is downloaded"
)
EPILOG = (
    "TensorFlow's own log lines (oneDNN, CUDA, CPU features) are hidden; run with "
    "TF_CPP_MIN_LOG_LEVEL=0 to see them all (1: from warnings on, 2: errors)."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerasgan", description="GANs for Keras 3.", epilog=EPILOG
    )
    parser.add_argument("--version", action="version", version=f"kerasgan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("variants", help="list the registered GAN variants")
    p.set_defaults(func=_cmd_variants)

    p = sub.add_parser("train", help="train a variant; writes grids, curves and a .keras file")
    p.add_argument("variant", help="a registered variant, see `kerasgan variants`")
    p.add_argument("--dataset", default="fashion_mnist", help="dataset name or path")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps-per-epoch", type=int, default=None)
    p.add_argument(
        "--pad-to",
        type=int,
        default=None,
        help="centre the images on an N x N black canvas (e.g. 32 for 28x28 Fashion-MNIST)",
    )
    p.add_argument("--latent-dim", type=int, default=None)
    p.add_argument("--num-classes", type=int, default=None, help="for conditional variants")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a create() argument of the variant (repeatable), e.g. --set ema_decay=0.999 "
        "--set base_filters=32; values are read as JSON, else as text",
    )
    p.add_argument(
        "--fid-every",
        type=int,
        default=0,
        metavar="N",
        help="log the FID (and fid_ema with an EMA generator) every N epochs against the "
        "test split (default 0: never)",
    )
    p.add_argument("--fid-n", type=int, default=2000, help="images per FID (default 2000)")
    p.add_argument(
        "--fid-features",
        default=None,
        help="feature network of the FID (default fashion-mnist-classifier for fashion_mnist)",
    )
    p.add_argument(
        "--inception-weights",
        default=None,
        metavar="PATH",
        help=INCEPTION_WEIGHTS_HELP + " (with --fid-features inception)",
    )
    p.add_argument("--samples", type=int, default=64, help="images in each sample grid")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--out", default=None, help="output folder (default runs/VARIANT)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    p.add_argument(
        "--backup-every",
        type=int,
        default=0,
        metavar="STEPS",
        help="back up every STEPS steps as well as at each epoch's end (default 0: epoch ends "
        "only); --resume continues from the last backup's step",
    )
    p.add_argument(
        "--jit",
        dest="jit",
        action="store_const",
        const=True,
        default="auto",
        help="compile the step with XLA: TensorFlow's XLA or jax.jit; not on PyTorch "
        "(default: XLA where it is the faster choice, see GANModel.compile)",
    )
    p.add_argument(
        "--no-jit",
        dest="jit",
        action="store_const",
        const=False,
        help="no XLA: a TensorFlow graph, eager on JAX",
    )
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("sample", help="write a grid (and arrays) of generated images")
    p.add_argument("model", help="a .keras file or a zoo preset name")
    p.add_argument("-n", type=int, default=64, help="number of images")
    p.add_argument("--labels", default=None, help="class ids or names, e.g. 7 or sneaker,bag")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", default="samples.png", help="PNG grid to write")
    p.add_argument("--npz", default=None, help="also write the images as a .npz")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("zoo", help="prebuilt models: list, show, check, export")
    zoo = p.add_subparsers(dest="zoo_command", required=True)
    zoo.add_parser("list", help="the available presets")
    q = zoo.add_parser("show", help="a preset's metadata")
    q.add_argument("name")
    q = zoo.add_parser(
        "check", help="re-measure a preset's FID on a smaller sample against its card"
    )
    q.add_argument("name", help="a preset name or folder")
    q.add_argument(
        "--key", default=None, help="the scores' feature network (default: the only one)"
    )
    q.add_argument("--seed", type=int, default=100, help="generation seed of the new draw")
    q.add_argument("--sigmas", type=float, default=4.0, help="tolerance in standard deviations")
    q.add_argument("--cache-dir", default=None, help="cache the real statistics here")
    q = zoo.add_parser("export", help="turn a trained .keras model into a preset")
    q.add_argument("model", help="a .keras file")
    q.add_argument("name", help="preset name, e.g. dcgan-fashion-mnist")
    q.add_argument("--dataset", required=True)
    q.add_argument("--run", default=None, help="the run.json written by `kerasgan train`")
    q.add_argument("--description", default=None)
    q.add_argument("--zoo-dir", default=None)
    q.add_argument("--overwrite", action="store_true")
    p.set_defaults(func=_cmd_zoo)

    p = sub.add_parser("eval", help="FID, KID, precision/recall and IS of a model")
    p.add_argument("model", help="a .keras file or a zoo preset name")
    p.add_argument("--dataset", default=None, help="real data: name or path (zoo: its dataset)")
    p.add_argument("--split", default="train", help="split of the real data")
    p.add_argument("--metrics", default="fid,kid,pr,is", help="comma-separated: fid,kid,pr,is")
    p.add_argument("-n", type=int, default=10000, help="generated images")
    p.add_argument("--n-real", type=int, default=None, help="real images (default: -n)")
    p.add_argument(
        "--features",
        default="inception",
        help="inception, a classifier .keras file or folder, or a zoo classifier name",
    )
    p.add_argument(
        "--inception-weights",
        default=None,
        metavar="PATH",
        help=INCEPTION_WEIGHTS_HELP + " (with --features inception)",
    )
    p.add_argument("--json", default=None, help="also write the scores and protocol here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ema", action="store_true", help="use the EMA generator")
    p.add_argument("--batch-size", type=int, default=256, help="generated images per batch")
    p.add_argument("--feature-batch-size", type=int, default=None)
    p.add_argument("--cache-dir", default=None, help="cache the real statistics here")
    p.add_argument(
        "--crop",
        type=_crop_arg,
        default=None,
        help="score the central N (or HxW) pixels of each generated image, e.g. 28 for a "
        "model trained with --pad-to 32 on 28x28 images",
    )
    p.add_argument(
        "--record",
        action="store_true",
        help="store the scores (and a real-vs-real floor) in the preset's metadata and card",
    )
    p.set_defaults(func=_cmd_eval)
    return parser


def main(argv: Sequence[object] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    args.argv = argv  # the command line, as recorded in run.json and zoo scores
    if getattr(args, "out", "") is None:
        args.out = os.path.join("runs", args.variant)
    reads_data = args.command in ("train", "eval") or getattr(args, "zoo_command", "") == "export"
    if reads_data and _command.started_as_command():
        # they read data with tf.data: on JAX or PyTorch, TensorFlow is imported
        # here (with its log lines hidden) rather than midway through the command
        _command.quiet_imports("tensorflow")
    try:
        return args.func(args)
    except (UserError, ValueError, FileNotFoundError, TypeError) as e:
        message = " ".join(str(e).split())
        print(f"kerasgan: error: {message}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        guard = sys.modules.get("kerasgan.callbacks.guard")  # imported by `train` only
        if guard is None or not isinstance(e, guard.DivergenceError):
            raise
        backup = os.path.join(getattr(args, "out", "") or "", BACKUP_DIR)
        print(f"kerasgan: error: {e}", file=sys.stderr)
        if os.path.isdir(backup):
            print(
                f"kerasgan: the last good epoch is kept in {backup}; continue from it with "
                "--resume (after changing what made it diverge).",
                file=sys.stderr,
            )
        return 3
    except KeyboardInterrupt:
        print("kerasgan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
