"""Fixtures for the window's tests: a store per test, filled through the real writer.

Qt must render offscreen, so the platform is chosen before anything imports Qt.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import orjson  # noqa: E402
import pytest  # noqa: E402

from tests.gui.support import POLL_MS, FilledStore  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "native-examples.json"


def os_thread_names() -> list[str]:
    """The kernel's names of this process's threads (Qt names them after objectName)."""
    tasks = Path("/proc/self/task")
    names = []
    for task in tasks.iterdir():
        try:
            names.append((task / "comm").read_text().strip())
        except OSError:
            continue  # the thread ended while we looked
    return names


@pytest.fixture(autouse=True)
def no_reader_thread_left() -> Iterator[None]:
    """Fail a test that leaves a ``lookout.*`` thread running (set up first, checked last)."""
    yield
    if not sys.platform.startswith("linux"):
        return
    deadline = time.monotonic() + 2.0
    while any(n.startswith("lookout.") for n in os_thread_names()) and time.monotonic() < deadline:
        time.sleep(0.01)  # a joined thread can take a moment to leave /proc
    assert [n for n in os_thread_names() if n.startswith("lookout.")] == []
    assert [t.name for t in threading.enumerate() if t.name.startswith("lookout.")] == []


@pytest.fixture
def examples() -> list[dict[str, Any]]:
    """One payload of every type the native protocol has (recorded examples)."""
    return orjson.loads(EXAMPLES.read_bytes())["examples"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FilledStore]:
    """An empty store in this test's folder, with its writer running."""
    filled = FilledStore(tmp_path / "lookout.db")
    yield filled
    filled.close()


@pytest.fixture
def open_window(qtbot: Any) -> Iterator[Callable[..., Any]]:
    """Open a MainWindow over a store (not shown: the models and labels are what we read)."""
    from console.gui.main_window import MainWindow

    windows: list[MainWindow] = []

    def opener(db_path: Path, *, collector_url: str | None = None) -> MainWindow:
        window = MainWindow(db_path=db_path, collector_url=collector_url, poll_interval_ms=POLL_MS)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield opener
    for window in windows:
        window.shutdown()
