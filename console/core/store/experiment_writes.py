"""Creating or editing an experiment's definition: a job for the store's single writer.

The window's dialog builds an :class:`ExperimentDefinition` and hands
``lambda conn: save_definition(conn, definition)`` to ``StoreWriter.run``, which runs it in
its own transaction on the writer thread. The row is the one a native ``experiment``
payload upserts (``experiments``, in the payload's JSON shapes), so definitions from an
app and from the window read the same way.
"""

from __future__ import annotations

import math
import sqlite3
import time
from dataclasses import dataclass

import orjson

__all__ = ["ExperimentDefinition", "save_definition"]

_UPSERT = """
    INSERT INTO experiments (project, experiment, name, variants, goals, first_seen, updated)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (project, experiment) DO UPDATE SET
        name = excluded.name, variants = excluded.variants, goals = excluded.goals, updated = excluded.updated
"""


@dataclass(frozen=True, slots=True)
class ExperimentDefinition:
    """An experiment as its owner defines it: variants with weights (any unit), and goals."""

    project: str
    key: str
    variants: tuple[tuple[str, float], ...]
    goals: tuple[str, ...] = ()
    name: str | None = None

    def problems(self) -> list[str]:
        """What makes this definition unusable, in words (empty when it is fine)."""
        found: list[str] = []
        if not self.project.strip():
            found.append("a project is needed")
        if not self.key.strip():
            found.append("a key is needed")
        names = [n.strip() for n, _ in self.variants]
        if len(names) < 2:
            found.append("an experiment needs at least two variants")
        if any(not n for n in names):
            found.append("every variant needs a name")
        if len(set(names)) != len(names):
            found.append("variant names must differ")
        weights = [w for _, w in self.variants]
        if any(not math.isfinite(w) or w < 0 for w in weights) or (weights and sum(weights) <= 0):
            found.append("weights must be non-negative numbers, not all 0")
        goals = [g.strip() for g in self.goals]
        if any(not g for g in goals) or len(set(goals)) != len(goals):
            found.append("goal names must be non-empty and differ")
        return found


def save_definition(conn: sqlite3.Connection, definition: ExperimentDefinition, *, now_ms: int | None = None) -> None:
    """Create or replace the definition (a writer job: the caller's transaction, no commit here).

    Raises ValueError with :meth:`ExperimentDefinition.problems` when it is unusable.
    """
    problems = definition.problems()
    if problems:
        raise ValueError("; ".join(problems))
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    variants = [{"name": n.strip(), "weight": w} for n, w in definition.variants]
    conn.execute(
        _UPSERT,
        (definition.project.strip(), definition.key.strip(), definition.name,
         orjson.dumps(variants).decode(), orjson.dumps([g.strip() for g in definition.goals]).decode(), now, now),
    )
