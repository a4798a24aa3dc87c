"""The Qt binding Lookout is pinned to keeps its reference counts straight.

PySide6 6.12.0 on CPython 3.11 loses a reference to ``True`` on every signal emit and to
``None`` on every call that returns nothing; after a few thousand (a minute of live charts)
the interpreter aborts with "bool_dealloc". pyproject.toml keeps that release out; this
test fails (by aborting) if a binding with the defect comes back.
"""

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    """Signals:
    fired(): connected to nothing.
    """

    fired = Signal()


def test_emits_and_empty_results_do_not_lose_references() -> None:
    emitter = Emitter()
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(20_000):
        emitter.fired.emit()
        emitter.parent()
    # Other code may take or drop a few references meanwhile; a leak would lose 20,000.
    assert sys.getrefcount(True) > true_before - 1_000
    assert sys.getrefcount(None) > none_before - 1_000
