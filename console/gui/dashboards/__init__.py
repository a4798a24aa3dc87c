"""Dashboards in the window: a grid of charts and metric cards, their editor and the selector."""

from console.gui.dashboards.view import DashboardView

__all__ = ["DashboardView"]
