"""The small questions the dashboard selector asks: a name, and whether to delete.

Both are window-modal and opened with ``open()`` (never a nested event loop), so the window
keeps drawing and a test can answer them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from console.core.analysis.product.dashboard import Dashboard

__all__ = ["ask_for_name", "ask_to_delete"]


def ask_for_name(parent: QWidget, title: str, text: str, on_name: Callable[[str], None]) -> QInputDialog:
    """Ask for a dashboard's name (``text`` filled in); ``on_name`` gets it when accepted."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText("Name")
    dialog.setTextValue(text)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.textValueSelected.connect(on_name)
    dialog.open()
    return dialog


def ask_to_delete(parent: QWidget, dashboard: Dashboard, on_yes: Callable[[], None]) -> QMessageBox:
    """Ask before deleting ``dashboard``; ``on_yes`` runs when the user says Yes."""
    count = len(dashboard.widgets)
    box = QMessageBox(
        QMessageBox.Icon.Question, "Delete dashboard",
        f"Delete the dashboard “{dashboard.name}” and its {count} widget{'' if count == 1 else 's'}?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, parent,
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    yes = box.button(QMessageBox.StandardButton.Yes)
    box.buttonClicked.connect(lambda button: on_yes() if button is yes else None)
    box.open()
    return box
