"""Where Lookout keeps its files by default: the XDG folders on Linux."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from console.paths import data_folders, default_store_path, window_log_path

pytestmark = pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the XDG layout")


def test_the_xdg_variables_choose_the_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "s"))
    folders = data_folders()
    assert (folders.data, folders.config, folders.state) == (
        tmp_path / "d" / "lookout", tmp_path / "c" / "lookout", tmp_path / "s" / "lookout"
    )
    assert default_store_path() == tmp_path / "d" / "lookout" / "lookout.db"
    assert window_log_path() == tmp_path / "s" / "lookout" / "lookout.log"


@pytest.mark.parametrize("value", [None, "", "relative/path"])
def test_unset_empty_or_relative_variables_mean_the_home_defaults(monkeypatch, tmp_path, value):
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    folders = data_folders()
    assert folders.data == Path(tmp_path) / ".local" / "share" / "lookout"
    assert folders.config == Path(tmp_path) / ".config" / "lookout"
    assert folders.state == Path(tmp_path) / ".local" / "state" / "lookout"
    assert default_store_path() == Path(tmp_path) / ".local" / "share" / "lookout" / "lookout.db"
