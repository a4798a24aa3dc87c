"""The Metrics panel: the metric series OTLP senders exported, each with a chart."""

from console.gui.metrics.panel import MetricsPanel

__all__ = ["MetricsPanel"]
