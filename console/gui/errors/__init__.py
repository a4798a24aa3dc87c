"""The Errors panel: the error inbox, issues with their events, breadcrumbs and context."""

from console.gui.errors.panel import ErrorsPanel

__all__ = ["ErrorsPanel"]
