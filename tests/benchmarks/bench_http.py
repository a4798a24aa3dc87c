"""End-to-end collector throughput and latency: the real ``lookout collect`` under HTTP load.

    python tests/benchmarks/bench_http.py [--duration 15] [--connections 16] [--batch 100]

The collector runs as its own process (``python -m console.cli collect --db TMP --port FREE``);
the load generator is a second process (this script with ``--client``) running an asyncio
httpx client with ``--connections`` concurrent keep-alive connections, each posting native
bodies of ``--batch`` events (``{"events": [...]}``, pre-built with orjson before the clock
starts) back to back. After ``--warmup`` seconds, requests completing within ``--duration``
seconds are measured. Only 200 answers count; at the end the store's ``count(*)`` of events
must equal the events acknowledged by all 200s (warm-up and tail included).

The machine has few cores and the generator competes with the collector for them: the CPU
each process used during the measured window is printed next to the figures.

Finally the decoder alone (``decode_native`` on the same bodies, one process, nothing else
running) shows how many events/s one core can even parse: the collector's ceiling.

Targets: >= 30,000 events/s committed; p99 request latency < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http_load import generate_load, report, run_collector_under_load, summarize_py_spy, write_result  # noqa: E402
from _payloads import PayloadFactory  # noqa: E402

TARGET_EVENTS_PER_S = 30_000
TARGET_P99_MS = 100.0
PROJECT = "bench"


def client_main(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    bodies = PayloadFactory(seed=args.seed).bodies(args.bodies, args.batch, session_per_body=args.session_per_body)
    print(f"client: built {len(bodies)} bodies of {args.batch} events "
          f"({sum(map(len, bodies)) / len(bodies) / 1024:.1f} KiB avg) in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr, flush=True)
    result = asyncio.run(generate_load(
        f"{args.client}/api/{PROJECT}/events", bodies,
        headers={"content-type": "application/json"},
        accepted=lambda body: int(orjson.loads(body).get("accepted", 0)),
        connections=args.connections, warmup=args.warmup, duration=args.duration,
    ))
    write_result(result)
    return 0


def decoder_alone(args: argparse.Namespace, seconds: float = 4.0) -> float:
    from console.core.ingest.native import decode_native

    bodies = PayloadFactory(seed=args.seed).bodies(args.bodies, args.batch)
    events = 0
    started = time.perf_counter()
    position = 0
    while time.perf_counter() - started < seconds:
        batch = decode_native(bodies[position % len(bodies)], project=PROJECT, now_ms=int(time.time() * 1000))
        events += len(batch.events)
        position += 1
    return events / (time.perf_counter() - started)


def driver_main(args: argparse.Namespace) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"bench_http: {args.connections} connections x bodies of {args.batch} events"
          f"{' (one session per body)' if args.session_per_body else ''}, "
          f"{args.warmup:.0f} s warm-up + {args.duration:.0f} s measured; cpus={os.cpu_count()} "
          f"loadavg={os.getloadavg()[0]:.2f}")
    result = run_collector_under_load(
        __file__,
        ["--connections", str(args.connections), "--batch", str(args.batch), "--bodies", str(args.bodies),
         "--seed", str(args.seed), *(["--session-per-body"] if args.session_per_body else [])],
        py_spy=args.py_spy, warmup=args.warmup, duration=args.duration,
    )
    rate = report(result, unit="events", target_rate=TARGET_EVENTS_PER_S, target_p99_ms=TARGET_P99_MS)
    if args.py_spy and Path(args.py_spy).exists():
        summarize_py_spy(Path(args.py_spy))
    decode_rate = decoder_alone(args)
    print(f"RESULT decoder alone (decode_native, same bodies, one process): {decode_rate:,.0f} events/s "
          f"= the ceiling of a collector that decodes on one core; HTTP reached {rate / decode_rate:.0%} of it")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batch", type=int, default=100, help="events per request")
    parser.add_argument("--bodies", type=int, default=300, help="distinct pre-built bodies, cycled")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--py-spy", metavar="FILE", help="record the collector with py-spy (raw stacks) into FILE")
    parser.add_argument(
        "--session-per-body", action="store_true",
        help="every event of a body from one session, as an SDK batches its own session's events"
        " (default: each event from one of 5,000 sessions at random, the writer's worst case)",
    )
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return client_main(args) if args.client else driver_main(args)


if __name__ == "__main__":
    sys.exit(main())
