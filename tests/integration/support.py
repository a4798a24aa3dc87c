"""Helpers for integration tests: a real ``lookout collect`` process on a free port, the
``lookout`` command run as a subprocess, and payload builders.

The fixtures that use them (and end every process they start) are in ``conftest.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "EXAMPLES_PATH",
    "CollectorLauncher",
    "RunningCollector",
    "assert_error",
    "custom_events",
    "export_rows",
    "free_port",
    "isolated_env",
    "run_lookout",
]

EXAMPLES_PATH = Path(__file__).parents[1] / "fixtures" / "payloads" / "native-examples.json"
STARTUP_TIMEOUT_S = 20.0


def free_port() -> int:
    """A port nothing listens on right now (the collector may still lose a race for it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def isolated_env(home: Path) -> dict[str, str]:
    """The environment with HOME and the XDG folders moved into the test's folder."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_STATE_HOME": str(home / "state"),
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class RunningCollector:
    """A ``lookout collect`` process and where it listens and writes."""

    db: Path
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def events_url(self, project: str = "shop") -> str:
        return f"{self.url}/api/{project}/events"

    def health(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}/healthz", timeout=5.0)
        answer.raise_for_status()
        return dict(answer.json())

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class CollectorLauncher:
    """Starts collectors for one test and ends every one of them in teardown."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._started: list[RunningCollector] = []
        self._logs: list[Any] = []

    def start(self, db: Path | None = None, *extra_args: str) -> RunningCollector:
        """Start ``lookout collect`` on a free port and return once /healthz answers."""
        db = db or self._folder / "s.db"
        last_output = ""
        for attempt in range(3):  # another process may take the free port before we bind it
            port = free_port()
            log = self._folder / f"collector-{len(self._started)}-{attempt}.log"
            log_file = log.open("wb")
            self._logs.append(log_file)
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "console.cli",
                    "collect",
                    "--db",
                    str(db),
                    "--port",
                    str(port),
                    *extra_args,
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=isolated_env(self._folder / "home"),
            )
            running = RunningCollector(db=db, port=port, process=process, log=log)
            self._started.append(running)
            if self._wait_healthy(running):
                return running
            self.stop(running)
            last_output = running.output()
        raise AssertionError(f"the collector did not start; its output:\n{last_output}")

    def _wait_healthy(self, running: RunningCollector) -> bool:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                return False
            try:
                if httpx.get(f"{running.url}/healthz", timeout=1.0).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        return False

    @staticmethod
    def stop(running: RunningCollector) -> None:
        """End the process: SIGTERM, then SIGKILL if it has not gone within a few seconds."""
        if running.process.poll() is None:
            running.process.terminate()
            try:
                running.process.wait(8)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait(8)

    def close(self) -> None:
        for running in self._started:
            self.stop(running)
        for log_file in self._logs:
            log_file.close()


def run_lookout(*args: str, home: Path, timeout: float = 60.0) -> str:
    """Run the ``lookout`` command as a subprocess with HOME at ``home``; return its stdout.

    Fails the test on a non-zero exit, showing what the command wrote to stderr.
    """
    done = subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        capture_output=True,
        timeout=timeout,
        env=isolated_env(home),
        check=False,
    )
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, f"lookout {' '.join(args)} exited {done.returncode}:\n{stderr}"
    return stdout


def export_rows(db: Path, kind: str) -> list[dict[str, Any]]:
    """``lookout export --db DB --kind KIND --format json``, parsed."""
    out = run_lookout("export", "--db", str(db), "--kind", kind, "--format", "json", home=db.parent / "home")
    rows = json.loads(out)
    assert isinstance(rows, list)
    return rows


def assert_error(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The answer has ``status`` and the documented JSON error shape with ``code``."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["error"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return dict(body)


def custom_events(prefix: str, count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """``count`` custom events named ``<prefix>-<n>``: each name is an id a test can look for."""
    return [
        {
            "type": "custom_event",
            "name": f"{prefix}-{n}",
            "properties": {"n": n},
            "timestamp": 1_764_288_000_000 + n,
            "sessionId": "s-it",
            "userId": "u-it",
        }
        for n in range(start, start + count)
    ]
