"""The normalised event: what every decoder produces and the writer stores.

A decoder turns a client's payload into :class:`Event` objects. Each event has the columns
every kind shares (project, times, session, user, a one-line summary) and the typed columns
of its own kind's table; the rest of the payload rides along in ``data`` and is stored as
JSON. ``children`` holds rows that belong to the event in other tables (a transaction's
spans, the network row of a failed request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["KIND_TABLES", "Event", "Kind"]


class Kind(StrEnum):
    """The kinds of telemetry Lookout stores; the value is what the stream shows."""

    TRANSACTION = "transaction"
    PAGE_LOAD = "page_load"
    PAGE_VIEW = "page_view"
    INTERACTION = "interaction"
    CUSTOM_EVENT = "custom_event"
    ERROR = "error"
    NETWORK_REQUEST = "network_request"
    LOG = "log"
    ANALYTICS = "analytics"
    EXPERIMENT = "experiment"
    SPANS = "spans"
    SESSION_UPDATE = "session_update"
    CLIENT_REPORT = "client_report"
    METRICS = "metrics"
    KPI = "kpi"


#: The table that holds each kind's typed columns, keyed by ``event_id``.
KIND_TABLES: dict[Kind, str] = {
    Kind.TRANSACTION: "transactions",
    Kind.PAGE_LOAD: "page_loads",
    Kind.PAGE_VIEW: "page_views",
    Kind.INTERACTION: "interactions",
    Kind.CUSTOM_EVENT: "custom_events",
    Kind.ERROR: "errors",
    Kind.NETWORK_REQUEST: "network_requests",
    Kind.LOG: "logs",
    Kind.ANALYTICS: "analytics_events",
    Kind.EXPERIMENT: "experiment_definitions",
    Kind.SPANS: "span_batches",
    Kind.SESSION_UPDATE: "session_updates",
    Kind.CLIENT_REPORT: "client_reports",
    Kind.METRICS: "metric_batches",
    Kind.KPI: "kpi_definitions",
}


@dataclass(slots=True)
class Event:
    """One normalised piece of telemetry, ready for the writer.

    ``timestamp`` is when it happened on the client, in integer milliseconds UTC.
    ``columns`` are the typed columns of the kind's table; ``data`` is the decoded payload
    (already cut to the documented limits) stored as JSON; ``children`` are
    ``(table, columns)`` rows stored alongside, each getting this event's id.
    """

    kind: Kind
    project: str
    timestamp: int
    summary: str
    session_id: str | None = None
    user_id: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    children: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
