"""Saving and loading whole models (`.keras` files) safely.

`GANModel.save` writes through `save_model`: the file is written next to its
final place and renamed over it at the end, so a crash, a full disk or an
interrupted run never leaves a half-written `.keras` file and never destroys
the previous one. `load_model` checks that a file is a complete `.keras`
archive before handing it to Keras, so a truncated or corrupt file gets an
error that says so (Keras reports such a file as "File not found").

Example:
    >>> gan.save("runs/dcgan.keras")                     # atomic
    >>> gan = kerasgan.load_model("runs/dcgan.keras")    # checked
"""

from __future__ import annotations

import os
import zipfile
import zlib

from kerasgan.utils.files import replace_atomically

__all__ = ["ModelFileError", "load_model", "save_model"]

#: Members every `.keras` archive written by Keras 3 holds.
KERAS_MEMBERS = ("config.json", "model.weights.h5")


class ModelFileError(ValueError):
    """A `.keras` file that is missing, truncated, corrupt or not a model."""


def _writable_folder(path) -> str:
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        what = "is a file" if os.path.exists(folder) else "does not exist"
        raise OSError(
            f"Cannot save the model to {path}: the folder {folder} {what}. "
            "Create the folder first (nothing was written)."
        )
    return folder


def save_model(model, filepath, overwrite: bool = True, **kwargs) -> str:
    """`keras.Model.save` to a `.keras` file, atomically; returns the path.

    Writes `.NAME.*.tmp.keras` in the same folder and renames it over
    `filepath` only once Keras has finished writing, so an existing file is
    replaced whole or not at all. On any error the temporary file is removed.
    """
    import keras

    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise ValueError(
            f"Model files end in .keras; got {path!r}. Use e.g. 'model.keras' "
            "(or model.save_weights('x.weights.h5') for the weights alone)."
        )
    _writable_folder(path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it.")
    return replace_atomically(
        path,
        lambda tmp: keras.Model.save(model, tmp, overwrite=True, **kwargs),
        suffix=".tmp.keras",  # Keras wants the extension
        create_folders=False,
    )


def check_model_file(filepath) -> str:
    """Raises `ModelFileError` unless `filepath` is a complete `.keras` archive."""
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise ModelFileError(f"No such model file: {path}.")
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a folder; give a .keras file (or a zoo preset name).")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            f"{path} is not a .keras model file (not a zip archive: truncated, corrupt or "
            "another format). Restore it from a checkpoint or save the model again."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = [m for m in KERAS_MEMBERS if m not in names]
            if missing:
                raise ModelFileError(
                    f"{path} is a zip archive but not a Keras model: it lacks "
                    f"{', '.join(missing)}. Save models with model.save('x.keras')."
                )
            bad = archive.testzip()  # CRC of every member
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as e:
        raise ModelFileError(
            f"{path} is a corrupt .keras file ({e}). Restore it from a checkpoint or "
            "save the model again."
        ) from None
    if bad is not None:
        raise ModelFileError(
            f"{path} is a corrupt .keras file: member {bad} fails its checksum. "
            "Restore it from a checkpoint or save the model again."
        )
    return path


def load_model(filepath, compile: bool = True, **kwargs):
    """`keras.saving.load_model` after `check_model_file`, with kerasgan's
    classes registered. Raises `ModelFileError` for a missing, truncated or
    corrupt file, and for one Keras cannot rebuild (e.g. a plugin variant
    that is not installed)."""
    import keras

    import kerasgan  # noqa: F401 - registers the variant classes

    path = check_model_file(filepath)
    try:
        return keras.saving.load_model(path, compile=compile, **kwargs)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelFileError(f"Cannot rebuild the model in {path}: {first}") from e
