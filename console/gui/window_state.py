"""What the window remembers between runs: the panel on screen, the Overview's dashboard,
and the window's size and place.

Kept as JSON in the settings folder (``~/.config/lookout/window.json`` on Linux): read when
``lookout`` opens its window, written when it closes. Tests, screenshots and benchmarks
build windows that neither read nor write it. A file that cannot be read is ignored (the
window opens as the first time), one that cannot be written is logged and left.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from console.paths import data_folders

__all__ = ["WindowState", "load_state", "save_state", "state_path"]

log = logging.getLogger("lookout.gui.state")


@dataclass(frozen=True, slots=True)
class WindowState:
    """The panel's name, the dashboard's name and ``QWidget.saveGeometry()`` as base64."""

    panel: str | None = None
    dashboard: str | None = None
    geometry: str | None = None


def state_path() -> Path:
    return data_folders().config / "window.json"


def load_state(path: Path) -> WindowState:
    """The state saved at ``path``; an empty one when there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return WindowState()
    except (OSError, ValueError) as exc:
        log.warning("ignoring the window state in %s: %s", path, exc)
        return WindowState()
    if not isinstance(data, dict):
        return WindowState()
    fields = {key: data.get(key) for key in ("panel", "dashboard", "geometry")}
    return WindowState(**{key: value if isinstance(value, str) else None for key, value in fields.items()})


def save_state(path: Path, state: WindowState) -> None:
    """Write ``state`` to ``path`` (its folder made if needed); a failure is logged."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(state)), encoding="utf-8")
    except OSError as exc:
        log.warning("could not save the window state to %s: %s", path, exc)
