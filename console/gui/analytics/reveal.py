"""Selecting one row of another panel's table once that panel has listed it.

Opening a session's error or log in its own panel sets that panel's search; the row wanted
arrives with the panel's next answer (and a log list is rebuilt by it, losing its
selection). :class:`RowReveal` waits for it: after every change of the table's model it
selects the row ``find`` names, until the user selects another row or a few seconds pass.
A selection the panel itself makes while taking new rows (its "go on with the next issue")
does not count as the user's.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QTableView

__all__ = ["RowReveal"]


class RowReveal(QObject):
    """Selects ``find()``'s row in ``view`` (through ``select``) whenever it is listed and not selected.

    Ends after ``timeout_ms``, when the user selects another row, or on :meth:`cancel`.
    """

    def __init__(
        self,
        view: QTableView,
        *,
        find: Callable[[], int | None],
        select: Callable[[int], None],
        timeout_ms: int = 5_000,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._view = view
        self._find = find
        self._select = select
        self._active = True
        self._scheduled = False
        self._selecting = False
        model = view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged,
                       model.dataChanged):
            signal.connect(self._schedule)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self.cancel)
        self._timeout.start(timeout_ms)
        self._schedule()

    @property
    def active(self) -> bool:
        """Whether it still waits for (or keeps) the row."""
        return self._active

    @Slot()
    def cancel(self) -> None:
        """Stop watching the table."""
        if not self._active:
            return
        self._active = False
        self._timeout.stop()
        model = self._view.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.layoutChanged,
                       model.dataChanged):
            signal.disconnect(self._schedule)
        self._view.selectionModel().selectionChanged.disconnect(self._selection_changed)

    @Slot()
    def _schedule(self, *_args: object) -> None:
        # A model signal arrives in the middle of the panel's own update: select after it.
        if self._active and not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._check)

    @Slot()
    def _check(self) -> None:
        self._scheduled = False
        if not self._active:
            return
        row = self._find()
        if row is None or self._is_selected(row):
            return
        self._selecting = True
        try:
            self._select(row)
            self._view.scrollTo(self._view.model().index(row, 0))
        finally:
            self._selecting = False

    def _is_selected(self, row: int) -> bool:
        return any(index.row() == row for index in self._view.selectionModel().selectedRows())

    @Slot()
    def _selection_changed(self, *_args: object) -> None:
        if self._selecting or self._scheduled or not self._active:
            return  # ours, or the panel's own while it takes its new rows
        rows = self._view.selectionModel().selectedRows()
        wanted = self._find()
        if rows and all(index.row() != wanted for index in rows):
            self.cancel()  # the user went on to another row
