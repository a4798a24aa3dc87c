"""One alert evaluation cycle: 100 rules of every metric over a store of 1,000,000 events.

    python tests/benchmarks/bench_alerts.py [--events 1000000] [--rules 100] [--runs 7] [--db PATH]

The store is written through the real ``StoreWriter`` from decoded native payloads
(``_payloads.py``'s mix: page loads, transactions, errors, logs, requests, interactions,
experiment assignments ...) spread evenly over the last 24 hours, each chunk received two
seconds after its newest event. Then, on a read-only connection, the median of ``--runs``
runs of ``engine.evaluate`` over 100 rules (every metric; windows of 5 min, 1 h and 24 h;
filters by page, transaction, release and project; a quarter comparing with the previous
window) — target < 1 s — and of ``engine.run_cycle`` (the same plus loading the rules and
states and storing the outcome through the writer).

``--db PATH`` keeps the store at PATH and reuses it when it is already there (a second run
skips the writing, ~2 min on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from console.core.analysis.alerts.engine import evaluate, run_cycle  # noqa: E402
from console.core.analysis.alerts.rules import VITALS, AlertRule, Comparison, Metric, RuleFilters  # noqa: E402
from console.core.analysis.alerts.state import RuleState  # noqa: E402
from console.core.events import Event, Kind  # noqa: E402
from console.core.ingest.native import decode_native  # noqa: E402
from console.core.store import alerts as alert_store  # noqa: E402
from console.core.store.retention import RetentionPolicy  # noqa: E402
from console.core.store.schema import connect  # noqa: E402
from console.core.store.writer import StoreWriter  # noqa: E402
from tests.benchmarks._bench_store import write_chunks  # noqa: E402
from tests.benchmarks._payloads import PayloadFactory  # noqa: E402

PROJECT = "shop"
TARGET_S = 1.0
DAY = 86_400_000
KEEP_ALL = RetentionPolicy(max_bytes=1 << 40)
PAGES = ["pages/index/index", "pages/cart/cart", "pages/checkout/checkout", "pages/product/detail"]
TRANSACTIONS = ["checkout.submit", "cart.load", "search.query", "profile.load"]
EXPERIMENTS = ["checkout-button-color", "free-shipping-banner", "search-ranking-v2"]


def fill(path: Path, events: int, now_ms: int, *, chunk: int = 10_000, inflight: int = 4) -> tuple[float, int]:
    """Write ``events`` over the 24 hours before ``now_ms``; (seconds, events written)."""
    factory = PayloadFactory(seed=11, start_ms=now_ms - DAY, step_ms=DAY / events)

    def chunks() -> Iterator[tuple[list[Event], int]]:
        written = 0
        while written < events:
            size = min(chunk, events - written)
            batch = decode_native(orjson.dumps(factory.events(size)), project=PROJECT, now_ms=now_ms)
            if batch.rejected:
                raise SystemExit(f"generated payloads were refused: {batch.rejected[:3]}")
            written += size
            yield batch.events, max(e.timestamp for e in batch.events) + 2_000

    writer = StoreWriter(path=path, max_pending_events=400_000, max_batch_events=20_000, retention=KEEP_ALL)
    return write_chunks(writer, chunks(), inflight=inflight, stop_timeout=300)


def define_kpis(conn: sqlite3.Connection) -> None:
    """The KPIs the two KPI rules watch, saved as the window saves them (once per store)."""
    from console.core.analysis.product.kpi import KpiDefinition
    from console.core.analysis.product.refs import EventRef
    from console.core.store.kpi_queries import kpi_named, save_kpi

    kpis = (
        KpiDefinition(name="revenue", formula="sum", ref=EventRef("conversion"), field="value", unit="CNY"),
        KpiDefinition(name="conversion", formula="rate", rate_of="users", ref=EventRef("conversion"),
                      denominator=EventRef("page_view"), unit="%"),
    )
    for kpi in kpis:
        if kpi_named(conn, kpi.name) is None:
            save_kpi(conn, kpi, now_ms=int(time.time() * 1000))


def rules(count: int) -> list[AlertRule]:
    """``count`` rules cycling through every metric, window, filter and comparison."""
    out: list[AlertRule] = []

    def add(metric: Metric, threshold: float, **fields: object) -> None:
        out.append(AlertRule(id=len(out) + 1, name=f"rule {len(out) + 1}", metric=metric, threshold=threshold,
                             **{"comparison": Comparison.ABOVE, **fields}))  # type: ignore[arg-type]

    change = Comparison.CHANGE_ABOVE
    for i, vital in enumerate(VITALS):
        add(Metric.VITAL_P75, 1000.0, vital=vital, min_sample=20)
        add(Metric.VITAL_P95, 2000.0, vital=vital, filters=RuleFilters(page=PAGES[i % len(PAGES)]))
        add(Metric.VITAL_P75, 50.0, vital=vital, comparison=change, window_s=3600 if i % 2 else 300)
    for i, name in enumerate(TRANSACTIONS):
        add(Metric.TRANSACTION_P75, 500.0, filters=RuleFilters(transaction=name))
        add(Metric.TRANSACTION_P95, 900.0, filters=RuleFilters(transaction=name, release="2.3.1"), window_s=3600)
        add(Metric.TRANSACTION_P95, 30.0, comparison=change, filters=RuleFilters(page=PAGES[i]))
    for i in range(6):
        filters = [RuleFilters(), RuleFilters(page=PAGES[i % 4]), RuleFilters(release="2.3.1")][i % 3]
        add(Metric.ERROR_COUNT, 10.0, filters=filters, window_s=[300, 3600][i % 2])
        add(Metric.ERROR_COUNT, 100.0, comparison=change, min_sample=10, filters=filters)
        add(Metric.ERROR_RATE, 2.0, filters=filters, window_s=[300, 3600, 86_400][i % 3])
    for i, kind in enumerate([None, *Kind]):
        add(Metric.EVENT_COUNT, 1000.0, kind=None if kind is None else kind.value,
            comparison=change if i % 3 == 0 else Comparison.ABOVE, window_s=[300, 3600][i % 2])
    for window in (300, 3600, 86_400):
        add(Metric.NEW_ISSUE, 0.0, window_s=window)
        add(Metric.REGRESSED_ISSUE, 0.0, window_s=window, filters=RuleFilters(project=PROJECT))
    for key in EXPERIMENTS:
        for window in (3600, 86_400):
            add(Metric.EXPERIMENT_SRM, 0.001, experiment=key, comparison=Comparison.BELOW, window_s=window)
    add(Metric.KPI, 1.0, kpi="revenue")
    add(Metric.KPI, 1.0, kpi="conversion")
    while len(out) < count:  # more of the common kinds
        i = len(out)
        add(Metric.VITAL_P75, 4000.0, vital="lcp", filters=RuleFilters(page=PAGES[i % 4]), for_s=300)
        if len(out) < count:
            add(Metric.ERROR_COUNT, 5.0, filters=RuleFilters(page=PAGES[i % 4]))
    return out[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the store here (and reuse it when it exists)")
    args = parser.parse_args()
    print(f"bench_alerts: {args.events:,} events over 24 h, {args.rules} rules, {args.runs} runs; "
          f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory(prefix="lookout-bench-alerts-") as tmp:
        path = args.db or Path(tmp) / "alerts.db"
        if args.db is not None and path.exists():
            print(f"reusing {path}")
        else:
            seconds, written = fill(path, args.events, int(time.time() * 1000))
            print(f"wrote {written:,} events in {seconds:.1f} s ({written / seconds:,.0f}/s)")
        kpi_writer = StoreWriter(path=path, retention=KEEP_ALL)
        kpi_writer.start()
        try:
            kpi_writer.run_sync(define_kpis)
        finally:
            kpi_writer.stop()
        conn = connect(path, readonly=True)
        (total, now_ms) = conn.execute("SELECT count(*), max(received) FROM events").fetchone()
        mix = dict(conn.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
        print(f"store: {total:,} events, {path.stat().st_size / 1e6:,.0f} MB; "
              + ", ".join(f"{k} {v:,}" for k, v in sorted(mix.items(), key=lambda kv: -kv[1])))

        ruleset = rules(args.rules)
        metrics = sorted({r.metric.value for r in ruleset})
        print(f"{len(ruleset)} rules over {len(metrics)} metrics: {', '.join(metrics)}")
        states: dict[int, RuleState] = {}
        times: list[float] = []
        for run in range(args.runs + 1):
            at = now_ms + run * 15_000  # the next evaluation, 15 s later
            started = time.perf_counter()
            cycle = evaluate(conn, ruleset, states, now_ms=at)
            elapsed = time.perf_counter() - started
            states = cycle.states
            if run:  # the first run warms the page cache
                times.append(elapsed)
            else:
                firing = sum(1 for s in states.values() if s.state == "firing")
                print(f"first evaluation {elapsed * 1000:.0f} ms: {len(cycle.transitions)} transitions, "
                      f"{firing} firing, {cycle.errors} in the error state")
        median = statistics.median(times)
        print(f"evaluate: median {median * 1000:.0f} ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")

        # The same rules stored, evaluated and stored again by run_cycle through a writer.
        writer = StoreWriter(path=path, retention=KEEP_ALL)
        writer.start()
        try:
            def store_rules(c: sqlite3.Connection) -> None:
                c.execute("DELETE FROM alert_rules")
                c.execute("DELETE FROM alert_states")
                c.execute("INSERT OR IGNORE INTO alert_meta (key, value) VALUES ('default_rules_inserted', '0')")
                for rule in ruleset:
                    alert_store.save_rule(c, rule)

            writer.run_sync(store_rules)
            cycle_times = []
            for run in range(args.runs + 1):
                started = time.perf_counter()
                run_cycle(writer, conn, now_ms=now_ms + run * 15_000)
                if run:
                    cycle_times.append(time.perf_counter() - started)
        finally:
            writer.stop()
        cycle_median = statistics.median(cycle_times)
        print(f"run_cycle: median {cycle_median * 1000:.0f} ms (min {min(cycle_times) * 1000:.0f}, "
              f"max {max(cycle_times) * 1000:.0f})")
        conn.close()

    verdict = "MET" if median < TARGET_S else "MISSED"
    print(f"RESULT evaluate of {len(ruleset)} rules over {total:,} events: {median * 1000:.0f} ms "
          f"(median of {args.runs}; target < {TARGET_S * 1000:.0f} ms) -> {verdict}")
    verdict = "MET" if cycle_median < TARGET_S else "MISSED"
    print(f"RESULT run_cycle (load, evaluate, store) of {len(ruleset)} rules: {cycle_median * 1000:.0f} ms "
          f"(median of {args.runs}; target < {TARGET_S * 1000:.0f} ms) -> {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
