"""The live stream's table model: Qt's model contract, bounded batches, plain text."""

from datetime import datetime

from PySide6.QtCore import QModelIndex, Qt

from console.core.store.queries import StreamRow
from console.gui.overview.stream_model import COLUMNS, StreamModel

XSS = "<img src=x onerror=alert(1)>"


def make_rows(first: int, last: int, *, kind: str = "log") -> list[StreamRow]:
    """Rows with ids first..last, newest (highest id) first, as the reader returns them."""
    return [
        StreamRow(i, kind, "shop", 1_764_288_000_000 + i * 1001, 1_764_288_000_000 + i, f"s-{i}", None, f"event {i}")
        for i in range(last, first - 1, -1)
    ]


def column_texts(model: StreamModel, column: int) -> list[str]:
    return [model.index(row, column).data() for row in range(model.rowCount())]


def test_model_passes_qtmodeltester_through_every_change(qtmodeltester):
    model = StreamModel(max_rows=8)
    model.reset(make_rows(1, 5))
    qtmodeltester.check(model, force_py=True)
    model.prepend(make_rows(6, 7))
    model.prepend(make_rows(8, 12))  # trims the tail
    model.prepend(make_rows(13, 30))  # more than max_rows in one batch
    model.reset([])
    model.prepend(make_rows(31, 31, kind="error"))
    qtmodeltester.check(model, force_py=True)


def test_columns_show_local_time_kind_summary_project_session():
    model = StreamModel()
    row = StreamRow(7, "error", "web", 1_764_288_123_456, 0, "s-7f3a9c", "u-1", "TypeError: x is undefined")
    model.reset([row])
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))] == list(COLUMNS)
    moment = datetime.fromtimestamp(1_764_288_123.456)
    assert [model.index(0, c).data() for c in range(5)] == [
        f"{moment:%H:%M:%S}.456", "error", "TypeError: x is undefined", "web", "s-7f3a9c",
    ]
    assert model.index(0, 0).data(StreamModel.RowRole) == row


def test_prepend_is_one_insert_on_top_and_one_trim_at_the_tail():
    model = StreamModel(max_rows=5)
    model.reset(make_rows(1, 4))
    inserted, removed = [], []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    model.rowsRemoved.connect(lambda parent, first, last: removed.append((first, last)))

    model.prepend(make_rows(5, 7))

    assert inserted == [(0, 2)]
    assert removed == [(2, 3)]  # the two oldest rows, before the insert
    assert column_texts(model, 2) == ["event 7", "event 6", "event 5", "event 4", "event 3"]


def test_a_batch_larger_than_the_model_keeps_its_newest_rows():
    model = StreamModel(max_rows=3)
    model.prepend(make_rows(1, 10))
    assert column_texts(model, 2) == ["event 10", "event 9", "event 8"]


def test_markup_and_line_breaks_are_shown_as_plain_text():
    model = StreamModel()
    model.reset([StreamRow(1, "log", "<b>p</b>", 0, 0, None, None, f"error: {XSS}\nsecond line")])
    assert model.index(0, 2).data() == f"error: {XSS} second line"
    assert model.index(0, 3).data() == "<b>p</b>"
    assert model.index(0, 4).data() == ""
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.index(0, 2).data(Qt.ItemDataRole.DecorationRole) is None
    assert not model.index(5, 0).isValid()
    assert model.data(QModelIndex()) is None
