"""Column frames: stored events held as numpy columns, for analyses over a million rows.

The Performance panel recomputes percentiles over every page load of a week whenever the
range or a filter changes; SQLite hands rows to Python far too slowly for that. A
:class:`ColumnFrame` keeps one numpy array per column, grown by doubling as rows arrive, so
a filter is a vectorised mask and a group-by is a ``bincount``. Text columns (route,
release, platform …) are dictionary-encoded: the array holds small integer codes and a
:class:`Dictionary` maps them back to labels. Code 0 always stands for "no value".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["ColumnFrame", "Dictionary"]


class Dictionary:
    """Labels of a text column by code; code 0 is None (the column had no value)."""

    def __init__(self) -> None:
        self.labels: list[str | None] = [None]
        self._codes: dict[str | None, int] = {None: 0}

    def __len__(self) -> int:
        return len(self.labels)

    def encode(self, values: Sequence[str | None]) -> npt.NDArray[np.int32]:
        """The codes of ``values``, adding labels not seen before."""
        codes = self._codes
        for label in set(values).difference(codes):
            codes[label] = len(self.labels)
            self.labels.append(label)
        return np.fromiter(map(codes.__getitem__, values), dtype=np.int32, count=len(values))

    def code(self, label: str | None) -> int | None:
        """The code of ``label``, or None when the column never held it."""
        return self._codes.get(label)

    def codes_of(self, labels: Iterable[str | None]) -> npt.NDArray[np.int32]:
        """The codes of the known ones among ``labels``."""
        found = [self._codes[label] for label in labels if label in self._codes]
        return np.asarray(found, dtype=np.int32)


class ColumnFrame:
    """Rows of one table as growing numpy columns: numeric ones and dictionary-encoded text.

    With ``order_by``, rows are kept sorted by that numeric column (stable: equal keys stay
    in arrival order), so a range of it is a slice: rows that arrive in order are appended,
    late ones are merged into the tail they belong to, which costs about the size of that tail.

    Not thread-safe: one thread appends and reads (the window's query worker).
    """

    def __init__(
        self, *, numeric: Mapping[str, npt.DTypeLike], text: Sequence[str], order_by: str | None = None
    ) -> None:
        if order_by is not None and order_by not in numeric:
            raise ValueError(f"order_by must be a numeric column, not {order_by!r}")
        self.order_by = order_by
        self._dtypes = {name: np.dtype(dtype) for name, dtype in numeric.items()}
        self.dictionaries = {name: Dictionary() for name in text}
        self._arrays: dict[str, npt.NDArray[Any]] = {
            name: np.empty(0, dtype=dtype) for name, dtype in self._dtypes.items()
        }
        self._arrays.update({name: np.empty(0, dtype=np.int32) for name in text})
        self._size = 0
        self._ordered = True

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        """Rows the arrays have room for before they grow again."""
        return len(next(iter(self._arrays.values())))

    @property
    def nbytes(self) -> int:
        """Memory the arrays take, capacity included."""
        return sum(array.nbytes for array in self._arrays.values())

    def column(self, name: str) -> npt.NDArray[Any]:
        """The filled part of a column (a view: do not keep it across appends)."""
        return self._arrays[name][: self._size]

    def label(self, name: str, code: int) -> str | None:
        """The text a code of a text column stands for."""
        return self.dictionaries[name].labels[code]

    @property
    def is_ordered(self) -> bool:
        """Whether the rows are sorted by ``order_by`` now (False also without ``order_by``)."""
        return self.order_by is not None and self._ordered

    def sort(self) -> None:
        """Sort the rows by ``order_by`` after appends that left them out of order."""
        if self.order_by is not None and not self._ordered:
            self._permute(0, np.argsort(self._arrays[self.order_by][: self._size], kind="stable"))
            self._ordered = True

    def append(self, columns: Mapping[str, Sequence[Any]], *, in_order: bool = True) -> None:
        """Append rows given column-wise: numbers (None becomes NaN or 0) and text.

        ``in_order=False`` skips keeping the order (a bulk load sorts once with :meth:`sort`
        at its end); until then the frame is not ordered.
        """
        count = len(next(iter(columns.values()))) if columns else 0
        if count == 0:
            return
        self._reserve(self._size + count)
        end = self._size + count
        for name, dtype in self._dtypes.items():
            values = columns[name]
            target = self._arrays[name]
            if dtype.kind == "f" and not isinstance(values, np.ndarray):
                target[self._size : end] = np.array(values, dtype=np.float64)  # None → nan
            else:
                target[self._size : end] = np.asarray(values, dtype=dtype)
        for name, dictionary in self.dictionaries.items():
            self._arrays[name][self._size : end] = dictionary.encode(columns[name])
        first_new, self._size = self._size, end
        if not in_order:
            self._ordered = False
        elif self.is_ordered:
            self._restore_order(first_new)

    def _restore_order(self, first_new: int) -> None:
        """Sort the rows just appended into place (see the class docstring)."""
        key = self._arrays[self.order_by or ""]
        end = self._size
        self._permute(first_new, np.argsort(key[first_new:end], kind="stable"))
        if first_new == 0 or key[first_new - 1] <= key[first_new]:
            return
        start = int(np.searchsorted(key[:first_new], key[first_new], side="right"))
        # Both runs are sorted: the stable sort is a merge, and older rows keep their place
        # before newer rows with the same key.
        self._permute(start, np.argsort(key[start:end], kind="stable"))

    def _permute(self, start: int, order: npt.NDArray[np.intp]) -> None:
        if order.size < 2 or bool((order[1:] > order[:-1]).all()):
            return
        stop = start + order.size
        for array in self._arrays.values():
            array[start:stop] = array[start:stop][order]

    def keep(self, rows: npt.NDArray[np.bool_]) -> None:
        """Keep only the rows where ``rows`` is true (retention dropped the others)."""
        for name, array in self._arrays.items():
            kept = array[: self._size][rows]
            self._arrays[name][: kept.size] = kept
        self._size = int(np.count_nonzero(rows))

    def clear(self) -> None:
        """Forget every row and label."""
        self.__init__(numeric=self._dtypes, text=tuple(self.dictionaries), order_by=self.order_by)  # type: ignore[misc]

    def compact(self, *, headroom: float = 0.125) -> None:
        """Give back the room doubling left: keep ``headroom`` of the rows free for what arrives."""
        target = max(1024, int(self._size * (1 + headroom)))
        if target >= self.capacity:
            return
        for name, array in self._arrays.items():
            self._arrays[name] = array[:target].copy()

    def _reserve(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        capacity = max(1024, self.capacity)
        while capacity < needed:
            capacity *= 2
        for name, array in self._arrays.items():
            grown = np.empty(capacity, dtype=array.dtype)
            grown[: self._size] = array[: self._size]
            self._arrays[name] = grown
