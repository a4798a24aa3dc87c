"""Moving a dashboard's widget one step left, right, up or down.

Pure functions over the widgets' cells (no Qt), so the grid's menus, the view and the tests
agree on what a move does. The widget goes one cell in that direction; a widget already
there changes place with it, when the two can swap without covering a third. Free cells
for a new widget are :meth:`~console.core.analysis.product.dashboard.Dashboard.free_cell`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from console.core.analysis.product.dashboard import GRID_COLUMNS, MAX_ROW, Widget

__all__ = ["DIRECTIONS", "allowed_moves", "moved"]

#: The steps a widget can take, and where each takes it (rows, columns).
DIRECTIONS: dict[str, tuple[int, int]] = {"left": (0, -1), "right": (0, 1), "up": (-1, 0), "down": (1, 0)}


def _covers_another(widgets: Sequence[Widget], index: int) -> bool:
    cells = widgets[index].cells()
    return any(i != index and cells & w.cells() for i, w in enumerate(widgets))


def moved(widgets: Sequence[Widget], index: int, direction: str) -> tuple[Widget, ...] | None:
    """The widgets after moving ``widgets[index]`` one step ``direction``; None when it cannot
    (the grid's edge, or neighbours that cannot change place with it)."""
    d_row, d_col = DIRECTIONS[direction]
    mover = widgets[index]
    row, col = mover.row + d_row, mover.col + d_col
    if row < 0 or col < 0 or col + mover.width > GRID_COLUMNS or row + mover.height > MAX_ROW:
        return None
    target = replace(mover, row=row, col=col)
    others = [i for i, w in enumerate(widgets) if i != index and target.cells() & w.cells()]
    result = list(widgets)
    result[index] = target
    if not others:
        return tuple(result)
    if len(others) > 1:
        return None
    (other,) = others
    neighbour = widgets[other]
    # The two change place: whichever ends up behind steps back by the other's size. A place
    # past the grid's edge is refused by Widget itself.
    try:
        if direction == "right":
            swapped, target = replace(neighbour, col=mover.col), replace(mover, col=mover.col + neighbour.width)
        elif direction == "left":
            target, swapped = replace(mover, col=neighbour.col), replace(neighbour, col=neighbour.col + mover.width)
        elif direction == "down":
            swapped, target = replace(neighbour, row=mover.row), replace(mover, row=mover.row + neighbour.height)
        else:
            target, swapped = replace(mover, row=neighbour.row), replace(neighbour, row=neighbour.row + mover.height)
    except ValueError:
        return None
    result[index], result[other] = target, swapped
    if _covers_another(result, index) or _covers_another(result, other):
        return None
    return tuple(result)


def allowed_moves(widgets: Sequence[Widget], index: int) -> frozenset[str]:
    """The directions ``widgets[index]`` can move in."""
    return frozenset(d for d in DIRECTIONS if moved(widgets, index, d) is not None)
