"""Training curves as PNG line plots, drawn with numpy alone (no plotting library).

`render_curves({"d_loss": [...], "g_loss": [...]})` returns a uint8 RGB image; `save_curves`
writes it as a PNG. Point `i` of every series is drawn at x = `x_start + i` (epochs count from 1
by default); NaN and infinite values are skipped and break the line.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from kerasgan.utils.files import write_atomically
from kerasgan.utils.image_grid import encode_png

__all__ = ["COLORS", "render_curves", "save_curves"]

# Series colours (matplotlib's tab10), in order; series past the tenth reuse them.
COLORS = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
)  # fmt: skip
_WHITE, _INK, _FRAME = (255, 255, 255), (34, 34, 34), (0, 0, 0)
_GRID, _LEGEND_EDGE = (232, 232, 232), (170, 170, 170)
_LEGENDS = ("upper right", "upper left", "lower right", "lower left")

# A 5x7 pixel font: rows top to bottom, "#" lit; row 6 is the baseline row. Glyphs with
# descenders have 9 rows. Empty columns are trimmed, so the text is proportional.
_FONT_ROWS = {
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    "a": "..... ..... .###. ....# .#### #...# .####",
    "b": "#.... #.... #.##. ##..# #...# #...# ####.",
    "c": "..... ..... .###. #.... #.... #...# .###.",
    "d": "....# ....# .##.# #..## #...# #...# .####",
    "e": "..... ..... .###. #...# ##### #.... .###.",
    "f": "..##. .#... ###.. .#... .#... .#... .#...",
    "g": "..... ..... .#### #...# #...# #...# .#### ....# .###.",
    "h": "#.... #.... #.##. ##..# #...# #...# #...#",
    "i": "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",
    "j": "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..",
    "k": "#.... #.... #..#. #.#.. ##... #.#.. #..#.",
    "l": ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "m": "..... ..... ##.#. #.#.# #.#.# #...# #...#",
    "n": "..... ..... #.##. ##..# #...# #...# #...#",
    "o": "..... ..... .###. #...# #...# #...# .###.",
    "p": "..... ..... ####. #...# #...# #...# ####. #.... #....",
    "q": "..... ..... .#### #...# #...# #...# .#### ....# ....#",
    "r": "..... ..... #.##. ##..# #.... #.... #....",
    "s": "..... ..... .#### #.... .###. ....# ####.",
    "t": ".#... .#... ###.. .#... .#... .#..# ..##.",
    "u": "..... ..... #...# #...# #...# #..## .##.#",
    "v": "..... ..... #...# #...# #...# .#.#. ..#..",
    "w": "..... ..... #...# #...# #.#.# #.#.# .#.#.",
    "x": "..... ..... #...# .#.#. ..#.. .#.#. #...#",
    "y": "..... ..... #...# #...# #...# #...# .#### ....# .###.",
    "z": "..... ..... ##### ...#. ..#.. .#... #####",
    "A": ".###. #...# #...# #...# ##### #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "###.. #..#. #...# #...# #...# #..#. ###..",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "_": "..... ..... ..... ..... ..... ..... ..... #####",
    "-": "..... ..... ..... .###. ..... ..... .....",
    ".": "..... ..... ..... ..... ..... ##... ##...",
    ",": "..... ..... ..... ..... ..... .##.. .##.. ..#.. .#...",
    ":": "..... ##... ##... ..... ##... ##... .....",
    "/": "..... ....# ...#. ..#.. .#... #.... .....",
    "(": "..#.. .#... #.... #.... #.... .#... ..#..",
    ")": "#.... .#... ..#.. ..#.. ..#.. .#... #....",
    "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    "=": "..... ..... ##### ..... ##### ..... .....",
    "\0": "..... ####. #..#. #..#. #..#. #..#. ####.",  # stands in for unknown characters
}


def _parse_glyph(rows: str) -> np.ndarray:
    bits = np.array([[c == "#" for c in row] for row in rows.split()])
    cols = np.flatnonzero(bits.any(axis=0))
    return bits[:, cols[0] : cols[-1] + 1]


_FONT = {ch: _parse_glyph(rows) for ch, rows in _FONT_ROWS.items()}
_FONT[" "] = np.zeros((7, 2), bool)
_CAP, _LINE = 7, 9  # cap height and line height (with descenders), in font pixels


def _text_mask(text: str, scale: int = 1) -> np.ndarray:
    glyphs = [_FONT.get(ch, _FONT["\0"]) for ch in text]
    mask = np.zeros((_LINE, max(sum(g.shape[1] + 1 for g in glyphs) - 1, 0)), bool)
    x = 0
    for g in glyphs:
        mask[: g.shape[0], x : x + g.shape[1]] = g
        x += g.shape[1] + 1
    return mask.repeat(scale, axis=0).repeat(scale, axis=1)


def _text_width(text: str, scale: int = 1) -> int:
    return _text_mask(text, scale).shape[1]


def _draw_text(img, text, x, y, color, scale=1, ha="left", va="top") -> None:
    """Draws `text` with its (ha, va) anchor at (x, y); va "center" centres the cap height."""
    mask = _text_mask(text, scale)
    x -= {"left": 0, "center": mask.shape[1] // 2, "right": mask.shape[1]}[ha]
    y -= {"top": 0, "center": _CAP * scale // 2, "bottom": _CAP * scale}[va]
    y0, x0 = max(y, 0), max(x, 0)
    y1, x1 = min(y + mask.shape[0], img.shape[0]), min(x + mask.shape[1], img.shape[1])
    if y1 > y0 and x1 > x0:
        img[y0:y1, x0:x1][mask[y0 - y : y1 - y, x0 - x : x1 - x]] = color


def _stamp(img, ys, xs, color, offsets, clip) -> None:
    """Sets the pixels at (ys + dy, xs + dx) for each offset, inside `clip` (t, b, l, r)."""
    top, bottom, left, right = clip
    for dy, dx in offsets:
        yy, xx = np.asarray(ys) + dy, np.asarray(xs) + dx
        keep = (yy >= top) & (yy <= bottom) & (xx >= left) & (xx <= right)
        img[yy[keep], xx[keep]] = color


_PEN = [(0, 0), (0, 1), (1, 0), (1, 1)]  # a 2 px thick line
_DOT = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4) if dy * dy + dx * dx <= 10]


def _line(img, y0, x0, y1, x1, color, clip) -> None:
    n = int(math.ceil(max(abs(y1 - y0), abs(x1 - x0)))) + 1
    t = np.linspace(0.0, 1.0, n + 1)
    ys = np.rint(y0 + (y1 - y0) * t).astype(int)
    xs = np.rint(x0 + (x1 - x0) * t).astype(int)
    _stamp(img, ys, xs, color, _PEN, clip)


def _nice_ticks(lo: float, hi: float, integer: bool = False) -> tuple[list[float], float]:
    """3 to 6 round ticks in [lo, hi] (fewer only for short integer ranges) and their step."""
    if hi <= lo:
        return [lo], 1.0
    best = None
    exponent = math.floor(math.log10(hi - lo))
    for p in range(exponent - 2, exponent + 2):
        for m in (1, 2, 2.5, 5):
            step = m * 10.0**p
            if integer and (step < 1 or step != int(step)):
                continue
            k0, k1 = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            key = (abs(k1 - k0 + 1 - 5), -step)
            if 3 <= k1 - k0 + 1 <= 6 and (best is None or key < best[0]):
                best = (key, step, k0, k1)
    if best is None:  # only short integer ranges get here
        return [float(k) for k in range(math.ceil(lo), math.floor(hi) + 1)], 1.0
    _, step, k0, k1 = best
    return [k * step for k in range(k0, k1 + 1)], step


def _tick_labels(values: list[float], step: float) -> list[str]:
    """As many decimals as the step needs; scientific notation when that gets long."""
    values = [0.0 if abs(v) < step * 1e-6 else v for v in values]  # no "-0.0"
    decimals = 0
    while decimals < 12 and abs(round(step, decimals) - step) > step * 1e-6:
        decimals += 1
    labels = [f"{v:.{decimals}f}" for v in values]
    if max(abs(v) for v in values) < 1e6 and max(len(s) for s in labels) <= 10:
        return labels
    for digits in range(12):  # the fewest digits that still place each tick to 1% of a step
        labels = [f"{v:.{digits}e}" if v else "0" for v in values]
        if all(abs(float(s) - v) <= 0.01 * step for s, v in zip(labels, values)):
            break
    return [s.replace("e+0", "e").replace("e-0", "e-").replace("e+", "e") for s in labels]


def _check_series(series) -> dict[str, np.ndarray]:
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
    5% margin. Non-finite values are skipped and break the line; series with fewer than 30 values
    get markers. `legend` is "best" (the emptiest corner), one of "upper right", "upper left",
    "lower right", "lower left", or None for no legend. Series with no finite value draw nothing
    and are listed in the legend as "(no data)".
    """
    data = _check_series(series)
    width, height = int(width), int(height)
    if width < 200 or height < 150:
        raise ValueError(f"The image must be at least 200x150 pixels; got {width}x{height}.")
    if legend is not None and legend != "best" and legend not in _LEGENDS:
        raise ValueError(f"legend must be 'best', one of {_LEGENDS}, or None; got {legend!r}.")
    finite = np.concatenate([v[np.isfinite(v)] for v in data.values()])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi == lo:
        half = abs(lo) * 0.1 if lo else 1.0
        lo, hi = lo - half, hi + half
    lo, hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)
    n = max(max(len(v) for v in data.values()), 1)
    yticks, ystep = _nice_ticks(lo, hi)
    ylabels = _tick_labels(yticks, ystep)
    xticks, _ = _nice_ticks(x_start, x_start + n - 1, integer=True)

    # Layout: the plot box spans rows top..bottom and columns left..right (its frame included).
    top = 16 + (_CAP * 2 + 12 if title else 0)
    bottom = height - 1 - (16 + (_LINE + 6 if xlabel else 0))
    left = 14 + max(_text_width(s) for s in ylabels)
    right = width - 16
    inner = (top + 1, bottom - 1, left + 1, right - 1)

    img = np.full((height, width, 3), _WHITE, "uint8")
    pad = 10

    def x_of(x):
        if n == 1:
            return (left + right) / 2
        return left + pad + (x - x_start) / (n - 1) * (right - left - 2 * pad)

    def y_of(v):
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    for v, label in zip(yticks, ylabels):
        y = int(round(y_of(v)))
        img[y, left + 1 : right] = _GRID
        img[y, left - 4 : left] = _FRAME
        _draw_text(img, label, left - 7, y, _INK, ha="right", va="center")
    for v in xticks:
        x = int(round(x_of(v)))
        img[top + 1 : bottom, x] = _GRID
        img[bottom + 1 : bottom + 5, x] = _FRAME
        _draw_text(img, str(int(v)), x, bottom + 8, _INK, ha="center")
    img[[top, bottom], left : right + 1] = _FRAME
    img[top : bottom + 1, [left, right]] = _FRAME

    for k, values in enumerate(data.values()):
        color = COLORS[k % len(COLORS)]
        ok = np.isfinite(values)
        xs = np.array([x_of(x_start + i) for i in range(len(values))])
        ys = np.where(ok, y_of(np.where(ok, values, lo)), 0.0)
        for i in range(len(values) - 1):
            if ok[i] and ok[i + 1]:
                _line(img, ys[i], xs[i], ys[i + 1], xs[i + 1], color, inner)
        lonely = ok & ~np.r_[False, ok[:-1]] & ~np.r_[ok[1:], False]
        dots = ok if len(values) < 30 else lonely  # markers, or isolated points only
        _stamp(img, np.rint(ys[dots]).astype(int), np.rint(xs[dots]).astype(int), color,
               _DOT if len(values) < 30 else _PEN, inner)  # fmt: skip

    if legend is not None:
        _draw_legend(img, data, legend, inner)
    if title:
        _draw_text(img, title, (left + right) // 2, 14, _INK, scale=2, ha="center")
    if xlabel:
        _draw_text(img, xlabel, (left + right) // 2, bottom + 8 + _LINE + 6, _INK, ha="center")
    return img


def _draw_legend(img, data, where, inner) -> None:
    names = [name if np.isfinite(v).any() else f"{name} (no data)" for name, v in data.items()]
    row, swatch, gap = _LINE + 5, 22, 8
    w = gap + swatch + gap + max(_text_width(s) for s in names) + gap
    h = gap + row * len(names) - 5 + gap
    top, bottom, left, right = inner
    spots = {
        "upper right": (top + gap, right - gap - w + 1),
        "upper left": (top + gap, left + gap),
        "lower right": (bottom - gap - h + 1, right - gap - w + 1),
        "lower left": (bottom - gap - h + 1, left + gap),
    }
    if where == "best":  # the corner covering the fewest drawn pixels

        def used(spot):
            patch = img[max(spot[0], 0) : spot[0] + h, max(spot[1], 0) : spot[1] + w]
            return int(((patch != _WHITE).any(-1) & (patch != _GRID).any(-1)).sum())

        where = min(_LEGENDS, key=lambda k: used(spots[k]))
    y0, x0 = spots[where]
    y0, x0 = max(y0, 0), max(x0, 0)
    img[y0 : y0 + h, x0 : x0 + w] = _WHITE
    img[[y0, y0 + h - 1], x0 : x0 + w] = _LEGEND_EDGE
    img[y0 : y0 + h, [x0, x0 + w - 1]] = _LEGEND_EDGE
    for k, (name, values) in enumerate(zip(names, data.values())):
        y = y0 + gap + k * row + _CAP // 2
        if np.isfinite(values).any():
            color = COLORS[k % len(COLORS)]
            img[y : y + 2, x0 + gap : x0 + gap + swatch] = color
            if len(values) < 30:
                _stamp(img, [y], [x0 + gap + swatch // 2], color, _DOT, inner)
        _draw_text(img, name, x0 + gap + swatch + gap, y, _INK, va="center")


def save_curves(series: dict[str, list[float]], path: str | os.PathLike, **kwargs: Any) -> str:
    """Writes `render_curves(series, **kwargs)` as a PNG, atomically; returns the path."""
    path = os.fspath(path)
    return write_atomically(encode_png(render_curves(series, **kwargs)), path)
