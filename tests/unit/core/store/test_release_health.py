"""Crash-free sessions per release, from recorded sentry-python session envelopes."""

from __future__ import annotations

from pathlib import Path

import orjson

from console.core.ingest.sentry import decode_envelope
from console.core.store.release_health import release_health
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter

SENTRY = Path(__file__).parents[3] / "fixtures" / "payloads" / "sentry"


def session_envelope(sid: str, status: str, *, errors: int = 0, release: str = "shop@2.0") -> bytes:
    item = orjson.dumps({"sid": sid, "status": status, "errors": errors, "init": status == "ok",
                         "started": "2025-11-28T00:00:00Z", "attrs": {"release": release}})
    return b"{}\n" + orjson.dumps({"type": "session"}) + b"\n" + item + b"\n"


def test_the_latest_update_of_each_session_and_the_aggregates_count(store_path: Path) -> None:
    bodies = [
        session_envelope("a", "ok"), session_envelope("a", "exited"),            # clean
        session_envelope("b", "ok"), session_envelope("b", "exited", errors=2),  # errored
        session_envelope("c", "ok"), session_envelope("c", "crashed", errors=1),  # crashed
        session_envelope("d", "abnormal"),
        session_envelope("e", "crashed", release="shop@2.1"),
    ]
    events = [e for body in bodies for e in decode_envelope(body, project="1", now_ms=0).events]
    aggregates = decode_envelope((SENTRY / "python-sessions-2.envelope").read_bytes(), project="1", now_ms=0)
    writer = StoreWriter(path=store_path)
    writer.start()
    writer.write([*events, *aggregates.events])
    writer.stop()
    conn = connect(store_path, readonly=True)
    health = {h.release: h for h in release_health(conn)}
    conn.close()
    two = health["shop@2.0"]
    assert (two.sessions, two.crashed, two.abnormal, two.errored) == (4, 1, 1, 1)
    assert two.crash_free_rate == 0.75
    assert health["shop@2.1"].crash_free_rate == 0.0
    recorded = [h for release, h in health.items() if release not in ("shop@2.0", "shop@2.1")]
    # The recorded aggregate: three request-mode sessions, one of which saw an error.
    assert [(h.sessions, h.errored, h.crashed) for h in recorded] == [(3, 1, 0)]
