"""Alerts: rules over the store's metrics, their state machine, and their evaluation.

No Qt here: the collector evaluates headless and the window only shows what is stored.
:mod:`~console.core.analysis.alerts.rules` says what a rule is,
:mod:`~console.core.analysis.alerts.measure` measures it,
:mod:`~console.core.analysis.alerts.state` steps its state,
:mod:`~console.core.analysis.alerts.engine` evaluates every rule and stores the outcome
(through :mod:`console.core.store.alerts`), and
:mod:`~console.core.analysis.alerts.srm` tests experiments for sample-ratio mismatch.
"""

from __future__ import annotations

from console.core.analysis.alerts.engine import Cycle, backtest, evaluate, run_cycle
from console.core.analysis.alerts.measure import MeasureError, Measurement, measure, series
from console.core.analysis.alerts.rules import (
    CHANNELS,
    DEFAULT_RULES,
    AlertRule,
    Comparison,
    Metric,
    RuleFilters,
    Severity,
)
from console.core.analysis.alerts.state import (
    AlertState,
    RuleState,
    Transition,
    acknowledge,
    resolve_by_hand,
    silence,
    step,
)

__all__ = [
    "CHANNELS", "DEFAULT_RULES", "AlertRule", "AlertState", "Comparison", "Cycle", "MeasureError", "Measurement",
    "Metric", "RuleFilters", "RuleState", "Severity", "Transition", "acknowledge", "backtest", "evaluate",
    "measure", "resolve_by_hand", "run_cycle", "series", "silence", "step",
]
