"""How the Funnels tab shows a funnel: the list of funnels, a bar per step, the steps' table
and the breakdown's table.

All of them print what :func:`~console.core.store.funnel_queries.funnel_result` computed
(:class:`~console.core.analysis.product.funnel.StepResult` per step); nothing is counted here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

from console.core.analysis.product.funnel import FunnelDefinition, StepResult
from console.gui.performance.tables import Column, ColumnTableModel
from console.gui.plots import still_plot

__all__ = [
    "BreakdownModel", "FunnelChart", "FunnelListModel", "StepLine", "StepTableModel", "duration_text", "percent",
    "window_text",
]

_BAR = "#1a73e8"
_DROPPED = "#d2e3fc"


def percent(value: float | None) -> str:
    """'62.5%' for 0.625; '–' for nothing."""
    return "–" if value is None else f"{value * 100:.1f}%"


def window_text(window_ms: int) -> str:
    """'24 h', '30 min', '7 days'."""
    if window_ms % 86_400_000 == 0 and window_ms >= 2 * 86_400_000:
        return f"{window_ms // 86_400_000} days"
    if window_ms % 3_600_000 == 0:
        return f"{window_ms // 3_600_000} h"
    if window_ms % 60_000 == 0:
        return f"{window_ms // 60_000} min"
    return f"{window_ms / 1000:g} s"


def duration_text(ms: float | None) -> str:
    """A time between steps: '850 ms', '42 s', '3 min 05 s', '2 h 07 min', '3 d 04 h'; '–' for none."""
    if ms is None or ms < 0:
        return "–"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = int(round(ms / 1000))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours:02d} h"


def _median(step: StepResult) -> str:
    return duration_text(step.median_ms_from_previous)


class FunnelListModel(ColumnTableModel[FunnelDefinition]):
    """Saved funnels, then those discovered from the app's ``funnel_step`` events."""

    def __init__(self) -> None:
        columns: list[Column[FunnelDefinition]] = [
            Column("Funnel", lambda f: f.name, lambda f: f.name.lower(), numeric=False,
                   tooltip=lambda f: " → ".join(f.step_labels()) + f"\nwindow {window_text(f.window_ms)}"),
            Column("Steps", lambda f: f"{len(f.steps)}", lambda f: len(f.steps)),
            Column("Source", lambda f: "discovered" if f.discovered else "saved", lambda f: f.discovered,
                   numeric=False,
                   tooltip=lambda f: "made by itself from the app's funnel_step events; Edit saves it"
                   if f.discovered else "saved in the store"),
        ]
        super().__init__(columns, key=lambda f: f.name)


@dataclass(frozen=True, slots=True)
class StepLine:
    """One step in the steps table: its place and its result."""

    index: int
    step: StepResult


class StepTableModel(ColumnTableModel[StepLine]):
    """Users, step and overall conversion, drop-off and median time from the previous step."""

    def __init__(self) -> None:
        columns: list[Column[StepLine]] = [
            Column("Step", lambda r: f"{r.index + 1}. {r.step.label}", lambda r: r.index, numeric=False,
                   tooltip=lambda r: r.step.label),
            Column("Users", lambda r: f"{r.step.users:,}", lambda r: r.step.users),
            Column("Step conversion", lambda r: percent(r.step.conversion_from_previous),
                   lambda r: r.step.conversion_from_previous),
            Column("Overall conversion", lambda r: percent(r.step.conversion_overall),
                   lambda r: r.step.conversion_overall),
            Column("Drop-off", lambda r: f"{r.step.dropped:,}" if r.index else "–", lambda r: r.step.dropped,
                   tooltip=lambda r: f"{r.step.dropped:,} users of the previous step did not reach this one"),
            Column("Median time from previous", lambda r: _median(r.step), lambda r: r.step.median_ms_from_previous),
        ]
        super().__init__(columns, key=lambda r: str(r.index))

    def show_steps(self, steps: Sequence[StepResult]) -> None:
        self.set_rows([StepLine(i, s) for i, s in enumerate(steps)])


@dataclass(frozen=True, slots=True)
class GroupLine:
    """One breakdown group and its steps."""

    group: str
    steps: tuple[StepResult, ...]


class BreakdownModel(ColumnTableModel[GroupLine]):
    """A row per breakdown group: users at each step (with the overall conversion) and the
    group's conversion from first to last step."""

    def __init__(self) -> None:
        super().__init__(self._columns(()), key=lambda r: r.group)
        self.labels: tuple[str, ...] = ()

    @staticmethod
    def _columns(labels: Sequence[str]) -> list[Column[GroupLine]]:
        columns: list[Column[GroupLine]] = [Column("Group", lambda r: r.group, lambda r: r.group, numeric=False)]
        for index, label in enumerate(labels):
            def text(r: GroupLine, i: int = index) -> str:
                step = r.steps[i]
                return f"{step.users:,}" if i == 0 else f"{step.users:,} ({percent(step.conversion_overall)})"

            columns.append(Column(f"{index + 1}. {label}", text, lambda r, i=index: r.steps[i].users))
        if labels:
            columns.append(Column("Conversion", lambda r: percent(r.steps[-1].conversion_overall),
                                  lambda r: r.steps[-1].conversion_overall))
        return columns

    def show_groups(self, labels: Sequence[str], groups: Sequence[tuple[str, tuple[StepResult, ...]]]) -> None:
        self.beginResetModel()
        if tuple(labels) != self.labels:
            self.labels = tuple(labels)
            self.columns = self._columns(labels)
        self.rows = [GroupLine(group, steps) for group, steps in groups]
        self.endResetModel()


class FunnelChart(pg.PlotWidget):
    """A bar per step: the users who reached it, over a pale bar of those who entered."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        still_plot(self)
        self.setLabel("left", "users")
        self.getAxis("left").enableAutoSIPrefix(False)
        self.getAxis("left").setWidth(54)
        self.entered = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(_DROPPED), pen=pg.mkPen(None))
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=pg.mkBrush(_BAR), pen=pg.mkPen(None))
        self.addItem(self.entered)
        self.addItem(self.bars)
        self.texts: list[pg.TextItem] = []
        self.users: list[int] = []

    def sizeHint(self) -> QSize:
        return QSize(600, 240)

    def show_steps(self, steps: Sequence[StepResult]) -> None:
        """Draw ``steps`` (empty: clear the chart)."""
        for text in self.texts:
            self.removeItem(text)
        self.texts = []
        self.users = [s.users for s in steps]
        xs = np.arange(len(steps), dtype=np.float64)
        heights = np.array(self.users, dtype=np.float64)
        first = float(heights[0]) if len(heights) else 0.0
        self.entered.setOpts(x=xs, height=np.full(len(steps), first), width=0.7)
        self.bars.setOpts(x=xs, height=heights, width=0.7)
        ticks = [(float(i), _short(f"{i + 1}. {s.label}")) for i, s in enumerate(steps)]
        self.getAxis("bottom").setTicks([ticks, []])
        top = max(first, 1.0)
        for i, step in enumerate(steps):
            text = pg.TextItem(f"{step.users:,} · {percent(step.conversion_overall)}", color="#202124", anchor=(0.5, 1.0))
            text.setPos(float(i), float(step.users) + top * 0.01)
            self.addItem(text)
            self.texts.append(text)
        self.setXRange(-0.6, max(len(steps) - 0.4, 0.6), padding=0)
        self.setYRange(0, top * 1.12, padding=0)


def _short(text: str, width: int = 26) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
