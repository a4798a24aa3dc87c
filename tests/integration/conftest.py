"""Fixtures for integration tests: a real collector process writing a store in the test's
own folder, an HTTP client, and the recorded native payloads.

Every process a fixture starts is ended in teardown, and a test that leaves a thread
running fails.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.support import EXAMPLES_PATH, CollectorLauncher, RunningCollector


@pytest.fixture
def launch_collector(tmp_path: Path) -> Iterator[CollectorLauncher]:
    launcher = CollectorLauncher(tmp_path)
    try:
        yield launcher
    finally:
        launcher.close()


@pytest.fixture
def collector(launch_collector: CollectorLauncher) -> RunningCollector:
    """A collector with default settings writing ``tmp_path/s.db``."""
    return launch_collector.start()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15.0) as client:
        yield client


@pytest.fixture
def native_examples() -> list[dict[str, Any]]:
    """A fresh copy of every recorded native payload example."""
    examples = json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))["examples"]
    assert isinstance(examples, list) and examples
    return examples


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """Fail a test that leaves a thread running after its fixtures are torn down."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    while extra and time.monotonic() < deadline:
        time.sleep(0.05)
        extra = [t for t in extra if t.is_alive()]
    assert not extra, f"threads left running: {[t.name for t in extra]}"
