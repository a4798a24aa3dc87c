"""The Performance panel: Web Vitals and transaction charts, routes, histograms, waterfalls."""

from console.gui.performance.panel import PerformancePanel

__all__ = ["PerformancePanel"]
