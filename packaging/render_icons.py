"""Render resources/icons/lookout.svg to the PNG sizes desktops look up, offscreen.

    python packaging/render_icons.py

Writes ``resources/icons/hicolor/<N>x<N>/apps/lookout.png`` for N in :data:`SIZES`. The PNGs
are generated once and committed beside their SVG source (run this again only when the SVG
changes), so neither the build nor the install needs Qt's SVG renderer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["SIZES", "png_path", "render_icons"]

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "resources" / "icons" / "lookout.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_path(size: int, *, root: Path = REPO / "resources" / "icons") -> Path:
    """Where the PNG of one size lives, in the freedesktop hicolor theme's layout."""
    return root / "hicolor" / f"{size}x{size}" / "apps" / "lookout.png"


def render_icons(source: Path = SOURCE, *, root: Path = REPO / "resources" / "icons") -> list[Path]:
    """Render ``source`` at every size in :data:`SIZES`; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {source} is not a valid SVG")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = png_path(size, root=root)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(out), "PNG"):
            raise SystemExit(f"render_icons: could not write {out}")
        written.append(out)
    del app
    return written


if __name__ == "__main__":
    for path in render_icons():
        print(path.relative_to(REPO))
