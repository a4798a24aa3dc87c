"""The Exception tab: an error's exception chain as a tree, built lazily for huge stacks.

Exceptions come outermost first, each with its frames innermost first. The app's own
frames are emphasised; runs of library frames fold into one "show N library frames" row
(unless the exception has no frame of the app's at all, when every frame is shown, as
Sentry does). A frame's source context lines are its children. The tree is a
:class:`StackModel` over plain nodes, so a 5,000-frame stack costs a few thousand small
tuples and the view lays out only the rows on screen.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Slot
from PySide6.QtGui import QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from console.core.analysis.error_detail import ErrorDetail, ExceptionView, FrameView
from console.gui.errors.model import one_line
from console.gui.text import plain_tooltip

__all__ = ["ExceptionPane", "NodeKind", "StackModel"]

AnyIndex = QModelIndex | QPersistentModelIndex


class NodeKind:
    """What a row of the stack tree is."""

    EXCEPTION, FRAME, LIBRARY_GROUP, SOURCE_LINE, NOTE = range(5)


class _Node:
    __slots__ = ("children", "kind", "parent", "payload", "row")

    def __init__(self, kind: int, parent: int, row: int, payload: Any) -> None:
        self.kind, self.parent, self.row, self.payload = kind, parent, row, payload
        self.children: list[int] | None = [] if kind != NodeKind.FRAME else None


_LIBRARY = QColor("#80868b")
_APP = QColor("#202124")
_CONTEXT_BACKGROUND = QColor("#fef7e0")
_EXCEPTION = QColor("#a50e0e")


class StackModel(QAbstractItemModel):
    """The tree of one error's exceptions, frames and source lines (two columns: what, where).

    ``KindRole`` gives a row's :class:`NodeKind`; ``FrameRole`` a frame row's
    :class:`FrameView`.
    """

    KindRole = Qt.ItemDataRole.UserRole + 1
    FrameRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._nodes: list[_Node] = []
        self._roots: list[int] = []
        self._open_groups: set[int] = set()
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._bold = QFont()
        self._bold.setBold(True)

    def show_exceptions(self, exceptions: tuple[ExceptionView, ...]) -> None:
        """Show this chain (outermost first)."""
        self.beginResetModel()
        self._nodes, self._roots, self._open_groups = [], [], set()
        for exception in exceptions:
            node = self._add(NodeKind.EXCEPTION, -1, exception)
            self._roots.append(node)
            self._add_frames(node, exception)
        self.endResetModel()

    def _add(self, kind: int, parent: int, payload: Any) -> int:
        siblings = self._roots if parent < 0 else self._nodes[parent].children
        assert siblings is not None
        node = _Node(kind, parent, len(siblings) if parent >= 0 else len(self._roots), payload)
        self._nodes.append(node)
        number = len(self._nodes) - 1
        if parent >= 0:
            siblings.append(number)
        return number

    def _add_frames(self, parent: int, exception: ExceptionView) -> None:
        group = -1
        fold = any(frame.in_app for frame in exception.frames)
        for frame in exception.frames:
            if fold and not frame.in_app:
                if group < 0:
                    group = self._add(NodeKind.LIBRARY_GROUP, parent, None)
                self._add(NodeKind.FRAME, group, frame)
            else:
                group = -1
                self._add(NodeKind.FRAME, parent, frame)
        if exception.frames_dropped:
            self._add(NodeKind.NOTE, parent, f"… {exception.frames_dropped:,} more frames, outside these, are not shown")

    def _children(self, node: int) -> list[int]:
        children = self._nodes[node].children
        if children is None:
            # A frame's source lines are made the first time the view asks for them.
            children = self._nodes[node].children = []
            frame: FrameView = self._nodes[node].payload
            first = None if frame.line is None else frame.line - len(frame.pre_context)
            lines: list[tuple[int | None, str, bool]] = []
            for offset, code in enumerate(frame.pre_context):
                lines.append((None if first is None else first + offset, code, False))
            if frame.context_line is not None:
                lines.append((frame.line, frame.context_line, True))
            for offset, code in enumerate(frame.post_context, start=1):
                lines.append((None if frame.line is None else frame.line + offset, code, False))
            for line in lines:
                self._nodes.append(_Node(NodeKind.SOURCE_LINE, node, len(children), line))
                children.append(len(self._nodes) - 1)
        return children

    def set_group_open(self, index: QModelIndex, is_open: bool) -> None:
        """Say whether a library group row is expanded (its label says show or hide)."""
        if not index.isValid() or self._nodes[index.internalId()].kind != NodeKind.LIBRARY_GROUP:
            return
        if is_open:
            self._open_groups.add(index.internalId())
        else:
            self._open_groups.discard(index.internalId())
        self.dataChanged.emit(index, index.siblingAtColumn(1))

    def node_kind(self, index: AnyIndex) -> int | None:
        """The kind of the row at ``index``."""
        return self._nodes[index.internalId()].kind if index.isValid() else None

    def group_indexes(self) -> list[QModelIndex]:
        """Every library group row."""
        return [
            self.createIndex(node.row, 0, number)
            for number, node in enumerate(self._nodes)
            if node.kind == NodeKind.LIBRARY_GROUP
        ]

    def frame_count(self) -> tuple[int, int]:
        """(frames, of which the app's own)."""
        frames = [n.payload for n in self._nodes if n.kind == NodeKind.FRAME]
        return len(frames), sum(1 for f in frames if f.in_app)

    # --- QAbstractItemModel ---------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= 2 or row < 0:
            return QModelIndex()
        siblings = self._roots if not parent.isValid() else self._children(parent.internalId())
        if row >= len(siblings):
            return QModelIndex()
        return self.createIndex(row, column, siblings[row])

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        parent = self._nodes[index.internalId()].parent
        if parent < 0:
            return QModelIndex()
        return self.createIndex(self._nodes[parent].row, 0, parent)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if not parent.isValid():
            return len(self._roots)
        if parent.column() != 0:
            return 0
        return len(self._children(parent.internalId()))

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        if not parent.isValid():
            return bool(self._roots)
        if parent.column() != 0:
            return False
        node = self._nodes[parent.internalId()]
        if node.kind == NodeKind.FRAME and node.children is None:
            frame: FrameView = node.payload
            return bool(frame.pre_context or frame.context_line is not None or frame.post_context)
        return bool(node.children)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 2:
            return ("Frame", "Where")[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        number = index.internalId()
        node = self._nodes[number]
        column = index.column()
        if role == self.KindRole:
            return node.kind
        if node.kind == NodeKind.EXCEPTION:
            return self._exception_data(node.payload, column, role)
        if node.kind == NodeKind.FRAME:
            return self._frame_data(node.payload, column, role)
        if node.kind == NodeKind.LIBRARY_GROUP:
            if role == Qt.ItemDataRole.DisplayRole and column == 0:
                count = len(node.children or ())
                verb = "hide" if number in self._open_groups else "show"
                return f"{verb} {count} library frame{'s' if count != 1 else ''}"
            if role == Qt.ItemDataRole.ForegroundRole:
                return _LIBRARY
            return None
        if node.kind == NodeKind.SOURCE_LINE:
            line, code, current = node.payload
            if role == Qt.ItemDataRole.DisplayRole and column == 0:
                return f"{'' if line is None else line:>6}  {code.rstrip()}"
            if role == Qt.ItemDataRole.FontRole:
                return self._mono
            if role == Qt.ItemDataRole.BackgroundRole and current:
                return _CONTEXT_BACKGROUND
            return None
        if role == Qt.ItemDataRole.DisplayRole and column == 0:
            return node.payload
        if role == Qt.ItemDataRole.ForegroundRole:
            return _LIBRARY
        return None

    def _exception_data(self, exception: ExceptionView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                text = f"{exception.type}: {exception.value}" if exception.value else exception.type
                return one_line(text, 500)
            return f"{len(exception.frames):,} frames"
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return plain_tooltip(f"{exception.type}: {exception.value}")
        if role == Qt.ItemDataRole.FontRole and column == 0:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return _EXCEPTION
        return None

    def _frame_data(self, frame: FrameView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return one_line(frame.function or "<anonymous>", 300)
            where = frame.location
            if frame.line is not None:
                where += f":{frame.line}"
                if frame.column is not None:
                    where += f":{frame.column}"
            return one_line(where, 500)
        if role == Qt.ItemDataRole.ToolTipRole:
            kind = "the app's own code" if frame.in_app else "library code"
            line = "" if frame.line is None else f":{frame.line}"
            return plain_tooltip(f"{frame.function}\n{frame.location}{line}\n({kind})")
        if role == Qt.ItemDataRole.ForegroundRole:
            return _APP if frame.in_app else _LIBRARY
        if role == Qt.ItemDataRole.FontRole and frame.in_app:
            return self._bold
        if role == self.FrameRole:
            return frame
        return None


class ExceptionPane(QWidget):
    """The Exception tab: a summary line, a "show library frames" switch, and the tree."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.show_library = QCheckBox("Show library frames")
        self.model = StackModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(False)
        self.tree.setWordWrap(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 420)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.show_library)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)

        self.tree.expanded.connect(self._expanded)
        self.tree.collapsed.connect(lambda index: self.model.set_group_open(index, False))
        self.tree.clicked.connect(self._toggle_group)
        self.show_library.toggled.connect(self._show_all_library)

    def show_error(self, detail: ErrorDetail | None) -> None:
        """Show the chain of ``detail`` (nothing for None)."""
        self.model.show_exceptions(detail.exceptions if detail else ())
        frames, in_app = self.model.frame_count()
        if detail is None:
            self.summary.setText("")
        elif not detail.exceptions:
            self.summary.setText("No exception was sent with this error (a message only)")
        else:
            chain = len(detail.exceptions)
            self.summary.setText(
                f"{chain} exception{'s' if chain != 1 else ''} (outermost first) · "
                f"{frames:,} frames, {in_app:,} in the app (innermost first)"
            )
        for row in range(self.model.rowCount()):
            outer = self.model.index(row, 0)
            # Exception, library group and note rows read across both columns.
            self.tree.setFirstColumnSpanned(row, QModelIndex(), True)
            for child in range(self.model.rowCount(outer)):
                if self.model.node_kind(self.model.index(child, 0, outer)) != NodeKind.FRAME:
                    self.tree.setFirstColumnSpanned(child, outer, True)
            self.tree.setExpanded(outer, True)
        self._open_first_app_frame()
        if self.show_library.isChecked():
            self._show_all_library(True)

    def _open_first_app_frame(self) -> None:
        """Expand the innermost frame of the app's own that has source lines (the likely bug)."""
        if self.model.rowCount() == 0:
            return
        outer = self.model.index(0, 0)
        for row in range(self.model.rowCount(outer)):
            index = self.model.index(row, 0, outer)
            frame = index.data(StackModel.FrameRole)
            if frame is not None and frame.in_app:
                if self.model.hasChildren(index):
                    self.tree.setExpanded(index, True)
                return

    @Slot(QModelIndex)
    def _expanded(self, index: QModelIndex) -> None:
        kind = self.model.node_kind(index)
        if kind == NodeKind.LIBRARY_GROUP:
            self.model.set_group_open(index, True)
        elif kind == NodeKind.FRAME:
            # Source lines are code: they take the whole width, not the function column.
            for row in range(self.model.rowCount(index)):
                self.tree.setFirstColumnSpanned(row, index, True)

    @Slot(QModelIndex)
    def _toggle_group(self, index: QModelIndex) -> None:
        if self.model.node_kind(index) == NodeKind.LIBRARY_GROUP:
            first = index.siblingAtColumn(0)
            self.tree.setExpanded(first, not self.tree.isExpanded(first))

    @Slot(bool)
    def _show_all_library(self, show: bool) -> None:
        for index in self.model.group_indexes():
            self.tree.setExpanded(index, show)
