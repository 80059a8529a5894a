"""Saving and loading whole models (`.keras` files) safely.

`GANModel.save` writes through `save_model`: the file is written next to its
final place and renamed over it at the end, so a crash, a full disk or an
interrupted run never leaves a half-written `.keras` file and never destroys
the previous one. `load_model` checks that a file is a complete `.keras`
archive before handing it to Keras, so a truncated or corrupt file gets an
error that says so (Keras reports such a file as "File not found").

A file that holds Python code (a `Lambda` layer's function, serialized as
bytecode) is refused by `load_model` with `UnsafeModelError` before Keras
reads its config, and an archive member whose name would be extracted outside
the archive's folder (`../x`, `/x`) with `ModelFileError`: kerasgan never runs
code from a file, and Keras' `safe_mode` stays on.

A file of a variant whose class is not registered in the loading process (a
plugin variant whose module was not imported) gets one short
`MissingClassError` that names the class and the module to import, in place
of Keras' dump of the whole model config: from `load_model`, which also names
the variant (`save_model` records it in the archive as `kerasgan.json`; Keras
ignores that member), and from `keras.saving.load_model` once kerasgan is
imported (a wrapper around Keras' class lookup, for `kerasgan>` names only,
which first tries the installed plugins, `kerasgan.load_plugins`).

Example:
    >>> gan.save("runs/dcgan.keras")                     # atomic
    >>> gan = kerasgan.load_model("runs/dcgan.keras")    # checked
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from kerasgan._typing import StrPath
from kerasgan.utils.files import replace_atomically

if TYPE_CHECKING:
    import keras

__all__ = [
    "MissingClassError",
    "ModelFileError",
    "UnsafeModelError",
    "check_no_code",
    "find_code",
    "load_model",
    "read_variant_record",
    "save_model",
]

#: Members every `.keras` archive written by Keras 3 holds.
KERAS_MEMBERS = ("config.json", "model.weights.h5")
#: The archive member where `save_model` records the model's variant.
VARIANT_MEMBER = "kerasgan.json"
#: Registered names of kerasgan's classes (variants and layers): `kerasgan>Class`.
PACKAGE_PREFIX = "kerasgan>"


class ModelFileError(ValueError):
    """A `.keras` file that is missing, truncated, corrupt or not a model."""


class MissingClassError(ModelFileError):
    """A saved model needs a kerasgan class (a plugin variant, usually) that is
    not registered in this process. `class_name`, `module` and `variant` say
    which (`variant` is `None` when the file does not record it)."""

    def __init__(
        self,
        class_name: str,
        module: str | None,
        variant: str | None = None,
        path: str | None = None,
    ) -> None:
        self.class_name = class_name
        self.module = module
        self.variant = variant
        self.path = path
        super().__init__(missing_class_message(class_name, module, variant, path))

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.class_name, self.module, self.variant, self.path)


class UnsafeModelError(ModelFileError):
    """A model file (or preset config) that holds Python code Keras would run
    on loading: a lambda serialized as bytecode, e.g. a `Lambda` layer's
    function. Raised before any of it is rebuilt; `where` says which object
    holds it."""

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.where)


def missing_class_message(
    class_name: str, module: str | None, variant: str | None = None, path: str | None = None
) -> str:
    """One short paragraph: what is missing and which module to import."""
    from kerasgan.version import __version__

    where = f"{path} holds" if path else "The model holds"
    if variant:
        what = f"kerasgan variant {variant!r} (class {class_name} from module {module!r})"
    else:
        what = f"the kerasgan class {class_name} (from module {module!r})"
    if module == "__main__":
        todo = (
            "it was defined in the script that saved it: define or import the same class, "
            "registered with @kerasgan.register, before loading"
        )
    elif module and (module == "kerasgan" or module.startswith("kerasgan.")):
        todo = (
            f"this kerasgan ({__version__}) has no such class; the file was saved by "
            "another kerasgan version"
        )
    else:
        subject = f"registers {variant!r}" if variant else f"defines {class_name}"
        todo = (
            f"import the module that {subject} (`import {module}`), or install the plugin "
            "that provides it, then load again"
        )
    return f"{where} {what}, which is not registered in this process: {todo}."


def _variant_record(model: keras.Model) -> dict[str, str] | None:
    variant = getattr(type(model), "variant_name", None)
    if not isinstance(variant, str):
        return None
    from kerasgan.version import __version__

    return {
        "variant": variant,
        "class_name": type(model).__name__,
        "module": type(model).__module__,
        "kerasgan_version": __version__,
    }


def read_variant_record(filepath: StrPath) -> dict[str, Any]:
    """What `save_model` recorded about the model's variant (`{}` if nothing)."""
    try:
        with zipfile.ZipFile(os.fspath(filepath)) as archive:
            if VARIANT_MEMBER not in archive.namelist():
                return {}
            record = json.loads(archive.read(VARIANT_MEMBER))
    except (OSError, ValueError, zipfile.BadZipFile, zlib.error, EOFError):
        return {}
    return record if isinstance(record, dict) else {}


def _writable_folder(path: str) -> str:
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(folder):
        what = "is a file" if os.path.exists(folder) else "does not exist"
        raise OSError(
            f"Cannot save the model to {path}: the folder {folder} {what}. "
            "Create the folder first (nothing was written)."
        )
    return folder


#: Object types whose attribute skip-sets Keras' saving walk asks for.
_SKIPSET_TYPES = ("Operation", "Layer", "Functional", "Sequential", "Metric", "Optimizer", "Loss")


def keep_keras_saving_from_leaking() -> None:
    """Work around a leak in Keras' saving (seen in Keras 3.15 on TensorFlow).

    Keras' `saving_lib.get_attr_skipset` caches its result under
    `saving_attr_skipset_<type>` but looks it up under
    `saving_attr_skiplist_<type>`, so every save and load of a model builds
    fresh reference objects, among them an `Optimizer` with its variables for
    each optimizer walked; on TensorFlow that memory is never returned, so a
    long run with frequent backups keeps growing (docs/reliability.md). This
    stores each skip-set under the name Keras reads, computed by Keras
    itself, so the walk is the same and nothing is rebuilt. Called before
    kerasgan's saves and loads (Keras' global state is per thread and
    `keras.backend.clear_session()` empties it); a no-op where the private
    names are missing or already set.
    """
    try:
        from keras.src.backend.common import global_state
        from keras.src.saving import saving_lib
    except ImportError:  # pragma: no cover - another Keras layout
        return
    get = getattr(saving_lib, "get_attr_skipset", None)
    if get is None:  # pragma: no cover
        return
    for obj_type in _SKIPSET_TYPES:
        key = f"saving_attr_skiplist_{obj_type}"
        if global_state.get_global_attribute(key, None) is None:
            try:
                global_state.set_global_attribute(key, get(obj_type))
            except Exception:  # pragma: no cover - leave Keras to itself
                return


def save_model(model: keras.Model, filepath: StrPath, overwrite: bool = True, **kwargs: Any) -> str:
    """`keras.Model.save` to a `.keras` file, atomically; returns the path.

    Writes `.NAME.*.tmp.keras` in the same folder and renames it over
    `filepath` only once Keras has finished writing, so an existing file is
    replaced whole or not at all. On any error the temporary file is removed.
    A `GANModel`'s variant, class and module are recorded in the archive
    (`kerasgan.json`), so that loading it where the variant is not registered
    can say which variant and module are missing.
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
    record = _variant_record(model)

    def write(tmp: str) -> None:
        keep_keras_saving_from_leaking()
        keras.Model.save(model, tmp, overwrite=True, **kwargs)
        if record is not None:
            with zipfile.ZipFile(tmp, "a") as archive:
                archive.writestr(VARIANT_MEMBER, json.dumps(record, indent=1))

    return replace_atomically(
        path,
        write,
        suffix=".tmp.keras",  # Keras wants the extension
        create_folders=False,
    )


def _unsafe_member(name: str) -> bool:
    """Whether an archive member's name points outside the folder it is extracted to."""
    posix = name.replace("\\", "/")
    return (
        posix.startswith("/")
        or re.match(r"^[A-Za-z]:", posix) is not None
        or ".." in posix.split("/")
        or "\0" in posix
    )


def check_model_file(filepath: StrPath) -> str:
    """Raises `ModelFileError` unless `filepath` is a complete `.keras` archive."""
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise ModelFileError(f"No such model file: {path}.")
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a folder; give a .keras file (or a zoo preset name).")
    if not zipfile.is_zipfile(path):
        from kerasgan.utils.files import describe_file

        what = describe_file(path)
        known = "zip" not in what and what != "a file of an unknown format"
        raise ModelFileError(
            f"{path} is not a .keras model file ({f'it is {what}, ' if known else ''}not a zip "
            "archive: truncated, corrupt or another format). Restore it from a checkpoint or "
            "save the model again."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            unsafe = sorted(n for n in names if _unsafe_member(n))
            if unsafe:
                raise ModelFileError(
                    f"{path} is not a safe .keras file: its member {unsafe[0]!r} would be "
                    "written outside the folder it is extracted to (Keras never writes such "
                    "names). Nothing was extracted; do not use this file, save the model again."
                )
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


#: The `class_name` under which Keras serializes a Python lambda as bytecode.
LAMBDA_CLASS = "__lambda__"


def find_code(config: object) -> str | None:
    """Where a Keras config (as read from JSON) holds Python code that Keras
    would run when rebuilding it, or `None` if it holds none.

    Code in a Keras config is a lambda serialized as bytecode (`class_name`
    `"__lambda__"`): the function of a `Lambda` layer, or a lambda given as
    an activation, a loss or another argument. Registered classes and
    functions are names, looked up in this process, and are not code of the
    file. The answer names the object that holds it, e.g. `"layer 'gate'
    (Lambda)"`.
    """
    stack: list[tuple[object, str]] = [(config, "the model config")]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, dict):
            class_name = node.get("class_name")
            if class_name == LAMBDA_CLASS:
                return owner
            inner = node.get("config")
            name = inner.get("name") if isinstance(inner, dict) else None
            if isinstance(class_name, str) and isinstance(name, str):
                kind = "layer" if node.get("module") == "keras.layers" else "object"
                owner = f"{kind} {name!r} ({class_name})"
            stack.extend((value, owner) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, owner) for value in node)
    return None


def _read_config(path: str) -> object:
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read(KERAS_MEMBERS[0]))
    except (ValueError, RecursionError) as e:
        raise ModelFileError(
            f"{path} is not a valid .keras file: its {KERAS_MEMBERS[0]} is not JSON ({e}). "
            "Restore it from a checkpoint or save the model again."
        ) from None


def check_no_code(filepath: StrPath) -> str:
    """Raises `UnsafeModelError` if the `.keras` file `filepath` holds Python
    code (see `find_code`), before any of it is read by Keras; returns the path.
    Runs `check_model_file` first."""
    path = check_model_file(filepath)
    where = find_code(_read_config(path))
    if where is not None:
        raise UnsafeModelError(
            f"Refusing to load {path}: it holds Python code ({where}: a lambda saved as "
            "bytecode), which would run on loading; nothing from the file was run. Use a "
            "model saved without Lambda layers (a Layer subclass registered with "
            "@keras.saving.register_keras_serializable instead); only for a file you made "
            "yourself, kerasgan.load_model(path, safe_mode=False) loads it.",
            where,
        )
    return path


#: Keras' message for a class it cannot find, and the start of the config it appends.
_NOT_FOUND = re.compile(r"Could not locate class '([^']+)'")
_CONFIG_MODULE = re.compile(r"Full object config: \{'module': (?:'([^']*)'|None)")
_CONFIG_DUMP = re.compile(r"\s*(Full object config:|Full config:|config=\{).*", re.DOTALL)
#: Keras wraps an error raised while rebuilding a nested object after this.
_CAUSE = "Exception encountered:"
#: At most this much of another error of Keras goes into `ModelFileError`.
MAX_MESSAGE = 400


def _root_cause(message: str) -> str:
    """The innermost error of Keras' nested "could not be deserialized" ones."""
    message = str(message)
    return message.rpartition(_CAUSE)[2] if _CAUSE in message else message


def short_message(message: str) -> str:
    """Keras' error without the model configs it appends (often many KB)."""
    message = _CONFIG_DUMP.sub("", _root_cause(message)).strip()
    message = " ".join(message.split())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3].rstrip() + "..."
    return message


def load_model(filepath: StrPath, compile: bool = True, **kwargs: Any) -> keras.Model:
    """`keras.saving.load_model` after `check_model_file`, with kerasgan's
    classes and installed plugin variants registered.

    Never runs code from the file: one that holds Python code (a `Lambda`
    layer's function saved as bytecode) raises `UnsafeModelError` before Keras
    reads it, unless the caller passes `safe_mode=False` (Keras' switch, for
    files one made oneself). Raises `ModelFileError` for a missing, truncated
    or corrupt file, for an archive member named to be extracted outside its
    folder, and for a file Keras cannot rebuild; its `MissingClassError`
    form, when the file's variant (or another kerasgan class) is not
    registered here, names the variant and the module that registers it. The
    messages are short: Keras' dump of the model config is left out."""
    import keras

    import kerasgan  # noqa: F401 - registers the variant classes
    from kerasgan import registry

    if kwargs.get("safe_mode", True) is False:
        path = check_model_file(filepath)
    else:
        path = check_no_code(filepath)
    registry.load_plugins()
    try:
        keep_keras_saving_from_leaking()
        return keras.saving.load_model(path, compile=compile, **kwargs)
    except MissingClassError as e:  # from the hook below
        variant = e.variant
        if variant is None:
            record = read_variant_record(path)
            if record.get("class_name") == e.class_name and record.get("module") == e.module:
                variant = record.get("variant")
        raise MissingClassError(e.class_name, e.module, variant, path) from None
    except Exception as e:
        cause = _root_cause(str(e))
        found, config = _NOT_FOUND.search(cause), _CONFIG_MODULE.search(cause)
        if not found:
            raise ModelFileError(
                f"Cannot rebuild the model in {path}: {short_message(str(e))}"
            ) from e
        class_name, module = found.group(1), config.group(1) if config else None
        record = read_variant_record(path)
        if record.get("class_name") == class_name and record.get("module") == module:
            raise MissingClassError(class_name, module, record.get("variant"), path) from None
        # a class outside kerasgan's names, e.g. a custom generator
        if module and module != "__main__":
            source, todo = f" from module {module!r}", f"import {module}"
        else:
            source, todo = "", "define or import it"
        raise ModelFileError(
            f"Cannot rebuild the model in {path}: it needs class {class_name}{source}, which "
            f"is not registered in this process; {todo} (registered with "
            "@keras.saving.register_keras_serializable) before loading."
        ) from None


def _kerasgan_lookup(retrieve: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps Keras' class lookup (`serialization_lib._retrieve_class_or_fn`)
    so that a `kerasgan>` class it cannot find raises `MissingClassError`,
    after trying the installed plugins (`kerasgan.load_plugins`)."""
    signature = inspect.signature(retrieve)

    @functools.wraps(retrieve)
    def lookup(*args: Any, **kwargs: Any) -> Any:
        try:
            return retrieve(*args, **kwargs)
        except TypeError:
            try:
                call = signature.bind(*args, **kwargs).arguments
            except TypeError:
                call = {}
            registered = str(call.get("registered_name"))
            if call.get("obj_type") != "class" or not registered.startswith(PACKAGE_PREFIX):
                raise
        from kerasgan import registry

        if not registry._PLUGINS_LOADED:
            registry.load_plugins()
            try:
                return retrieve(*args, **kwargs)
            except TypeError:
                pass
        raise MissingClassError(cast(str, call.get("name")), call.get("module")) from None

    lookup._kerasgan_original = retrieve  # type: ignore[attr-defined]
    return lookup


def install_keras_hook() -> bool:
    """Makes `keras.saving.load_model` (and any Keras deserialization) report a
    missing kerasgan class with `MissingClassError`; returns whether the hook
    is in place. Other lookups are unchanged. Idempotent."""
    try:
        from keras.src.saving import serialization_lib
    except ImportError:  # pragma: no cover - a Keras without this module
        return False
    retrieve = getattr(serialization_lib, "_retrieve_class_or_fn", None)
    if retrieve is None:  # pragma: no cover - Keras changed its internals
        return False
    if getattr(retrieve, "_kerasgan_original", None) is not None:
        return True
    try:
        names = set(inspect.signature(retrieve).parameters)
    except (TypeError, ValueError):  # pragma: no cover
        return False
    if not {"name", "registered_name", "module", "obj_type"} <= names:
        return False  # pragma: no cover - a signature this hook does not know
    serialization_lib._retrieve_class_or_fn = _kerasgan_lookup(retrieve)
    return True


install_keras_hook()
