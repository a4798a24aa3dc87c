"""Running the collector: the writer thread, the alert loop and uvicorn on one port, until told to stop."""

from __future__ import annotations

import ipaddress
import logging
import signal
from pathlib import Path

import uvicorn

from console.collector.alerting import AlertLoop, ChannelSettings
from console.collector.app import CollectorSettings, create_app
from console.core.errors import StoreError
from console.core.store.dashboards import ensure_default_dashboard
from console.core.store.retention import RetentionPolicy
from console.core.store.writer import StoreWriter

__all__ = ["is_loopback", "serve"]

log = logging.getLogger("lookout.ingest")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost': only this machine can reach the port."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(0)


def serve(
    *,
    db_path: Path,
    host: str = "127.0.0.1",
    port: int = 8969,
    max_body_bytes: int = 1 << 20,
    max_envelope_bytes: int = 20 << 20,
    retention: RetentionPolicy | None = None,
    alert_interval_s: float | None = 15.0,
    alert_channels: ChannelSettings | None = None,
) -> None:
    """Open (or create) the store, start the writer and the alert loop, and serve HTTP until
    interrupted. ``alert_interval_s`` None evaluates no alerts."""
    writer = StoreWriter(path=db_path, retention=retention)
    writer.start()
    try:
        # Once per store, so a window beside the collector opens on the Overview dashboard.
        writer.run_sync(ensure_default_dashboard)
    except StoreError as exc:
        log.warning("the default dashboard could not be stored: %s", exc)
    alerts: AlertLoop | None = None
    if alert_interval_s is not None:
        alerts = AlertLoop(writer, db_path, interval_s=alert_interval_s, channels=alert_channels)
    settings = CollectorSettings(
        db_path=db_path,
        host=host,
        port=port,
        max_body_bytes=max_body_bytes,
        max_envelope_bytes=max_envelope_bytes,
        require_keys=not is_loopback(host),
    )
    app = create_app(writer=writer, settings=settings, alerts=alerts)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
        timeout_graceful_shutdown=5,
        # Senders talk to the collector directly: no proxy's X-Forwarded-* to trust, and the
        # middleware that reads them would cost every request.
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    # uvicorn re-raises the signal that stopped it once it has shut down; turn SIGTERM into
    # an exception so the writer below still commits what is queued and closes the file.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    log.info("collecting into %s on http://%s:%d", db_path, host, port)
    try:
        if alerts is not None:
            alerts.start()
        # server.run picks uvloop and httptools when installed (uvicorn[standard]).
        server.run()
    finally:
        # The loop's last cycle and deliveries write through the writer: stop it first.
        try:
            if alerts is not None:
                alerts.stop()
        finally:
            writer.stop()
