"""Griffe extension for the API reference: doctest lines as code blocks.

kerasgan's docstrings show usage as `>>>` lines, often under an `Example:`
heading, which the Google-style parser keeps as Markdown text, where a
leading `>` starts a block quote. This extension wraps every run of lines
that starts with a `>>>` prompt in a fenced `pycon` block, keeping its
indentation, so the examples render as code. It changes only what the
documentation shows, never the source.

Loaded by mkdocstrings through `extensions:` in mkdocs.yml.
"""

from __future__ import annotations

import re

import griffe

#: A Google-style section header such as `Example:` or `Args:`.
_SECTION = re.compile(r"^\s*[A-Z][A-Za-z ]*:\s*$")


def fence_doctests(text: str) -> str:
    """Wraps each run of non-blank lines starting at a `>>>` line in ```pycon fences."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if not stripped.startswith(">>>"):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(stripped)]
        block = []
        while i < len(lines) and lines[i].strip():
            current = lines[i]
            # a line indented less than the prompt ends the example
            if len(current) - len(current.lstrip()) < len(indent):
                break
            block.append(current[len(indent) :])
            i += 1
        # a fence needs a blank line before it, except right under a section
        # header, where a blank line would end the section
        if out and out[-1].strip() and not _SECTION.match(out[-1]):
            out.append("")
        out.append(f"{indent}```pycon")
        out.extend(f"{indent}{b}" if b else "" for b in block)
        out.append(f"{indent}```")
        if i < len(lines) and lines[i].strip():
            out.append("")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fences `>>>` examples in every docstring griffe reads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
