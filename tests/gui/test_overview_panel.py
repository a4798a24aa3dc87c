"""The Overview as a user sees it: the stream table, the default dashboard's cards, the
filters and pause."""

from PySide6.QtCore import Qt

from console.core.analysis.percentiles import percentile
from console.core.analysis.product.dashboard import format_value
from tests.gui.support import POLL_MS, log_payload, page_load_payload

XSS = "<img src=x onerror=alert(1)>"


def shown(window, column: int = 2) -> list[str]:
    """The texts of one column of the stream table, top to bottom."""
    model = window.overview.table.model()
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_events_written_to_the_store_appear_in_the_stream(qtbot, store, open_window, examples):
    events = store.write(examples, project="shop")
    window = open_window(store.path)
    qtbot.waitUntil(lambda: len(shown(window)) == len(events))
    assert shown(window) == [e.summary for e in reversed(events)]
    assert shown(window, 1) == [e.kind.value for e in reversed(events)]
    assert set(shown(window, 3)) == {"shop"}

    later = store.write([log_payload("cart emptied", session="s-42")], project="web")
    qtbot.waitUntil(lambda: len(shown(window)) == len(events) + 1)
    model = window.overview.model
    assert [model.index(0, c).data() for c in (1, 2, 3, 4)] == ["log", later[0].summary, "web", "s-42"]


def card(window, title: str):
    """The Overview dashboard's tile headed ``title``, once it has its first answer."""
    view = window.overview.dashboard
    tile = view.grid.tile_titled(title)
    assert tile is not None, [t.title_label.text() for t in view.grid.tiles]
    return tile


def figure(window, title: str) -> str:
    """What a card of the Overview reads in big (its value, or why it has none)."""
    if not window.overview.is_ready:
        return ""
    shown = card(window, title)
    return shown.shown_text or shown.content.value_label.text()


def test_cards_show_events_per_minute_and_rated_p75_lcp(qtbot, store, open_window):
    lcps = [1800.0, 2600.0, 3100.0, 2900.0, 3500.0, 2200.0]
    store.write([page_load_payload(v, session=f"s-{i}") for i, v in enumerate(lcps)])
    store.write([log_payload(f"line {i}", session="s-0") for i in range(9)])
    window = open_window(store.path)

    qtbot.waitUntil(lambda: figure(window, "Events / min") == "15")
    p75 = percentile(lcps, 75)
    assert 2500 < p75 <= 4000
    lcp = card(window, "LCP p75 (1 h)").content
    assert lcp.value_label.text() == format_value(p75, "ms")
    assert lcp.badge_label.text() == "needs improvement"
    assert lcp.accent == "#ffa400"
    assert lcp.detail_label.text() == "p75 of 6 loads"
    assert figure(window, "Active sessions") == "6"
    assert figure(window, "Errors / min") == "0"


def test_good_and_poor_lcp_take_their_colours(qtbot, store, open_window):
    store.write([page_load_payload(v) for v in (900.0, 1200.0, 1500.0, 1100.0, 1300.0)])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: figure(window, "LCP p75 (1 h)") == "1.3 s")  # p75 of the five
    lcp = card(window, "LCP p75 (1 h)").content
    assert lcp.badge_label.text() == "good"
    assert lcp.accent == "#0cce6b"

    store.write([page_load_payload(9000.0) for _ in range(20)])
    window.overview.dashboard.grid.refresh()  # what the card's refresh interval does on screen
    qtbot.waitUntil(lambda: lcp.badge_label.text() == "poor")
    assert lcp.accent == "#ff4e42"
    assert lcp.value_label.text() == "9 s"


def test_too_few_loads_get_no_rating(qtbot, store, open_window):
    store.write([page_load_payload(v) for v in (1000.0, 5000.0, 7000.0)])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: figure(window, "LCP p75 (1 h)") != "")
    lcp = card(window, "LCP p75 (1 h)").content
    assert lcp.detail_label.text() == "3 loads — too few for a rating"
    assert lcp.badge_label.text() == "too few"
    assert lcp.accent == "#9aa0a6"


def test_an_empty_store_says_why_each_widget_shows_nothing(qtbot, store, open_window):
    store.write([log_payload("only a log")])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: window.overview.is_ready)
    assert figure(window, "LCP p75 (1 h)") == "no data: no page load with a lcp value in the last hour"
    assert figure(window, "Errors / min") == "0"  # a count of nothing is a figure
    assert card(window, "Errors").shown_text == "no data: no error in the last 24 hours"
    # No tile is an empty box: each shows its content or the reason it has none.
    for tile in window.overview.dashboard.grid.tiles:
        assert tile.shown_text.startswith("no data: ") or tile.body.currentWidget() is tile.content


def test_the_kind_filter_shows_only_that_kind(qtbot, store, open_window, examples):
    events = store.write(examples)
    errors = [e.summary for e in reversed(events) if e.kind.value == "error"]
    assert len(errors) >= 2
    window = open_window(store.path)
    qtbot.waitUntil(lambda: len(shown(window)) == len(events))

    window.overview.kind_filter.setCurrentText("error")
    qtbot.waitUntil(lambda: shown(window) == errors)
    assert set(shown(window, 1)) == {"error"}

    store.write([log_payload("not an error"), {"type": "javascript_error", "message": "late failure"}])
    qtbot.waitUntil(lambda: len(shown(window)) == len(errors) + 1)
    assert "late failure" in shown(window)[0]
    assert set(shown(window, 1)) == {"error"}

    window.overview.kind_filter.setCurrentText("All kinds")
    qtbot.waitUntil(lambda: len(shown(window)) == len(events) + 2)


def test_the_text_filter_is_debounced_and_matches_summaries(qtbot, store, open_window):
    store.write([log_payload(f"needle {i}") for i in range(2)] + [log_payload(f"hay {i}") for i in range(5)])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: len(shown(window)) == 7)
    emitted = []
    window.overview.filterChanged.connect(lambda kinds, text: emitted.append((kinds, text)))

    qtbot.keyClicks(window.overview.text_filter, "NEEDLE")
    assert emitted == []  # nothing per keystroke
    qtbot.waitUntil(lambda: shown(window) == ["info: needle 1", "info: needle 0"])
    assert emitted == [([], "NEEDLE")]

    window.overview.text_filter.setText("nothing like this")
    qtbot.waitUntil(lambda: shown(window) == [])
    assert window.overview.stream_status.text() == "No events match the filter"


def test_pause_freezes_the_stream_and_resume_catches_up(qtbot, store, open_window):
    store.write([log_payload("before")])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: shown(window) == ["info: before"])

    qtbot.mouseClick(window.overview.pause_button, Qt.MouseButton.LeftButton)
    assert window.overview.paused and window.overview.pause_button.text() == "Resume"
    store.write([log_payload("during")])
    window.overview.dashboard.grid.refresh()  # what the cards' refresh interval does on screen
    qtbot.waitUntil(lambda: figure(window, "Events / min") == "2")  # the dashboard goes on
    qtbot.wait(5 * POLL_MS)
    assert shown(window) == ["info: before"]

    qtbot.mouseClick(window.overview.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown(window) == ["info: during", "info: before"])


def test_markup_in_a_summary_is_shown_literally(qtbot, store, open_window):
    store.write([log_payload(XSS, level="error")])
    window = open_window(store.path)
    qtbot.waitUntil(lambda: shown(window) == [f"error: {XSS}"])
    view = window.overview.table
    assert view.itemDelegate().metaObject().className() == "QStyledItemDelegate"
    assert window.overview.model.index(0, 2).data(Qt.ItemDataRole.DisplayRole) == f"error: {XSS}"
