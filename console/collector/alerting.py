"""Alerts without a window: the loop that evaluates the rules, and the headless channels.

:class:`AlertLoop` runs :func:`console.core.analysis.alerts.engine.run_cycle` every
``interval_s`` on a thread named ``lookout.alerts``; the engine reads through the loop's own
read-only connection and stores states and transitions through the writer. Every transition
it notifies goes to the channels of its rule that need no window: ``"webhook"`` (a JSON POST
to each configured URL, retried with exponential backoff) and ``"log"`` (one JSON line
appended to a file). ``"tray"``, ``"banner"`` and ``"sound"`` are the window's.

Delivery runs on a small pool of its own (:class:`AlertDelivery`), so a receiver that is slow
or down never delays the next evaluation. Every attempt is recorded in ``alert_deliveries``
(through the writer, like every write) and logged on ``lookout.alerts``.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

import console
from console.core.analysis.alerts import engine
from console.core.analysis.alerts.engine import Cycle
from console.core.analysis.alerts.state import Transition
from console.core.errors import LookoutError, StoreError, StoreUnavailable
from console.core.store import alerts as alert_store
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter

__all__ = [
    "HEADLESS_CHANNELS",
    "AlertDelivery",
    "AlertLoop",
    "AlertLoopStats",
    "ChannelSettings",
    "Notification",
]

log = logging.getLogger("lookout.alerts")

#: The channels this module delivers; a rule's other channels are the window's.
HEADLESS_CHANNELS = ("webhook", "log")


@dataclass(frozen=True, slots=True)
class ChannelSettings:
    """Where notified alerts go when no window shows them, and how hard to try."""

    webhook_urls: tuple[str, ...] = ()
    log_path: Path | None = None
    #: Retries after the first attempt; the waits between attempts are
    #: ``webhook_backoff_s`` × 1, 2, 4, …
    webhook_retries: int = 3
    webhook_backoff_s: float = 1.0
    webhook_timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class Notification:
    """A notified transition on its way to the channels, with the id of its stored row."""

    alert_event_id: int
    transition: Transition
    channels: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """What a webhook receives and the log file holds: plain JSON types only."""
        t = self.transition
        return {
            "id": self.alert_event_id,
            "rule_id": t.rule_id,
            "rule": t.rule_name,
            "severity": str(t.severity),
            "state": str(t.to_state),
            "from_state": str(t.from_state),
            "value": t.value if t.value is None or math.isfinite(t.value) else None,
            "threshold": t.threshold,
            "detail": t.detail,
            "link": t.link,
            "reason": t.reason,
            "at": datetime.fromtimestamp(t.at_ms / 1000, tz=UTC).isoformat(timespec="milliseconds"),
            "at_ms": t.at_ms,
            "source": f"lookout {console.__version__}",
        }


class AlertDelivery:
    """Sends notifications to the webhook URLs and the log file, off the caller's thread.

    :meth:`deliver` returns at once; the work runs on up to ``workers`` threads named
    ``lookout.alerts.delivery``. :meth:`close` stops retrying (attempts under way finish)
    and waits for the pool.
    """

    def __init__(self, *, writer: StoreWriter, settings: ChannelSettings, workers: int = 4) -> None:
        self.writer = writer
        self.settings = settings
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookout.alerts.delivery")
        self._closing = threading.Event()
        self._log_lock = threading.Lock()

    def deliver(self, notification: Notification) -> None:
        """Queue ``notification`` for each of its channels that is configured here."""
        if self._closing.is_set():
            log.warning("alert %d not delivered: stopping", notification.alert_event_id)
            return
        if "log" in notification.channels and self.settings.log_path is not None:
            self._pool.submit(self._append, self.settings.log_path, notification)
        if "webhook" in notification.channels:
            for url in self.settings.webhook_urls:
                self._pool.submit(self._post, url, notification)

    def close(self) -> None:
        """Give up waiting for retries and wait for what is being sent now."""
        self._closing.set()
        self._pool.shutdown(wait=True)

    # --- on a delivery thread --------------------------------------------------------------

    def _append(self, path: Path, notification: Notification) -> None:
        line = orjson.dumps(notification.to_json()) + b"\n"
        try:
            with self._log_lock:  # one line at a time, whole, even from several threads
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("ab") as out:
                    out.write(line)
                    out.flush()
        except OSError as exc:
            log.error("alert %d not written to %s: %s", notification.alert_event_id, path, exc)
            self._record(notification, "log", 1, ok=False, detail=f"{path}: {exc}")
            return
        log.info("alert %d (%s) written to %s", notification.alert_event_id, notification.transition.rule_name, path)
        self._record(notification, "log", 1, ok=True, detail=str(path))

    def _post(self, url: str, notification: Notification) -> None:
        body = orjson.dumps(notification.to_json())
        attempts = 1 + max(0, self.settings.webhook_retries)
        headers = {"Content-Type": "application/json", "User-Agent": f"lookout/{console.__version__}"}
        with httpx.Client(timeout=self.settings.webhook_timeout_s, headers=headers) as client:
            for attempt in range(1, attempts + 1):
                ok, detail = _attempt(client, url, body)
                self._record(notification, "webhook", attempt, ok=ok, detail=detail)
                if ok:
                    log.info("alert %d posted to %s (attempt %d): %s", notification.alert_event_id, url, attempt, detail)
                    return
                if attempt == attempts:
                    log.error(
                        "alert %d: webhook %s failed %d times, giving up: %s",
                        notification.alert_event_id, url, attempts, detail,
                    )
                    return
                wait = self.settings.webhook_backoff_s * 2 ** (attempt - 1)
                log.warning(
                    "alert %d: webhook %s attempt %d of %d failed (%s); again in %.3g s",
                    notification.alert_event_id, url, attempt, attempts, detail, wait,
                )
                if self._closing.wait(wait):
                    log.warning("alert %d: not retrying %s, stopping", notification.alert_event_id, url)
                    return

    def _record(self, notification: Notification, channel: str, attempt: int, *, ok: bool, detail: str) -> None:
        now = int(time.time() * 1000)
        event_id = notification.alert_event_id

        def job(conn: sqlite3.Connection) -> None:
            alert_store.record_delivery(
                conn, alert_event_id=event_id, channel=channel, attempt=attempt, ok=ok, detail=detail, now_ms=now
            )

        def done(result: None, error: BaseException | None) -> None:
            if error is not None:
                log.error("delivery of alert %d not recorded: %s", event_id, error)

        try:
            self.writer.run(job, done)
        except StoreUnavailable as exc:
            log.error("delivery of alert %d not recorded: %s", event_id, exc)


def _attempt(client: httpx.Client, url: str, body: bytes) -> tuple[bool, str]:
    """One POST: whether the receiver took it (any 2xx), and what happened in words."""
    try:
        answer = client.post(url, content=body)
    except httpx.HTTPError as exc:
        return False, f"POST {url}: {type(exc).__name__}: {exc}"
    return answer.is_success, f"POST {url}: HTTP {answer.status_code} {answer.reason_phrase}".rstrip()


@dataclass(slots=True)
class AlertLoopStats:
    """What the loop has done since it started, for /healthz and tests."""

    cycles: int = 0
    failed_cycles: int = 0
    notified: int = 0
    last_cycle_s: float | None = None
    last_cycle_ms: int | None = None
    last_error: str | None = None
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "cycles": self.cycles,
            "failed_cycles": self.failed_cycles,
            "notified": self.notified,
            "last_cycle_s": self.last_cycle_s,
            "last_cycle_ms": self.last_cycle_ms,
            "last_error": self.last_error,
        }


class AlertLoop:
    """Evaluates the store's alert rules every ``interval_s`` and delivers what they notify.

    ``writer`` must be running; ``db_path`` is its store, read through a connection of the
    loop's own. The first thing the thread does is add the default rules (once per store).
    ``clock`` gives the time in seconds (``time.time``; tests pass a fake).
    """

    def __init__(
        self,
        writer: StoreWriter,
        db_path: Path,
        *,
        interval_s: float = 15.0,
        channels: ChannelSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("the alert interval must be positive")
        self.writer = writer
        self.db_path = Path(db_path)
        self.interval_s = interval_s
        self.channels = channels or ChannelSettings()
        self.stats = AlertLoopStats()
        self._clock = clock
        self._delivery = AlertDelivery(writer=writer, settings=self.channels)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._wake = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self._prepared = False

    def start(self) -> None:
        """Start the thread ``lookout.alerts``; it evaluates at once, then every interval."""
        if self._thread is not None:
            raise RuntimeError("the alert loop is already running")
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="lookout.alerts", daemon=True)
        self._thread.start()
        log.info(
            "evaluating alerts every %g s%s%s", self.interval_s,
            f", webhooks: {', '.join(self.channels.webhook_urls)}" if self.channels.webhook_urls else "",
            f", log: {self.channels.log_path}" if self.channels.log_path else "",
        )

    def wake(self) -> None:
        """Evaluate now instead of at the end of the interval (after a rule changed)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the cycle under way, stop retrying deliveries, and join the threads.

        Call it before stopping the writer: the last cycle and the deliveries write through it.
        """
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise LookoutError("the alert loop did not stop in time")
            self._thread = None
        self._delivery.close()
        # A fresh pool (its threads start with its first job), so the loop can start again.
        self._delivery = AlertDelivery(writer=self.writer, settings=self.channels)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def run_once(self) -> Cycle:
        """One evaluation and the hand-off of what it notified; on the caller's thread.

        The loop's thread calls this; tests may too, without :meth:`start`.
        """
        if not self._prepared:
            self.writer.run_sync(alert_store.ensure_default_rules)
            self._prepared = True
        if self._conn is None:
            self._conn = connect(self.db_path, readonly=True)
        now_ms = int(self._clock() * 1000)
        cycle = engine.run_cycle(self.writer, self._conn, now_ms=now_ms)
        notified = [(event_id, t) for event_id, t in _stored(cycle) if t.notify]
        if notified:
            rules = {rule.id: rule for rule in alert_store.list_rules(self._conn)}
            for event_id, transition in notified:
                rule = rules.get(transition.rule_id)
                if rule is None:  # deleted since the cycle: nobody wants to hear of it
                    continue
                headless = tuple(c for c in rule.channels if c in HEADLESS_CHANNELS)
                log.warning(
                    "alert %d: %s is %s (%s)", event_id, transition.rule_name, transition.to_state, transition.detail
                )
                if headless:
                    self._delivery.deliver(Notification(event_id, transition, headless))
        self.stats.cycles += 1
        self.stats.notified += len(notified)
        self.stats.last_cycle_s = round(cycle.seconds, 4)
        self.stats.last_cycle_ms = now_ms
        return cycle

    def _run(self) -> None:
        while not self._stopping:
            started = time.monotonic()
            self._wake.clear()
            try:
                self.run_once()
            except (StoreError, sqlite3.Error) as exc:
                # The environment's (locked, full, gone): say so and try again next interval.
                self._failed(f"{type(exc).__name__}: {exc}")
                log.error("alert evaluation failed: %s", exc)
            except Exception as exc:
                # Ours: loud in the log and in /healthz, but the collector keeps collecting.
                self._failed(f"{type(exc).__name__}: {exc}")
                log.exception("alert evaluation failed on a bug")
            self._wake.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def _failed(self, reason: str) -> None:
        self.stats.failed_cycles += 1
        self.stats.last_error = reason
        self.stats.errors.append(reason)
        del self.stats.errors[:-20]


def _stored(cycle: Cycle) -> list[tuple[int, Transition]]:
    """The cycle's transitions with the ids of their ``alert_events`` rows."""
    stored = []
    for transition in cycle.transitions:
        if transition.id is None:  # run_cycle stores every transition it returns
            raise LookoutError(f"a transition of {transition.rule_name!r} came back without its stored id")
        stored.append((transition.id, transition))
    return stored
