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
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _payloads import PayloadFactory  # noqa: E402

TARGET_EVENTS_PER_S = 30_000
TARGET_P99_MS = 100.0
PROJECT = "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


# --- the load generator (its own process) ----------------------------------------------------


async def _load(url: str, bodies: list[bytes], connections: int, warmup: float, duration: float) -> dict:
    import httpx

    target = f"{url}/api/{PROJECT}/events"
    headers = {"content-type": "application/json"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    results: list[tuple[float, float, int, int]] = []  # (completed at, latency s, status, accepted)
    begin = time.perf_counter()
    warm_end = begin + warmup
    end = warm_end + duration
    cpu_marks: dict[str, float] = {}

    async def worker(index: int, client: httpx.AsyncClient) -> None:
        position = index
        while True:
            now = time.perf_counter()
            if now >= end:
                return
            body = bodies[position % len(bodies)]
            position += connections
            try:
                answer = await client.post(target, content=body, headers=headers)
                status = answer.status_code
                accepted = orjson.loads(answer.content).get("accepted", 0) if status == 200 else 0
            except httpx.HTTPError:
                status, accepted = -1, 0
            done = time.perf_counter()
            results.append((done, done - now, status, accepted))

    async def marks() -> None:
        await asyncio.sleep(max(0.0, warm_end - time.perf_counter()))
        cpu_marks["start_cpu"], cpu_marks["start_wall"] = time.process_time(), time.time()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        cpu_marks["end_cpu"], cpu_marks["end_wall"] = time.process_time(), time.time()

    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        await asyncio.gather(marks(), *(worker(i, client) for i in range(connections)))

    measured = [r for r in results if warm_end <= r[0] <= end]
    ok = [r for r in measured if r[2] == 200]
    statuses: dict[str, int] = {}
    for r in measured:
        statuses[str(r[2])] = statuses.get(str(r[2]), 0) + 1
    return {
        "window_s": duration,
        "measured_requests": len(measured),
        "measured_ok": len(ok),
        "measured_events": sum(r[3] for r in ok),
        "latencies_ms": sorted(r[1] * 1000 for r in ok),
        "statuses": statuses,
        "total_ok_events": sum(r[3] for r in results if r[2] == 200),
        "total_requests": len(results),
        "client_cpu_s": cpu_marks["end_cpu"] - cpu_marks["start_cpu"],
        "window_wall": [cpu_marks["start_wall"], cpu_marks["end_wall"]],
    }


def client_main(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    bodies = PayloadFactory(seed=args.seed).bodies(args.bodies, args.batch)
    print(f"client: built {len(bodies)} bodies of {args.batch} events "
          f"({sum(map(len, bodies)) / len(bodies) / 1024:.1f} KiB avg) in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr, flush=True)
    result = asyncio.run(_load(args.client, bodies, args.connections, args.warmup, args.duration))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    return 0


# --- the driver ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the collector exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the collector did not answer /healthz in time")


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


def summarize_py_spy(path: Path, top: int = 12) -> None:
    """Print the frames with the most samples (self time) per thread from py-spy's raw output."""
    from collections import Counter

    per_thread: dict[str, Counter[str]] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        per_thread.setdefault(frames[0], Counter())[frames[-1]] += int(count)
    for thread, frames in per_thread.items():
        total = sum(frames.values())
        print(f"py-spy {thread}: {total} samples (non-idle); top frames by self time:")
        for frame, count in frames.most_common(top):
            print(f"    {count / total:6.1%}  {frame}")


def driver_main(args: argparse.Namespace) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    print(f"bench_http: {args.connections} connections x bodies of {args.batch} events, "
          f"{args.warmup:.0f} s warm-up + {args.duration:.0f} s measured; cpus={os.cpu_count()} "
          f"loadavg={os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="lookout-bench-http-") as tmp:
        db = Path(tmp) / "bench.db"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "collector.log", "wb")
        collector = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "collect", "--db", str(db), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
        samples: list[tuple[float, float]] = []
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                try:
                    samples.append((time.time(), proc_cpu_s(collector.pid)))
                except OSError:
                    return
                sampling.wait(0.25)

        try:
            wait_healthy(url, collector)
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            spy = None
            if args.py_spy:
                # Sample the collector during the measured window (after the client's warm-up and
                # the time it takes to build its bodies, roughly).
                spy = subprocess.Popen(
                    ["sh", "-c", f"sleep {args.warmup + 2:.1f}; exec py-spy record -p {collector.pid} "
                     f"-d {max(1, int(args.duration) - 3)} -r 100 --threads -f raw -o {args.py_spy}"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            client = subprocess.run(
                [sys.executable, __file__, "--client", url, "--connections", str(args.connections),
                 "--batch", str(args.batch), "--bodies", str(args.bodies), "--warmup", str(args.warmup),
                 "--duration", str(args.duration), "--seed", str(args.seed)],
                capture_output=True,
            )
            print(client.stderr.decode().strip())
            if client.returncode != 0:
                raise SystemExit(f"the load generator failed with status {client.returncode}")
            sampling.set()
            sampler.join()
            if spy is not None:
                spy.wait(30)
            result = orjson.loads(client.stdout.splitlines()[-1])
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            (stored,) = conn.execute("SELECT count(*) FROM events").fetchone()
            conn.close()
        finally:
            collector.terminate()
            try:
                collector.wait(15)
            except subprocess.TimeoutExpired:
                collector.kill()
            log.close()
            if collector.returncode not in (0, -15):
                print((Path(tmp) / "collector.log").read_text()[-3000:])

    w0, w1 = result["window_wall"]
    before = min(samples, key=lambda s: abs(s[0] - w0))
    after = min(samples, key=lambda s: abs(s[0] - w1))
    collector_cpu = (after[1] - before[1]) / max(after[0] - before[0], 1e-9)
    lat = result["latencies_ms"]
    rate = result["measured_events"] / result["window_s"]
    p50, p95, p99 = (percentile(lat, q) for q in (50, 95, 99))
    print(f"requests in window: {result['measured_requests']} ({result['measured_requests'] / result['window_s']:.0f}/s), "
          f"statuses {result['statuses']}")
    print(f"store check: count(*) = {stored}, events acknowledged by 200s (all phases) = "
          f"{result['total_ok_events']} -> {'OK' if stored == result['total_ok_events'] else 'MISMATCH'}")
    print(f"CPU during the window: collector {collector_cpu:.0%} of one core, load generator "
          f"{result['client_cpu_s'] / result['window_s']:.0%} of one core (2 cores shared: the "
          f"generator competes with the collector)")
    print(f"RESULT committed: {rate:,.0f} events/s (target >= {TARGET_EVENTS_PER_S:,}) -> "
          f"{'MET' if rate >= TARGET_EVENTS_PER_S else 'MISSED'}")
    print(f"RESULT latency (200s): p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {lat[-1]:.1f} ms "
          f"(target p99 < {TARGET_P99_MS:.0f} ms) -> {'MET' if p99 < TARGET_P99_MS else 'MISSED'}")
    if stored != result["total_ok_events"]:
        print("RESULT store check MISMATCH")
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
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return client_main(args) if args.client else driver_main(args)


if __name__ == "__main__":
    sys.exit(main())
