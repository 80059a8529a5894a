"""Small helpers: image grids."""

from kerasgan.utils.image_grid import make_grid, save_grid

__all__ = ["make_grid", "save_grid"]
