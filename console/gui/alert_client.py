"""Carrying out what the user does to alerts, and evaluating the rules when no collector does.

Like :class:`~console.gui.issue_actions.IssueActionClient`, :class:`AlertClient` sends each
:class:`~console.core.store.alerts.AlertAction` to whoever writes the store: the collector
(``POST /lookout/alerts/actions`` over loopback, from a thread named
``lookout.alert-actions``), or else a :class:`~console.core.store.writer.StoreWriter` of the
window's own. A window without a collector also has nobody evaluating its rules, so
:meth:`AlertClient.start_evaluation` starts an :class:`~console.collector.alerting.AlertLoop`
over that same writer: rules fire while the window is open or hidden in the tray. The
answers come back to the GUI thread by signal.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal

from console.collector.alerting import AlertLoop, ChannelSettings
from console.core.errors import LookoutError
from console.core.store.alerts import AlertAction, apply_alert_action
from console.core.store.writer import StoreWriter
from console.gui.own_writer import OwnWriter, RequestThread, WriterRoute

__all__ = ["AlertClient"]

log = logging.getLogger("lookout.gui.alerts")



class AlertClient(QObject):
    """Sends alert actions to the store's writer, one after another; evaluates without a collector.

    ``interval_s`` and ``channels`` (webhooks, log file) are the window's own evaluation's.

    Signals:
        done(object, object): the AlertAction was carried out; what the writer answered (a dict).
        failed(object, str): the AlertAction was not carried out; a message for the user.
    """

    done = Signal(object, object)
    failed = Signal(object, str)

    def __init__(
        self,
        *,
        db_path: str | Path,
        collector_url: str | None,
        interval_s: float = 15.0,
        channels: ChannelSettings | None = None,
        own_writer: OwnWriter | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self._route = WriterRoute(db_path=self.db_path, collector_url=collector_url, own_writer=own_writer)
        self.collector_url = self._route.collector_url
        self.interval_s = interval_s
        self.channels = channels
        self._loop: AlertLoop | None = None
        self._requests: RequestThread[AlertAction] = RequestThread(
            name="lookout.alert-actions", carry_out=self._carry_out, finished=self._finished
        )

    @property
    def evaluating(self) -> bool:
        """Whether this window evaluates the rules itself (it has no collector)."""
        return self._loop is not None

    def start_evaluation(self) -> None:
        """Evaluate the rules every ``interval_s`` when no collector does; safe to repeat.

        Call it once the store is known to be readable: the writer would otherwise create
        or migrate a file the user only meant to look at.
        """
        if self.collector_url or self._loop is not None:
            return
        loop = AlertLoop(self._own_writer(), self.db_path, interval_s=self.interval_s, channels=self.channels)
        loop.start()
        self._loop = loop

    def request(self, action: AlertAction) -> None:
        """Carry out ``action``; ``done`` or ``failed`` follows on the GUI thread."""
        self._requests.put(action)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the action under way, stop evaluating, then stop the window's own writer."""
        self._requests.stop(timeout)
        if self._loop is not None:
            try:
                self._loop.stop()
            except LookoutError as exc:
                log.error("%s", exc)
            self._loop = None
        self._route.stop()

    def _own_writer(self) -> StoreWriter:
        return self._route.own.get()

    def _carry_out(self, http: httpx.Client, action: AlertAction) -> dict[str, Any]:
        return self._send(http, action) if self.collector_url else self._write(action)

    def _finished(self, action: AlertAction, result: dict[str, Any] | None, message: str | None) -> None:
        if message is not None:
            self.failed.emit(action, message)
            return
        if self._loop is not None:
            self._loop.wake()  # a changed rule or state is evaluated now, not in 15 s
        self.done.emit(action, result)

    def _send(self, http: httpx.Client, action: AlertAction) -> dict[str, Any]:
        return self._route.post(http, "/lookout/alerts/actions", action.to_json())

    def _write(self, action: AlertAction) -> dict[str, Any]:
        now = int(time.time() * 1000)
        result: dict[str, Any] = self._route.write(lambda conn: apply_alert_action(conn, action, now_ms=now))
        return result

