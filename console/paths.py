"""Where Lookout keeps its files when the user does not say: the platform's standard folders.

On Linux and the BSDs these are the XDG base directories (the freedesktop spec, what
``QStandardPaths`` returns there too): the store in ``$XDG_DATA_HOME/lookout``
(``~/.local/share/lookout``), settings in ``$XDG_CONFIG_HOME/lookout`` (``~/.config/lookout``)
and logs in ``$XDG_STATE_HOME/lookout`` (``~/.local/state/lookout``). macOS and Windows get
their own conventions. Plain standard library rather than QStandardPaths: ``lookout collect``
runs on machines without Qt, and it needs the store path.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DataFolders", "data_folders", "default_store_path", "window_log_path"]

_APP = "lookout"


@dataclass(frozen=True, slots=True)
class DataFolders:
    """Lookout's folders on this machine: ``data`` (the store), ``config`` (settings),
    ``state`` (logs)."""

    data: Path
    config: Path
    state: Path


def _xdg(variable: str, fallback: str) -> Path:
    # The spec: an unset, empty or relative value means the default.
    value = os.environ.get(variable, "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def data_folders() -> DataFolders:
    """The folders for this platform, from the environment as it is now (nothing is created)."""
    if sys.platform == "darwin":
        library = Path.home() / "Library"
        return DataFolders(
            data=library / "Application Support" / "Lookout",
            config=library / "Preferences" / "Lookout",
            state=library / "Logs" / "Lookout",
        )
    if sys.platform == "win32":
        local = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "Lookout"
        roaming = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "Lookout"
        return DataFolders(data=local, config=roaming, state=local / "Logs")
    return DataFolders(
        data=_xdg("XDG_DATA_HOME", ".local/share") / _APP,
        config=_xdg("XDG_CONFIG_HOME", ".config") / _APP,
        state=_xdg("XDG_STATE_HOME", ".local/state") / _APP,
    )


def default_store_path() -> Path:
    """``$XDG_DATA_HOME/lookout/lookout.db`` (``~/.local/share/lookout/lookout.db``)."""
    return data_folders().data / "lookout.db"


def window_log_path() -> Path:
    """The window's log file: ``$XDG_STATE_HOME/lookout/lookout.log``
    (``~/.local/state/lookout/lookout.log``)."""
    return data_folders().state / "lookout.log"
