"""Funnels in a store: the saved ones (table ``funnels``), the ones the app's ``funnel_step``
events make by themselves, and each one counted over a range, broken down by platform,
release, device or experiment variant.

A funnel the app reports step by step (``track('funnel_step', {funnel, step, stepIndex})``)
needs no definition: its steps are the step names seen, in ``stepIndex`` order, and it shows
up as soon as its events arrive. Saving a funnel of the same name replaces it (with its own
steps or window). Saving and deleting are writer jobs (plain functions of the writer's
connection, inside its transaction); the rest reads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from console.core.analysis.product.funnel import FunnelDefinition, FunnelResult, count_funnel
from console.core.analysis.product.refs import COLUMNS, EventRef, check_key
from console.core.store.occurrences import Occurrences, breakdown_keys, occurrences

__all__ = [
    "BREAKDOWNS", "breakdown_choices", "delete_funnel", "funnel_export_rows", "funnel_named", "funnel_result",
    "list_funnels", "save_funnel",
]

#: Breakdowns a funnel offers besides ``experiment:<key>`` (the variant of the user's first
#: assignment to that experiment).
BREAKDOWNS = ("platform", "release", "device")
EXPERIMENT_PREFIX = "experiment:"
# Where the session does not say, the step-1 occurrence's own column, per source.
_OWN_COLUMN: dict[str, dict[str, str]] = {
    "platform": {"page_view": "platform", "page_load": "platform", "transaction": "platform"},
    "device": {"page_view": "model", "page_load": "device", "transaction": "device"},
    "release": {"error": "release", "page_load": "release", "transaction": "release"},
}


# --- definitions ------------------------------------------------------------------------------


def list_funnels(conn: sqlite3.Connection) -> list[FunnelDefinition]:
    """The saved funnels by name (ids set), then the discovered ones by name; a saved
    funnel hides a discovered one of the same name."""
    saved = [_saved(row) for row in conn.execute("SELECT id, name, definition FROM funnels ORDER BY name")]
    names = {funnel.name for funnel in saved}
    return saved + [funnel for funnel in discovered_funnels(conn) if funnel.name not in names]


def funnel_named(conn: sqlite3.Connection, name: str) -> FunnelDefinition | None:
    """The saved funnel called ``name``, else the discovered one, else None."""
    row = conn.execute("SELECT id, name, definition FROM funnels WHERE name = ?", (name,)).fetchone()
    if row is not None:
        return _saved(row)
    return next((funnel for funnel in discovered_funnels(conn) if funnel.name == name), None)


def discovered_funnels(conn: sqlite3.Connection) -> list[FunnelDefinition]:
    """The funnels the app's ``funnel_step`` events name: steps by ``stepIndex`` (steps sent
    without one after them, by first appearance), at most 10 steps; a funnel of one step is
    no funnel and is left out."""
    steps: dict[str, list[tuple[int, int, str]]] = {}
    for funnel, step, index, first in conn.execute(
        "SELECT funnel, step, min(step_index), min(ts) FROM analytics_events"
        " WHERE funnel IS NOT NULL AND step IS NOT NULL GROUP BY funnel, step"
    ):
        steps.setdefault(str(funnel), []).append((1 << 62 if index is None else int(index), int(first), str(step)))
    found = []
    for funnel in sorted(steps):
        ordered = [step for _, _, step in sorted(steps[funnel])][:10]
        if len(ordered) >= 2:
            refs = tuple(EventRef("funnel_step", step, funnel=funnel) for step in ordered)
            found.append(FunnelDefinition(name=funnel, steps=refs, discovered=True))
    return found


def _saved(row: tuple[int, str, str]) -> FunnelDefinition:
    funnel_id, name, definition = row
    data = orjson.loads(definition)
    return FunnelDefinition.from_json({**data, "name": name, "id": funnel_id, "discovered": False})


def save_funnel(conn: sqlite3.Connection, funnel: FunnelDefinition, *, now_ms: int) -> int:
    """Insert ``funnel`` (no id) or replace the one with its id; the id. A writer job.

    ValueError when another saved funnel has its name, or the id names none (deleted
    meanwhile: saving must not bring it back under its old id).
    """
    name = funnel.name.strip()
    clash = conn.execute("SELECT id FROM funnels WHERE name = ? AND id IS NOT ?", (name, funnel.id)).fetchone()
    if clash is not None:
        raise ValueError(f"a funnel named {name!r} already exists")
    definition = funnel.to_json()
    for key in ("name", "id", "discovered"):
        definition.pop(key, None)
    text = orjson.dumps(definition).decode()
    if funnel.id is None:
        cursor = conn.execute(
            "INSERT INTO funnels (name, definition, created_ms, updated_ms) VALUES (?, ?, ?, ?)",
            (name, text, now_ms, now_ms),
        )
        return int(cursor.lastrowid or 0)
    cursor = conn.execute(
        "UPDATE funnels SET name = ?, definition = ?, updated_ms = ? WHERE id = ?", (name, text, now_ms, funnel.id)
    )
    if cursor.rowcount == 0:
        raise ValueError(f"there is no funnel {funnel.id}; was it deleted?")
    return funnel.id


def delete_funnel(conn: sqlite3.Connection, funnel_id: int) -> bool:
    """Delete a saved funnel; whether there was one. A writer job. (A discovered funnel
    cannot be deleted: it is its events.)"""
    return conn.execute("DELETE FROM funnels WHERE id = ?", (funnel_id,)).rowcount > 0


# --- results ----------------------------------------------------------------------------------


def breakdown_choices(conn: sqlite3.Connection, funnel: FunnelDefinition | None = None) -> list[tuple[str, str]]:
    """``(key, label)`` of the breakdowns a funnel offers: platform, release, device, one per
    experiment with assignments in the store and, given the funnel, every column and property
    of its first step (``properties.plan``: the plan the user entered with)."""
    experiments = [str(key) for (key,) in conn.execute(
        "SELECT DISTINCT experiment FROM experiment_assignments ORDER BY experiment")]
    choices = [(key, key) for key in BREAKDOWNS] + [
        (f"{EXPERIMENT_PREFIX}{key}", f"experiment {key}") for key in experiments
    ]
    if funnel is not None:
        source = funnel.steps[0].source
        choices += [(key, f"first step: {key}") for key in breakdown_keys(conn, source)
                    if key not in BREAKDOWNS and not key.startswith("session.")]
    return choices


def funnel_result(
    conn: sqlite3.Connection,
    funnel: FunnelDefinition,
    start_ms: int,
    end_ms: int,
    *,
    breakdown: str | None = None,
    top: int = 10,
) -> FunnelResult:
    """``funnel`` counted over ``[start_ms, end_ms)`` (every step inside the range), as
    :func:`~console.core.analysis.product.funnel.count_funnel` counts it.

    ``breakdown``: ``platform``, ``release`` or ``device`` (of the session of the user's
    first step-1 occurrence, else that occurrence's own column), ``experiment:<key>`` (the
    variant of the user's first assignment), or a column or property of the first step
    (``properties.plan``: its value on the user's first step-1 occurrence); ValueError for
    anything else.
    """
    entry = funnel.steps[0]
    own_key = None
    if breakdown is not None and breakdown not in BREAKDOWNS and not (
        breakdown.startswith(EXPERIMENT_PREFIX) and len(breakdown) > len(EXPERIMENT_PREFIX)
    ):
        try:
            own_key = check_key(entry.source, breakdown)
        except ValueError:
            raise ValueError(
                f"unknown breakdown {breakdown!r}: use platform, release, device, experiment:<key>"
                f" or a column or property of the first step ({', '.join(COLUMNS[entry.source])}, properties.<name>)"
            ) from None
    session_key = f"session.{breakdown}" if breakdown in BREAKDOWNS else own_key
    read: dict[EventRef, Occurrences] = {entry: occurrences(conn, entry, start_ms, end_ms, breakdown=session_key)}
    for ref in funnel.steps[1:]:
        if ref not in read:
            read[ref] = occurrences(conn, ref, start_ms, end_ms)
    groups = None
    if breakdown is not None:
        groups = _entry_groups(conn, entry, read[entry], start_ms, end_ms, breakdown)
    counted = count_funnel(
        [(read[ref].ts, read[ref].actor) for ref in funnel.steps], funnel.window_ms,
        labels=funnel.step_labels(), repeats=funnel.repeats(), groups=groups, top=top,
    )
    return FunnelResult(
        definition=funnel, start_ms=start_ms, end_ms=end_ms, steps=counted.steps,
        breakdown_key=breakdown, breakdown=counted.breakdown,
    )


def _entry_groups(
    conn: sqlite3.Connection, entry: EventRef, found: Occurrences, start_ms: int, end_ms: int, breakdown: str
) -> npt.NDArray[np.object_]:
    """The breakdown value of each step-1 occurrence (count_funnel keeps each user's first)."""
    if breakdown.startswith(EXPERIMENT_PREFIX):
        return _variants(conn, breakdown[len(EXPERIMENT_PREFIX):], found.actor, found.session, entry.project)
    assert found.group is not None
    groups = found.group
    if breakdown not in BREAKDOWNS:  # the first step's own column or property, as read
        return groups
    column = _OWN_COLUMN[breakdown].get(entry.source)
    missing = np.fromiter((g is None for g in groups), bool, len(groups))
    if column is None or column not in COLUMNS[entry.source] or not missing.any():
        return groups
    # Sessions that do not say (or none known): the user's first occurrence's own column.
    own = occurrences(conn, entry, start_ms, end_ms, breakdown=column)
    assert own.group is not None
    first: dict[Any, Any] = {}
    for actor, value in zip(own.actor.tolist(), own.group.tolist(), strict=True):
        if value is not None:
            first.setdefault(actor, value)
    filled = groups.copy()
    for position in np.flatnonzero(missing).tolist():
        filled[position] = first.get(found.actor[position])
    return filled


def _variants(
    conn: sqlite3.Connection, experiment: str, actors: npt.NDArray[np.object_], sessions: npt.NDArray[np.object_],
    project: str | None,
) -> npt.NDArray[np.object_]:
    """Per occurrence, the variant of its actor's first assignment to ``experiment`` (by user
    id), else of its session's (an assignment sent before the login names no user), None
    when never assigned."""
    sql = "SELECT user_id, session_id, variant FROM experiment_assignments WHERE experiment = ?"
    params: list[Any] = [experiment]
    if project is not None:
        sql += " AND project = ?"
        params.append(project)
    by_user: dict[str, str] = {}
    by_session: dict[str, str] = {}
    for user, session, variant in conn.execute(sql + " ORDER BY ts, id", params):
        if user is not None:
            by_user.setdefault(user, variant)
        if session is not None:
            by_session.setdefault(session, variant)
    return np.array(
        [by_user.get(a) or by_session.get(s) for a, s in zip(actors.tolist(), sessions.tolist(), strict=True)],
        dtype=object,
    )


def funnel_export_rows(results: Sequence[FunnelResult]) -> list[dict[str, Any]]:
    """One flat row per funnel, breakdown group and step (group "all" for every user), for CSV."""
    rows: list[dict[str, Any]] = []
    for result in results:
        groups = [("all", result.steps), *result.breakdown]
        for group, steps in groups:
            for position, step in enumerate(steps, start=1):
                rows.append({
                    "funnel": result.definition.name, "discovered": result.definition.discovered,
                    "window_ms": result.definition.window_ms, "start_ms": result.start_ms,
                    "end_ms": result.end_ms, "breakdown": result.breakdown_key, "group": group,
                    "step_index": position, "step": step.label, "users": step.users,
                    "conversion_from_previous": step.conversion_from_previous,
                    "conversion_overall": step.conversion_overall, "dropped": step.dropped,
                    "median_ms_from_previous": step.median_ms_from_previous,
                })
    return rows
