"""Funnels: ordered steps a user is meant to go through, and how many did.

A :class:`FunnelDefinition` names its steps as :class:`EventRef` s (page views, events by
name, the app's own ``funnel_step`` events ...) with a conversion window. :func:`count_funnel`
counts it from the steps' occurrences, with numpy only (no store here; the store reads the
occurrences in :mod:`console.core.store.funnel_queries`).

How a funnel is counted:

* Who: the *actor* of an occurrence, its user id, else the user its session was identified
  as, else its session id (:mod:`console.core.store.occurrences`); a user with several
  sessions goes through the funnel once, across them, and one who logs in halfway is one
  user from the first step on.
* Entry: a user enters at **any** occurrence of step 1 in the range. From each entry the
  path goes as far as it can in order: each next step is the first occurrence of that step at
  or after the previous step's time; when a step is the same reference as the one before it,
  it is the next occurrence after the one the previous step used, so a repeated step needs
  two occurrences. A step later than ``window_ms`` after the entry does not count (nor, then,
  any after it).
* Credit: each user is credited with the deepest path of all their entries (the earliest
  such entry when several reach as deep), so a later entry can reach further than the first
  one. A user is counted once per step they reached; the median time between two steps is
  taken over the credited paths.
* Caveat: steps whose occurrences overlap (``any page view`` then ``page view cart``) can be
  met by one occurrence, since "at or after" includes the same moment.

The counting is vectorised across entries: (actor, time) become one sortable int64 key per
step, and ``np.searchsorted`` finds every entry's next step at once; there is no Python loop
per user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from console.core.analysis.product.refs import EventRef

__all__ = [
    "DEFAULT_WINDOW_MS", "MAX_STEPS", "MAX_WINDOW_MS", "MIN_STEPS", "NONE_LABEL", "OTHER_LABEL", "FunnelCount",
    "FunnelDefinition", "FunnelResult", "StepResult", "count_funnel",
]

MIN_STEPS, MAX_STEPS = 2, 10
DEFAULT_WINDOW_MS = 86_400_000
MIN_WINDOW_MS = 1_000
MAX_WINDOW_MS = 90 * 86_400_000
NONE_LABEL = "(none)"
OTHER_LABEL = "other"
_MAX_NAME = 200
_MAX_ID = 2**63 - 1  # SQLite's largest row id

StepOccurrences = tuple[npt.NDArray[np.int64], npt.NDArray[Any]]
Breakdown = tuple[tuple[str, tuple["StepResult", ...]], ...]


@dataclass(frozen=True, slots=True)
class FunnelDefinition:
    """A funnel: its name, 2 to 10 ordered steps and the conversion window from step 1.

    ``id`` is its row in the store's ``funnels`` table (None until saved, and for a funnel
    discovered from the app's ``funnel_step`` events, which ``discovered`` marks).
    """

    name: str
    steps: tuple[EventRef, ...]
    window_ms: int = DEFAULT_WINDOW_MS
    id: int | None = None
    discovered: bool = False

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a funnel needs a name")
        if len(self.name) > _MAX_NAME:
            raise ValueError(f"a funnel's name is longer than {_MAX_NAME} characters")
        if not MIN_STEPS <= len(self.steps) <= MAX_STEPS:
            raise ValueError(f"a funnel needs {MIN_STEPS} to {MAX_STEPS} steps, not {len(self.steps)}")
        if isinstance(self.window_ms, bool) or not isinstance(self.window_ms, int):
            raise ValueError("the conversion window must be a whole number of milliseconds")
        if not MIN_WINDOW_MS <= self.window_ms <= MAX_WINDOW_MS:
            raise ValueError("the conversion window must be between 1 second and 90 days")

    def step_labels(self) -> tuple[str, ...]:
        """What the funnel view calls each step: a funnel step by its own name, others by
        their reference's label."""
        return tuple(
            str(ref.name) if ref.source == "funnel_step" and ref.name and not ref.filters else ref.label()
            for ref in self.steps
        )

    def repeats(self) -> tuple[bool, ...]:
        """Per step, whether it is the same reference as the step before it."""
        return (False, *(a == b for a, b in zip(self.steps, self.steps[1:], strict=False)))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name, "steps": [ref.to_json() for ref in self.steps], "window_ms": self.window_ms,
        }
        if self.id is not None:
            data["id"] = self.id
        if self.discovered:
            data["discovered"] = True
        return data

    @classmethod
    def from_json(cls, data: Any) -> FunnelDefinition:
        """Decode the JSON form; ValueError says what is wrong (``step 2: ...``)."""
        if not isinstance(data, Mapping):
            raise ValueError("a funnel must be an object with a name and steps")
        name = data.get("name")
        if not isinstance(name, str):
            raise ValueError("a funnel needs a name")
        steps = data.get("steps")
        if not isinstance(steps, list):
            raise ValueError("'steps' must be an array of event references")
        refs = []
        for position, step in enumerate(steps, start=1):
            try:
                refs.append(EventRef.from_json(step))
            except ValueError as exc:
                raise ValueError(f"step {position}: {exc}") from None
        window = data.get("window_ms", DEFAULT_WINDOW_MS)
        if isinstance(window, float) and window.is_integer():
            window = int(window)
        funnel_id = data.get("id")
        if funnel_id is not None and (isinstance(funnel_id, bool) or not isinstance(funnel_id, int)
                                      or not 1 <= funnel_id <= _MAX_ID):
            raise ValueError("'id' must be a positive integer")
        return cls(name=name.strip(), steps=tuple(refs), window_ms=window, id=funnel_id,
                   discovered=bool(data.get("discovered", False)))


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step of a counted funnel: who reached it, how many of the previous step did, how
    many dropped out before it and how long they took from the previous step."""

    label: str
    users: int
    conversion_from_previous: float | None
    conversion_overall: float
    dropped: int
    median_ms_from_previous: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label, "users": self.users, "conversion_from_previous": self.conversion_from_previous,
            "conversion_overall": self.conversion_overall, "dropped": self.dropped,
            "median_ms_from_previous": self.median_ms_from_previous,
        }


@dataclass(frozen=True, slots=True)
class FunnelResult:
    """A funnel counted over ``[start_ms, end_ms)``, with its breakdown when one was asked:
    ``(group, steps)`` pairs, the most users at step 1 first, ``other`` last."""

    definition: FunnelDefinition
    start_ms: int
    end_ms: int
    steps: tuple[StepResult, ...]
    breakdown_key: str | None = None
    breakdown: Breakdown = field(default=())

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "funnel": self.definition.name, "id": self.definition.id, "discovered": self.definition.discovered,
            "window_ms": self.definition.window_ms, "start_ms": self.start_ms, "end_ms": self.end_ms,
            "definition": self.definition.to_json(), "steps": [step.to_json() for step in self.steps],
        }
        if self.breakdown_key is not None:
            data["breakdown_key"] = self.breakdown_key
            data["breakdown"] = [
                {"group": group, "steps": [step.to_json() for step in steps]} for group, steps in self.breakdown
            ]
        return data


@dataclass(frozen=True, slots=True)
class FunnelCount:
    """What :func:`count_funnel` returns: every user's steps, and per breakdown group."""

    steps: tuple[StepResult, ...]
    breakdown: Breakdown = ()


@dataclass(frozen=True, slots=True)
class _Paths:
    """Per user who entered: how many steps they reached and the step times of their
    credited path (-1 beyond it); their group when a breakdown was asked."""

    depth: npt.NDArray[np.int64]
    times: npt.NDArray[np.int64]
    group: npt.NDArray[np.object_] | None


def count_funnel(
    steps: Sequence[StepOccurrences],
    window_ms: int,
    *,
    labels: Sequence[str] | None = None,
    repeats: Sequence[bool] | None = None,
    groups: npt.NDArray[Any] | None = None,
    top: int = 10,
) -> FunnelCount:
    """Count a funnel from each step's occurrences, ``(ts, actor)`` arrays in any order.

    ``repeats[i]`` says step ``i`` is the same reference as step ``i - 1`` (the caller then
    passes the same arrays for both). ``groups``, aligned with step 1's occurrences, breaks
    the funnel down: a user belongs to the group of their first step-1 occurrence (None is
    ``(none)``); the ``top`` groups with most users entering are kept, the rest is ``other``.
    See the module's docstring for how users are counted.
    """
    if len(steps) < 1:
        raise ValueError("a funnel needs steps")
    names = list(labels) if labels is not None else [f"step {i}" for i in range(1, len(steps) + 1)]
    if len(names) != len(steps):
        raise ValueError("one label per step")
    again = list(repeats) if repeats is not None else [False] * len(steps)
    paths = _paths(steps, window_ms, again, groups)
    overall = _step_results(paths.depth, paths.times, names)
    if paths.group is None:
        return FunnelCount(steps=overall)
    return FunnelCount(steps=overall, breakdown=_breakdown(paths, names, top))


def _paths(
    steps: Sequence[StepOccurrences], window_ms: int, repeats: Sequence[bool], groups: npt.NDArray[Any] | None
) -> _Paths:
    k = len(steps)
    first_ts, first_actors = steps[0]
    # Actor codes come from step 1: whoever never entered cannot reach a later step.
    index: dict[Any, int] = {}
    entry_codes = np.fromiter((index.setdefault(a, len(index)) for a in first_actors), np.int64, len(first_actors))
    coded: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]] = [(np.asarray(first_ts, np.int64), entry_codes)]
    for ts, actors in steps[1:]:
        codes = np.fromiter((index.get(a, -1) for a in actors), np.int64, len(actors))
        known = codes >= 0
        coded.append((np.asarray(ts, np.int64)[known], codes[known]))
    users = len(index)
    if users == 0:
        empty = np.empty(0, np.int64)
        return _Paths(empty, np.empty((0, k), np.int64), None if groups is None else np.empty(0, object))
    key = _KeyCoder([ts for ts, _ in coded], users)
    ordered: list[tuple[npt.NDArray[np.int64], ...]] = []
    for position, (ts, codes) in enumerate(coded):
        if position and repeats[position]:
            ordered.append(ordered[-1])
            continue
        keys = key.encode(codes, ts)
        order = np.argsort(keys, kind="stable")
        ordered.append((keys[order], ts[order], codes[order], order))
    _, entry_ts, entry_code, entry_order = ordered[0]
    entries = len(entry_ts)
    depth = np.ones(entries, np.int64)
    times = np.full((entries, k), -1, np.int64)
    times[:, 0] = entry_ts
    alive = np.arange(entries)
    at = alive.copy()  # where each live entry's path stands in the previous step's arrays
    deadline = entry_ts + window_ms
    for position in range(1, k):
        keys, ts, codes, _ = ordered[position]
        if not len(alive) or not len(ts):
            break
        who = entry_code[alive]
        if repeats[position]:
            found = at + 1
        else:
            found = np.searchsorted(keys, key.encode(who, times[alive, position - 1]), side="left")
        inside = found < len(ts)
        found = np.minimum(found, len(ts) - 1)
        reached = inside & (codes[found] == who) & (ts[found] <= deadline[alive])
        alive, at = alive[reached], found[reached]
        depth[alive] = position + 1
        times[alive, position] = ts[at]
    # One path per user: the deepest, the earliest entry among equals (entries are in
    # (actor, time) order, so the position breaks ties by time).
    credited = np.lexsort((np.arange(entries), -depth, entry_code))
    first = np.ones(entries, bool)
    first[1:] = entry_code[credited[1:]] != entry_code[credited[:-1]]
    chosen = credited[first]
    group = None
    if groups is not None:
        # The group of each user's first step-1 occurrence: the first of their run.
        starts = np.ones(entries, bool)
        starts[1:] = entry_code[1:] != entry_code[:-1]
        group = np.asarray(groups, dtype=object)[entry_order[starts]]
    return _Paths(depth[chosen], times[chosen], group)


class _KeyCoder:
    """(actor code, time) as one int64 that sorts by actor, then time: the time's offset
    from the earliest, or its rank among every time seen when the offsets would not fit."""

    def __init__(self, times: Sequence[npt.NDArray[np.int64]], users: int) -> None:
        present = [t for t in times if len(t)]
        every = np.concatenate(present) if present else np.zeros(1, np.int64)
        self.low = int(every.min())
        self.span = int(every.max()) - self.low + 1
        self.ranks: npt.NDArray[np.int64] | None = None
        if users * self.span >= 2**62:
            self.ranks = np.unique(every)
            self.span = len(self.ranks)

    def encode(self, codes: npt.NDArray[np.int64], ts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        if self.ranks is None:
            return codes * self.span + (ts - self.low)
        return codes * self.span + np.searchsorted(self.ranks, ts).astype(np.int64)


def _step_results(
    depth: npt.NDArray[np.int64], times: npt.NDArray[np.int64], labels: Sequence[str]
) -> tuple[StepResult, ...]:
    entered = int(len(depth))
    results: list[StepResult] = []
    previous = entered
    for position, label in enumerate(labels):
        reached = depth > position
        users = int(reached.sum())
        median: float | None = None
        if position and users:
            median = float(np.median(times[reached, position] - times[reached, position - 1]))
        results.append(StepResult(
            label=label,
            users=users,
            conversion_from_previous=(users / previous if previous else None) if position else None,
            conversion_overall=users / entered if entered else 0.0,
            dropped=previous - users if position else 0,
            median_ms_from_previous=median,
        ))
        previous = users
    return tuple(results)


def _breakdown(paths: _Paths, labels: Sequence[str], top: int) -> Breakdown:
    assert paths.group is not None
    names = np.array([NONE_LABEL if g is None else str(g) for g in paths.group], dtype=object)
    values, counts = np.unique(names, return_counts=True)
    ranked = sorted(zip(values.tolist(), counts.tolist(), strict=True), key=lambda item: (-item[1], item[0]))
    kept = [name for name, _ in ranked[:top]]
    found: list[tuple[str, tuple[StepResult, ...]]] = []
    for name in kept:
        mine = names == name
        found.append((name, _step_results(paths.depth[mine], paths.times[mine], labels)))
    if len(ranked) > top:
        rest = ~np.isin(names, np.array(kept, dtype=object))
        found.append((OTHER_LABEL, _step_results(paths.depth[rest], paths.times[rest], labels)))
    return tuple(found)
