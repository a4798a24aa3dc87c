"""The About dialog: Lookout's version, the store it shows, the collector it talks to, and
the folders where its data, settings and logs live."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import console
from console.gui.tray import app_icon
from console.paths import data_folders, window_log_path

__all__ = ["AboutDialog", "about_rows"]


def about_rows(*, db_path: Path, collector_url: str | None) -> list[tuple[str, str]]:
    """The dialog's rows, label and text, in order (what the user reads)."""
    folders = data_folders()
    return [
        ("Version", console.__version__),
        ("Store", str(db_path)),
        ("Collector", collector_url or "none: the window reads the store"),
        ("Data folder", str(folders.data)),
        ("Settings folder", str(folders.config)),
        ("Log file", str(window_log_path())),
        ("Bundle" if getattr(sys, "frozen", False) else "Python", sys.executable),
    ]


class AboutDialog(QDialog):
    """Version, store, collector and data folders, each selectable for copying into a ticket."""

    def __init__(self, *, db_path: Path, collector_url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Lookout")
        self.setWindowIcon(app_icon())
        title = QLabel(f"<b>Lookout {console.__version__}</b><br>"
                       "A desktop monitoring console for mini programs and web front ends.")
        title.setTextFormat(Qt.TextFormat.RichText)
        form = QFormLayout()
        self.values: dict[str, QLabel] = {}
        for label, text in about_rows(db_path=db_path, collector_url=collector_url):
            value = QLabel(text)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[label] = value
            form.addRow(f"{label}:", value)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        open_data = QPushButton("Open data folder")
        buttons.addButton(open_data, QDialogButtonBox.ButtonRole.ActionRole)
        data = data_folders().data
        open_data.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(data))))
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(buttons)
