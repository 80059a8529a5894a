"""One version, in kerasgan/version.py: the package metadata, kerasgan.__version__ and
the changelog agree."""

from __future__ import annotations

import importlib.metadata
import os
import re

import pytest

import kerasgan

ROOT = os.path.join(os.path.dirname(__file__), "..")


def test_metadata_and_module_agree():
    assert importlib.metadata.version("kerasgan") == kerasgan.__version__
    assert re.fullmatch(r"0\.\d+\.\d+", kerasgan.__version__)  # 0.x: see CHANGELOG.md


def test_changelog_has_the_version_and_an_unreleased_section():
    with open(os.path.join(ROOT, "CHANGELOG.md"), encoding="utf-8") as f:
        text = f.read()
    headings = re.findall(r"^## \[([^\]]+)\](.*)$", text, flags=re.M)
    names = [name for name, _ in headings]
    assert names[0] == "Unreleased", names
    assert kerasgan.__version__ in names, (kerasgan.__version__, names)
    for name, rest in headings[1:]:  # released versions carry their date
        assert re.search(r"\d{4}-\d{2}-\d{2}", rest), (name, rest)


def test_the_command_prints_the_version(capsys):
    from kerasgan import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"kerasgan {kerasgan.__version__}"
