"""Quiet TensorFlow logging for the `kerasgan` command, never for `import kerasgan`.

TensorFlow's C++ core writes log lines to the process's stderr (file
descriptor 2). Some come while TensorFlow is imported, before it reads
`TF_CPP_MIN_LOG_LEVEL` (absl's "WARNING: All log messages before
absl::InitializeLog() is called ...", oneDNN's "custom operations are on",
"Could not find cuda drivers", twice, as two of its libraries load); later
ones (e.g. "failed call to cuInit") follow that variable. The variable only
hides, it changes no computation (`TF_ENABLE_ONEDNN_OPTS`, which does, is left
alone).

In the `kerasgan` command (its console script or `python -m kerasgan`), and
only there, `quiet_imports` sets `TF_CPP_MIN_LOG_LEVEL` to `COMMAND_LEVEL`
unless the user set it, and imports with descriptor 2 pointed at a temporary
file, then writes back everything but TensorFlow's log lines below that level.
`TF_CPP_MIN_LOG_LEVEL=0 kerasgan ...` shows them all. A program that imports
kerasgan gets TensorFlow's defaults: nothing here runs for it.

This module imports nothing heavy: it runs before Keras is imported.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
#: TensorFlow's C++ log lines below FATAL are hidden in the command: the
#: command reports what went wrong itself (TensorFlow's errors reach Python as
#: exceptions), and on a machine without a GPU the ERROR lines are noise
#: ("failed call to cuInit").
COMMAND_LEVEL = "3"
PACKAGE = "kerasgan"

#: A glog-style line: severity letter, MMDD, time, thread id, file:line].
_LOG_LINE = re.compile(rb"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\s:\]]+:\d+\] ")
_SEVERITY = {b"I": 0, b"W": 1, b"E": 2, b"F": 3}
#: absl's notice before its first log line; a warning.
_ABSL_NOTICE = b"WARNING: All log messages before absl::InitializeLog() is called"
#: The second line of TensorFlow's cpu_feature_guard message.
_CONTINUATION = b"To enable the following instructions:"


def started_as_command() -> bool:
    """Whether this process is the `kerasgan` command: its console script, or
    `python -m kerasgan` (or `kerasgan.cli`); never a program or test that
    imports kerasgan."""
    args = list(getattr(sys, "orig_argv", None) or [])[1:]
    i = 0
    while i < len(args):  # the interpreter's own options, up to -m, -c or a script
        arg = args[i]
        if arg == "-m":
            return args[i + 1 : i + 2] in ([PACKAGE], [f"{PACKAGE}.cli"])
        if arg.startswith("-m"):
            return arg[2:] in (PACKAGE, f"{PACKAGE}.cli")
        if arg in ("-c", "-") or not arg.startswith("-"):
            break
        i += 2 if arg in ("-X", "-W", "--check-hash-based-pycs") else 1
    script = getattr(sys.modules.get("__main__"), "__file__", None)
    if not isinstance(script, str):
        return False
    name, folder = os.path.basename(script), os.path.basename(os.path.dirname(script))
    return name == PACKAGE or folder.lower() == f"{PACKAGE}.exe"  # pip's Windows launcher


def _level() -> int:
    try:
        return int(os.environ.get(LEVEL_VARIABLE, "0"))
    except ValueError:
        return 0


def filter_log_lines(text: bytes, level: int) -> bytes:
    """`text` without TensorFlow's C++ log lines of a severity below `level`
    (0 INFO, 1 WARNING, 2 ERROR, 3 FATAL) and absl's notice before them."""
    kept, dropping = [], False
    for line in text.splitlines(keepends=True):
        match = _LOG_LINE.match(line)
        if match:
            dropping = _SEVERITY[match.group(1)] < level
        elif line.startswith(_ABSL_NOTICE):
            dropping = level >= 1  # it only introduces the lines that follow
        elif not (dropping and line.startswith(_CONTINUATION)):
            dropping = False
        if not dropping:
            kept.append(line)
    return b"".join(kept)


@contextlib.contextmanager
def _filtered_stderr(level: int) -> Iterator[None]:
    """Descriptor 2 goes to a temporary file inside the block; afterwards the
    file, less the log lines below `level`, is written to the real stderr."""
    stream = sys.stderr
    try:
        if stream is not None:
            stream.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no stderr to filter
        yield
        return
    try:
        capture = tempfile.TemporaryFile()
    except OSError:
        os.close(saved)
        yield
        return
    with capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            rest = filter_log_lines(capture.read(), level)
            while rest:
                rest = rest[os.write(2, rest) :]


def quiet_imports(*modules: str) -> None:
    """Imports `modules` (e.g. "keras", which imports TensorFlow on its backend)
    with TensorFlow's import-time log lines hidden, after setting
    `TF_CPP_MIN_LOG_LEVEL` to `COMMAND_LEVEL` unless the user set it. For the
    `kerasgan` command only: callers check `started_as_command()`."""
    os.environ.setdefault(LEVEL_VARIABLE, COMMAND_LEVEL)
    todo = [name for name in modules if name not in sys.modules]
    if not todo:
        return
    level = _level()
    if level <= 0:
        for name in todo:
            importlib.import_module(name)
        return
    with _filtered_stderr(level):
        for name in todo:
            importlib.import_module(name)
