"""Writes docs/troubleshooting.md: every error message kerasgan raises, by topic.

The messages are read from the source with Python's `ast` module: the string
(or f-string) given to each `raise SomeError(...)` in `kerasgan/`, with every
`{placeholder}` shown as `...`. Messages built by a helper function or in a
local variable are followed one step. The topic of a message comes from its
file and function; the "what to do" text of each topic is written here.

Run from the repository root after changing an error message:

    .venv/bin/python docs/gen_troubleshooting.py
"""

from __future__ import annotations

import argparse
import ast
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kerasgan"
OUTPUT = ROOT / "docs" / "troubleshooting.md"
PLACEHOLDER = "..."

#: Exceptions that are not errors a user sees: abstract methods, attribute
#: lookups, private exceptions caught inside kerasgan.
SKIPPED_EXCEPTIONS = {"NotImplementedError", "AttributeError", "StopIteration"}

#: (title, what to do) per topic, in page order.
TOPICS = {
    "images": (
        "Training images and shapes",
        "`fit`, `evaluate` and the metrics check the images before the first step. They "
        "must be a float batch of shape `(batch, height, width, channels)`, channels last, "
        "scaled to [-1, 1] (the generators end in `tanh`). Scale 0-255 data with "
        "`images.astype('float32') / 127.5 - 1` (or load it with `kerasgan.data`, which "
        "scales for you), add a channel axis with `images[..., None]`, transpose "
        "channels-first data, and build the model for the image shape you train on.",
    ),
    "labels": (
        "Labels and conditional models",
        "Conditional variants (`cgan`, `acgan`, `cgan_projection`, or any variant with "
        "`num_classes`) need one integer class id per image in `[0, num_classes)`: "
        "`fit(images, labels)` or a dataset of `(images, labels)`. Unconditional variants "
        "take images only. Turn one-hot labels into ids with `labels.argmax(-1)`.",
    ),
    "model": (
        "Creating a model: variants, networks and arguments",
        "`kerasgan.list_variants()` lists the registered variants; `kerasgan.create(name, "
        "image_shape=..., **overrides)` takes the `GANModel` arguments and the keyword "
        "arguments of the variant's network builders (the message lists the valid ones). "
        "Networks you pass must fit together: the generator's output shape is the "
        "discriminator's input shape, and a conditional model's networks take "
        "`[inputs, labels]`.",
    ),
    "training": (
        "compile, fit and generate",
        "Call `compile()` before `fit` (without arguments it uses the variant's optimizers); "
        "`compile` takes `d_optimizer=` and `g_optimizer=`, not Keras' `optimizer`/`loss`. "
        "`generate(n, labels=..., seed=...)` takes a positive `n`, and labels only for a "
        "conditional model.",
    ),
    "backends": (
        "Backends and devices",
        "`jit_compile=True` needs XLA: TensorFlow or JAX (PyTorch runs eagerly, use "
        '`jit_compile="auto"`). `tf.distribute` strategies work on the TensorFlow backend, '
        "`keras.distribution.DataParallel` on JAX; PyTorch trains on one device. See "
        "[Backends](backends.md).",
    ),
    "data": (
        "Datasets (`kerasgan.data`)",
        "`kerasgan.data.load` reads a folder of images (one sub-folder per class gives "
        "labels), a `.npz` file, a folder of MNIST-style IDX files, a dataset with a local "
        "copy (`fashion_mnist`: `apt-get install dataset-fashion-mnist`) or a "
        "tensorflow-datasets name. When nothing can be read, the error lists what was "
        "tried and how to fix each.",
    ),
    "saving": (
        "Saving and loading models",
        "Load `.keras` files with `kerasgan.load_model` (or `keras.saving.load_model`). A "
        "file saved from a plugin variant or a class defined in a script needs that class "
        "registered first: import the module or install the plugin. A truncated or corrupt "
        "file must be replaced; saving writes beside the target and renames, so the "
        "previous checkpoint survives a failed save.",
    ),
    "zoo": (
        "Zoo presets",
        "`kerasgan.zoo.list()` names the presets found in `$KERASGAN_ZOO`, the checkout's "
        "`zoo/` and `<prefix>/share/kerasgan/zoo`. A preset whose files do not match their "
        "recorded sha256 was modified or damaged: restore it (e.g. `git checkout zoo/`) or "
        "re-create it with `kerasgan.zoo.save`.",
    ),
    "metrics": (
        "Metrics and feature networks",
        "FID, KID, precision/recall and IS need a feature network: "
        '`"fashion-mnist-classifier"` (shipped), a classifier `.keras` file or folder, or '
        '`"inception"`, whose ImageNet weights kerasgan never downloads: copy them into '
        "Keras' cache or pass a weights file (see [Metrics](metrics.md)).",
    ),
    "callbacks": (
        "Callbacks",
        "Check the callback's arguments against [Callbacks](callbacks.md). A "
        "`DivergenceError` means a loss or weight became NaN/Inf: the message names the "
        "epoch, the step and the last good checkpoint.",
    ),
    "augment": (
        "Augmentation (DiffAugment, ADA)",
        "`diffaugment=` takes a comma-separated policy of `color`, `translation`, `cutout`; "
        "`ada=` the group letters `b`, `g`, `c`. A model uses one of the two.",
    ),
    "cli": (
        "Command line",
        "The `kerasgan` command prints a user mistake as one line, `kerasgan: error: "
        "...`, and exits with status 2 (a `DivergenceError` in `train`: status 3). The "
        "messages of the library calls it makes (the sections above) appear the same way. "
        "`kerasgan COMMAND --help` lists the options.",
    ),
    "utils": (
        "Sample grids and plots (`kerasgan.utils`)",
        "`make_grid` / `save_grid` take images of shape `(N, H, W, C)` in [-1, 1] with 1, 3 "
        "or 4 channels; `write_png` a uint8 `(H, W, C)` image. `render_curves` / "
        "`save_curves` take a dict of name -> 1-D list of numbers and draw with matplotlib: "
        "`pip install 'kerasgan[plots]'` (`LossCurves` and `kerasgan train` go on without it, "
        "writing `history.json` only).",
    ),
    "other": (
        "Other",
        "Messages of helpers not covered by the sections above.",
    ),
}

#: Topic by file (the first prefix that matches), before the function rules.
FILE_TOPICS = [
    ("kerasgan/cli.py", "cli"),
    ("kerasgan/data/", "data"),
    ("kerasgan/zoo/", "zoo"),
    ("kerasgan/metrics/", "metrics"),
    ("kerasgan/callbacks/", "callbacks"),
    ("kerasgan/saving.py", "saving"),
    ("kerasgan/utils/files.py", "saving"),
    ("kerasgan/augment.py", "augment"),
    ("kerasgan/ada.py", "augment"),
    ("kerasgan/backend/", "backends"),
    ("kerasgan/validation.py", "images"),
    ("kerasgan/registry.py", "model"),
    ("kerasgan/factory.py", "model"),
    ("kerasgan/variants/", "model"),
    ("kerasgan/architectures/", "model"),
    ("kerasgan/penalties.py", "model"),
    ("kerasgan/losses.py", "model"),
    ("kerasgan/conditioning.py", "labels"),
    ("kerasgan/gan_model.py", "model"),
    ("kerasgan/utils/", "utils"),
]

#: Functions of gan_model.py whose messages are about compile, fit or generate.
TRAINING_FUNCTIONS = {
    "compile",
    "_make_optimizer",
    "fit",
    "_assert_compiled",
    "generate",
    "_generation_labels",
    "_generation_step",
    "call",
    "generator_objective",
}

#: Files where a message that mentions labels stays in its file's topic.
OWN_LABEL_TOPICS = {"cli", "data", "zoo", "metrics", "callbacks", "saving"}


def _literal(node: ast.AST, scope: Scope) -> str | None:
    """The text of a string expression, with `...` for what is computed."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append(PLACEHOLDER)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, scope), _literal(node.right, scope)
        if left is None and right is None:
            return None
        return (left if left is not None else PLACEHOLDER) + (
            right if right is not None else PLACEHOLDER
        )
    if isinstance(node, ast.Name):
        return scope.resolve(node.id)
    if isinstance(node, ast.Call):
        func = node.func
        # "...".strip() and the like: the string itself
        if isinstance(func, ast.Attribute) and func.attr in ("strip", "rstrip", "lstrip"):
            return _literal(func.value, scope)
        # "\n".join(lines): the items of the list `lines`, joined
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "join"
            and isinstance(func.value, ast.Constant)
            and node.args
        ):
            items = scope.list_items(node.args[0])
            if items:
                return func.value.value.join(items)
            return None
        # a helper of this module that builds the message
        if isinstance(func, ast.Name):
            return scope.helper_message(func.id)
    return None


class Scope:
    """Names a raise statement can see: its function's locals, its module's constants
    and functions."""

    def __init__(self, module: ast.Module, function: ast.AST | None):
        self.module = module
        self.function = function

    def _assignments(self, tree: ast.AST | None, name: str) -> list:
        if tree is None:
            return []
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        found.append(node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                if isinstance(node.target, ast.Name) and node.target.id == name:
                    found.append(node.value)
        return found

    def resolve(self, name: str) -> str | None:
        local = self._assignments(self.function, name)
        if local:
            texts = {_literal(v, Scope(self.module, None)) for v in local}
            # one value, or several that differ: then a placeholder
            return texts.pop() if len(texts) == 1 else PLACEHOLDER
        for node in self.module.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                return _literal(node.value, Scope(self.module, None))
        return None

    def list_items(self, node: ast.AST) -> list[str]:
        values = [node]
        if isinstance(node, ast.Name):
            values = self._assignments(self.function, node.id)
        items = []
        for value in values[-1:]:
            if not isinstance(value, ast.List):
                return []
            for element in value.elts:
                if isinstance(element, ast.Starred):
                    inner = element.value
                    if isinstance(inner, (ast.GeneratorExp, ast.ListComp)):
                        text = _literal(inner.elt, self)
                        items.append(text if text is not None else PLACEHOLDER)
                    else:
                        items.append(PLACEHOLDER)
                else:
                    text = _literal(element, self)
                    items.append(text if text is not None else PLACEHOLDER)
        return items

    def helper_message(self, name: str) -> str | None:
        for node in self.module.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                texts = []
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Return) and sub.value is not None:
                        text = _literal(sub.value, Scope(self.module, node))
                        if text:
                            texts.append(text)
                return texts[-1] if texts else None
        return None


def _exception_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"(\.\.\.)(\s*\.\.\.)+", r"\1", text)  # neighbouring placeholders
    return text


def _topic(path: str, function: str, message: str) -> str:
    topic = "other"
    for prefix, name in FILE_TOPICS:
        if path.startswith(prefix):
            topic = name
            break
    if path == "kerasgan/gan_model.py" and function in TRAINING_FUNCTIONS:
        topic = "training"
    lowered = message.lower()
    if topic not in OWN_LABEL_TOPICS and ("label" in lowered or "num_classes" in lowered):
        topic = "labels"
    return topic


def collect(package: pathlib.Path = PACKAGE) -> list[dict]:
    """Every `raise X("message")` in the package: exception, message, file, function."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.name.startswith("_") and path.name != "__init__.py":
            continue  # private modules: their errors reach users through public ones
        relative = path.relative_to(package.parent).as_posix()
        module = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        _visit(module, module, None, None, relative, found)
    return found


def _visit(node, module, function, function_name, relative, found) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _visit(child, module, child, child.name, relative, found)
            continue
        if isinstance(child, ast.Raise) and isinstance(child.exc, ast.Call):
            _record(child, module, function, function_name, relative, found)
        _visit(child, module, function, function_name, relative, found)


def _record(raise_node, module, function, function_name, relative, found) -> None:
    call = raise_node.exc
    exception = _exception_name(call.func)
    if exception is None or exception.startswith("_") or exception in SKIPPED_EXCEPTIONS:
        return
    if not call.args:
        return
    text = _literal(call.args[0], Scope(module, function))
    if text is None:
        text = _init_message(module, exception)
    if text is None:
        return
    text = _clean(text)
    if not text.replace(PLACEHOLDER, "").strip(" .:;,-"):
        return  # nothing but placeholders: the message of another error, passed on
    found.append(
        {
            "exception": exception,
            "message": text,
            "file": relative,
            "function": function_name,
            "line": raise_node.lineno,
            "topic": _topic(relative, function_name or "", text),
        }
    )


def _init_message(module: ast.Module, exception: str) -> str | None:
    """The message an exception class of this module builds in its `__init__`:
    `super().__init__(message)`."""
    for node in module.body:
        if isinstance(node, ast.ClassDef) and node.name == exception:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    for sub in ast.walk(item):
                        if (
                            isinstance(sub, ast.Call)
                            and isinstance(sub.func, ast.Attribute)
                            and sub.func.attr == "__init__"
                            and sub.args
                        ):
                            return _literal(sub.args[0], Scope(module, item))
    return None


def _code(text: str) -> str:
    """`text` as a Markdown code span."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" or text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def render(entries: list[dict]) -> str:
    lines = [
        "# Troubleshooting",
        "",
        "<!-- Generated from the raise statements in kerasgan/ by docs/gen_troubleshooting.py;",
        "     do not edit by hand: run `.venv/bin/python docs/gen_troubleshooting.py`. -->",
        "",
        "Every error message kerasgan raises, grouped by topic, with what to do about it. "
        "`...` stands for a value filled in at run time (a shape, a name, a path). The "
        "messages say what was expected, what was given and, where there is one, the fix.",
        "",
        f"{len(entries)} messages from {len({e['file'] for e in entries})} source files.",
        "",
    ]
    for key, (title, advice) in TOPICS.items():
        group = [e for e in entries if e["topic"] == key]
        if not group:
            continue
        lines += [f"## {title}", "", f"**What to do.** {advice}", ""]
        seen = {}
        for entry in group:
            seen.setdefault((entry["exception"], entry["message"]), []).append(entry)
        for (exception, message), where in seen.items():
            places = ", ".join(
                sorted(
                    {
                        f"`{e['file']}`" + (f" ({e['function']})" if e["function"] else "")
                        for e in where
                    }
                )
            )
            lines.append(f"- **{exception}**: {_code(message)}  ")
            lines.append(f"  <small>{places}</small>")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    parser.add_argument("-o", "--output", default=str(OUTPUT))
    args = parser.parse_args(argv)
    text = render(collect())
    output = pathlib.Path(args.output)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{output} is out of date: run python docs/gen_troubleshooting.py")
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
