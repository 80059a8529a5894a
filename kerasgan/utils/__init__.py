"""Small helpers: image grids, loss curves, atomic writes."""

from kerasgan.utils.files import write_atomically
from kerasgan.utils.image_grid import make_grid, save_grid, write_png
from kerasgan.utils.plot import render_curves, save_curves
from kerasgan.utils.versions import library_versions

__all__ = [
    "library_versions",
    "make_grid",
    "render_curves",
    "save_curves",
    "save_grid",
    "write_atomically",
    "write_png",
]
