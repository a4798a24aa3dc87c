"""The widget editor's property filters: rows of key, operator and value.

A key is a typed column of the source (``route``, ``platform`` …), ``properties.<name>``
(a name with a dot quoted: ``properties."utm.source"``), ``data.<path>`` or
``session.<column>``; the core's
:class:`~console.core.analysis.product.refs.PropertyFilter` checks it when the widget is
made, and the editor shows its reason.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.product.refs import FILTER_OPS, PropertyFilter

__all__ = ["OP_WORDS", "FilterTable"]

#: How the operator column names each operator.
OP_WORDS = {"eq": "=", "ne": "≠", "contains": "contains"}


class FilterTable(QWidget):
    """Filters as a small table with Add and Remove.

    Signals:
        changed(): a filter was added, removed or edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys: tuple[str, ...] = ()
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Key", "Operator", "Value"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setMaximumHeight(96)
        self.add_button = QPushButton("Add filter")
        self.remove_button = QPushButton("Remove filter")
        self.add_button.clicked.connect(lambda: self.add_filter("", "eq", ""))
        self.remove_button.clicked.connect(self._remove)
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._update_buttons()

    def set_keys(self, keys: Sequence[str]) -> None:
        """The source's own columns, offered in the key column's tooltip."""
        self._keys = tuple(keys)
        self.table.setToolTip(
            "Key: " + ", ".join(self._keys) + ", properties.<name>, data.<path> or"
            " session.platform|device|release|entry_route.\nA name may hold spaces (properties.plan type);"
            ' quote one that holds a dot: properties."utm.source" (unquoted, a dot goes one level down:'
            " properties.address.city)."
        )

    def set_filters(self, filters: Sequence[PropertyFilter]) -> None:
        self.table.setRowCount(0)
        for found in filters:
            self.add_filter(found.key, found.op, found.value)

    def add_filter(self, key: str, op: str, value: str) -> None:
        """Append a row."""
        self.table.blockSignals(True)
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(key))
        ops = QComboBox()
        for name in FILTER_OPS:
            ops.addItem(OP_WORDS[name], name)
        ops.setCurrentIndex(max(0, ops.findData(op)))
        ops.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.table.setCellWidget(row, 1, ops)
        self.table.setItem(row, 2, QTableWidgetItem(value))
        self.table.blockSignals(False)
        self._update_buttons()
        self.changed.emit()

    def filters(self) -> tuple[PropertyFilter, ...]:
        """The filters of the rows with a key (a row without one is not yet a filter)."""
        found = []
        for row in range(self.table.rowCount()):
            key_item, value_item = self.table.item(row, 0), self.table.item(row, 2)
            key = key_item.text().strip() if key_item else ""
            if not key:
                continue
            ops = self.table.cellWidget(row, 1)
            op = ops.currentData() if isinstance(ops, QComboBox) else "eq"
            found.append(PropertyFilter(key=key, op=str(op), value=value_item.text().strip() if value_item else ""))
        return tuple(found)

    @Slot()
    def _remove(self) -> None:
        row = self.table.currentRow()
        if self.table.rowCount():
            self.table.removeRow(row if row >= 0 else self.table.rowCount() - 1)
            self._update_buttons()
            self.changed.emit()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.table.rowCount() > 0)
