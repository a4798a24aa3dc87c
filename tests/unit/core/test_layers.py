"""The core and the collector run where Qt is not installed at all."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK_QT = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"):
                raise ImportError(f"{name} is not installed here")
            return None

    sys.meta_path.insert(0, NoQt())
    import pkgutil, importlib, console.core, console.collector
    for package in (console.core, console.collector):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
    from console.cli import main
    try:
        main(["--version"])
    except SystemExit as exit:
        assert exit.code == 0
    """
)


def test_core_and_collector_import_without_qt() -> None:
    result = subprocess.run([sys.executable, "-c", BLOCK_QT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "lookout 0.1.0" in result.stdout
