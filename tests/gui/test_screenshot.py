"""Rendering a panel to a PNG offscreen."""

import pytest
from PySide6.QtGui import QImage

from console.gui.screenshot import render_screenshot
from tests.gui.support import log_payload, page_load_payload

# The offscreen platform says so when the window sets its minimum size; nothing is wrong.
OFFSCREEN_NOTE = pytest.mark.qt_log_ignore("propagateSizeHints")


@OFFSCREEN_NOTE
def test_screenshot_is_a_png_of_the_requested_size(qapp, store, tmp_path, examples):
    store.write(examples)
    store.write([page_load_payload(2000.0 + 100 * i, session=f"s-{i}") for i in range(8)])
    store.write([log_payload("shown in the picture")])
    out = tmp_path / "shots" / "overview.png"

    render_screenshot(db_path=store.path, panel="overview", out=out, size=(1200, 800))

    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)
    # Not a blank canvas: the cards, the table and the text put many colours on it.
    colours = {image.pixel(x, y) for x in range(0, 1200, 7) for y in range(0, 800, 7)}
    assert len(colours) > 20


def test_an_unknown_panel_names_the_valid_ones(qapp, store, tmp_path):
    with pytest.raises(ValueError, match="overview"):
        render_screenshot(db_path=store.path, panel="inbox", out=tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@OFFSCREEN_NOTE
def test_a_size_below_the_window_minimum_is_refused(qapp, store, tmp_path):
    with pytest.raises(ValueError, match="smaller than the window can be"):
        render_screenshot(db_path=store.path, panel="overview", out=tmp_path / "x.png", size=(300, 200))
    assert not (tmp_path / "x.png").exists()


@OFFSCREEN_NOTE
def test_an_analytics_tab_is_rendered_and_a_wrong_tab_is_refused(qapp, store, tmp_path, examples):
    store.write(examples)
    out = tmp_path / "kpis.png"
    render_screenshot(db_path=store.path, panel="analytics", tab="KPIs", out=out, size=(1200, 800))
    assert QImage(str(out)).width() == 1200
    with pytest.raises(ValueError, match="funnels"):
        render_screenshot(db_path=store.path, panel="analytics", tab="cohorts", out=tmp_path / "x.png")
    with pytest.raises(ValueError, match="analytics panel"):
        render_screenshot(db_path=store.path, panel="errors", tab="funnels", out=tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_the_screenshot_help_names_every_panel_the_window_has():
    """``lookout screenshot --help`` (Qt-free) lists the panels the window really has."""
    from console.cli import _parser
    from console.gui.main_window import PANEL_NAMES

    shot = _parser()._subparsers._group_actions[0].choices["screenshot"]  # noqa: SLF001
    help_text = next(a.help for a in shot._actions if "--panel" in a.option_strings)  # noqa: SLF001
    assert all(name in help_text for name in PANEL_NAMES)
