"""Carrying out what the user does to funnels, KPIs and dashboards.

Like :class:`~console.gui.alert_client.AlertClient`, :class:`ProductClient` sends each
:class:`~console.core.store.product_actions.ProductAction` to whoever writes the store: the
collector (``POST /lookout/analytics/actions`` over loopback), or else the window's own
:class:`~console.gui.own_writer.OwnWriter`, from a thread named ``lookout.analytics``. The
answers come back to the GUI thread by signal.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QObject, Signal

from console.core.store.product_actions import ProductAction, apply_product_action
from console.gui.own_writer import OwnWriter, RequestThread, WriterRoute

__all__ = ["ProductClient"]

# The collector's route (console.collector.product_intake), named here so the window does
# not import the collector's web stack.
_ACTIONS_PATH = "/lookout/analytics/actions"


class ProductClient(QObject):
    """Sends analytics actions to the store's writer, one after another.

    Signals:
        done(object, object): the ProductAction was carried out; what the writer answered
            (a dict with ``kind`` and ``id``).
        failed(object, str): the ProductAction was not carried out; a message for the user.
    """

    done = Signal(object, object)
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
        self._defaults_asked = False
        self._requests: RequestThread[ProductAction] = RequestThread(
            name="lookout.analytics", carry_out=self._carry_out, finished=self._finished
        )

    def request(self, action: ProductAction) -> None:
        """Carry out ``action``; ``done`` or ``failed`` follows on the GUI thread."""
        self._requests.put(action)

    def ensure_default_dashboard(self) -> None:
        """Ask the writer, once, for the store's default dashboard (a store that had it, even
        if the user deleted it since, is left as it is). Call it once the store is known to be
        readable: the window's own writer would otherwise create a file the user only meant
        to look at."""
        if not self._defaults_asked:
            self._defaults_asked = True
            self.request(ProductAction("ensure_default_dashboard"))

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the action under way, then stop the thread (and the writer, if it is ours)."""
        self._requests.stop(timeout)
        self._route.stop()

    def _carry_out(self, http: httpx.Client, action: ProductAction) -> dict[str, Any]:
        return self._send(http, action) if self.collector_url else self._write(action)

    def _finished(self, action: ProductAction, result: dict[str, Any] | None, message: str | None) -> None:
        if message is None:
            self.done.emit(action, result)
        else:
            self.failed.emit(action, message)

    def _send(self, http: httpx.Client, action: ProductAction) -> dict[str, Any]:
        action.validate()  # a bad action is refused here, with the same reason the collector would give
        body = self._route.post(http, _ACTIONS_PATH, action.to_json())
        body.pop("ok", None)  # the same answer as the window's own writer gives
        return body

    def _write(self, action: ProductAction) -> dict[str, Any]:
        now = int(time.time() * 1000)
        result: dict[str, Any] = self._route.write(lambda conn: apply_product_action(conn, action, now_ms=now))
        return result
