"""The ``lookout`` command: the window (default), and the collect, demo-traffic, export,
report, screenshot, key and assign subcommands.

Qt is imported only by the subcommands that show or render a window, so ``lookout
collect`` runs on a server with no display libraries.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

import console
from console.core.errors import LookoutError
from console.paths import default_store_path, window_log_path

__all__ = ["main"]

DEFAULT_PORT = 8969
log = logging.getLogger("lookout")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lookout`` command; returns the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    # httpx logs every request at INFO; demo traffic sends several a second.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return int(args.run(args))
    except LookoutError as exc:
        print(f"lookout: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lookout",
        description="Lookout: a desktop monitoring console for mini programs and web front ends.",
    )
    parser.add_argument("--version", action="version", version=f"lookout {console.__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument(
        "--db", type=Path,
        help="open this store; without --collect only your actions and the alert rules write to it",
    )
    parser.add_argument(
        "--collect", action="store_true", help="with --db: also run a collector into that store"
    )
    parser.add_argument(
        "--demo", action="store_true", help="throwaway store + collector + simulated traffic"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="collector port (default 8969)")
    parser.add_argument("--rate", type=float, default=40.0, help="with --demo: events per second")
    _alert_arguments(parser, where="the collector the window starts")
    parser.set_defaults(run=_run_window)
    sub = parser.add_subparsers(title="subcommands")

    collect = sub.add_parser("collect", help="run the HTTP collector without a window")
    collect.add_argument("--db", type=Path, default=None, help="store file (created if missing)")
    collect.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    collect.add_argument("--port", type=int, default=DEFAULT_PORT)
    collect.add_argument("--max-body", type=int, default=1 << 20, help="native body limit in bytes (1 MiB)")
    collect.add_argument(
        "--max-envelope", type=int, default=20 << 20,
        help="Sentry envelope and OTLP body limit in bytes, after decompression (20 MiB)",
    )
    collect.add_argument("--retention-days", type=float, default=14.0)
    collect.add_argument("--max-store-mb", type=float, default=1024.0)
    _alert_arguments(collect, where="the collector")
    collect.set_defaults(run=_run_collect)

    demo = sub.add_parser("demo-traffic", help="post simulated mini-program traffic to a collector")
    demo.add_argument("--url", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    demo.add_argument("--rate", type=float, default=50.0, help="events per second")
    demo.add_argument("--duration", type=float, default=None, help="seconds (default: until Ctrl+C)")
    demo.add_argument("--project", default="demo")
    demo.add_argument("--seed", type=int, default=None)
    demo.add_argument(
        "--users", type=int, default=400,
        help="simulated users (default 400; the A/B test needs a few thousand for a verdict)",
    )
    demo.set_defaults(run=_run_demo_traffic)

    export = sub.add_parser("export", help="write a store's rows of one kind as JSON or CSV")
    export.add_argument("--db", type=Path, required=True)
    export.add_argument("--kind", required=True, help="issues, errors, transactions, spans, logs, releases, experiment-results (with --experiment), funnels, kpis, ..."
                        " (a wrong kind lists them all)")
    export.add_argument("--format", choices=["json", "csv"], default="json")
    export.add_argument("--out", type=Path, default=None, help="file to write (default: stdout)")
    export.add_argument(
        "--experiment", default=None, help="with --kind experiment-results: the experiment's key"
    )
    export.add_argument("--project", default=None, help="with --kind experiment-results: its project")
    export.add_argument(
        "--breakdown", default=None,
        help="with --kind funnels: platform, release, device, experiment:KEY or a property of the first step"
        " (properties.NAME)",
    )
    export.add_argument("--from", dest="from_ms", type=_moment, default=None,
                        help="with --kind funnels or kpis: from this time (ms since the epoch, an ISO date or time,"
                             " or a span back from now like 7d)")
    export.add_argument("--to", dest="to_ms", type=_moment, default=None,
                        help="with --kind funnels or kpis: until this time, excluded (default: the store's whole"
                             " time for funnels, the last 24 h for kpis)")
    export.set_defaults(run=_run_export)

    report = sub.add_parser("report", help="write the KPI report of a range as one HTML file (or CSV)")
    report.add_argument("--db", type=Path, required=True)
    report.add_argument("--from", dest="start", default="24h",
                        help="start: an ISO date or time (UTC unless it says), or a span back from now like 24h, 7d"
                             " (default 24h)")
    report.add_argument("--to", dest="end", default="now", help="end, the same way (default now)")
    report.add_argument("--format", choices=["html", "csv"], default="html", help="what --out holds (default html)")
    report.add_argument("--out", type=Path, default=None, help="file to write (default: stdout)")
    report.add_argument("--csv", type=Path, default=None, help="also write the CSV to this file")
    report.set_defaults(run=_run_report)

    shot = sub.add_parser("screenshot", help="render a panel of the window to a PNG, offscreen")
    shot.add_argument("--db", type=Path, required=True)
    shot.add_argument(
        "--panel", default="overview",
        help="overview (default), performance, alerts, experiments, analytics, errors, logs or metrics",
    )
    shot.add_argument("--out", type=Path, required=True)
    shot.add_argument("--size", default="1400x900", help="WIDTHxHEIGHT in pixels")
    shot.add_argument(
        "--tab", default=None,
        help="with --panel analytics: the tab to show (sessions, users, events, funnels, conversions, kpis)",
    )
    shot.set_defaults(run=_run_screenshot)

    key = sub.add_parser("key", help="print a project's key (creating the project if needed)")
    key.add_argument("--db", type=Path, required=True)
    key.add_argument("--project", required=True)
    key.set_defaults(run=_run_key)

    assign = sub.add_parser(
        "assign", help="print the variant a user gets (GrowthBook-compatible hashing, version 2)"
    )
    assign.add_argument("--experiment", required=True, help="the experiment's key")
    assign.add_argument("--user", required=True, help="the user's id")
    assign.add_argument(
        "--weights", type=_weights, default=None,
        help="comma-separated weights, one per variant (default 50,50)",
    )
    assign.add_argument(
        "--variants", default=None, help="comma-separated variant names (default control, then variant-1 ...)"
    )
    assign.add_argument("--seed", default=None, help="hash seed (default: the experiment key, as GrowthBook)")
    assign.set_defaults(run=_run_assign)
    return parser


def _weights(text: str) -> list[float]:
    try:
        weights = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"weights are numbers separated by commas, not {text!r}") from None
    if len(weights) < 2 or any(not (math.isfinite(w) and w >= 0) for w in weights) or sum(weights) <= 0:
        raise argparse.ArgumentTypeError("give at least two non-negative weights, not all 0")
    return weights


def _alert_arguments(parser: argparse.ArgumentParser, *, where: str) -> None:
    parser.add_argument(
        "--alert-interval", type=_alert_interval, default=15.0, metavar="S",
        help=f"seconds between evaluations of the alert rules in {where} (default 15; 0: none)",
    )
    parser.add_argument(
        "--alert-webhook", action="append", type=_webhook_url, default=[], metavar="URL",
        help="POST every notified alert as JSON to URL (repeatable); for rules with the webhook channel",
    )
    parser.add_argument(
        "--alert-log", type=Path, default=None, metavar="FILE",
        help="append every notified alert to FILE as a JSON line; for rules with the log channel",
    )


def _alert_interval(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise argparse.ArgumentTypeError("the alert interval is 0 (off) or a positive number of seconds")
    return seconds


def _webhook_url(text: str) -> str:
    try:
        url = httpx.URL(text) if "://" in text else None
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise argparse.ArgumentTypeError(f"a webhook is an http:// or https:// URL (got {text!r})")
    return text


def _alert_args(args: argparse.Namespace) -> list[str]:
    """The alert options as ``lookout collect`` arguments, for the collector the window starts."""
    extra = ["--alert-interval", repr(args.alert_interval)]
    for url in args.alert_webhook:
        extra += ["--alert-webhook", url]
    if args.alert_log is not None:
        extra += ["--alert-log", str(args.alert_log.resolve())]
    return extra


# --- subcommands ---------------------------------------------------------------------------


def _run_collect(args: argparse.Namespace) -> int:
    from console.collector.alerting import ChannelSettings
    from console.collector.runner import serve
    from console.core.store.retention import RetentionPolicy

    db = args.db or default_store_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    serve(
        db_path=db,
        host=args.host,
        port=args.port,
        max_body_bytes=args.max_body,
        max_envelope_bytes=args.max_envelope,
        retention=RetentionPolicy(
            max_age_days=args.retention_days, max_bytes=int(args.max_store_mb * (1 << 20))
        ),
        alert_interval_s=args.alert_interval or None,
        alert_channels=ChannelSettings(webhook_urls=tuple(args.alert_webhook), log_path=args.alert_log),
    )
    return 0


def _run_demo_traffic(args: argparse.Namespace) -> int:
    from console.core.demo import run_demo_traffic

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stats = run_demo_traffic(
            args.url, rate=args.rate, duration=args.duration, project=args.project,
            seed=args.seed, stop=stop, metrics_every_s=5.0, users=args.users,
        )
    except KeyboardInterrupt:
        return 0
    print(
        f"sent {stats.sent} events in {stats.requests} requests over {stats.elapsed_s:.1f} s: "
        f"{stats.accepted} accepted, {stats.rejected} rejected, {stats.failed_requests} failed requests"
    )
    return 0 if stats.failed_requests == 0 or stats.accepted else 1


def _run_export(args: argparse.Namespace) -> int:
    from console.core.store.queries import StoreReader

    if args.kind == "experiment-results":
        return _export_experiment_results(args)
    if args.kind == "funnels":
        return _export_funnels(args)
    reader = StoreReader(args.db)
    out = args.out.open("w", newline="", encoding="utf-8") if args.out else sys.stdout
    try:
        rows = _kpi_rows(args) if args.kind == "kpis" else reader.export(args.kind)
        if args.format == "json":
            out.write("[")
            for position, row in enumerate(rows):
                out.write(",\n" if position else "\n")
                out.write(json.dumps(row, ensure_ascii=False))
            out.write("\n]\n")
        else:
            writer: csv.DictWriter[str] | None = None
            for row in rows:
                flat = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for k, v in row.items()}
                if writer is None:
                    writer = csv.DictWriter(out, fieldnames=list(flat))
                    writer.writeheader()
                writer.writerow(flat)
    finally:
        reader.close()
        if args.out:
            out.close()
    return 0


def _export_experiment_results(args: argparse.Namespace) -> int:
    """``export --kind experiment-results``: the numbers the Experiments panel shows, as one JSON object."""
    from console.core.store.experiment_queries import experiment_results
    from console.core.store.queries import StoreReader
    from console.core.store.schema import connect

    if not args.experiment:
        raise LookoutError("--kind experiment-results needs --experiment KEY")
    if args.format != "json":
        raise LookoutError("experiment results are nested: export them with --format json")
    reader = StoreReader(args.db)  # checks the file is a store of this version
    reader.close()
    conn = connect(args.db, readonly=True)
    try:
        results = experiment_results(conn, args.experiment, project=args.project)
    finally:
        conn.close()
    text = json.dumps(results.to_json(), ensure_ascii=False, indent=2) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _moment(text: str) -> int:
    """A time on the command line: ms since the epoch, or what ``lookout report`` takes (an
    ISO 8601 date or time, UTC unless it says; ``now``; a span back from now like ``7d``)."""
    from console.core.analysis.product.report import parse_moment

    if text.strip().isdigit():
        return int(text)
    try:
        return parse_moment(text, now_ms=int(time.time() * 1000))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _export_funnels(args: argparse.Namespace) -> int:
    """``export --kind funnels``: every saved and discovered funnel counted over the store's
    whole time (or ``--from``/``--to``); JSON nests the steps, CSV has a row per step."""
    from console.core.store.funnel_queries import funnel_export_rows, funnel_result, list_funnels
    from console.core.store.queries import StoreReader
    from console.core.store.schema import connect

    StoreReader(args.db).close()  # checks the file is a store of this version
    conn = connect(args.db, readonly=True)
    try:
        first, last = conn.execute("SELECT min(ts), max(ts) FROM events").fetchone()
        start = args.from_ms if args.from_ms is not None else (first or 0)
        end = args.to_ms if args.to_ms is not None else (last + 1 if last is not None else start)
        try:
            results = [funnel_result(conn, funnel, start, end, breakdown=args.breakdown) for funnel in list_funnels(conn)]
        except ValueError as exc:
            raise LookoutError(str(exc)) from None
    finally:
        conn.close()
    out = args.out.open("w", newline="", encoding="utf-8") if args.out else sys.stdout
    try:
        if args.format == "json":
            out.write(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2) + "\n")
        else:
            rows = funnel_export_rows(results)
            writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["funnel"])
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if args.out:
            out.close()
    return 0


def _kpi_rows(args: argparse.Namespace) -> list[dict[str, Any]]:
    """``export --kind kpis``: every KPI over the last 24 h (or ``--from``/``--to``), judged,
    against the range of the same length before."""
    from console.core.store.kpi_queries import kpi_report
    from console.core.store.schema import connect

    now = int(time.time() * 1000)
    end = args.to_ms if args.to_ms is not None else now
    start = args.from_ms if args.from_ms is not None else end - 86_400_000
    if end <= start:
        raise LookoutError("--to must come after --from")
    conn = connect(args.db, readonly=True)
    try:
        return kpi_report(conn, start, end, now_ms=now).to_json()
    finally:
        conn.close()


def _run_report(args: argparse.Namespace) -> int:
    """``report``: every KPI of the range as a self-contained HTML page, or CSV."""
    from console.core.analysis.product.report import parse_moment, report_csv, report_html
    from console.core.store.kpi_queries import kpi_report
    from console.core.store.queries import StoreReader
    from console.core.store.schema import connect

    now = int(time.time() * 1000)
    try:
        start, end = parse_moment(args.start, now_ms=now), parse_moment(args.end, now_ms=now)
    except ValueError as exc:
        raise LookoutError(str(exc)) from None
    if end <= start:
        raise LookoutError(f"--to ({args.end}) must come after --from ({args.start})")
    StoreReader(args.db).close()  # checks the file is a store of this version
    conn = connect(args.db, readonly=True)
    try:
        report = kpi_report(conn, start, end, now_ms=now)
    finally:
        conn.close()
    text = report_csv(report) if args.format == "csv" else report_html(report)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}: {report.summary()}")
    else:
        sys.stdout.write(text)
    if args.csv:
        args.csv.write_text(report_csv(report), encoding="utf-8")
        print(f"wrote {args.csv}", file=sys.stderr if not args.out else sys.stdout)
    return 0


def _run_assign(args: argparse.Namespace) -> int:
    from console.core.analysis.experiments.hashing import select_variant

    weights = args.weights or [50.0, 50.0]
    names = [n.strip() for n in args.variants.split(",")] if args.variants else (
        ["control", *[f"variant-{i}" for i in range(1, len(weights))]]
    )
    if len(names) != len(weights):
        raise LookoutError(f"{len(names)} variant names for {len(weights)} weights")
    index = select_variant(args.experiment, args.user, weights, seed=args.seed)
    print(f"{index} {names[index]}" if index >= 0 else "-1 (not in the experiment)")
    return 0


def _run_screenshot(args: argparse.Namespace) -> int:
    from console.gui.screenshot import render_screenshot

    width, _, height = args.size.partition("x")
    try:
        render_screenshot(db_path=args.db, panel=args.panel, out=args.out, size=(int(width), int(height)), tab=args.tab)
    except ValueError as exc:
        raise LookoutError(str(exc)) from None
    print(f"wrote {args.out}")
    return 0


def _run_key(args: argparse.Namespace) -> int:
    import secrets

    from console.core.store.schema import connect, migrate

    conn = connect(args.db)
    migrate(conn)
    conn.execute(
        "INSERT OR IGNORE INTO projects (name, key, created) VALUES (?, ?, ?)",
        (args.project, secrets.token_hex(16), int(time.time() * 1000)),
    )
    (key,) = conn.execute("SELECT key FROM projects WHERE name = ?", (args.project,)).fetchone()
    conn.close()
    print(key)
    return 0


# --- the window, with its collector --------------------------------------------------------


def _log_to_file(path: Path) -> logging.Handler | None:
    """Also write the log to ``path`` (rotated at 1 MiB, three kept), so a window started
    from the menu, with no terminal, leaves something to read; best effort."""
    from logging.handlers import RotatingFileHandler

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1 << 20, backupCount=3, encoding="utf-8")
    except OSError as exc:
        log.warning("cannot write the log file %s: %s", path, exc)
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler


def _run_window(args: argparse.Namespace) -> int:
    handler = _log_to_file(window_log_path())
    log.info("lookout %s starting the window; logging to %s", console.__version__, window_log_path())
    try:
        return _run_window_logged(args)
    finally:
        if handler is not None:
            logging.getLogger().removeHandler(handler)
            handler.close()


def _run_window_logged(args: argparse.Namespace) -> int:
    from console.gui.app import run_window

    scratch: tempfile.TemporaryDirectory[str] | None = None
    if args.demo:
        scratch = tempfile.TemporaryDirectory(prefix="lookout-demo-")
        db = Path(scratch.name) / "demo.db"
    else:
        db = args.db or default_store_path()
    collect = args.demo or args.collect or args.db is None
    collector: subprocess.Popen[bytes] | None = None
    url: str | None = None
    stop_demo = threading.Event()
    demo_thread: threading.Thread | None = None
    try:
        if collect:
            url, collector = _ensure_collector(db, args.port, _alert_args(args))
        elif not db.exists():
            print(f"lookout: no store at {db}", file=sys.stderr)
            return 1
        if args.demo and url is not None:
            from console.core.demo import run_demo_traffic

            demo_url = url
            demo_thread = threading.Thread(
                target=lambda: run_demo_traffic(demo_url, rate=args.rate, stop=stop_demo, metrics_every_s=5.0),
                name="lookout.demo",
                daemon=True,
            )
            demo_thread.start()
        from console.collector.alerting import ChannelSettings

        return run_window(
            db_path=db, collector_url=url, alert_interval_s=args.alert_interval,
            alert_channels=ChannelSettings(webhook_urls=tuple(args.alert_webhook), log_path=args.alert_log),
        )
    finally:
        stop_demo.set()
        if demo_thread is not None:
            demo_thread.join(5)
        if collector is not None:
            collector.terminate()
            try:
                collector.wait(10)
            except subprocess.TimeoutExpired:
                collector.kill()
        if scratch is not None:
            scratch.cleanup()


def _health(url: str) -> dict[str, Any] | None:
    try:
        answer = httpx.get(f"{url}/healthz", timeout=1.0)
        return dict(answer.json()) if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _self_command() -> list[str]:
    """How to run ``lookout`` again: the bundle's executable itself when frozen by
    PyInstaller (it has no ``-m``), else this interpreter with ``-m console.cli``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "console.cli"]


def _ensure_collector(
    db: Path, port: int, extra_args: Sequence[str] = ()
) -> tuple[str, subprocess.Popen[bytes] | None]:
    """A collector writing ``db``: the one already on ``port`` if it writes that store, else
    ours, started with ``extra_args`` (the alert options)."""
    url = f"http://127.0.0.1:{port}"
    health = _health(url)
    if health is not None and health.get("db") == str(db.resolve()):
        log.info("using the collector already on port %d; it keeps its own alert options", port)
        return url, None
    if health is not None or not _port_free(port):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        log.warning("port in use by another program or store; collecting on %d instead", port)
        url = f"http://127.0.0.1:{port}"
    db.parent.mkdir(parents=True, exist_ok=True)
    # Its own session: Ctrl+C in the terminal closes the window, which then stops the
    # collector in order, instead of killing both at once.
    process = subprocess.Popen(
        [*_self_command(), "collect", "--db", str(db), "--port", str(port), *extra_args],
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LookoutError(f"the collector exited with status {process.returncode}")
        if _health(url) is not None:
            return url, process
        time.sleep(0.1)
    process.kill()
    raise LookoutError("the collector did not start within 20 s")


if __name__ == "__main__":
    sys.exit(main())
