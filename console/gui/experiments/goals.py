"""A goal's part of the Experiments panel, and the short tables the panel is made of.

:class:`GoalView` shows one goal: how many users converted against the minimum before any
verdict, a table with a row per variant and the cumulative lift chart. :func:`short_table`
makes the panel's tables; those of a row per variant are exactly as tall as their rows
and never scroll.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from console.core.store.experiment_queries import GoalResult
from console.gui.experiments.charts import LiftChart
from console.gui.experiments.models import GoalTableModel, goal_rows
from console.gui.performance.tables import ColumnTableModel

__all__ = ["GoalView", "fit_height", "short_table"]


def short_table(model: ColumnTableModel[Any], *, rows: int | None = None) -> QTableView:
    """A read-only, row-selecting table over ``model``; with ``rows``, sized for that many."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    table.verticalHeader().setDefaultSectionSize(24)
    table.horizontalHeader().setStretchLastSection(True)
    if rows is not None:
        # Short tables (a row per variant) take the height they need, not a share of the panel,
        # and fit their columns to their width rather than scroll.
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        fit_height(table, rows)
    return table


def fit_height(table: QTableView, rows: int) -> None:
    """Make ``table`` exactly tall enough for its header and ``rows`` rows."""
    table.setFixedHeight(table.horizontalHeader().sizeHint().height() + max(rows, 1) * 24 + 2 * table.frameWidth())


class GoalView(QWidget):
    """One goal: its verdict line, the variants' table and the cumulative lift chart."""

    def __init__(self, goal: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.goal = goal
        self.caption = QLabel("")
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: #3c4043;")
        self.model = GoalTableModel()
        self.table = short_table(self.model, rows=3)
        self.chart = LiftChart()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.caption)
        layout.addWidget(self.table)
        layout.addWidget(self.chart, 1)
        self.result: GoalResult | None = None

    def show_goal(
        self,
        goal: GoalResult,
        control: str,
        points: list[tuple[int, float, float, float]],
        *,
        sequential: bool,
        first_goal: bool = True,
    ) -> None:
        """Fill the table and chart from ``goal`` (``sequential``: the always-valid interval).

        The first goal's verdict is the panel's headline; the others say theirs here.
        """
        self.result = goal
        rows = goal_rows(goal, control)
        with_values = any(v is not None for v in goal.values.values())
        self.model.show(rows, sequential=sequential, with_values=with_values)
        fit_height(self.table, len(rows))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        counts = f"{goal.conversions:,} converted users; a verdict needs at least {goal.needed:,}"
        self.caption.setText(counts if first_goal else f"{goal.verdict}  ·  {counts}")
        first = next((r.variant for r in rows if not r.control), None)
        interval = goal.sequential.get(first) if (sequential and first is not None) else None
        self.chart.show_lift(first, points, sequential=interval)
