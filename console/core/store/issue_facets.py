"""The values the error inbox's project, release and environment filters offer.

Distinct, most recently seen first, bounded; read from ``issue_releases`` (one row per
issue, release and environment), not from the errors themselves, so it stays cheap on
a store of hundreds of thousands of errors.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

__all__ = ["IssueFacets", "issue_facets"]

_LIMIT = 50


@dataclass(frozen=True, slots=True)
class IssueFacets:
    """Projects with issues, and the releases and environments errors came from."""

    projects: tuple[str, ...]
    releases: tuple[str, ...]
    environments: tuple[str, ...]


def issue_facets(conn: sqlite3.Connection) -> IssueFacets:
    """The filter values of the store behind ``conn`` (releases and environments most
    recently seen first, at most 50 each)."""
    projects = tuple(row[0] for row in conn.execute("SELECT DISTINCT project FROM issues ORDER BY project"))
    values: dict[str, tuple[str, ...]] = {}
    for column in ("release", "environment"):
        values[column] = tuple(
            row[0]
            for row in conn.execute(
                f"SELECT {column} FROM issue_releases WHERE {column} != ''"
                f" GROUP BY {column} ORDER BY max(last_seen) DESC LIMIT ?",
                (_LIMIT,),
            )
        )
    return IssueFacets(projects, values["release"], values["environment"])
