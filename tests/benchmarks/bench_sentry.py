"""Sentry error envelopes into the real collector: envelopes/s committed and request latency.

    python tests/benchmarks/bench_sentry.py [--duration 15] [--connections 16]

Envelopes are made by the real sentry-python SDK (``_sentry_envelopes.py``: one error each,
10 frames, 20 breadcrumbs, about 6 KB) before the clock starts, then posted by a separate
load-generator process from ``--connections`` keep-alive connections to
``/api/1/envelope/``, one envelope per request, as SDKs send them. Only 200 answers with an
``id`` count; the store's ``count(*)`` of events must equal them at the end.

For scale: Sentry's Spotlight sidecar took about 470 envelopes/s as shipped on this machine
(about 3,300/s with its own telemetry off) and keeps only the last 500.

Targets: >= 3,500 envelopes/s committed; p99 request latency < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http_load import generate_load, report, run_collector_under_load, summarize_py_spy, write_result  # noqa: E402

TARGET_ENVELOPES_PER_S = 3_500
TARGET_P99_MS = 50.0


def client_main(args: argparse.Namespace) -> int:
    from _sentry_envelopes import sentry_error_envelopes

    t0 = time.perf_counter()
    bodies = sentry_error_envelopes(args.bodies)
    print(f"client: sentry-python made {len(bodies)} error envelopes "
          f"({sum(map(len, bodies)) / len(bodies) / 1024:.1f} KiB avg) in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr, flush=True)
    headers = {
        "content-type": "application/x-sentry-envelope",
        "x-sentry-auth": "Sentry sentry_version=7, sentry_key=benchkey, sentry_client=sentry.python/bench",
    }
    result = asyncio.run(generate_load(
        f"{args.client}/api/1/envelope/", bodies, headers=headers,
        accepted=lambda body: 1 if b'"id"' in body else 0,
        connections=args.connections, warmup=args.warmup, duration=args.duration,
    ))
    write_result(result)
    return 0


def decoder_alone(count: int, seconds: float = 4.0) -> float:
    from _sentry_envelopes import sentry_error_envelopes

    from console.core.ingest.sentry import decode_envelope

    bodies = sentry_error_envelopes(count)
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        decode_envelope(bodies[done % len(bodies)], project="1", now_ms=int(time.time() * 1000))
        done += 1
    return done / (time.perf_counter() - started)


def driver_main(args: argparse.Namespace) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"bench_sentry: {args.connections} connections x one error envelope per request, "
          f"{args.warmup:.0f} s warm-up + {args.duration:.0f} s measured; cpus={os.cpu_count()} "
          f"loadavg={os.getloadavg()[0]:.2f}")
    result = run_collector_under_load(
        __file__, ["--connections", str(args.connections), "--bodies", str(args.bodies)],
        py_spy=args.py_spy, warmup=args.warmup, duration=args.duration,
    )
    rate = report(result, unit="envelopes", target_rate=TARGET_ENVELOPES_PER_S, target_p99_ms=TARGET_P99_MS)
    if args.py_spy and Path(args.py_spy).exists():
        summarize_py_spy(Path(args.py_spy))
    decode_rate = decoder_alone(args.bodies)
    print(f"RESULT decoder alone (decode_envelope, same envelopes, one process): {decode_rate:,.0f} envelopes/s "
          f"= the ceiling of a collector that decodes on one core; HTTP reached {rate / decode_rate:.0%} of it")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--bodies", type=int, default=500, help="distinct envelopes, cycled")
    parser.add_argument("--py-spy", metavar="FILE", help="record the collector with py-spy (raw stacks) into FILE")
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return client_main(args) if args.client else driver_main(args)


if __name__ == "__main__":
    sys.exit(main())
