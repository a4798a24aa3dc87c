"""What the HTTP benchmarks share: a collector process, a load-generator process, figures.

``run_collector_under_load`` starts ``python -m console.cli collect`` on a free port, runs the
calling script again with ``--client`` as the load generator (an asyncio httpx client with
N keep-alive connections posting pre-built bodies back to back), samples the collector's
CPU, and returns the generator's results with the store's ``count(*)`` of events.

Not a test module: the benchmark scripts import it from their own folder.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import orjson

CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


# --- the load generator (its own process) ----------------------------------------------------


async def generate_load(
    target: str,
    bodies: list[bytes],
    *,
    headers: dict[str, str],
    accepted: Callable[[bytes], int],
    connections: int,
    warmup: float,
    duration: float,
) -> dict:
    """Post ``bodies`` round-robin to ``target`` from ``connections`` connections; the figures.

    ``accepted`` says how many events a 200 answer acknowledged (from its body). The client
    is a minimal HTTP/1.1 keep-alive client over asyncio streams with every request
    pre-built: httpx spends about a millisecond of CPU per request, which on two cores
    would measure the load generator rather than the collector.
    """
    parts = urlsplit(target)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    requests = [
        (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{head}"
         f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        for body in bodies
    ]
    results: list[tuple[float, float, int, int]] = []  # (completed at, latency s, status, accepted)
    begin = time.perf_counter()
    warm_end = begin + warmup
    end = warm_end + duration
    cpu_marks: dict[str, float] = {}

    async def worker(index: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        position = index
        try:
            while True:
                now = time.perf_counter()
                if now >= end:
                    return
                writer.write(requests[position % len(requests)])
                position += connections
                try:
                    status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
                    status = int(status_line.split()[1])
                    length = next(
                        int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")
                    )
                    answer = await reader.readexactly(length)
                    count = accepted(answer) if status == 200 else 0
                except (OSError, asyncio.IncompleteReadError, StopIteration, ValueError):
                    status, count = -1, 0
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                done = time.perf_counter()
                results.append((done, done - now, status, count))
        finally:
            writer.close()

    async def marks() -> None:
        await asyncio.sleep(max(0.0, warm_end - time.perf_counter()))
        cpu_marks["start_cpu"], cpu_marks["start_wall"] = time.process_time(), time.time()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        cpu_marks["end_cpu"], cpu_marks["end_wall"] = time.process_time(), time.time()

    await asyncio.gather(marks(), *(worker(i) for i in range(connections)))

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


def write_result(result: dict) -> None:
    """Hand the generator's figures to the driver (the last line of stdout)."""
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


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




def run_collector_under_load(script: str, client_args: list[str], *, py_spy: str | None = None,
                             warmup: float = 2.0, duration: float = 15.0,
                             collector_args: tuple[str, ...] = ()) -> dict:
    """Run the collector, then ``script --client URL *client_args`` as the load generator.

    Returns the generator's result plus ``stored`` (the store's count of events) and
    ``collector_cpu`` (share of one core the collector used in the measured window).
    """
    with tempfile.TemporaryDirectory(prefix="lookout-bench-") as tmp:
        db = Path(tmp) / "bench.db"
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "collector.log", "wb")
        collector = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "collect", "--db", str(db), "--port", str(port), *collector_args],
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
            if py_spy:
                spy = subprocess.Popen(
                    ["sh", "-c", f"sleep {warmup + 2:.1f}; exec py-spy record -p {collector.pid} "
                     f"-d {max(1, int(duration) - 3)} -r 100 --threads -f raw -o {py_spy}"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            client = subprocess.run(
                [sys.executable, script, "--client", url, "--warmup", str(warmup), "--duration", str(duration),
                 *client_args],
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
            (result["stored"],) = conn.execute("SELECT count(*) FROM events").fetchone()
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
    result["collector_cpu"] = (after[1] - before[1]) / max(after[0] - before[0], 1e-9)
    return result


def report(result: dict, *, unit: str, target_rate: float, target_p99_ms: float) -> float:
    """Print the RESULT lines every HTTP benchmark prints; returns the committed rate."""
    lat = result["latencies_ms"]
    rate = result["measured_events"] / result["window_s"]
    p50, p95, p99 = (percentile(lat, q) for q in (50, 95, 99))
    stored = result["stored"]
    print(f"requests in window: {result['measured_requests']} ({result['measured_requests'] / result['window_s']:.0f}/s), "
          f"statuses {result['statuses']}")
    print(f"store check: count(*) = {stored}, events acknowledged by 200s (all phases) = "
          f"{result['total_ok_events']} -> {'OK' if stored == result['total_ok_events'] else 'MISMATCH'}")
    print(f"CPU during the window: collector {result['collector_cpu']:.0%} of one core, load generator "
          f"{result['client_cpu_s'] / result['window_s']:.0%} of one core (2 cores shared: the "
          f"generator competes with the collector)")
    print(f"RESULT committed: {rate:,.0f} {unit}/s (target >= {target_rate:,.0f}) -> "
          f"{'MET' if rate >= target_rate else 'MISSED'}")
    print(f"RESULT latency (200s): p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, max {lat[-1]:.1f} ms "
          f"(target p99 < {target_p99_ms:.0f} ms) -> {'MET' if p99 < target_p99_ms else 'MISSED'}")
    if stored != result["total_ok_events"]:
        print("RESULT store check MISMATCH")
    return rate
