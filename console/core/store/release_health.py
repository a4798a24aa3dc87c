"""Release health from Sentry session updates: sessions and crash-free rate per release.

SDKs report sessions two ways (both land in ``session_updates``): single sessions that are
updated as they go (the latest update of a session id is its state) and pre-aggregated
buckets (a count per final status). A session is *crashed* when it ended ``crashed``,
*abnormal* when the app died without ending it, *errored* when it saw handled errors; the
crash-free rate is the share that did not crash, as Sentry's release health computes it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

__all__ = ["ReleaseHealth", "release_health"]


@dataclass(frozen=True, slots=True)
class ReleaseHealth:
    """Sessions of one release (``release`` None: sessions that named none)."""

    project: str
    release: str | None
    sessions: int
    crashed: int
    abnormal: int
    errored: int

    @property
    def crash_free_rate(self) -> float | None:
        """Share of sessions that did not crash (None without sessions)."""
        return None if self.sessions == 0 else 1 - self.crashed / self.sessions


def release_health(conn: sqlite3.Connection) -> list[ReleaseHealth]:
    """Every release that reported sessions, newest first by its latest update."""
    rows = conn.execute(
        """
        WITH latest AS (
            SELECT project, session_id, max(event_id) AS event_id FROM session_updates
            WHERE session_id IS NOT NULL GROUP BY project, session_id
        ), states AS (
            SELECT u.project, u.release, u.status, 1 AS n, coalesce(u.errors, 0) > 0 AS had_errors, u.event_id
            FROM session_updates u JOIN latest USING (event_id)
            UNION ALL
            SELECT project, release, status, coalesce(quantity, 0), status = 'errored', event_id
            FROM session_updates WHERE session_id IS NULL
        )
        SELECT project, release, sum(n),
               sum(CASE WHEN status = 'crashed' THEN n ELSE 0 END),
               sum(CASE WHEN status = 'abnormal' THEN n ELSE 0 END),
               sum(CASE WHEN status NOT IN ('crashed', 'abnormal') AND had_errors THEN n ELSE 0 END)
        FROM states GROUP BY project, release ORDER BY max(event_id) DESC
        """
    ).fetchall()
    return [ReleaseHealth(p, r, int(s), int(c), int(a), int(e)) for p, r, s, c, a, e in rows]
