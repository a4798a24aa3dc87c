"""The Logs panel: every log from every sender, searchable, with a live tail."""

from console.gui.logs.panel import LogsPanel

__all__ = ["LogsPanel"]
