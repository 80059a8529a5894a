"""Line plots of training curves (kerasgan.utils.plot, drawn with matplotlib) and the
LossCurves callback without matplotlib."""

import builtins
import json
import logging
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from kerasgan.callbacks import loss_curves
from kerasgan.utils.plot import COLORS, render_curves, save_curves

BLUE, ORANGE = COLORS[0], COLORS[1]


def near(img, color, tol=20):
    """Pixels within `tol` of `color` in every channel."""
    return (np.abs(img.astype(int) - np.array(color)) <= tol).all(-1)


def dark(img):
    return (img < 80).all(-1)


def test_shape_dtype_and_background():
    img = render_curves({"d_loss": [1.0, 0.8, 0.7]}, width=500, height=300, title="t")
    assert img.shape == (300, 500, 3) and img.dtype == np.uint8
    assert (img == 255).all(-1).mean() > 0.8  # mostly white
    assert render_curves({"d_loss": [1.0, 2.0]}, width=481, height=333).shape == (333, 481, 3)


def test_each_series_has_its_colour_and_data_moves_the_line():
    two = render_curves({"d_loss": [1.0, 0.5, 0.7, 0.2], "g_loss": [0.3, 0.9, 1.2, 1.5]})
    assert near(two, BLUE).sum() > 300 and near(two, ORANGE).sum() > 300
    assert near(two, COLORS[2]).sum() == 0
    rising = near(render_curves({"fid": np.linspace(0.0, 10.0, 50)}, legend=None), BLUE)
    falling = near(render_curves({"fid": np.linspace(10.0, 0.0, 50)}, legend=None), BLUE)
    assert not np.array_equal(rising, falling)
    third = rising.shape[1] // 3
    rows, cols = np.nonzero(rising)
    assert rows[cols > 2 * third].mean() < rows[cols < third].mean() - 100  # higher = smaller row
    rows, cols = np.nonzero(falling)
    assert rows[cols > 2 * third].mean() > rows[cols < third].mean() + 100


def test_non_finite_values_break_the_line():
    values = np.linspace(1.0, 2.0, 40)
    full = near(render_curves({"d_loss": values}, legend=None), BLUE)
    values[18:22] = np.nan
    values[30] = np.inf
    values[35] = -np.inf
    gappy = near(render_curves({"d_loss": values}, legend=None), BLUE)
    assert np.diff(np.unique(np.nonzero(full)[1])).max() == 1  # continuous
    assert np.diff(np.unique(np.nonzero(gappy)[1])).max() > 40  # five steps of ~14 px missing
    assert gappy.sum() < full.sum()
    lonely = near(render_curves({"r1": [np.nan] * 20 + [1.0] + [np.nan] * 20}, legend=None), BLUE)
    assert 0 < lonely.sum() < 50  # a point between gaps still gets a marker


def test_empty_nan_constant_and_extreme_series_draw():
    img = render_curves({"gp": [], "r1": [np.nan, np.nan], "fid": [3.0, 2.0, 1.0]}, legend=None)
    assert near(img, BLUE).sum() == 0 and near(img, ORANGE).sum() == 0
    assert near(img, COLORS[2]).sum() > 200
    for values in ([0.5] * 10, [0.0] * 10, [3.0], [-2.0, -2.0]):
        rows, _ = np.nonzero(near(render_curves({"gp": values}, legend=None), BLUE, tol=0))
        assert rows.size and np.ptp(rows) <= 8  # flat (plus markers), in the middle
        assert abs(rows.mean() - 200) < 60, values
    for values in ([np.nan], [], [-1.7e308, 1.7e308, 0.0], [1e-300, 2e-300], [np.inf, -np.inf]):
        assert render_curves({"x": values}).shape == (400, 640, 3)


def test_text_is_shown_as_written():
    series = {"d_loss": [2.0, 1.0, 0.5, 0.4], "g_loss": [0.5, 1.0, 1.5, 1.6]}
    plain = dark(render_curves(series, xlabel=None, legend=None))
    titled = dark(render_curves(series, title="dcgan on fashion_mnist", xlabel=None, legend=None))
    labelled = dark(render_curves(series, legend=None))
    legend = dark(render_curves(series, xlabel=None, legend="upper right"))
    h, w = plain.shape
    assert (titled & ~plain)[: h // 10].sum() > 100
    assert (labelled & ~plain)[-h // 10 :].sum() > 20
    assert (legend & ~plain)[: h // 3, w // 2 :].sum() > 60
    assert (legend & ~plain)[h // 2 :].sum() == 0 and (legend & ~plain)[:, : w // 3].sum() == 0
    # "$" is not math (a bad formula would raise), and "_" names are still listed
    odd = {"$\\frac{$": [1.0, 2.0], "_private": [2.0, 1.0]}
    img = render_curves(odd, title="cost $5 and $\\nosuchmacro{ $", xlabel="$x^")
    assert near(img, ORANGE).sum() > near(render_curves({"a": [1.0, 2.0]}), ORANGE).sum()
    with pytest.raises(ValueError, match="legend"):
        render_curves(series, legend="middle")


def test_save_curves_writes_the_png_atomically(tmp_path):
    series = {"d_loss": [1.0, 0.6, 0.5], "g_loss": [0.7, 1.1, np.nan]}
    path = tmp_path / "new" / "folder" / "curves.png"
    returned = save_curves(series, path, title="dcgan on fashion_mnist", width=480, height=320)
    assert returned == os.fspath(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = tf.io.decode_png(data, channels=3).numpy()
    expected = render_curves(series, title="dcgan on fashion_mnist", width=480, height=320)
    np.testing.assert_array_equal(decoded, expected)
    save_curves({"d_loss": [2.0, 1.0]}, path)  # overwrites in place
    assert tf.io.decode_png(path.read_bytes()).shape == (400, 640, 3)
    assert sorted(os.listdir(path.parent)) == ["curves.png"]


def test_save_curves_unwritable_path(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    for path in (blocker / "curves.png", blocker / "sub" / "curves.png"):
        with pytest.raises(OSError):
            save_curves({"d_loss": [1.0, 2.0]}, path)
    assert sorted(os.listdir(tmp_path)) == ["blocker"]


def test_bad_input():
    with pytest.raises(ValueError, match="at least one series"):
        render_curves({})
    with pytest.raises(TypeError, match="dict"):
        render_curves([1.0, 2.0])
    with pytest.raises(ValueError, match="1-D"):
        render_curves({"d_loss": [[1.0, 2.0]]})
    with pytest.raises(ValueError, match="at least"):
        render_curves({"d_loss": [1.0]}, width=50, height=50)


@pytest.fixture
def no_matplotlib(monkeypatch):
    """As if matplotlib were not installed: importing it raises ModuleNotFoundError."""
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr(loss_curves, "_told_no_plot", False)


def test_without_matplotlib_the_functions_say_what_to_install(no_matplotlib, tmp_path):
    with pytest.raises(ImportError, match=r"pip install 'kerasgan\[plots\]'"):
        render_curves({"d_loss": [1.0]})
    with pytest.raises(ImportError, match="matplotlib, which is not installed"):
        save_curves({"d_loss": [1.0]}, tmp_path / "curves.png")
    assert os.listdir(tmp_path) == []


def test_a_broken_matplotlib_keeps_its_own_error(monkeypatch):
    real_import = builtins.__import__

    def broken(name, *args, **kwargs):  # matplotlib is there, a dependency of it is not
        if name.startswith("matplotlib"):
            raise ModuleNotFoundError("No module named 'kiwisolver'", name="kiwisolver")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken)
    with pytest.raises(ImportError, match="kiwisolver"):
        render_curves({"d_loss": [1.0]})


def test_loss_curves_without_matplotlib_write_the_history_and_say_so_once(
    no_matplotlib, tmp_path, caplog
):
    caplog.set_level(logging.WARNING, logger="kerasgan")
    first = loss_curves.LossCurves(tmp_path / "a")
    second = loss_curves.LossCurves(tmp_path / "b")
    for epoch in range(3):
        first.on_epoch_end(epoch, {"d_loss": 1.0 / (epoch + 1), "g_loss": float("nan")})
        second.on_epoch_end(epoch, {"d_loss": 2.0})
    [record] = caplog.records
    message = record.getMessage()
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'a' / 'loss_curves.png'} not written.")
    assert "pip install 'kerasgan[plots]'" in message
    assert f"The values are in {tmp_path / 'a' / 'history.json'}" in message
    assert first.plotted is None and second.plotted is None
    history = json.loads((tmp_path / "a" / "history.json").read_text())
    assert history["d_loss"] == [1.0, 0.5, 1.0 / 3] and len(history["g_loss"]) == 3
    assert sorted(os.listdir(tmp_path / "a")) == ["history.json"]


def test_loss_curves_with_matplotlib_draw_the_png(tmp_path):
    curves = loss_curves.LossCurves(tmp_path, title="dcgan on fashion_mnist")
    curves.on_epoch_end(0, {})  # nothing logged: nothing drawn, no error
    for epoch in range(2):
        curves.on_epoch_end(epoch, {"d_loss": 1.0 - epoch / 4, "g_loss": 0.5 + epoch / 4})
    assert curves.plotted == os.path.join(tmp_path, "loss_curves.png")
    png = tf.io.decode_png((tmp_path / "loss_curves.png").read_bytes(), channels=3).numpy()
    assert png.shape == (400, 640, 3) and near(png, BLUE).sum() > 100
