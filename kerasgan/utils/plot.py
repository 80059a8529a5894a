"""Training curves as PNG line plots, drawn with matplotlib (the `plots` extra).

`render_curves({"d_loss": [...], "g_loss": [...]})` returns a uint8 RGB image; `save_curves`
writes it as a PNG, atomically. Point `i` of every series is drawn at x = `x_start + i` (epochs
count from 1 by default); NaN and infinite values are skipped and break the line.

matplotlib is imported when a plot is drawn, never by `import kerasgan`; without it both
functions raise an `ImportError` that says how to install it (`pip install 'kerasgan[plots]'`).
The figure is drawn with the Agg canvas directly, not through `pyplot`, so no window, GUI
backend or global figure state is involved.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kerasgan._typing import StrPath
from kerasgan.utils.image_grid import write_png

__all__ = ["COLORS", "render_curves", "save_curves"]

# Series colours (matplotlib's tab10), in order; series past the tenth reuse them.
COLORS = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)  # fmt: skip
_LEGENDS = ("upper right", "upper left", "lower right", "lower left")
_DPI = 100
_MARKERS_BELOW = 30  # series with fewer values get a marker on every point
_LIMIT = float(np.finfo("float64").max) / 8  # matplotlib's axis arithmetic overflows beyond


def _matplotlib() -> tuple[Any, Any, Any]:
    """(Figure, FigureCanvasAgg, MaxNLocator), or an ImportError that says what to install."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError as e:
        if (e.name or "matplotlib").partition(".")[0] != "matplotlib":
            raise  # installed but broken (a dependency is missing): its own error says which
        raise ImportError(
            "Loss curves are drawn with matplotlib, which is not installed: "
            "pip install 'kerasgan[plots]' (or pip install matplotlib).",
            name="matplotlib",
        ) from None
    return Figure, FigureCanvasAgg, MaxNLocator


def _check_series(series: Any) -> dict[str, np.ndarray]:
    if not isinstance(series, dict):
        raise TypeError(f"series must be a dict of name -> list of numbers; got {type(series)}.")
    if not series:
        raise ValueError("render_curves needs at least one series; got an empty dict.")
    out = {}
    for name, values in series.items():
        arr = np.asarray(values, dtype="float64")
        if arr.ndim != 1:
            raise ValueError(f"Series {name!r} must be 1-D; got shape {arr.shape}.")
        out[str(name)] = arr
    return out


def _y_limits(data: dict[str, np.ndarray]) -> tuple[float, float]:
    """All finite values with a 5% margin; a flat or empty plot gets a range around its value."""
    finite = np.concatenate([v[np.isfinite(v)] for v in data.values()])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi == lo:
        half = abs(lo) * 0.1 if lo else 1.0
        lo, hi = lo - half, hi + half
    margin = 0.1 * (hi / 2 - lo / 2)  # 5% of hi - lo, which may overflow
    lo, hi = lo - margin, hi + margin
    return max(lo, -_LIMIT), min(hi, _LIMIT)


def render_curves(
    series: dict[str, list[float]],
    width: int = 640,
    height: int = 400,
    title: str | None = None,
    xlabel: str | None = "epoch",
    legend: str | None = "best",
    x_start: int = 1,
) -> np.ndarray:
    """Draws `series` (name -> values) as a line plot: uint8 RGB of shape (height, width, 3).

    Value `i` of each series sits at x = `x_start + i`. The y range spans all finite values with a
    5% margin. Non-finite values are skipped and break the line (a value with no finite neighbour
    gets a marker); series with fewer than 30 values get markers. `legend` is "best" (where it
    covers the least, as matplotlib decides), one of "upper right", "upper left", "lower right",
    "lower left", or None for no legend. Series with no finite value draw nothing and are listed
    in the legend as "(no data)". Text is shown as written (no `$...$` math).

    Needs matplotlib (`pip install 'kerasgan[plots]'`); without it raises `ImportError`.
    """
    data = _check_series(series)
    width, height = int(width), int(height)
    if width < 200 or height < 150:
        raise ValueError(f"The image must be at least 200x150 pixels; got {width}x{height}.")
    if legend is not None and legend != "best" and legend not in _LEGENDS:
        raise ValueError(f"legend must be 'best', one of {_LEGENDS}, or None; got {legend!r}.")
    Figure, FigureCanvasAgg, MaxNLocator = _matplotlib()

    # A little over the size in inches, so that rounding never loses a pixel row or column.
    fig = Figure(figsize=((width + 0.01) / _DPI, (height + 0.01) / _DPI), dpi=_DPI)
    canvas = FigureCanvasAgg(fig)
    fig.set_layout_engine("constrained")
    ax = fig.add_subplot()
    handles, labels = [], []
    for k, (name, values) in enumerate(data.items()):
        ok = np.isfinite(values)
        lonely = ok & ~np.r_[False, ok[:-1]] & ~np.r_[ok[1:], False]
        (line,) = ax.plot(
            np.arange(x_start, x_start + len(values)),
            np.where(ok, np.clip(values, -_LIMIT, _LIMIT), np.nan),
            color=np.array(COLORS[k % len(COLORS)]) / 255,
            linewidth=1.8,
            marker="o",
            markersize=4 if len(values) < _MARKERS_BELOW else 2.5,
            markevery=list(ok if len(values) < _MARKERS_BELOW else lonely),
        )
        handles.append(line)
        labels.append(name if ok.any() else f"{name} (no data)")
    n = max(max(len(v) for v in data.values()), 1)
    if n == 1:
        ax.set_xlim(x_start - 1, x_start + 1)
    ax.set_ylim(*_y_limits(data))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.grid(True, color="#e8e8e8", linewidth=0.8)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, parse_math=False)
    if xlabel:
        ax.set_xlabel(xlabel, parse_math=False)
    if legend is not None:
        # handles and labels given explicitly: a name starting with "_" is still listed
        for text in ax.legend(handles, labels, loc=legend, fontsize="small").get_texts():
            text.set_parse_math(False)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return np.ascontiguousarray(rgba[:height, :width, :3])


def save_curves(series: dict[str, list[float]], path: StrPath, **kwargs: Any) -> str:
    """Writes `render_curves(series, **kwargs)` as a PNG, atomically; returns the path.

    Needs matplotlib (`pip install 'kerasgan[plots]'`); without it raises `ImportError` and
    writes nothing.
    """
    return write_png(render_curves(series, **kwargs), path)
