"""The Context, Session and Raw tabs of the issue detail.

Context lists the error's tags, user, request, release, environment, trace and the
sender's contexts (device, os, app, browser, ...) as key/value rows. Session lists the
events of the error's session around it, the error's own row highlighted. Raw shows the
stored payload as pretty JSON (or the bytes as they arrived, when the sender's were kept),
with "Copy as JSON" and "Export…". Everything is plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.error_detail import ErrorDetail
from console.core.store.issue_queries import TimelineEvent
from console.gui.errors.breadcrumbs import json_text, offset_text
from console.gui.errors.model import one_line
from console.gui.text import plain_tooltip

__all__ = ["ContextPane", "RawPane", "SessionPane"]

_ERROR_ROW = QColor("#fce8e6")


def _value_text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json_text(value)


class ContextPane(QWidget):
    """The Context tab: one group of key/value rows per part of the error's context."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Key", "Value"])
        self.tree.setWordWrap(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.header().resizeSection(0, 220)
        self.tree.header().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.tree)

    def show_error(self, detail: ErrorDetail | None) -> None:
        """Fill the groups from ``detail`` (empty for None)."""
        self.tree.clear()
        if detail is None:
            return
        self._group("Tags", detail.tags, empty="no tags")
        event = [
            ("release", detail.release), ("environment", detail.environment),
            ("trace id", detail.trace_id), ("session id", detail.session_id),
            ("route", detail.route), ("error id", detail.error_id),
            ("project", detail.project), ("sender", detail.sender),
        ]
        self._group("Event", [(k, v) for k, v in event if v])
        user = dict(detail.user)
        if detail.user_id and "id" not in user:
            user = {"id": detail.user_id, **user}
        self._group("User", list(user.items()), empty="no user")
        if detail.request:
            self._group("Request", list(detail.request.items()))
        for name, fields in sorted(detail.contexts.items()):
            pairs = list(fields.items()) if isinstance(fields, dict) else [("value", fields)]
            self._group(name, pairs)
        if detail.attachments:
            self._group("Attachments", [(name, f"{size:,} bytes") for name, size in detail.attachments])
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        if self.tree.columnWidth(0) > 320:
            self.tree.setColumnWidth(0, 320)

    def values(self, group: str) -> dict[str, str]:
        """The rows of ``group`` as shown (key → value text); for tests and copying."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.text(0) == group:
                return {item.child(j).text(0): item.child(j).text(1) for j in range(item.childCount())}
        return {}

    def _group(self, title: str, pairs: Sequence[tuple[str, Any]], *, empty: str | None = None) -> None:
        if not pairs and empty is None:
            return
        group = QTreeWidgetItem([title, "" if pairs else empty or ""])
        font = QFont()
        font.setBold(True)
        group.setFont(0, font)
        self.tree.addTopLevelItem(group)
        for key, value in pairs:
            text = _value_text(value)
            item = QTreeWidgetItem([one_line(str(key), 200), one_line(text, 2_000)])
            item.setToolTip(1, plain_tooltip(text))
            item.setToolTip(0, plain_tooltip(str(key)))
            group.addChild(item)


class SessionPane(QWidget):
    """The Session tab: the events of the error's session around it, the error highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Time", "Kind", "Summary"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def show_timeline(self, detail: ErrorDetail | None, events: Sequence[TimelineEvent]) -> None:
        """List ``events`` (oldest first), the error's row highlighted and scrolled to."""
        self.table.setRowCount(len(events))
        error_row = None
        bold = QFont()
        bold.setBold(True)
        for row, event in enumerate(events):
            cells = (offset_text(event.offset_ms), event.kind, one_line(event.summary, 500))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, event.event_id)
                if column == 2:
                    item.setToolTip(plain_tooltip(event.summary))
                if event.is_the_error:
                    item.setBackground(_ERROR_ROW)
                    item.setFont(bold)
                self.table.setItem(row, column, item)
            if event.is_the_error:
                error_row = row
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
        if detail is None:
            self.summary.setText("")
        elif not detail.session_id:
            self.summary.setText("This error came without a session id, so there is no timeline")
        elif not events:
            self.summary.setText(f"No other event of session {detail.session_id} is kept")
        else:
            self.summary.setText(
                f"{len(events)} events of session {detail.session_id} around the error "
                "(30 min before to 5 min after), oldest first"
            )
        if error_row is not None:
            self.table.scrollToItem(self.table.item(error_row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)

    def error_row(self) -> int | None:
        """The row of the error itself, None when it is not listed."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.font().bold():
                return row
        return None


class RawPane(QWidget):
    """The Raw tab: the stored payload as pretty JSON, copied or exported on request.

    The text is put into the editor only when the tab is shown: a 5,000-frame payload is
    megabytes of JSON that nobody may look at.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._json = ""
        self._received: bytes | None = None
        self._shown: tuple[str, bool] | None = None
        self.note = QLabel("")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.as_received = QCheckBox("As received")
        self.as_received.setToolTip("The bytes the sender posted, before Lookout decoded them")
        self.copy_button = QPushButton("Copy as JSON")
        self.export_button = QPushButton("Export…")
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.note, 1)
        bar.addWidget(self.as_received)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.text, 1)
        self.copy_button.clicked.connect(self.copy_json)
        self.export_button.clicked.connect(self._ask_export)
        self.as_received.toggled.connect(lambda _checked: self._fill())
        for widget in (self.copy_button, self.export_button, self.as_received):
            widget.setEnabled(False)

    def show_error(self, detail: ErrorDetail | None, pretty: str | None = None) -> None:
        """Show ``detail.raw``; ``pretty`` is its JSON text when already made (off the GUI thread)."""
        self._json = "" if detail is None else (pretty if pretty is not None else json_text(detail.raw, indent=True))
        self._received = None if detail is None else detail.raw_bytes
        self._shown = None
        self.as_received.setEnabled(self._received is not None)
        if self._received is None:
            self.as_received.setChecked(False)
        self.copy_button.setEnabled(detail is not None)
        self.export_button.setEnabled(detail is not None)
        self.note.setText("" if self._received is None else f"{len(self._received):,} bytes arrived")
        if self.isVisible():
            self._fill()

    def shown_text(self) -> str:
        """What the tab shows (filled now if it was not yet)."""
        self._fill()
        return self.text.toPlainText()

    def json(self) -> str:
        """The stored payload as pretty JSON."""
        return self._json

    @Slot()
    def copy_json(self) -> None:
        """Put the payload's JSON on the clipboard."""
        QGuiApplication.clipboard().setText(self._json)

    def export_to(self, path: str | Path) -> None:
        """Write what the tab shows to ``path`` (JSON, or the received bytes); OSError when it
        cannot be written (the note says so too)."""
        received = self.as_received.isChecked() and self._received is not None
        try:
            if received:
                Path(path).write_bytes(self._received or b"")
            else:
                Path(path).write_text(self._json + "\n", encoding="utf-8")
        except OSError as exc:
            self.note.setText(f"could not write {path}: {exc.strerror or exc}")
            raise
        self.note.setText(f"exported to {path}")

    @Slot()
    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the error", "error.json", "JSON (*.json);;All files (*)")
        if path:
            try:
                self.export_to(path)
            except OSError:
                pass  # the note says why; the environment's fault, not ours

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fill()

    def _fill(self) -> None:
        received = self.as_received.isChecked() and self._received is not None
        wanted = (self._json, received)
        if self._shown == wanted:
            return
        self._shown = wanted
        if received:
            self.text.setPlainText((self._received or b"").decode("utf-8", errors="replace"))
        else:
            self.text.setPlainText(self._json)
