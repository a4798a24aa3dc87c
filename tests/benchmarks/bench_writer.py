"""StoreWriter throughput against plain sqlite3 ``executemany`` of the same rows, in one run.

    python tests/benchmarks/bench_writer.py [--events 200000] [--chunk 100] [--inflight 16] [--rounds 3]

Events are a realistic native mix (tests/benchmarks/_payloads.py), decoded with
``decode_native`` in request-sized bodies BEFORE anything is timed, so the figure is the
writer's alone. They are submitted in chunks of ``--chunk`` events (one request each) with at
most ``--inflight`` chunks waiting, as ``--inflight`` collector connections would; group
commit merges whatever has queued. The writer's own commit sizes are recorded and the
baseline replays exactly those transaction sizes: same schema (``migrate``), WAL +
``synchronous=NORMAL`` (``schema.connect``), the same ``events`` + kind-table + child rows
with the same values, built before the timer starts, plus one plain upsert per session per
transaction into ``sessions`` (the writer keeps that table current at every commit; in this
mix, where each event picks one of 5,000 sessions at random, that is nearly one upsert per
event, so leaving it out would compare unlike work). The baseline does not do the writer's
issue / user / experiment upserts (a few per cent of events); their count is printed.

Target: writer >= 50 % of the baseline's events/s.

``--busy-neighbour`` adds one more (untargeted) figure: the writer (first 20,000 events) while
another thread of the same process decodes native bodies non-stop, as the collector's event loop does under load.
Both threads share the GIL, so this shows what the collector's writer really gets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _payloads import PayloadFactory  # noqa: E402

from console.core.events import KIND_TABLES, Event, Kind  # noqa: E402
from console.core.ingest.native import decode_native  # noqa: E402
from console.core.store.schema import connect, migrate  # noqa: E402
from console.core.store.writer import StoreWriter  # noqa: E402

TARGET_RATIO = 0.50
PROJECT = "bench"


def decode_all(total: int, chunk: int, seed: int) -> list[list[Event]]:
    factory = PayloadFactory(seed=seed, start_ms=int(time.time() * 1000) - total)
    chunks: list[list[Event]] = []
    now = int(time.time() * 1000)
    while sum(map(len, chunks)) < total:
        body = factory.bodies(1, chunk)[0]
        batch = decode_native(body, project=PROJECT, now_ms=now)
        if batch.rejected or batch.unknown_types:
            raise SystemExit(f"generated payloads were refused: {batch.rejected[:3]} {batch.unknown_types}")
        chunks.append(batch.events)
    return chunks


def run_writer(path: Path, chunks: list[list[Event]], inflight: int) -> tuple[float, list[int], dict[str, Any]]:
    """Seconds from first submit to last commit callback, and the events per commit."""
    writer = StoreWriter(path=path)
    writer.start()
    slots = threading.Semaphore(inflight)
    finished = threading.Event()
    groups: Counter[int] = Counter()
    errors: list[BaseException] = []
    remaining = [len(chunks)]
    lock = threading.Lock()

    def make_done(size: int):
        def done(error: BaseException | None) -> None:
            if error is not None:
                errors.append(error)
            groups[writer.stats.commits] += size  # called after the commit counted itself
            slots.release()
            with lock:
                remaining[0] -= 1
                if remaining[0] == 0:
                    finished.set()

        return done

    received = int(time.time() * 1000)
    started = time.perf_counter()
    for chunk in chunks:
        slots.acquire()
        writer.submit(chunk, make_done(len(chunk)), received=received)
    finished.wait()
    elapsed = time.perf_counter() - started
    stats = {"commits": writer.stats.commits, "failed": writer.stats.failed_commits}
    writer.stop()
    if errors:
        raise SystemExit(f"the writer failed: {errors[0]}")
    return elapsed, [groups[k] for k in sorted(groups)], stats


def run_writer_with_neighbour(path: Path, chunks: list[list[Event]], inflight: int, seed: int) -> tuple[float, float]:
    """(writer events/s, neighbour events decoded/s) with a decoding thread spinning beside it."""
    bodies = PayloadFactory(seed=seed + 1).bodies(50, 100)
    stop = threading.Event()
    decoded = [0]

    def spin() -> None:
        position = 0
        while not stop.is_set():
            decoded[0] += len(decode_native(bodies[position % len(bodies)], project=PROJECT, now_ms=0).events)
            position += 1

    neighbour = threading.Thread(target=spin, name="busy-neighbour")
    neighbour.start()
    try:
        elapsed, _, _ = run_writer(path, chunks, inflight)
    finally:
        stop.set()
        neighbour.join()
    total = sum(map(len, chunks))
    return total / elapsed, decoded[0] / elapsed


def table_columns(conn) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    skip = {"id", "event_id", "ts", "project", "session_id", "user_id", "data"}
    kind_cols = {
        t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})") if r[1] not in skip]
        for t in KIND_TABLES.values()
    }
    child_cols = {
        t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})") if r[1] not in ("id", "event_id")]
        for t in ("spans", "network_requests", "experiment_assignments", "experiment_goals")
    }
    return kind_cols, child_cols


def cell(value: Any) -> Any:
    return orjson.dumps(value).decode() if isinstance(value, dict | list) else value


_SESSION_UPSERT = """
    INSERT INTO sessions (project, session_id, user_id, started, ended, events, page_views, errors,
                          conversions, conversion_value, platform, device, release,
                          entry_route, entry_ts, exit_route, exit_ts)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (project, session_id) DO UPDATE SET
        user_id = coalesce(excluded.user_id, user_id), started = min(started, excluded.started),
        ended = max(ended, excluded.ended), events = events + excluded.events,
        page_views = page_views + excluded.page_views, errors = errors + excluded.errors,
        conversions = conversions + excluded.conversions,
        conversion_value = conversion_value + excluded.conversion_value,
        platform = coalesce(platform, excluded.platform), device = coalesce(device, excluded.device),
        release = coalesce(release, excluded.release),
        entry_route = CASE WHEN entry_ts IS NULL OR excluded.entry_ts < entry_ts THEN excluded.entry_route ELSE entry_route END,
        entry_ts = min(coalesce(entry_ts, excluded.entry_ts), coalesce(excluded.entry_ts, entry_ts)),
        exit_route = CASE WHEN exit_ts IS NULL OR excluded.exit_ts >= exit_ts THEN excluded.exit_route ELSE exit_route END,
        exit_ts = max(coalesce(exit_ts, excluded.exit_ts), coalesce(excluded.exit_ts, exit_ts))
"""


def session_rows(events: list[Event]) -> list[tuple]:
    """One sessions row per session of a transaction, tallied the plain way."""
    tally: dict[tuple[str, str], list[Any]] = {}
    for e in events:
        if not e.session_id:
            continue
        row = tally.get((e.project, e.session_id))
        if row is None:
            row = tally[(e.project, e.session_id)] = [
                e.project, e.session_id, None, e.timestamp, e.timestamp, 0, 0, 0, 0, 0.0,
                None, None, None, None, None, None, None]
        row[2] = e.user_id or row[2]
        row[3], row[4], row[5] = min(row[3], e.timestamp), max(row[4], e.timestamp), row[5] + 1
        cols = e.columns
        if e.kind is Kind.PAGE_VIEW:
            row[6] += 1
            row[10] = row[10] or cols.get("platform")
            row[11] = row[11] or cols.get("model") or cols.get("brand")
            if row[14] is None or e.timestamp < row[14]:
                row[13], row[14] = cols.get("route"), e.timestamp
            if row[16] is None or e.timestamp >= row[16]:
                row[15], row[16] = cols.get("route"), e.timestamp
        elif e.kind is Kind.ERROR:
            row[7] += 1
            row[12] = row[12] or cols.get("release")
        elif e.kind is Kind.ANALYTICS and cols.get("name") == "conversion":
            row[8] += 1
            row[9] += cols.get("value") or 0.0
    return [tuple(row) for row in tally.values()]


def build_baseline_rows(conn, chunks: list[list[Event]], groups: list[int], received: int):
    """Per transaction: [(sql, rows), ...] with exactly the rows the writer inserts."""
    kind_cols, child_cols = table_columns(conn)
    events = [e for c in chunks for e in c]
    transactions = []
    position, next_id = 0, 1
    for size in groups:
        stream: list[tuple] = []
        per_table: dict[str, list[tuple]] = {}
        children: dict[str, list[tuple]] = {}
        for event in events[position:position + size]:
            eid = next_id
            next_id += 1
            stream.append((eid, event.kind.value, event.project, event.timestamp, received,
                           event.session_id, event.user_id, event.summary))
            table = KIND_TABLES[event.kind]
            cols = dict(event.columns)
            if event.kind is Kind.ERROR:
                cols.setdefault("issue_id", 1)  # the writer put the real one there already
            per_table.setdefault(table, []).append(
                (eid, event.timestamp, event.project, event.session_id, event.user_id,
                 *[cols.get(c) for c in kind_cols[table]], orjson.dumps(event.data).decode())
            )
            for child_table, row in event.children:
                children.setdefault(child_table, []).append(
                    (eid, *[cell(row.get(c)) for c in child_cols[child_table]])
                )
        statements = [("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)", stream)]
        statements.append((_SESSION_UPSERT, session_rows(events[position:position + size])))
        position += size
        for table, rows in per_table.items():
            statements.append((f"INSERT INTO {table} VALUES ({', '.join('?' * (len(kind_cols[table]) + 6))})", rows))
        for table, rows in children.items():
            cols = child_cols[table]
            statements.append(
                (f"INSERT INTO {table} (event_id, {', '.join(cols)}) VALUES ({', '.join('?' * (len(cols) + 1))})", rows)
            )
        transactions.append(statements)
    if position != len(events):
        raise SystemExit(f"commit sizes cover {position} of {len(events)} events")
    return transactions


def run_baseline(path: Path, chunks: list[list[Event]], groups: list[int]) -> tuple[float, float]:
    """(seconds building the rows, untimed; seconds of executemany + commits, timed)."""
    conn = connect(path)
    migrate(conn)
    t0 = time.perf_counter()
    transactions = build_baseline_rows(conn, chunks, groups, int(time.time() * 1000))
    build = time.perf_counter() - t0
    started = time.perf_counter()
    for statements in transactions:
        conn.execute("BEGIN IMMEDIATE")
        for sql, rows in statements:
            conn.executemany(sql, rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return build, elapsed


def count_rows(path: Path) -> int:
    conn = connect(path, readonly=True)
    (n,) = conn.execute("SELECT count(*) FROM events").fetchone()
    conn.close()
    return int(n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=100, help="events per submit (one request)")
    parser.add_argument("--inflight", type=int, default=16, help="chunks waiting at most (connections)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--busy-neighbour", action="store_true",
                        help="also time the writer beside a thread that decodes non-stop (GIL sharing)")
    parser.add_argument("--profile", action="store_true", help="cProfile one writer run (writer thread)")
    args = parser.parse_args()

    print(f"bench_writer: {args.events} events, submits of {args.chunk}, {args.inflight} in flight, "
          f"{args.rounds} round(s); cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}")
    t0 = time.perf_counter()
    chunks = decode_all(args.events, args.chunk, args.seed)
    total = sum(map(len, chunks))
    kinds = Counter(e.kind.value for c in chunks for e in c)
    children = sum(len(e.children) for c in chunks for e in c)
    upserts = (kinds["error"] + kinds["experiment"]
               + sum(1 for c in chunks for e in c if e.kind is Kind.ANALYTICS and e.columns.get("name") == "user_identified"))
    print(f"decoded {total} events in {time.perf_counter() - t0:.1f} s (untimed); mix: "
          + ", ".join(f"{k} {v / total:.2%}" for k, v in kinds.most_common()))
    print(f"rows per event: 1 events + 1 kind row + {children / total:.2f} child rows; "
          f"writer-only upserts (issues/users/experiments): {upserts} ({upserts / total:.1%} of events)")

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        original = StoreWriter._run

        def profiled(self):  # the writer thread's body, under the profiler
            profiler.enable()
            try:
                original(self)
            finally:
                profiler.disable()

        StoreWriter._run = profiled  # type: ignore[method-assign]

    writer_rates, base_rates, ratios = [], [], []
    with tempfile.TemporaryDirectory(prefix="lookout-bench-writer-") as tmp:
        for round_no in range(1, args.rounds + 1):
            wpath, bpath = Path(tmp) / f"writer{round_no}.db", Path(tmp) / f"raw{round_no}.db"
            # Same events each round; the writer (re)sets issue_id in error columns, which the
            # baseline then copies, so both store identical values.
            w_elapsed, groups, stats = run_writer(wpath, chunks, args.inflight)
            stored = count_rows(wpath)
            if stored != total:
                raise SystemExit(f"writer stored {stored} of {total} events")
            build, b_elapsed = run_baseline(bpath, chunks, groups)
            if count_rows(bpath) != total:
                raise SystemExit("baseline stored a different number of events")
            w_rate, b_rate = total / w_elapsed, total / b_elapsed
            writer_rates.append(w_rate)
            base_rates.append(b_rate)
            ratios.append(w_rate / b_rate)
            print(f"round {round_no}: StoreWriter {w_rate:,.0f} events/s ({w_elapsed:.2f} s, "
                  f"{stats['commits']} commits, {total / stats['commits']:.0f} events/commit avg, "
                  f"max {max(groups)}) | raw executemany {b_rate:,.0f} events/s ({b_elapsed:.2f} s, same "
                  f"{len(groups)} transactions) | ratio {w_rate / b_rate:.1%} | "
                  f"(building those rows in Python took {build:.2f} s = {total / build:,.0f} events/s, untimed)")
            for p in Path(tmp).glob("*.db*"):
                p.unlink()
            if args.profile:
                StoreWriter._run = original  # type: ignore[method-assign]
                print("--- cProfile of the writer thread (round 1), top 25 by cumulative time ---")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
                args.profile = False

        if args.busy_neighbour:
            # A slice only: with the GIL contended the writer can crawl at ~1,000 events/s.
            subset = chunks[: max(1, 20_000 // args.chunk)]
            w_rate, n_rate = run_writer_with_neighbour(Path(tmp) / "neighbour.db", subset, args.inflight, args.seed)
            print(f"busy neighbour ({sum(map(len, subset)):,} events): StoreWriter {w_rate:,.0f} events/s while a decoding thread of the same "
                  f"process ran at {n_rate:,.0f} events/s (GIL shared; switch interval "
                  f"{sys.getswitchinterval() * 1000:g} ms) = {w_rate / statistics.median(writer_rates):.0%} "
                  f"of the writer alone")

    ratio = statistics.median(ratios)
    print(f"RESULT writer: {statistics.median(writer_rates):,.0f} events/s committed (median of {args.rounds})")
    print(f"RESULT raw sqlite3 executemany: {statistics.median(base_rates):,.0f} events/s (median of {args.rounds})")
    print(f"RESULT ratio writer/raw: {ratio:.1%} (target >= {TARGET_RATIO:.0%}) -> "
          f"{'MET' if ratio >= TARGET_RATIO else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
