"""The Overview panel: the chosen dashboard above the stream of every arriving event."""

from console.gui.overview.panel import OverviewPanel

__all__ = ["OverviewPanel"]

