"""Line plots of training curves (kerasgan.utils.plot)."""

import os

import numpy as np
import pytest
import tensorflow as tf

from kerasgan.utils import plot
from kerasgan.utils.plot import COLORS, render_curves, save_curves

BLUE, ORANGE = COLORS[0], COLORS[1]


def count(img, color):
    return int((img == np.array(color, "uint8")).all(-1).sum())


def pixels(img, color):
    """Rows and columns of the pixels of exactly `color`."""
    return np.nonzero((img == np.array(color, "uint8")).all(-1))


def dark(img):
    return (img < 80).all(-1)


def test_shape_and_dtype():
    img = render_curves({"d_loss": [1.0, 0.8, 0.7]}, width=500, height=300, title="t")
    assert img.shape == (300, 500, 3)
    assert img.dtype == np.uint8
    assert (img == 255).all(-1).mean() > 0.8  # mostly white background


def test_series_colours_appear():
    img = render_curves({"d_loss": [1.0, 0.5, 0.7, 0.2], "g_loss": [0.3, 0.9, 1.2, 1.5]})
    assert count(img, BLUE) > 300
    assert count(img, ORANGE) > 300
    assert count(img, COLORS[2]) == 0


def test_empty_and_all_nan_series_draw_nothing():
    img = render_curves({"gp": [], "r1": [np.nan, np.nan], "fid": [3.0, 2.0, 1.0]})
    assert count(img, COLORS[0]) == 0
    assert count(img, COLORS[1]) == 0
    assert count(img, COLORS[2]) > 200


def test_rising_series_ends_higher():
    values = np.linspace(0.0, 10.0, 50)  # no markers
    img = render_curves({"fid": values}, legend=None)
    rows, cols = pixels(img, BLUE)
    third = img.shape[1] // 3
    left_rows, right_rows = rows[cols < third], rows[cols > 2 * third]
    assert left_rows.size and right_rows.size
    assert right_rows.mean() < left_rows.mean() - 100  # smaller row index = higher up
    falling_rows, falling_cols = pixels(render_curves({"a": values[::-1]}, legend=None), BLUE)
    assert falling_rows[falling_cols > 2 * third].mean() > falling_rows[falling_cols < third].mean()


def test_nan_breaks_the_line():
    values = np.linspace(1.0, 2.0, 40)
    full = render_curves({"d_loss": values}, legend=None)
    values[18:22] = np.nan
    values[30] = np.inf
    gappy = render_curves({"d_loss": values}, legend=None)
    _, full_cols = pixels(full, BLUE)
    _, gap_cols = pixels(gappy, BLUE)
    assert np.diff(np.unique(full_cols)).max() == 1  # continuous without NaNs
    assert np.diff(np.unique(gap_cols)).max() > 40  # five steps of ~14 px are missing
    assert count(gappy, BLUE) < count(full, BLUE)


def test_isolated_point_still_drawn():
    img = render_curves({"r1": [np.nan] * 20 + [1.0] + [np.nan] * 20}, legend=None)
    assert 0 < count(img, BLUE) <= 4


def test_constant_and_single_value_series():
    for values in ([0.5] * 10, [0.0] * 10, [3.0], [-2.0, -2.0]):
        img = render_curves({"gp": values}, legend=None)
        rows, _ = pixels(img, BLUE)
        assert rows.size > 0
        assert np.ptp(rows) <= 7  # flat line (plus markers), vertically centred
        assert abs(rows.mean() - img.shape[0] / 2) < 60


def test_many_series_large_and_tiny_values():
    series = {f"s{k}": np.arange(5) * 10.0**k for k in range(-6, 7, 2)}
    series["neg"] = [-1e-5, 2e-5, -3e-5]
    img = render_curves(series, title="Step (%) + x/y = 1, 2: ok?", xlabel="step")
    assert img.shape == (400, 640, 3)


def test_nice_ticks():
    ticks, step = plot._nice_ticks(0.47, 2.43)
    assert 3 <= len(ticks) <= 6 and step in (0.25, 0.5)
    assert all(0.47 <= t <= 2.43 for t in ticks)
    for lo, hi in [(0, 1), (-3.7, 12.2), (1e-4, 3e-4), (980, 1020), (0.999, 1.001)]:
        ticks, step = plot._nice_ticks(lo, hi)
        assert 3 <= len(ticks) <= 6, (lo, hi, ticks)
        assert len(set(plot._tick_labels(ticks, step))) == len(ticks)  # labels tell ticks apart
    assert plot._nice_ticks(1, 20, integer=True)[0] == [5, 10, 15, 20]
    assert plot._nice_ticks(1, 2, integer=True)[0] == [1, 2]
    assert plot._tick_labels([-0.5, 0.0, 0.5], 0.5) == ["-0.5", "0.0", "0.5"]


def test_text_rendering():
    assert plot._text_mask("d_loss").any()
    assert plot._text_mask("g").shape[0] == 9  # room for descenders
    assert plot._text_width("epoch", 2) == 2 * plot._text_width("epoch")
    unknown, box = plot._text_mask("\u00e9"), plot._text_mask("\0")
    np.testing.assert_array_equal(unknown, box)
    for ch in "0123456789_-.,:/()%+= abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        assert ch in plot._FONT
    distinct = {plot._FONT[ch].tobytes() + bytes(plot._FONT[ch].shape) for ch in plot._FONT}
    assert len(distinct) == len(plot._FONT)


def test_legend_text():
    series = {"d_loss": [2.0, 1.0, 0.5, 0.4], "g_loss": [0.5, 1.0, 1.5, 1.6]}
    without = render_curves(series, legend=None)
    with_legend = render_curves(series, legend="upper right")
    new_dark = dark(with_legend) & ~dark(without)
    h, w = new_dark.shape
    assert new_dark[: h // 3, w // 2 :].sum() > 60  # the names, top right
    assert new_dark[h // 3 :].sum() == 0 and new_dark[:, : w // 2].sum() == 0
    longer = render_curves({"d_loss_longer_name": series["d_loss"]}, legend="upper right")
    short = render_curves({"d": series["d_loss"]}, legend="upper right")
    assert dark(longer).sum() > dark(short).sum()
    with pytest.raises(ValueError, match="legend"):
        render_curves(series, legend="middle")


def test_legend_best_avoids_the_lines():
    series = {"fid": np.linspace(0.0, 1.0, 10)}  # bottom left to top right
    best = render_curves(series, legend="best")
    np.testing.assert_array_equal(best, render_curves(series, legend="upper left"))
    assert not np.array_equal(best, render_curves(series, legend="upper right"))
    falling = {"fid": np.linspace(1.0, 0.0, 10)}  # top left to bottom right
    best = render_curves(falling, legend="best")
    np.testing.assert_array_equal(best, render_curves(falling, legend="upper right"))


def test_title_and_xlabel_add_text():
    series = {"d_loss": [1.0, 2.0]}
    plain = dark(render_curves(series, xlabel=None))
    titled = dark(render_curves(series, title="dcgan on fashion_mnist", xlabel=None))
    labelled = dark(render_curves(series, xlabel="epoch"))
    assert (titled & ~plain)[:40].sum() > 100
    assert (labelled & ~plain)[-30:].sum() > 20


def test_save_curves_writes_png(tmp_path):
    series = {"d_loss": [1.0, 0.6, 0.5], "g_loss": [0.7, 1.1, 1.4]}
    path = tmp_path / "new" / "folder" / "curves.png"
    returned = save_curves(series, path, title="dcgan on fashion_mnist", width=480, height=320)
    assert returned == os.fspath(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = tf.io.decode_png(data, channels=3).numpy()
    expected = render_curves(series, title="dcgan on fashion_mnist", width=480, height=320)
    np.testing.assert_array_equal(decoded, expected)
    assert sorted(os.listdir(path.parent)) == ["curves.png"]
    save_curves({"d_loss": [2.0, 1.0]}, path)  # overwrites in place
    assert sorted(os.listdir(path.parent)) == ["curves.png"]


def test_save_curves_unwritable_path(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    for path in (blocker / "curves.png", blocker / "sub" / "curves.png"):
        with pytest.raises(OSError):
            save_curves({"d_loss": [1.0, 2.0]}, path)
    assert sorted(os.listdir(tmp_path)) == ["blocker"]


def test_save_curves_cleans_up_when_the_rename_fails(tmp_path, monkeypatch):
    def fail(src, dst):
        raise PermissionError("no")

    monkeypatch.setattr(plot.os, "replace", fail)
    with pytest.raises(OSError):
        save_curves({"d_loss": [1.0, 2.0]}, tmp_path / "curves.png")
    assert os.listdir(tmp_path) == []


def test_bad_input():
    with pytest.raises(ValueError, match="at least one series"):
        render_curves({})
    with pytest.raises(TypeError, match="dict"):
        render_curves([1.0, 2.0])
    with pytest.raises(ValueError, match="1-D"):
        render_curves({"d_loss": [[1.0, 2.0]]})
    with pytest.raises(ValueError, match="at least"):
        render_curves({"d_loss": [1.0]}, width=50, height=50)
