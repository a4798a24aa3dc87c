"""The ``lookout`` command inside the PyInstaller bundle: it starts its collector as itself."""

from __future__ import annotations

import logging
import sys

from console import cli


def test_from_python_the_collector_is_this_interpreter_with_dash_m(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert cli._self_command() == [sys.executable, "-m", "console.cli"]


def test_in_the_bundle_the_collector_is_the_bundles_executable(monkeypatch):
    # PyInstaller sets sys.frozen and makes sys.executable the bundle's lookout; it has no -m.
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/lookout/lookout")
    assert cli._self_command() == ["/opt/lookout/lookout"]


def test_the_window_log_file_is_written_and_released(tmp_path):
    path = tmp_path / "state" / "lookout" / "lookout.log"
    handler = cli._log_to_file(path)
    assert handler is not None
    try:
        logging.getLogger("lookout.test").warning("hello from the window")
        handler.flush()
        assert "lookout.test WARNING hello from the window" in path.read_text(encoding="utf-8")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
