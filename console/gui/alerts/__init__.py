"""The Alerts panel: rules and their states, recent alerts, the rule editor."""

from console.gui.alerts.editor import RuleEditor
from console.gui.alerts.panel import AlertsPanel

__all__ = ["AlertsPanel", "RuleEditor"]
