"""Carrying out what the user does to issues, through the store's one writer.

The window never writes the store itself from the GUI thread. :class:`IssueActionClient`
sends each :class:`~console.core.store.issue_actions.IssueAction` to whoever writes the
store: the collector, when the window runs beside one (``POST /lookout/issues/actions``
over loopback, from a thread named ``lookout.actions``), or else a
:class:`~console.gui.own_writer.OwnWriter`, the window's own writer, started on first use
(the store then has no other writer: ``lookout --db FILE``). Either way the answer comes
back to the GUI thread by signal.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
from PySide6.QtCore import QObject, Signal

from console.core.store.issue_actions import IssueAction, apply_issue_action
from console.gui.own_writer import OwnWriter, RequestThread, WriterRoute

__all__ = ["IssueActionClient"]

log = logging.getLogger("lookout.gui.actions")



class IssueActionClient(QObject):
    """Sends issue actions to the store's writer, one after another.

    Signals:
        done(object): the IssueAction was carried out.
        failed(object, str): the IssueAction was not carried out; a message for the user.
    """

    done = Signal(object)
    failed = Signal(object, str)

    def __init__(
        self,
        *,
        db_path: str | Path,
        collector_url: str | None,
        own_writer: OwnWriter | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self._route = WriterRoute(db_path=self.db_path, collector_url=collector_url, own_writer=own_writer)
        self.collector_url = self._route.collector_url
        self._requests: RequestThread[IssueAction] = RequestThread(
            name="lookout.actions", carry_out=self._carry_out, finished=self._finished
        )

    def request(self, action: IssueAction) -> None:
        """Carry out ``action``; ``done`` or ``failed`` follows on the GUI thread."""
        self._requests.put(action)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the action under way, then stop the thread (and the window's own writer)."""
        self._requests.stop(timeout)
        self._route.stop()

    def _carry_out(self, http: httpx.Client, action: IssueAction) -> None:
        if self.collector_url:
            self._send(http, action)
        else:
            self._write(action)

    def _finished(self, action: IssueAction, _result: object, message: str | None) -> None:
        if message is None:
            self.done.emit(action)
        else:
            self.failed.emit(action, message)

    def _send(self, http: httpx.Client, action: IssueAction) -> None:
        self._route.post(http, "/lookout/issues/actions", action.to_json())

    def _write(self, action: IssueAction) -> None:
        now = int(time.time() * 1000)
        self._route.write(lambda conn: apply_issue_action(conn, action, now_ms=now))

