"""Shared test fixtures: the recorded payloads, and a home folder no test may touch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PAYLOADS = Path(__file__).parent / "fixtures" / "payloads"


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point HOME and XDG folders at a temporary folder, so no test touches the real home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))


@pytest.fixture(scope="session")
def native_examples() -> list[dict[str, Any]]:
    """Every native example payload, in the order the protocol file lists them."""
    examples: list[dict[str, Any]] = json.loads((PAYLOADS / "native-examples.json").read_text())["examples"]
    return examples
