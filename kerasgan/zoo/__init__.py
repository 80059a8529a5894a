"""The model zoo: prebuilt, really trained GANs that load in one call, offline.

A preset is a folder `zoo/<name>/` holding

- `config.json`               the `GANModel` config (variant, both networks),
- `generator.weights.h5`      generator weights (batch-norm statistics included),
- `discriminator.weights.h5`  discriminator weights (for fine-tuning with `fit`),
- `ema_generator.weights.h5`  the generator's moving average, when it has one,
- `metadata.json`             variant, dataset, training protocol, versions,
                              sha256 of every file above, scores,
- `README.md`                 the model card,
- `samples.png`               a sample grid.

A preset is data, never code: `load` looks names up inside the zoo folders
only, reads only regular files inside the preset folder, checks their sha256,
and refuses a config that holds Python code (a `Lambda` layer's function)
before rebuilding anything, even when `metadata.json` was rewritten to match.

>>> gan = kerasgan.zoo.load("dcgan-fashion-mnist")
>>> images = gan.generate(16, seed=0)
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, overload

from kerasgan._typing import StrPath
from kerasgan.saving import keep_keras_saving_from_leaking
from kerasgan.utils.versions import library_versions
from kerasgan.zoo.card import model_card, write_model_card

if TYPE_CHECKING:
    from kerasgan.gan_model import GANModel

CONFIG_FILE = "config.json"
GENERATOR_WEIGHTS_FILE = "generator.weights.h5"
DISCRIMINATOR_WEIGHTS_FILE = "discriminator.weights.h5"
#: Written when the model keeps an EMA generator (`GANModel.enable_ema`).
EMA_WEIGHTS_FILE = "ema_generator.weights.h5"
METADATA_FILE = "metadata.json"
CARD_FILE = "README.md"
SAMPLES_FILE = "samples.png"
#: Files whose sha256 is recorded in metadata.json and verified on load.
CHECKED_FILES = (CONFIG_FILE, GENERATOR_WEIGHTS_FILE, DISCRIMINATOR_WEIGHTS_FILE)
#: Environment variable with extra zoo folders (os.pathsep-separated), searched first.
ZOO_PATH_ENV = "KERASGAN_ZOO"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
#: What `load` and `info` accept as a preset name (a folder name in a zoo folder).
_LOOKUP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

__all__ = [
    "ZooError",
    "check_scores",
    "info",
    "list",
    "load",
    "record_scores",
    "save",
    "zoo_dirs",
]

_builtin_list = list


class ZooError(ValueError):
    """A preset is missing, corrupt, or cannot be written."""


def zoo_dirs() -> _builtin_list[str]:
    """Folders searched for presets, in order.

    `$KERASGAN_ZOO` entries, then the repository's `zoo/` folder (source
    checkouts and editable installs), then `<prefix>/share/kerasgan/zoo`
    (regular installs).
    """
    dirs = [d for d in os.environ.get(ZOO_PATH_ENV, "").split(os.pathsep) if d]
    here = os.path.dirname(os.path.abspath(__file__))
    dirs.append(os.path.normpath(os.path.join(here, "..", "..", "zoo")))
    dirs.append(os.path.join(sys.prefix, "share", "kerasgan", "zoo"))
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def _is_preset(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, METADATA_FILE))


@overload
def list(details: Literal[False] = False) -> _builtin_list[str]: ...
@overload
def list(details: Literal[True]) -> dict[str, str]: ...
@overload
def list(details: bool) -> _builtin_list[str] | dict[str, str]: ...


# `list` is the zoo's public verb; the builtin stays reachable as `_builtin_list`.
def list(details: bool = False) -> _builtin_list[str] | dict[str, str]:  # noqa: A001
    """Names of the available presets (sorted); with `details`, `{name: description}`."""
    found = {}
    for root in zoo_dirs():
        for name in sorted(os.listdir(root)):
            folder = os.path.join(root, name)
            if name not in found and _is_preset(folder) and not _is_feature_network(folder):
                found[name] = folder
    if not details:
        return sorted(found)
    out = {}
    for name, folder in sorted(found.items()):
        try:
            out[name] = _read_metadata(folder).get("description", "")
        except ZooError as e:
            out[name] = f"(unreadable: {e})"
    return out


def _resolve(name_or_path: StrPath) -> str:
    path = os.fspath(name_or_path)
    if os.path.isdir(path):
        if not _is_preset(path):
            raise ZooError(
                f"{path} is not a zoo preset: it has no {METADATA_FILE}. A preset folder is "
                "written by kerasgan.zoo.save(model, name)."
            )
        return path
    if not _LOOKUP_RE.match(path):
        raise ZooError(
            f"Invalid zoo preset name {path!r}: a name is a folder in a zoo folder (letters, "
            f"digits, '-', '_', '.'; no '/' or '..'), and {path!r} is not a preset folder "
            "either. Give a name from kerasgan.zoo.list() or the path of a preset folder."
        )
    for root in zoo_dirs():
        folder = os.path.join(root, path)
        if _is_preset(folder):
            return folder
    available = ", ".join(list()) or "(none found)"
    raise ZooError(
        f"Unknown zoo preset {path!r}. Available: {available}. Searched: "
        f"{', '.join(zoo_dirs()) or '(no zoo folder)'}; add folders with ${ZOO_PATH_ENV}."
    )


def _is_feature_network(folder: str) -> bool:
    """Feature networks for the metrics (e.g. the domain classifier) live in zoo/ too."""
    try:
        with open(os.path.join(folder, METADATA_FILE)) as f:
            return json.load(f).get("kind") == "feature_network"
    except (OSError, ValueError, AttributeError, RecursionError):
        return False


def _read_metadata(folder: str) -> dict[str, Any]:
    path = _file_in(folder, METADATA_FILE)
    try:
        with open(path) as f:
            metadata = json.load(f)
    except (OSError, ValueError, RecursionError) as e:
        raise ZooError(f"Cannot read {path}: {e}. The preset is corrupt; restore it.") from None
    if not isinstance(metadata, dict) or "sha256" not in metadata:
        raise ZooError(f"{path} has no 'sha256' record; the preset is corrupt; restore it.")
    return metadata


def sha256_of(path: StrPath) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_in(folder: str, name: str) -> str:
    """`folder/name`, refusing a name or a link that leads outside `folder`."""
    if not isinstance(name, str) or not _LOOKUP_RE.match(name):
        raise ZooError(
            f"{METADATA_FILE} in {folder} names the file {name!r}, which is not a plain file "
            "name in the preset folder; the preset is corrupt or forged: restore it."
        )
    path = os.path.join(folder, name)
    real, inside = os.path.realpath(path), os.path.realpath(folder)
    if os.path.commonpath([real, inside]) != inside:
        raise ZooError(
            f"{path} is a link to {real}, outside the preset folder; a preset holds its own "
            "files: replace the link with the file (or restore the preset)."
        )
    if os.path.lexists(path) and not os.path.isfile(path):
        raise ZooError(f"{path} is not a regular file; restore the preset folder.")
    return path


def _verify(folder: str, metadata: dict[str, Any]) -> None:
    sums = metadata["sha256"]
    if not isinstance(sums, dict) or not all(isinstance(v, str) for v in sums.values()):
        raise ZooError(
            f"{METADATA_FILE} in {folder}: 'sha256' must map file names to hex digests; "
            "the preset is corrupt: restore it."
        )
    for name in dict.fromkeys(CHECKED_FILES + tuple(sums)):
        path = _file_in(folder, name)
        expected = sums.get(name)
        if not os.path.isfile(path):
            raise ZooError(f"Preset {folder} is missing {name}; restore the preset folder.")
        if expected is None:
            raise ZooError(f"{METADATA_FILE} in {folder} records no sha256 for {name}.")
        actual = sha256_of(path)
        if actual != expected:
            raise ZooError(
                f"Checksum mismatch for {path}: expected sha256 {expected[:16]}..., got "
                f"{actual[:16]}.... The file is corrupt or was modified; restore it (e.g. "
                "git checkout zoo/) or re-create the preset with kerasgan.zoo.save."
            )


def info(name_or_path: StrPath) -> dict[str, Any]:
    """The metadata of a preset (`metadata.json`), plus its folder as `path`."""
    folder = _resolve(name_or_path)
    metadata = _read_metadata(folder)
    metadata["path"] = folder
    return metadata


def load(name_or_path: StrPath, compile: bool = True, jit_compile: bool | str = "auto") -> GANModel:
    """Loads a preset as a `GANModel`, ready to `generate` and to fine-tune with `fit`.

    Verifies the sha256 of the config and weights first.

    Args:
        name_or_path: a preset name from `kerasgan.zoo.list()` or a preset folder.
        compile: compile with the variant's paper optimizers (fresh state).
        jit_compile: passed to `compile`.
    """
    import keras

    import kerasgan  # noqa: F401 - registers the variant classes for deserialization
    from kerasgan.saving import find_code, short_message

    folder = _resolve(name_or_path)
    metadata = _read_metadata(folder)
    if metadata.get("kind") == "feature_network":
        raise ZooError(
            f"{folder} is a feature network for the metrics, not a GAN: load it with "
            "kerasgan.metrics.ClassifierFeatures.load(...)."
        )
    _verify(folder, metadata)
    try:
        with open(_file_in(folder, CONFIG_FILE)) as f:
            config = json.load(f)
    except (OSError, ValueError, RecursionError) as e:
        raise ZooError(f"Cannot read {CONFIG_FILE} of preset {folder}: {e}; restore it.") from None
    where = find_code(config)
    if where is not None:
        raise ZooError(
            f"Refusing to load preset {folder}: its {CONFIG_FILE} holds Python code ({where}: "
            "a lambda saved as bytecode), which would run on loading; nothing from it was run. "
            "A preset holds registered classes only: re-create it with kerasgan.zoo.save from "
            "a model without Lambda layers."
        )
    generator = _file_in(folder, GENERATOR_WEIGHTS_FILE)
    discriminator = _file_in(folder, DISCRIMINATOR_WEIGHTS_FILE)
    ema = _file_in(folder, EMA_WEIGHTS_FILE) if EMA_WEIGHTS_FILE in metadata["sha256"] else None
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        if model.ema_generator is not None and ema is None:
            raise ValueError(f"{METADATA_FILE} records no sha256 for {EMA_WEIGHTS_FILE}")
        keep_keras_saving_from_leaking()
        model.generator.load_weights(generator)
        model.discriminator.load_weights(discriminator)
        if model.ema_generator is not None:
            model.ema_generator.load_weights(ema)
    except Exception as e:  # version skew, a plugin variant not installed, ...
        raise ZooError(
            f"Could not rebuild preset {folder} (variant {metadata.get('variant')!r}): "
            f"{short_message(str(e))}"
        ) from e
    if compile:
        model.compile(jit_compile=jit_compile)
    return model


def save(
    model: GANModel,
    name: str,
    *,
    dataset: str,
    description: str = "",
    training: dict[str, Any] | None = None,
    scores: dict[str, Any] | None = None,
    class_names: Iterable[object] | None = None,
    zoo_dir: str | None = None,
    overwrite: bool = False,
    sample_seed: int = 0,
) -> str:
    """Writes `model` as preset `name` and returns its folder.

    The folder is written next to its final place and moved in at the end,
    so an error leaves any existing preset untouched.

    Args:
        model: a `GANModel`.
        name: preset name (lowercase letters, digits, `-`, `_`, `.`).
        dataset: the training data, e.g. "fashion_mnist".
        description: one line for `kerasgan zoo list`.
        training: the training protocol (steps, batch size, epochs, seed,
            wall time, hardware, command...), stored as is.
        scores: measured scores with their protocol, stored as is.
        class_names: names of the classes of a conditional model.
        zoo_dir: where to write (default: the repository's `zoo/`).
        overwrite: replace an existing preset of that name.
        sample_seed: seed of the sample grid.
    """
    from kerasgan.gan_model import GANModel

    if not isinstance(model, GANModel):
        raise ZooError(f"zoo.save expects a kerasgan GANModel; got {type(model).__name__}.")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ZooError(
            f"Invalid preset name {name!r}: use lowercase letters, digits, '-', '_' or '.', "
            "e.g. 'dcgan-fashion-mnist'."
        )
    if zoo_dir is None:
        here = os.path.dirname(os.path.abspath(__file__))
        zoo_dir = os.path.normpath(os.path.join(here, "..", "..", "zoo"))
    target = os.path.join(zoo_dir, name)
    if os.path.exists(target) and not overwrite:
        raise ZooError(f"Preset {target} exists; pass overwrite=True to replace it.")
    try:
        os.makedirs(zoo_dir, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{name}.", dir=zoo_dir)
    except OSError as e:
        raise ZooError(f"Cannot write to zoo folder {zoo_dir}: {e.strerror}.") from None
    try:
        import keras

        with open(os.path.join(tmp, CONFIG_FILE), "w") as f:
            json.dump(keras.saving.serialize_keras_object(model), f, indent=1)
        keep_keras_saving_from_leaking()
        model.generator.save_weights(os.path.join(tmp, GENERATOR_WEIGHTS_FILE))
        model.discriminator.save_weights(os.path.join(tmp, DISCRIMINATOR_WEIGHTS_FILE))
        checked: tuple[str, ...] = CHECKED_FILES
        if model.ema_generator is not None:
            model.ema_generator.save_weights(os.path.join(tmp, EMA_WEIGHTS_FILE))
            checked += (EMA_WEIGHTS_FILE,)
        model.save_sample_grid(
            os.path.join(tmp, SAMPLES_FILE), n=100 if model.num_classes else 64, seed=sample_seed
        )
        metadata = {
            "name": name,
            "description": description,
            "variant": model.variant_name,
            "dataset": dataset,
            "image_shape": [int(d) for d in model.image_shape],
            "latent_dim": model.latent_dim,
            "num_classes": model.num_classes,
            "class_names": None if class_names is None else [str(c) for c in class_names],
            "training": training or {},
            "scores": scores or {},
            "versions": library_versions(),
            "sample_grid": {
                "file": SAMPLES_FILE,
                "seed": sample_seed,
                "ema": model.ema_generator is not None,
            },
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "sha256": {f: sha256_of(os.path.join(tmp, f)) for f in checked},
            "bytes": {f: os.path.getsize(os.path.join(tmp, f)) for f in checked},
        }
        with open(os.path.join(tmp, METADATA_FILE), "w") as f:
            json.dump(metadata, f, indent=2)
        write_model_card(os.path.join(tmp, CARD_FILE), metadata)
        os.chmod(tmp, 0o755)
        if os.path.exists(target):
            old = tempfile.mkdtemp(prefix=f".{name}.old.", dir=zoo_dir)
            os.replace(target, os.path.join(old, name))
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def record_scores(name_or_path: StrPath, key: str, result: dict[str, Any]) -> dict[str, Any]:
    """Stores measured scores in a preset's `metadata.json` and model card.

    `result` is what `kerasgan.metrics.evaluate` returns (the scores and their
    `protocol`); it is stored as `metadata["scores"][key]` (e.g. `key =
    "fashion-mnist-classifier"`, the feature network), replacing an earlier
    entry of that key. `metadata.json` and `README.md` are each replaced
    atomically; the checksummed files are not touched.

    Returns the preset's updated metadata (with its folder as `path`, like `info`).
    """
    from kerasgan.utils.files import write_atomically

    if not isinstance(key, str) or not key:
        raise ZooError(f"record_scores needs a non-empty string key; got {key!r}.")
    if not isinstance(result, dict) or "protocol" not in result:
        raise ZooError(
            "record_scores expects the dict of kerasgan.metrics.evaluate (with 'protocol')."
        )
    folder = _resolve(name_or_path)
    metadata = _read_metadata(folder)
    if metadata.get("kind") == "feature_network":
        raise ZooError(f"{folder} is a feature network, not a GAN preset: it has no scores.")
    scores = dict(metadata.get("scores") or {})
    scores[key] = json.loads(json.dumps(result))  # plain JSON types only
    metadata["scores"] = scores
    text = json.dumps(metadata, indent=2).encode()
    card = model_card(metadata).encode()
    try:
        write_atomically(text, os.path.join(folder, METADATA_FILE))
        write_atomically(card, os.path.join(folder, CARD_FILE))
    except OSError as e:
        raise ZooError(f"Cannot update preset {folder}: {e.strerror}.") from None
    metadata["path"] = folder
    return metadata


def check_scores(
    name_or_path: StrPath,
    key: str | None = None,
    seed: int = 100,
    sigmas: float = 4.0,
    cache_dir: StrPath | None = None,
) -> dict[str, Any]:
    """Re-measures a preset's FID on a smaller sample and compares it with its card.

    The card's scores (`kerasgan eval NAME --record`) keep, next to the full
    FID, the FID of `n` generated vs the first `n` real images over several
    draws (`kerasgan.metrics.fid_spread`): their mean and standard deviation.
    This draws `n` new images with `seed` (not one of the card's seeds) and
    checks that their FID lies within `sigmas` standard deviations of that
    mean. Weights that changed without their card being measured again fail.

    Args:
        name_or_path: a preset name or folder.
        key: the scores' key, i.e. the feature network (default: the only
            key with a spread, e.g. "fashion-mnist-classifier").
        seed: generation seed of the new draw.
        sigmas: the tolerance in standard deviations of the card's draws.
        cache_dir: where to cache the real images' features.

    Returns:
        `{"ok", "fid", "mean", "std", "tolerance", "n", "seed", "key"}`.

    Raises:
        ZooError: the preset has no recorded spread, or its feature network
            is not the one the card was measured with.
    """
    from kerasgan import metrics

    metadata = info(name_or_path)
    scores = metadata.get("scores") or {}
    keys = [k for k, v in scores.items() if isinstance(v, dict) and "spread" in v]
    if key is None:
        if not keys:
            raise ZooError(
                f"Preset {metadata['name']} has no recorded FID spread: record one with "
                "`kerasgan eval NAME --features F --split test --record`."
            )
        if len(keys) > 1:
            raise ZooError(
                f"Preset {metadata['name']} has FID spreads for {', '.join(keys)}: pass "
                "key= (kerasgan zoo check --key) to pick one."
            )
        key = keys[0]
    elif key not in keys:
        raise ZooError(
            f"Preset {metadata['name']} has no FID spread under {key!r} (has: "
            f"{', '.join(keys) or 'none'}); record one with `kerasgan eval NAME --features "
            f"{key} --record`."
        )
    spread = scores[key]["spread"]
    if seed in spread["seeds"]:
        raise ZooError(f"seed {seed} is one of the card's draws {spread['seeds']}: pick another.")
    feature_net = metrics.get_feature_network(key)
    if feature_net.name != spread["feature_network"]:
        raise ZooError(
            f"The card of {metadata['name']} was measured with {spread['feature_network']}; "
            f"{key!r} is now {feature_net.name} (its weights changed): measure the card again."
        )
    model = load(metadata["path"], compile=False)
    fid = metrics.evaluate(
        model,
        feature_net,
        metrics.real_statistics(
            feature_net,
            metadata["dataset"],
            spread["n"],
            cache_dir=cache_dir,
            batch_size=spread["batch_size"],
            split=spread["split"],
        ),
        metrics="fid",
        n=spread["n"],
        seed=seed,
        batch_size=spread["batch_size"],
        ema=spread["ema"],
        crop=spread["crop"],
    )["fid"]
    tolerance = sigmas * spread["std"]
    return {
        "ok": bool(abs(fid - spread["mean"]) <= tolerance),
        "fid": float(fid),
        "mean": spread["mean"],
        "std": spread["std"],
        "tolerance": tolerance,
        "n": spread["n"],
        "seed": seed,
        "key": key,
    }
