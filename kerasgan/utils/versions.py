"""Library versions recorded with runs, presets and evaluations."""

from __future__ import annotations

import sys


def library_versions() -> dict:
    """Versions of kerasgan and the libraries it runs on."""
    import keras
    import numpy
    import tensorflow

    from kerasgan.version import __version__

    return {
        "kerasgan": __version__,
        "keras": keras.__version__,
        "tensorflow": tensorflow.__version__,
        "numpy": numpy.__version__,
        "python": sys.version.split()[0],
    }
