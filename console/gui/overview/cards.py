"""The Overview's metric cards: a title, a big value, a caption, a rating badge and a sparkline.

A card only renders what it is given; the figures come from
:class:`~console.core.analysis.overview.OverviewFigures` and the LCP rating from
:mod:`console.core.analysis.vitals`. The sparkline is one pyqtgraph curve updated with a
single ``setData`` per refresh.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QWidget

from console.core.analysis.vitals import Rating

__all__ = ["NEUTRAL_COLOR", "RATING_COLORS", "MetricCard", "describe_lcp", "format_ms"]

#: Web Vitals rating colours, as web.dev and Lighthouse draw them.
RATING_COLORS: dict[Rating, str] = {
    Rating.GOOD: "#0cce6b",
    Rating.NEEDS_IMPROVEMENT: "#ffa400",
    Rating.POOR: "#ff4e42",
    Rating.TOO_FEW: "#9aa0a6",
}
#: The sparkline colour of cards without a rating.
NEUTRAL_COLOR = "#1a73e8"

_RATING_WORDS: dict[Rating, str] = {
    Rating.GOOD: "good",
    Rating.NEEDS_IMPROVEMENT: "needs improvement",
    Rating.POOR: "poor",
    Rating.TOO_FEW: "too few",
}

_CARD_STYLE = """
QFrame#metricCard { background: #ffffff; border: 1px solid #dadce0; border-radius: 8px; }
QLabel#cardTitle { color: #5f6368; font-size: 12px; font-weight: 600; }
QLabel#cardValue { color: #202124; font-size: 26px; font-weight: 600; }
QLabel#cardCaption { color: #5f6368; font-size: 11px; }
"""
# Dark text on every rating colour: black on #0cce6b, #ffa400, #ff4e42 and #9aa0a6 all
# stay above WCAG's 4.5:1, white on them does not.
_BADGE_STYLE = "QLabel {{ background: {color}; color: #202124; border-radius: 4px; padding: 1px 6px;" \
    " font-size: 11px; font-weight: 600; }}"


def format_ms(value: float | None) -> str:
    """A duration for a card: '840 ms', '2.14 s', or '—' when there is none."""
    if value is None:
        return "—"
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.2f} s"


def describe_lcp(rating: Rating, samples: int) -> tuple[str, str]:
    """The LCP card's badge text and caption for a rating over ``samples`` page loads."""
    loads = f"{samples:,} load" + ("" if samples == 1 else "s")
    if samples == 0:
        return "no data", "no page loads in 30 min"
    if rating is Rating.TOO_FEW:
        return _RATING_WORDS[rating], f"{loads} — too few for a rating"
    return _RATING_WORDS[rating], f"p75 of {loads}"


class MetricCard(QFrame):
    """One figure of the Overview with its last-30-minutes sparkline.

    Signals:
        none: a card only shows what it is given.
    """

    def __init__(self, *, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metricCard")
        self.setStyleSheet(_CARD_STYLE)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._accent: str | None = None

        self.title_label = QLabel(title, objectName="cardTitle")
        self.value_label = QLabel("—", objectName="cardValue")
        self.caption_label = QLabel("", objectName="cardCaption")
        self.badge_label = QLabel("")
        for label in (self.title_label, self.value_label, self.caption_label, self.badge_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
        # A long caption is clipped rather than widening every card (and the window); the
        # title and the badge keep their width.
        self.caption_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.sparkline = pg.PlotWidget(background=None, enableMenu=False)
        self.sparkline.setFixedHeight(46)
        self.sparkline.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.sparkline.setStyleSheet("background: transparent; border: none;")
        plot = self.sparkline.getPlotItem()
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.setContentsMargins(0, 0, 0, 0)
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        plot.disableAutoRange()
        self._curve = plot.plot(connect="finite")
        self._paint_curve(NEUTRAL_COLOR)

        layout = QGridLayout(self)
        layout.setContentsMargins(14, 10, 14, 8)
        layout.setHorizontalSpacing(8)
        layout.setVerticalSpacing(2)
        layout.setColumnStretch(0, 1)
        layout.addWidget(self.title_label, 0, 0)
        layout.addWidget(self.badge_label, 0, 1, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.value_label, 1, 0, 1, 2)
        layout.addWidget(self.caption_label, 2, 0, 1, 2)
        layout.addWidget(self.sparkline, 3, 0, 1, 2)

    @property
    def accent_color(self) -> str | None:
        """The badge's colour (hex), None when the card has no badge."""
        return self._accent

    def set_value(self, text: str) -> None:
        """Show the big figure."""
        self.value_label.setText(text)

    def set_caption(self, text: str) -> None:
        """Show the small line under the figure."""
        self.caption_label.setText(text)

    def set_badge(self, text: str | None, color: str | None) -> None:
        """Show a coloured badge (a rating) beside the title; None removes it."""
        if self._accent == color and self.badge_label.text() == (text or ""):
            return
        self._accent = color
        # The badge is emptied rather than hidden, and the card has one flat layout: a
        # window that is not shown (a screenshot) keeps stale minimum sizes otherwise.
        if text is None or color is None:
            self.badge_label.setStyleSheet("")
            self.badge_label.setText("")
            self._paint_curve(NEUTRAL_COLOR)
            return
        self.badge_label.setText(text)
        self.badge_label.setStyleSheet(_BADGE_STYLE.format(color=color))
        self._paint_curve(color)

    def set_series(self, values: Sequence[float | None]) -> None:
        """Draw the sparkline (oldest first); None marks a minute with no value."""
        y = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
        if not np.isfinite(y).any():
            self._curve.setData([], [])
            return
        self._curve.setData(np.arange(len(y), dtype=float), y)
        # From zero, so a quiet minute looks quiet rather than stretched to full height.
        plot = self.sparkline.getPlotItem()
        plot.setRange(xRange=(0, max(1, len(y) - 1)), yRange=(0, float(np.nanmax(y)) * 1.15 or 1.0), padding=0)

    def _paint_curve(self, color: str) -> None:
        fill = pg.mkColor(color)
        fill.setAlpha(40)
        self._curve.setPen(pg.mkPen(color, width=2))
        self._curve.setFillLevel(0)
        self._curve.setBrush(pg.mkBrush(fill))
