"""Table models of the Experiments panel: experiments, exposures, a goal's variants, guardrails.

Each is a :class:`~console.gui.performance.tables.ColumnTableModel` over rows the core
computed (:mod:`console.core.store.experiment_queries`); the models only print them. A
lift whose interval lies wholly above zero is coloured as a "good" cell, wholly below as a
"poor" one, so a reader sees at a glance which differences the data supports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from console.core.analysis.experiments.stats import Lift, Proportion
from console.core.analysis.vitals import Rating
from console.core.store.experiment_queries import ExperimentSummary, GoalResult, Guardrail, VariantResult
from console.gui.performance.tables import Column, ColumnTableModel
from console.gui.performance.units import format_value

__all__ = [
    "ExperimentListModel", "ExposureModel", "GoalRow", "GoalTableModel", "GuardrailModel", "experiment_key",
    "goal_rows", "percent", "signed_interval", "signed_percent",
]


def percent(value: float | None, digits: int = 1) -> str:
    """'12.3%' for 0.123; '–' for nothing."""
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def signed_percent(value: float | None, digits: int = 1) -> str:
    """'+12.3%' / '−4.0%' for a lift (a fraction)."""
    if value is None:
        return "–"
    text = f"{value * 100:+.{digits}f}%"
    return text.replace("-", "−")


def signed_interval(low: float, high: float, digits: int = 1) -> str:
    """'+4.0 … +20.1%': one percent sign, to keep table cells narrow."""
    return f"{signed_percent(low, digits).rstrip('%')} … {signed_percent(high, digits)}"


def experiment_key(summary: ExperimentSummary) -> str:
    """How the panel names an experiment across refreshes: project and key."""
    return f"{summary.project}/{summary.key}"


def _variants_text(summary: ExperimentSummary) -> str:
    total = sum(summary.weights) or 1.0
    if len(summary.weights) != len(summary.variants):
        return " / ".join(summary.variants)
    return " / ".join(f"{v} {w / total * 100:.0f}%" for v, w in zip(summary.variants, summary.weights, strict=True))


class ExperimentListModel(ColumnTableModel[ExperimentSummary]):
    """Every experiment the store knows, defined or discovered from events."""

    def __init__(self) -> None:
        columns: list[Column[ExperimentSummary]] = [
            Column(
                "Experiment", lambda s: s.name or s.key, lambda s: (s.name or s.key).lower(), numeric=False,
                tooltip=lambda s: f"{s.key} in project {s.project}\nvariants: {_variants_text(s)}"
                + (f"\ngoals: {', '.join(s.goals)}" if s.goals else ""),
            ),
            Column("Users", lambda s: f"{s.users:,}", lambda s: s.users),
            Column(
                "Source", lambda s: "defined" if s.source == "definition" else "discovered", lambda s: s.source,
                numeric=False,
                tooltip=lambda s: "from a definition" if s.source == "definition"
                else "seen only in assignments or goals: no definition yet",
            ),
        ]
        super().__init__(columns, key=experiment_key)


class ExposureModel(ColumnTableModel[VariantResult]):
    """Users per variant, their share and the share the weights ask for."""

    def __init__(self) -> None:
        columns: list[Column[VariantResult]] = [
            Column("Variant", lambda r: r.variant, lambda r: r.variant, numeric=False),
            Column("Users", lambda r: f"{r.users:,}", lambda r: r.users),
            Column("Share", lambda r: percent(r.share), lambda r: r.share),
            Column("Expected", lambda r: percent(r.expected_share), lambda r: r.expected_share),
        ]
        super().__init__(columns, key=lambda r: r.variant)


@dataclass(frozen=True, slots=True)
class GoalRow:
    """One variant's line in a goal's table (the control has no lift)."""

    variant: str
    control: bool
    conversion: Proportion
    value: float | None
    lift: Lift | None
    sequential: tuple[float, float] | None


def goal_rows(goal: GoalResult, control: str) -> list[GoalRow]:
    """The control first, then the other variants, in the order the result has them."""
    order = [control] + [v for v in goal.per_variant if v != control]
    return [
        GoalRow(
            variant=v, control=v == control, conversion=goal.per_variant[v], value=goal.values.get(v),
            lift=goal.lifts.get(v), sequential=goal.sequential.get(v),
        )
        for v in order
        if v in goal.per_variant
    ]


def _direction(low: float | None, high: float | None) -> Rating | None:
    if low is None or high is None:
        return None
    if low > 0:
        return Rating.GOOD
    if high < 0:
        return Rating.POOR
    return None


def _relative_text(row: GoalRow, sequential: bool) -> str:
    if row.lift is None:
        return "control" if row.control else "–"
    if sequential and row.sequential is not None:
        low, high = row.sequential
    else:
        low, high = row.lift.relative_low, row.lift.relative_high
    return f"{signed_percent(row.lift.relative)} ({signed_interval(low, high)})"


def _relative_bounds(row: GoalRow, sequential: bool) -> tuple[float | None, float | None]:
    if row.lift is None:
        return None, None
    if sequential and row.sequential is not None:
        return row.sequential
    return row.lift.relative_low, row.lift.relative_high


class GoalTableModel(ColumnTableModel[GoalRow]):
    """A goal's variants: users, conversions, rate, lifts with intervals, p-value, chance to beat.

    ``sequential``: the relative lift's interval is the always-valid one, which stays honest
    however often it is looked at. ``with_values``: a column for the mean value per user.
    """

    def __init__(self) -> None:
        super().__init__(self._columns(sequential=False, with_values=False), key=lambda r: r.variant)
        self.sequential = False
        self.with_values = False

    def show(self, rows: Sequence[GoalRow], *, sequential: bool, with_values: bool) -> None:
        """Show ``rows`` with the columns these choices call for."""
        self.beginResetModel()
        self.sequential, self.with_values = sequential, with_values
        self.columns = self._columns(sequential=sequential, with_values=with_values)
        self.rows = list(rows)
        self.endResetModel()

    @staticmethod
    def _columns(*, sequential: bool, with_values: bool) -> list[Column[GoalRow]]:
        interval = "always-valid" if sequential else "95% CI"
        columns: list[Column[GoalRow]] = [
            Column("Variant", lambda r: r.variant, lambda r: (not r.control, r.variant), numeric=False),
            Column("Users", lambda r: f"{r.conversion.users:,}", lambda r: r.conversion.users),
            Column("Conversions", lambda r: f"{r.conversion.conversions:,}", lambda r: r.conversion.conversions),
            Column(
                "Rate (95% CI)",
                lambda r: f"{percent(r.conversion.rate, 2)} ({r.conversion.ci_low * 100:.1f} … "
                f"{percent(r.conversion.ci_high, 1)})",
                lambda r: r.conversion.rate,
                tooltip=lambda r: "conversion rate with its 95% interval",
            ),
            Column(
                "Abs. lift (95% CI)",
                lambda r: _absolute_text(r, with_values),
                lambda r: None if r.lift is None else r.lift.absolute,
                rating=lambda r: None if r.lift is None else _direction(r.lift.absolute_low, r.lift.absolute_high),
                tooltip=lambda r: "" if r.lift is None else (
                    "difference in mean value per user against control" if with_values
                    else "difference in conversion rate against control, in percentage points"),
            ),
            Column(
                f"Rel. lift ({interval})",
                lambda r: _relative_text(r, sequential),
                lambda r: None if r.lift is None else r.lift.relative,
                rating=lambda r: _direction(*_relative_bounds(r, sequential)),
                tooltip=lambda r: "" if r.lift is None else (
                    "always-valid (sequential) interval: honest however often you look" if sequential
                    else "fixed-horizon 95% interval (delta method): valid once, at the planned sample"),
            ),
            Column(
                "p-value", lambda r: "–" if r.lift is None else _p_text(r.lift.p_value),
                lambda r: None if r.lift is None else r.lift.p_value,
            ),
            Column(
                "Chance to\nbeat control", lambda r: "–" if r.lift is None else percent(r.lift.chance_to_beat),
                lambda r: None if r.lift is None else r.lift.chance_to_beat,
            ),
        ]
        if with_values:
            columns.append(
                Column(
                    "Mean value\nper user", lambda r: "–" if r.value is None else _number(r.value),
                    lambda r: r.value, tooltip=lambda r: "mean value per assigned user (0 for those who never converted)",
                )
            )
        return columns


def _number(value: float, signed: bool = False) -> str:
    """A value goal's figure: three decimals when small (0.102), two when large (1,234.50)."""
    sign = "+" if signed else ""
    text = f"{value:{sign},.3f}" if abs(value) < 10 else f"{value:{sign},.2f}"
    return text.replace("-", "−")


def _absolute_text(row: GoalRow, with_values: bool) -> str:
    if row.lift is None:
        return "–"
    lift = row.lift
    if with_values:
        # A value goal's lift is in its own unit (revenue per user), not in percentage points.
        low, high = _number(lift.absolute_low, True), _number(lift.absolute_high, True)
        return f"{_number(lift.absolute, True)} ({low} … {high})"
    return f"{signed_percent(lift.absolute, 2)} ({signed_interval(lift.absolute_low, lift.absolute_high, 2)})"


def _p_text(p: float) -> str:
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}"


class GuardrailModel(ColumnTableModel[Guardrail]):
    """Per variant: errors per user from the error store and the page-load LCP p75."""

    def __init__(self) -> None:
        columns: list[Column[Guardrail]] = [
            Column("Variant", lambda g: g.variant, lambda g: g.variant, numeric=False),
            Column("Errors", lambda g: f"{g.errors:,}", lambda g: g.errors),
            Column(
                "Errors / user", lambda g: "–" if g.error_rate is None else f"{g.error_rate:.3f}",
                lambda g: g.error_rate, tooltip=lambda g: "errors from this variant's users, per assigned user",
            ),
            Column("Page loads", lambda g: f"{g.loads:,}", lambda g: g.loads),
            Column(
                "LCP p75", lambda g: format_value("lcp", g.lcp_p75), lambda g: g.lcp_p75,
                tooltip=lambda g: f"75th percentile of LCP over {g.loads:,} page loads by this variant's users",
            ),
        ]
        super().__init__(columns, key=lambda g: g.variant)
