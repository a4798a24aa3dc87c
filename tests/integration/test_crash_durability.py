"""An acknowledged event survives ``kill -9`` of the collector, and a restarted collector
carries on in the same file.

Several clients post batches of uniquely named events at full speed; the collector is
killed with SIGKILL while requests are in flight; every batch that was answered 200 must
then be in the file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.integration.support import CollectorLauncher, custom_events

pytestmark = pytest.mark.slow

CLIENTS = 6
BATCH = 50
LOAD_S = 3.0


@dataclass
class Ledger:
    """What the clients sent and what the collector acknowledged, shared between their threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: list[str] = field(default_factory=list)
    acked_requests: int = 0
    in_flight: int = 0
    cut_off: int = 0
    refused: list[str] = field(default_factory=list)


def post_until_stopped(url: str, client_no: int, stop: threading.Event, ledger: Ledger) -> None:
    """Post batches of events named ``e-<client>-<n>`` until told to stop or the collector dies."""
    with httpx.Client(timeout=15.0) as client:
        sent = 0
        while not stop.is_set():
            batch = custom_events(f"e-{client_no}", BATCH, start=sent)
            sent += BATCH
            with ledger.lock:
                ledger.in_flight += 1
            try:
                answer = client.post(url, json=batch)
            except httpx.TransportError:
                with ledger.lock:
                    ledger.in_flight -= 1
                    ledger.cut_off += 1
                return
            with ledger.lock:
                ledger.in_flight -= 1
                if answer.status_code == 200 and answer.json()["accepted"] == BATCH:
                    ledger.acked.extend(event["name"] for event in batch)
                    ledger.acked_requests += 1
                else:
                    ledger.refused.append(f"{answer.status_code} {answer.text[:200]}")


def stored_names(db: Path) -> tuple[set[str], int]:
    """The custom event names in the file and its highest event id, after an integrity check."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = {name for (name,) in conn.execute("SELECT name FROM custom_events")}
        (orphans,) = conn.execute(
            "SELECT count(*) FROM custom_events c LEFT JOIN events e ON e.id = c.event_id WHERE e.id IS NULL"
        ).fetchone()
        assert orphans == 0
        (max_id,) = conn.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()
        return names, int(max_id)
    finally:
        conn.close()


def test_acknowledged_events_survive_kill_9_and_a_restart_carries_on(
    launch_collector: CollectorLauncher, tmp_path: Path
) -> None:
    collector = launch_collector.start()
    stop = threading.Event()
    ledger = Ledger()
    clients = [
        threading.Thread(
            target=post_until_stopped, args=(collector.events_url(), n, stop, ledger), name=f"it.client-{n}"
        )
        for n in range(CLIENTS)
    ]
    for thread in clients:
        thread.start()
    try:
        time.sleep(LOAD_S)
        # Kill while holding the ledger, at a moment when at least one request is unanswered.
        deadline = time.monotonic() + 10
        while True:
            with ledger.lock:
                if ledger.in_flight > 0:
                    os.kill(collector.process.pid, signal.SIGKILL)
                    in_flight_at_kill = ledger.in_flight
                    break
            assert time.monotonic() < deadline, "no request was ever in flight"
            time.sleep(0.001)
        collector.process.wait(10)
    finally:
        stop.set()
        for thread in clients:
            thread.join(30)
    assert not any(thread.is_alive() for thread in clients)
    assert collector.process.returncode == -signal.SIGKILL

    assert not ledger.refused, ledger.refused[:5]
    assert in_flight_at_kill >= 1
    assert len(ledger.acked) >= 10 * BATCH, "too little load to mean anything"
    assert len(set(ledger.acked)) == len(ledger.acked)

    names, max_id_after_kill = stored_names(collector.db)
    missing = set(ledger.acked) - names
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:5]}"
    print(
        f"\nkill -9 under load: {len(ledger.acked)} events acknowledged in {ledger.acked_requests} "
        f"requests, all in the file; {len(names)} stored; {in_flight_at_kill} requests in flight "
        f"at the kill, {ledger.cut_off} cut off"
    )

    restarted = launch_collector.start(collector.db)
    with httpx.Client(timeout=15.0) as client:
        for round_no in range(2):
            answer = client.post(restarted.events_url(), json=custom_events(f"after-{round_no}", BATCH))
            assert answer.status_code == 200, answer.text
            assert answer.json()["accepted"] == BATCH
    assert restarted.health()["committed"] == 2 * BATCH

    conn = sqlite3.connect(collector.db)
    try:
        new_ids = [
            event_id
            for (event_id,) in conn.execute(
                "SELECT event_id FROM custom_events WHERE name LIKE 'after-%' ORDER BY event_id"
            )
        ]
        (still_there,) = conn.execute("SELECT count(*) FROM custom_events WHERE name LIKE 'e-%'").fetchone()
    finally:
        conn.close()
    assert len(new_ids) == 2 * BATCH
    assert new_ids[0] > max_id_after_kill
    assert new_ids == list(range(new_ids[0], new_ids[0] + 2 * BATCH))
    assert still_there == len(names)


def test_ids_keep_increasing_after_retention_emptied_the_store(
    launch_collector: CollectorLauncher,
) -> None:
    first = launch_collector.start()
    with httpx.Client(timeout=15.0) as client:
        assert client.post(first.events_url(), json=custom_events("old", 20)).status_code == 200
    launch_collector.stop(first)
    old_max = stored_names(first.db)[1]
    assert old_max == 20

    time.sleep(0.1)  # older than the retention age below
    # Retention runs as the writer starts: with a 1 ms age limit it drops everything. This
    # writer still numbers on from 21; the next process to open the file is the one at fault.
    second = launch_collector.start(first.db, "--retention-days", str(1 / 86_400_000))
    deadline = time.monotonic() + 10
    while stored_names(first.db)[1] != 0:
        assert time.monotonic() < deadline, "retention never emptied the store"
        time.sleep(0.05)
    launch_collector.stop(second)

    third = launch_collector.start(first.db)
    with httpx.Client(timeout=15.0) as client:
        assert client.post(third.events_url(), json=custom_events("new", 1)).status_code == 200
    assert stored_names(first.db)[1] > old_max
