"""The Analytics panel: sessions and their timelines, identified users, and the product's numbers."""

from console.gui.analytics.panel import AnalyticsPanel, AnalyticsRange

__all__ = ["AnalyticsPanel", "AnalyticsRange"]
