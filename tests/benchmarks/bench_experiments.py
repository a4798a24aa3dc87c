"""One experiment's results over a store of 1,000,000 assignments and 300,000 goal events.

    python tests/benchmarks/bench_experiments.py [--assignments 1000000] [--goals 300000] [--runs 7] [--db PATH]

The store is written through the real ``StoreWriter`` from payloads decoded by the real
native decoder: the definition of ``checkout-button-color`` (control / orange, 50/50, goals
purchase with revenue and add_to_cart), ``--assignments`` assignment events of it for
400,000 users (each user assigned as ``select_variant`` says, repeated 1-5 times as an SDK
reports every exposure; 0.3 % of users also reported once in the other variant),
``--goals`` goal events (add_to_cart for ~30 % of users, purchases 1-3 times for 10 % of
control and 11.5 % of orange, 1 % of goal events before the user's assignment), over 14
days; beside it a second experiment (3 variants, 100,000 assignments, 10,000 goals) so the
query has to pick its rows out, and 50,000 errors and 50,000 page loads of the same users for
the guardrails. Written in time order, as a collector receives them.

Then, on a read-only connection (``schema.connect(readonly=True)``), the median of
``--runs`` runs of ``experiment_results`` for ``checkout-button-color`` — target < 500 ms —
and of ``list_experiments``.

``--db PATH`` keeps the store at PATH and reuses it when it is already there.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from console.core.analysis.experiments.hashing import select_variant  # noqa: E402
from console.core.events import Event  # noqa: E402
from console.core.ingest.native import decode_native  # noqa: E402
from console.core.store.schema import connect  # noqa: E402
from console.core.store.writer import StoreWriter  # noqa: E402
from tests.benchmarks._bench_store import timed, write_chunks  # noqa: E402

PROJECT = "shop"
KEY = "checkout-button-color"
SIDE_KEY = "search-ranking"
TARGET_MS = 500.0
DAY = 86_400_000
USERS = 400_000
PURCHASE_RATE = {"control": 0.10, "orange": 0.115}
VARIANTS = ("control", "orange")


def _event(name: str, ts: int, user: str, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event", "name": name, "timestamp": ts, "sessionId": f"s-{user}-{ts // DAY}",
            "userId": user, "properties": {**props, "userId": user}}


def payloads(*, assignments: int, goals: int, seed: int, now_ms: int) -> list[dict[str, Any]]:
    """The seeded workload as native payloads, in time order (as a collector receives them)."""
    return sorted(_generate(assignments=assignments, goals=goals, seed=seed, now_ms=now_ms),
                  key=lambda item: int(item["timestamp"]))


def _generate(*, assignments: int, goals: int, seed: int, now_ms: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    start = now_ms - 14 * DAY
    yield {"type": "experiment", "id": KEY, "name": "Checkout button colour", "timestamp": start,
           "variants": [{"name": "control", "weight": 50}, {"name": "orange", "weight": 50}],
           "goals": ["purchase", "add_to_cart"]}
    yield {"type": "experiment", "id": SIDE_KEY, "name": "Search ranking", "timestamp": start,
           "variants": [{"name": n, "weight": 1} for n in ("control", "bm25", "learned")], "goals": ["click"]}
    sent_assignments = sent_goals = 0
    per_user = assignments / USERS
    for index in range(USERS):
        user = f"u-{index}"
        variant = VARIANTS[select_variant(KEY, user, [50, 50])]
        first = start + rng.randrange(13 * DAY)
        repeats = max(1, min(5, round(rng.gauss(per_user, 1.0))))
        remaining_users = USERS - index
        repeats = min(repeats, assignments - sent_assignments - (remaining_users - 1))
        for r in range(max(1, repeats)):
            ts = first + (0 if r == 0 else rng.randrange(DAY))
            yield _event("experiment_assignment", ts, user, {"experimentId": KEY, "variant": variant})
            sent_assignments += 1
        if rng.random() < 0.003 and sent_assignments < assignments:
            other = VARIANTS[1 - VARIANTS.index(variant)]
            yield _event("experiment_assignment", first + DAY, user, {"experimentId": KEY, "variant": other})
            sent_assignments += 1
        budget = goals - sent_goals
        if budget <= 0:
            continue
        wanted: list[tuple[str, float | None]] = []
        if rng.random() < 0.45:
            wanted += [("add_to_cart", None)] * rng.randint(1, 2)
        if rng.random() < PURCHASE_RATE[variant]:
            wanted += [("purchase", round(rng.lognormvariate(3.5, 0.6), 2)) for _ in range(rng.randint(1, 3))]
        # ~0.89 goal events per user: keep 85 % of users' goals to spread --goals over all of them.
        if wanted and rng.random() < 0.85:
            for goal, value in wanted[:budget]:
                early = rng.random() < 0.01
                ts = first - rng.randrange(1, DAY) if early else first + rng.randrange(1, DAY)
                props: dict[str, Any] = {"experimentId": KEY, "variant": variant, "goal": goal}
                if value is not None:
                    props["value"] = value
                yield _event("experiment_goal", ts, user, props)
                sent_goals += 1
        if index % 8 == 0:
            yield {"type": "javascript_error", "message": f"TypeError: x is undefined ({variant})",
                   "filename": "app-service.js", "lineno": 10, "colno": 2, "id": f"err-{index}",
                   "timestamp": first + 1000, "sessionId": f"s-{user}", "userId": user,
                   "context": {"route": "pages/cart/cart"}}
        if index % 8 == 1:
            yield {"type": "page_load", "url": "pages/index/index", "timestamp": first + 500,
                   "sessionId": f"s-{user}", "userId": user,
                   "metrics": {"largestContentfulPaint": round(rng.lognormvariate(7.5, 0.4), 1)}}
        if index % 8 in (2, 3):  # the side experiment: 50,000 users, 10,000 goal events
            side = ("control", "bm25", "learned")[select_variant(SIDE_KEY, user, [1, 1, 1])]
            yield _event("experiment_assignment", first, user, {"experimentId": SIDE_KEY, "variant": side})
            if index % 10 == 0:
                yield _event("experiment_goal", first + 60_000, user,
                             {"experimentId": SIDE_KEY, "variant": side, "goal": "click"})
    # Whatever the per-user draws left owed, on users from the start of the list.
    for extra in range(goals - sent_goals):
        user = f"u-{extra}"
        variant = VARIANTS[select_variant(KEY, user, [50, 50])]
        yield _event("experiment_goal", now_ms - rng.randrange(DAY), user,
                     {"experimentId": KEY, "variant": variant, "goal": "add_to_cart"})


def decoded(items: list[dict[str, Any]], *, chunk: int, now_ms: int) -> Iterator[list[Event]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == chunk:
            yield _decode(batch, now_ms)
            batch = []
    if batch:
        yield _decode(batch, now_ms)


def _decode(batch: list[dict[str, Any]], now_ms: int) -> list[Event]:
    result = decode_native(orjson.dumps(batch), project=PROJECT, now_ms=now_ms)
    if result.rejected:
        raise SystemExit(f"the decoder rejected a payload: {result.rejected[0]}")
    return result.events


def fill(path: Path, *, assignments: int, goals: int, seed: int, now_ms: int,
         chunk: int = 200, inflight: int = 16) -> tuple[float, int]:
    """Write the workload through the writer; (seconds, events written)."""
    items = payloads(assignments=assignments, goals=goals, seed=seed, now_ms=now_ms)
    chunks = ((events, None) for events in decoded(items, chunk=chunk, now_ms=now_ms))
    return write_chunks(StoreWriter(path=path), chunks, inflight=inflight)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignments", type=int, default=1_000_000)
    parser.add_argument("--goals", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="keep the store here (and reuse it when it exists)")
    args = parser.parse_args()
    print(f"bench_experiments: {args.assignments:,} assignments, {args.goals:,} goal events, {args.runs} runs; "
          f"cpus={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="lookout-bench-experiments-") as tmp:
        path = args.db or Path(tmp) / "experiments.db"
        if args.db is not None and path.exists():
            print(f"reusing {path}")
        else:
            now_ms = int(time.time() * 1000)
            seconds, written = fill(path, assignments=args.assignments, goals=args.goals, seed=args.seed,
                                    now_ms=now_ms)
            print(f"wrote {written:,} events through StoreWriter in {seconds:.1f} s "
                  f"(generating + decoding included); file {path.stat().st_size / 1e6:,.0f} MB")
        from console.core.store.experiment_queries import experiment_results, list_experiments

        conn = connect(path, readonly=True)
        (assigned, goal_rows) = conn.execute(
            "SELECT (SELECT count(*) FROM experiment_assignments WHERE experiment = ?),"
            " (SELECT count(*) FROM experiment_goals WHERE experiment = ?)", (KEY, KEY)
        ).fetchone()
        print(f"store: {assigned:,} assignments and {goal_rows:,} goal events of {KEY}")
        if assigned < args.assignments or goal_rows < args.goals:
            raise SystemExit("the store holds fewer assignments or goals than asked for")

        median, times, results = timed(lambda: experiment_results(conn, KEY), args.runs)
        print(f"experiment_results: median {median:.1f} ms (min {min(times):.1f}, max {max(times):.1f})")
        print(f"  users {sum(v.users for v in results.variants):,} "
              f"({', '.join(f'{v.variant} {v.users:,}' for v in results.variants)}), "
              f"in two variants {results.users_in_two_variants:,}, SRM p = {results.srm.p_value:.3f}")
        for goal in results.goals:
            print(f"  {goal.goal}: {goal.verdict}")
        list_median, list_times, listed = timed(lambda: list_experiments(conn), args.runs)
        print(f"list_experiments: median {list_median:.1f} ms (min {min(list_times):.1f}); "
              f"{', '.join(f'{e.key} {e.users:,} users' for e in listed)}")
        conn.close()
    verdict = "MET" if median < TARGET_MS else "MISSED"
    print(f"RESULT experiment_results ({assigned:,} assignments, {goal_rows:,} goals): {median:.1f} ms "
          f"(median of {args.runs}; target < {TARGET_MS:.0f} ms) -> {verdict}")
    print(f"RESULT list_experiments: {list_median:.1f} ms (median of {args.runs}; no target)")
    return 0 if math.isfinite(median) else 1


if __name__ == "__main__":
    sys.exit(main())
