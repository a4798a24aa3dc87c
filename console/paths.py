"""Where Lookout keeps its files when the user does not say: the XDG data folder."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_store_path"]


def default_store_path() -> Path:
    """``$XDG_DATA_HOME/lookout/lookout.db`` (``~/.local/share/lookout/lookout.db``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lookout" / "lookout.db"
