"""GUI-thread cost of the Overview's live refresh over a big store that is being written.

    python tests/benchmarks/bench_window.py [--events 1000000] [--rate 2000] [--seconds 20]

1. Fills a fresh store with ``--events`` events (a realistic native mix, decoded once and
   submitted repeatedly to a StoreWriter in big batches; the time it took is printed). Their
   arrival times are spread over the last ``--spread-minutes`` minutes, so part of the store
   falls inside the Overview's 30-minute window and the reader has to catch up on it.
2. Starts a feeder: a child process with its own StoreWriter thread adding ``--rate`` events/s
   (chunks of 100, as the collector would), i.e. the collector's topology: another process,
   another GIL. ``--feeder-in-process`` runs it as a thread of this process instead (it then
   competes with the GUI thread for the GIL, a harsher case than the real app).
3. Opens the real MainWindow (QT_QPA_PLATFORM=offscreen, 1400x900, shown) over the store, with
   its StoreWatcher reader thread polling every 500 ms, and measures for ``--seconds``:

   * apply: time in ``OverviewPanel.flush``, the GUI-thread slot that applies the queued
     stream rows (one call per refresh; the dashboard's widgets refresh on their own timers,
     their repaints count in the busy figure below);
   * GUI busy per refresh: all time the GUI thread spent handling events (queued signal
     deliveries, timers, the flush, layout and the repaint it causes, pyqtgraph) between one
     refresh and the next, measured by timing every top-level ``QApplication.notify`` on the
     GUI thread;
   * the longest single event the GUI thread handled (the worst freeze a user could feel).

Target: GUI-thread time per Overview refresh < 50 ms (p95 and max of the busy figure).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _payloads import PayloadFactory  # noqa: E402

from console.core.ingest.native import decode_native  # noqa: E402
from console.core.store.writer import StoreWriter  # noqa: E402

TARGET_MS = 50.0
PROJECT = "bench"


def decoded_pool(seed: int, bodies: int = 200, per_body: int = 100) -> list[list]:
    """Decoded chunks of ``per_body`` events, reused (the writer hands out fresh ids)."""
    now = int(time.time() * 1000)
    factory = PayloadFactory(seed=seed, start_ms=now - bodies * per_body)
    return [decode_native(b, project=PROJECT, now_ms=now).events for b in factory.bodies(bodies, per_body)]


def fill(path: Path, total: int, spread_minutes: float, seed: int) -> float:
    pool = decoded_pool(seed)
    writer = StoreWriter(path=path, max_pending_events=400_000, max_batch_events=20_000)
    writer.start()
    per_submit = 10_000
    chunks_per_submit = per_submit // len(pool[0])
    slots = threading.Semaphore(4)
    errors: list[BaseException] = []

    def done(error: BaseException | None) -> None:
        if error is not None:
            errors.append(error)
        slots.release()

    now = int(time.time() * 1000)
    first = now - int(spread_minutes * 60_000)
    started = time.perf_counter()
    submitted = position = 0
    while submitted < total:
        events = []
        for _ in range(chunks_per_submit):
            events.extend(pool[position % len(pool)])
            position += 1
        events = events[: total - submitted]
        received = first + int((now - first) * submitted / total)
        slots.acquire()
        writer.submit(events, done, received=received)
        submitted += len(events)
    for _ in range(4):
        slots.acquire()
    elapsed = time.perf_counter() - started
    writer.stop()
    if errors:
        raise SystemExit(f"filling the store failed: {errors[0]}")
    return elapsed


def feed(path: str, rate: float, stop, counter, seed: int) -> None:
    """Add ``rate`` events/s in chunks of 100 until ``stop`` is set (runs in a thread or process)."""
    pool = decoded_pool(seed, bodies=50)
    writer = StoreWriter(path=path)
    writer.start()
    interval = len(pool[0]) / rate
    next_at = time.perf_counter()
    position = 0

    def done(error: BaseException | None) -> None:
        if error is None:
            with counter.get_lock():
                counter.value += 100

    try:
        while not stop.is_set():
            writer.submit(pool[position % len(pool)], done)
            position += 1
            next_at += interval
            delay = next_at - time.perf_counter()
            if delay > 0:
                stop.wait(delay)
    finally:
        writer.stop()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def describe(values: list[float]) -> str:
    return f"p50 {pct(values, 50):.1f} ms, p95 {pct(values, 95):.1f} ms, max {max(values):.1f} ms (n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--spread-minutes", type=float, default=60.0,
                        help="arrival times of the prefilled events span this many minutes up to now")
    parser.add_argument("--rate", type=float, default=2_000.0, help="events/s added while measuring")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--feeder-in-process", action="store_true")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    print(f"bench_window: {args.events:,} events prefilled, +{args.rate:,.0f} events/s while measuring "
          f"{args.seconds:.0f} s; QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}; cpus={os.cpu_count()} "
          f"loadavg={os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="lookout-bench-window-") as tmp:
        db = Path(tmp) / "big.db"
        elapsed = fill(db, args.events, args.spread_minutes, args.seed)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        print(f"RESULT fill: {args.events:,} events in {elapsed:.1f} s ({args.events / elapsed:,.0f} events/s, "
              f"StoreWriter, submits of 10,000); store {size / 2**20:.0f} MiB")
        return measure(db, args)


def measure(db: Path, args: argparse.Namespace) -> int:
    from PySide6.QtCore import QCoreApplication, QTimer, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    def qt_message(mode, context, message: str) -> None:
        # The offscreen plugin says "does not support propagateSizeHints()" on every resize.
        if "propagateSizeHints" not in message:
            print(f"qt: {message}", file=sys.stderr)

    qInstallMessageHandler(qt_message)

    from console.gui.main_window import MainWindow
    from console.gui.overview.panel import OverviewPanel

    gui_ident = threading.get_ident()

    class TimedApp(QApplication):
        """Times every top-level event the GUI thread handles."""

        def __init__(self, argv: list[str]) -> None:
            super().__init__(argv)
            self.busy = 0.0
            self.longest = 0.0
            self.depth = 0

        def notify(self, receiver, event):  # noqa: N802 - Qt's name
            if self.depth or threading.get_ident() != gui_ident:
                return super().notify(receiver, event)
            self.depth = 1
            started = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                spent = time.perf_counter() - started
                self.depth = 0
                self.busy += spent
                self.longest = max(self.longest, spent)

    app = QCoreApplication.instance() or TimedApp(["bench_window"])
    assert isinstance(app, TimedApp)

    measuring = [False]
    apply_ms: list[float] = []
    busy_ms: list[float] = []
    flushes: list[float] = []
    last_busy = [0.0]
    original_flush = OverviewPanel.flush

    def timed_flush(self) -> None:
        started = time.perf_counter()
        original_flush(self)
        spent = time.perf_counter() - started
        if measuring[0]:
            apply_ms.append(spent * 1000)
            # The GUI thread's busy time since the previous refresh: signal deliveries, this
            # flush so far, and the repaint the previous flush caused.
            busy_ms.append((app.busy - last_busy[0]) * 1000)
            flushes.append(started)
        last_busy[0] = app.busy

    OverviewPanel.flush = timed_flush  # type: ignore[method-assign]

    ctx = mp.get_context("spawn")
    if args.feeder_in_process:
        stop: threading.Event | object = threading.Event()
        counter = mp.Value("q", 0)
        feeder: threading.Thread | mp.process.BaseProcess = threading.Thread(
            target=feed, args=(str(db), args.rate, stop, counter, args.seed + 1), daemon=True
        )
    else:
        stop = ctx.Event()
        counter = ctx.Value("q", 0)
        feeder = ctx.Process(target=feed, args=(str(db), args.rate, stop, counter, args.seed + 1), daemon=True)
    feeder.start()

    opened = time.perf_counter()
    # The collector evaluates alert rules in its own process in real use; not this window.
    window = MainWindow(db_path=db, collector_url=None, poll_interval_ms=500, evaluate_alerts=False)
    window.resize(1400, 900)
    window.show()
    loaded_at: list[float] = []
    window.loaded.connect(lambda: loaded_at.append(time.perf_counter()))

    startup: dict[str, float] = {}

    def begin() -> None:
        startup["busy_ms"] = app.busy * 1000
        startup["longest_ms"] = app.longest * 1000
        startup["t"] = time.perf_counter() - opened
        startup["fed"] = counter.value
        app.longest = 0.0
        last_busy[0] = app.busy
        measuring[0] = True
        QTimer.singleShot(int(args.seconds * 1000), finish)

    def finish() -> None:
        measuring[0] = False
        startup["fed_end"] = counter.value
        app.quit()

    # Let the window load and the reader catch up on the prefilled window first (its first
    # polls read up to 50,000 activity rows each); then measure the steady state.
    def wait_loaded() -> None:
        if loaded_at and len(flushes) == 0 and time.perf_counter() - loaded_at[0] > 3.0:
            begin()
        else:
            QTimer.singleShot(200, wait_loaded)

    QTimer.singleShot(200, wait_loaded)
    watchdog = threading.Timer(args.seconds + 300, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()
    app.exec()
    measured_s = time.perf_counter() - opened - startup["t"]
    shown = window.overview.dashboard.grid.tile_titled("Events / min")
    card_text = (shown.shown_text or shown.content.value_label.text()) if shown is not None else "?"
    window.shutdown()
    stop.set()  # type: ignore[attr-defined]
    feeder.join(15)
    OverviewPanel.flush = original_flush  # type: ignore[method-assign]
    watchdog.cancel()

    fed = startup["fed_end"] - startup["fed"]
    print(f"startup: first results after {(loaded_at[0] - opened) * 1000:.0f} ms; GUI thread busy "
          f"{startup['busy_ms']:.0f} ms in the first {startup['t']:.1f} s (longest event "
          f"{startup['longest_ms']:.0f} ms)")
    print(f"feeder ({'thread in this process' if args.feeder_in_process else 'child process'}) added "
          f"{fed:,} events in {measured_s:.1f} s measured ({fed / measured_s:,.0f}/s); "
          f"Events/min card at the end: {card_text}")
    if not apply_ms:
        print("RESULT no refresh happened while measuring")
        return 0
    intervals = [(b - a) * 1000 for a, b in zip(flushes, flushes[1:], strict=False)]
    print(f"refreshes: {len(apply_ms)} in {measured_s:.1f} s (every {statistics.mean(intervals):.0f} ms on average)")
    print(f"RESULT apply (OverviewPanel.flush): {describe(apply_ms)}")
    print(f"RESULT GUI-thread busy per refresh (all events incl. repaint): {describe(busy_ms)}")
    print(f"RESULT longest single GUI event while measuring: {app.longest * 1000:.1f} ms")
    worst = max(pct(busy_ms, 95), max(apply_ms))
    print(f"RESULT target GUI time per refresh < {TARGET_MS:.0f} ms: busy p95 {pct(busy_ms, 95):.1f} ms, "
          f"busy max {max(busy_ms):.1f} ms -> {'MET' if max(busy_ms) < TARGET_MS else ('MET at p95, max over' if worst < TARGET_MS else 'MISSED')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
