"""The window comes back as the user left it: panel, the Overview's dashboard, size and place."""

from __future__ import annotations

from pathlib import Path

from console.core.analysis.product.dashboard import DEFAULT_DASHBOARD
from console.core.store.dashboards import ensure_default_dashboard, save_dashboard
from console.gui.window_state import WindowState, load_state, save_state, state_path
from tests.gui.support import now_ms


def test_the_state_is_saved_and_a_new_window_comes_back_to_it(qtbot, store, open_window):
    shop = DEFAULT_DASHBOARD.__class__(name="Shop", widgets=DEFAULT_DASHBOARD.widgets[:2])
    store.writer.run_sync(lambda conn: (ensure_default_dashboard(conn), save_dashboard(conn, shop, now_ms=now_ms())))
    window = open_window(store.path)
    qtbot.waitUntil(lambda: "Shop" in [d.name for d in window.overview.dashboard.dashboards], timeout=10_000)
    window.overview.dashboard.choose("Shop")
    window.show_panel("analytics")
    path = state_path()
    assert path.parent.name == "lookout" and str(Path.home()) in str(path)  # the test's own home
    remembered = window.remembered()
    assert (remembered.panel, remembered.dashboard) == ("analytics", "Shop") and remembered.geometry
    save_state(path, remembered)

    again = open_window(store.path)
    again.restore(load_state(path))
    assert again.stack.currentWidget() is again.analytics
    # (The place and size are Qt's saveGeometry/restoreGeometry; the offscreen screen clamps them.)
    qtbot.waitUntil(lambda: again.overview.dashboard.current is not None
                    and again.overview.dashboard.current.name == "Shop", timeout=10_000)


def test_a_missing_or_broken_state_file_opens_the_window_as_new(tmp_path):
    assert load_state(tmp_path / "none.json") == WindowState()
    broken = tmp_path / "window.json"
    broken.write_text("{not json", encoding="utf-8")
    assert load_state(broken) == WindowState()
    broken.write_text('{"panel": 3, "dashboard": "Shop"}', encoding="utf-8")
    assert load_state(broken) == WindowState(panel=None, dashboard="Shop")
