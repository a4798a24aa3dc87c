"""The Overview panel: live metric cards and the stream of every arriving event."""

from console.gui.overview.panel import OverviewPanel

__all__ = ["OverviewPanel"]

