"""What a user does to product-analytics definitions — save or delete a funnel, a KPI or a
dashboard — as plain data, and carrying it out in a writer job.

A :class:`ProductAction` travels from the window to the collector's writer as JSON
(``POST /lookout/analytics/actions``) or goes straight to the window's own writer, like
:class:`~console.core.store.alerts.AlertAction`. ``ensure_default_dashboard`` is the
window's once-per-store request for the default dashboard, which either writer answers.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from console.core.analysis.product.dashboard import Dashboard
from console.core.analysis.product.funnel import FunnelDefinition
from console.core.analysis.product.kpi import KpiDefinition
from console.core.store.dashboards import delete_dashboard, ensure_default_dashboard, save_dashboard
from console.core.store.funnel_queries import delete_funnel, save_funnel
from console.core.store.kpi_queries import delete_kpi, save_kpi

__all__ = ["PRODUCT_ACTION_KINDS", "ProductAction", "apply_product_action"]

PRODUCT_ACTION_KINDS = (
    "save_funnel", "delete_funnel", "save_kpi", "delete_kpi", "save_dashboard", "delete_dashboard",
    "ensure_default_dashboard",
)
# What each kind is about: its table, and what a message calls it.
_SUBJECTS = {"funnel": ("funnels", "funnel"), "kpi": ("kpis", "KPI"), "dashboard": ("dashboards", "dashboard")}
_FIELDS = ("kind", "id", "body")
_MAX_ID = 2**63 - 1

Definition = FunnelDefinition | KpiDefinition | Dashboard


@dataclass(frozen=True, slots=True)
class ProductAction:
    """One thing a user does to a funnel, a KPI or a dashboard.

    ``save_*`` needs ``body``, the definition's JSON (``id``, or the body's own ``"id"``,
    names the one it replaces; none inserts); ``delete_*`` needs ``id`` and takes no body;
    ``ensure_default_dashboard`` takes neither.
    """

    kind: str
    id: int | None = None
    body: dict[str, Any] | None = None

    @classmethod
    def save(cls, definition: Definition) -> ProductAction:
        """The action that saves ``definition`` (inserted without an id, else replaced)."""
        kind = {FunnelDefinition: "save_funnel", KpiDefinition: "save_kpi", Dashboard: "save_dashboard"}
        return cls(kind=kind[type(definition)], body=definition.to_json())

    @property
    def subject(self) -> str:
        """``funnel``, ``kpi`` or ``dashboard``."""
        return self.kind.partition("_")[2].removeprefix("default_")

    def validate(self) -> None:
        """Raise ValueError with a reason when this is not a valid action."""
        self.definition()

    def definition(self) -> Definition | None:
        """The definition a save carries (its id from ``id`` when given); None for the rest.
        ValueError with a reason when the action is not valid."""
        if self.kind not in PRODUCT_ACTION_KINDS:
            raise ValueError(f"'kind' must be one of {', '.join(PRODUCT_ACTION_KINDS)}, not {self.kind!r}")
        if self.id is not None and (isinstance(self.id, bool) or not isinstance(self.id, int)
                                    or not 0 < self.id <= _MAX_ID):
            raise ValueError(f"'id' must be a positive integer, not {self.id!r}")
        if self.kind == "ensure_default_dashboard":
            if self.id is not None or self.body is not None:
                raise ValueError("'ensure_default_dashboard' takes no 'id' and no 'body'")
            return None
        if self.kind.startswith("delete_"):
            if self.id is None:
                raise ValueError(f"'{self.kind}' needs 'id'")
            if self.body is not None:
                raise ValueError(f"'body' is for saving, not {self.kind!r}")
            return None
        if not isinstance(self.body, dict):
            raise ValueError(f"'{self.kind}' needs 'body', the {self.subject} as a JSON object")
        data = dict(self.body)
        if self.id is not None:
            data["id"] = self.id
        if self.kind == "save_funnel":
            # A funnel discovered from funnel_step events, once saved, is the user's own (and,
            # by its name, hides the discovered one).
            return FunnelDefinition.from_json({**data, "discovered": False})
        if self.kind == "save_kpi":
            return KpiDefinition.from_json(data)
        return Dashboard.from_json(data)

    def to_json(self) -> dict[str, Any]:
        """The action as JSON-ready data (for the collector's analytics action route)."""
        data: dict[str, Any] = {"kind": self.kind}
        if self.id is not None:
            data["id"] = self.id
        if self.body is not None:
            data["body"] = self.body
        return data

    @classmethod
    def from_json(cls, data: Any) -> ProductAction:
        """An action from JSON data; ValueError with a reason when it is not one."""
        if not isinstance(data, dict):
            raise ValueError("an analytics action must be a JSON object with a 'kind'")
        unknown = sorted(str(key) for key in data if key not in _FIELDS)
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; an action has {', '.join(_FIELDS)}")
        if not isinstance(data.get("kind"), str):
            raise ValueError("'kind' must be a string")
        action = cls(kind=data["kind"], id=data.get("id"), body=data.get("body"))
        action.validate()
        return action


def apply_product_action(conn: sqlite3.Connection, action: ProductAction, *, now_ms: int) -> dict[str, Any]:
    """Carry out ``action`` in the caller's write transaction: ``{"kind": ..., "id": ...}``,
    the id saved or deleted (``ensure_default_dashboard``: the default's new id, or None
    when the store had had it).

    Raises ValueError for an invalid action, a name another definition has, or an id that
    names nothing.
    """
    definition = action.definition()
    if action.kind == "ensure_default_dashboard":
        return {"kind": action.kind, "id": ensure_default_dashboard(conn, now_ms=now_ms)}
    table, noun = _SUBJECTS[action.subject]
    if definition is None:
        assert action.id is not None  # definition() said so
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (action.id,)).fetchone() is None:
            raise ValueError(f"there is no {noun} {action.id}")
        if action.subject == "funnel":
            delete_funnel(conn, action.id)
        elif action.subject == "kpi":
            delete_kpi(conn, action.id)
        else:
            delete_dashboard(conn, action.id)
        return {"kind": action.kind, "id": action.id}
    try:
        if isinstance(definition, FunnelDefinition):
            saved = save_funnel(conn, definition, now_ms=now_ms)
        elif isinstance(definition, KpiDefinition):
            saved = save_kpi(conn, definition, now_ms=now_ms)
        else:
            saved = save_dashboard(conn, definition, now_ms=now_ms)
    except sqlite3.IntegrityError as exc:
        # A name taken by another row; not the store's fault, so not a 503.
        raise ValueError(f"the {noun} could not be saved: {exc}") from None
    return {"kind": action.kind, "id": saved}
