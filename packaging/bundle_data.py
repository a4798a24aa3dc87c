"""What the PyInstaller bundle carries besides Python modules: its data files and the
modules PyInstaller's import analysis cannot see.

The spec (``packaging/lookout.spec``) builds from these lists and
``tests/unit/test_packaging.py`` checks that every resource the code loads is in
:data:`DATAS`, so a new icon cannot be forgotten by the bundle without a failing test.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATAS", "EXCLUDES", "HIDDEN_IMPORTS", "HIDDEN_PACKAGES", "REPO", "datas"]

REPO = Path(__file__).resolve().parents[1]

#: (source relative to the repository, destination folder inside the bundle). The bundle's
#: layout mirrors the repository's, so ``Path(__file__).parents[2] / "resources"`` in
#: console/gui/tray.py finds the same files in both.
DATAS: tuple[tuple[str, str], ...] = (
    ("resources/icons", "resources/icons"),
)

#: Modules imported by name at run time: uvicorn picks its loop and HTTP protocol by string,
#: orjson/brotli/zstandard are imported inside functions, the OTLP messages are generated code.
HIDDEN_IMPORTS: tuple[str, ...] = (
    "uvloop",
    "httptools",
    "uvicorn.logging",
    "uvicorn.loops",
    "uvicorn.loops.auto",
    "uvicorn.loops.asyncio",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols",
    "uvicorn.protocols.http",
    "uvicorn.protocols.http.auto",
    "uvicorn.protocols.http.h11_impl",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.protocols.websockets",
    "uvicorn.protocols.websockets.auto",
    "uvicorn.lifespan",
    "uvicorn.lifespan.on",
    "uvicorn.lifespan.off",
    "orjson",
    "brotli",
    "zstandard",
    "PySide6.QtSvg",
)

#: Packages bundled with every submodule (collect_submodules in the spec).
HIDDEN_PACKAGES: tuple[str, ...] = (
    "console",
    "opentelemetry.proto",
    "pyqtgraph",
)

#: Never bundled: the tests, and big optional pieces nothing in Lookout imports.
EXCLUDES: tuple[str, ...] = (
    "tests",
    "pytest",
    "tkinter",
    "pyqtgraph.examples",
    "pyqtgraph.opengl",
    "pyqtgraph.jupyter",
    "PySide6.QtWebEngineCore",
    "PySide6.Qt3DCore",
)


def datas() -> list[tuple[str, str]]:
    """:data:`DATAS` with absolute sources, as PyInstaller's ``Analysis(datas=...)`` takes them."""
    return [(str(REPO / source), dest) for source, dest in DATAS]
