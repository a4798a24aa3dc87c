"""Funnel counting against hand-built sequences: out-of-order steps, repeats, steps outside
the window, a later entry reaching further, and the definition's JSON form."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import numpy as np
import pytest

from console.core.analysis.product.funnel import (
    FunnelDefinition,
    StepResult,
    count_funnel,
)
from console.core.analysis.product.refs import EventRef, PropertyFilter

Step = tuple[np.ndarray, np.ndarray]


def occurrences(*pairs: tuple[str, int]) -> Step:
    """A step's occurrences from ``(actor, ts)`` pairs, in the order given."""
    return np.array([ts for _, ts in pairs], dtype=np.int64), np.array([a for a, _ in pairs], dtype=object)


def users(result: tuple[StepResult, ...]) -> list[int]:
    return [step.users for step in result]


def test_steps_count_only_in_order() -> None:
    a = occurrences(("u1", 0), ("u2", 0), ("u3", 5))
    b = occurrences(("u1", 10), ("u2", 10), ("u3", 0))  # u3 saw B before A
    c = occurrences(("u1", 20), ("u2", 5))  # u2 saw C before B
    result = count_funnel([a, b, c], 1000, labels=["A", "B", "C"]).steps
    assert users(result) == [3, 2, 1]
    first, second, third = result
    assert (first.label, first.conversion_from_previous, first.conversion_overall, first.dropped) == ("A", None, 1.0, 0)
    assert first.median_ms_from_previous is None
    assert second.conversion_from_previous == pytest.approx(2 / 3)
    assert second.dropped == 1 and second.median_ms_from_previous == 10.0
    assert third.conversion_from_previous == 0.5 and third.conversion_overall == pytest.approx(1 / 3)
    assert third.dropped == 1 and third.median_ms_from_previous == 10.0


def test_a_step_at_the_same_moment_as_the_previous_one_counts() -> None:
    a = occurrences(("u1", 100))
    b = occurrences(("u1", 100))
    assert users(count_funnel([a, b], 1000).steps) == [1, 1]


def test_a_repeated_step_needs_two_occurrences() -> None:
    a = occurrences(("u1", 0), ("u2", 0), ("u2", 3), ("u3", 0), ("u3", 2), ("u4", 7), ("u4", 7))
    b = occurrences(("u1", 5), ("u2", 5), ("u3", 1), ("u4", 8))
    result = count_funnel([a, a, b], 1000, repeats=[False, True, False]).steps
    # u1: one A only; u2: A A B; u3: A B A (B came before the second A); u4: two A at one ms.
    assert users(result) == [4, 3, 2]
    assert result[1].median_ms_from_previous == 2.0  # u2 3, u3 2, u4 0
    assert result[2].median_ms_from_previous == 1.5  # u2 2, u4 1


def test_steps_outside_the_window_do_not_count() -> None:
    a = occurrences(("u1", 0), ("u2", 0), ("u3", 0))
    b = occurrences(("u1", 50), ("u2", 101), ("u3", 100))
    c = occurrences(("u1", 150), ("u3", 100))
    result = count_funnel([a, b, c], 100).steps
    # u1: C is 150 after the entry; u2: B is 101 after; u3: B and C exactly at the window's end.
    assert users(result) == [3, 2, 1]


def test_a_later_entry_can_reach_further_and_is_credited() -> None:
    a = occurrences(("u1", 0), ("u1", 200), ("u2", 0), ("u2", 500))
    b = occurrences(("u1", 50), ("u1", 250), ("u2", 10), ("u2", 550))
    c = occurrences(("u1", 290))
    result = count_funnel([a, b, c], 100).steps
    assert users(result) == [2, 2, 1]
    # u1 is credited with the entry at 200 (B after 50, C after 40); u2 with the first entry
    # (both reach B; the earliest wins), not the one where B took 50.
    assert result[1].median_ms_from_previous == 30.0  # median of 50 and 10
    assert result[2].median_ms_from_previous == 40.0


def test_occurrences_in_any_order_and_of_users_who_never_entered() -> None:
    a = occurrences(("u2", 30), ("u1", 10))
    b = occurrences(("stranger", 1), ("u1", 20), ("u2", 40))
    result = count_funnel([a, b], 1000).steps
    assert users(result) == [2, 2]
    assert result[1].median_ms_from_previous == 10.0


def test_nobody_entered() -> None:
    empty = occurrences()
    b = occurrences(("u1", 1))
    result = count_funnel([empty, b], 1000, labels=["A", "B"]).steps
    assert [(s.users, s.conversion_from_previous, s.conversion_overall, s.dropped) for s in result] == [
        (0, None, 0.0, 0), (0, None, 0.0, 0),
    ]


def test_breakdown_by_the_group_of_the_first_entry() -> None:
    a = occurrences(("u1", 0), ("u1", 10), ("u2", 0), ("u3", 0), ("u4", 0))
    groups = np.array(["ios", "android", "android", None, "web"], dtype=object)
    b = occurrences(("u1", 20), ("u2", 5), ("u3", 1))
    counted = count_funnel([a, b], 1000, groups=groups, top=2)
    assert users(counted.steps) == [4, 3]
    by_group = {name: users(steps) for name, steps in counted.breakdown}
    # u1 is ios (its first entry), not android; every group has one user, so the first two
    # by name are kept and u1 (ios) and u4 (web) go together in "other".
    assert [name for name, _ in counted.breakdown] == ["(none)", "android", "other"]
    assert by_group == {"(none)": [1, 1], "android": [1, 1], "other": [2, 1]}


def test_times_past_any_offset_encoding_still_count() -> None:
    # Times spread so widely that (actor, offset) would overflow int64: ranks are used instead.
    big = 2**61
    a = occurrences(("u1", -big), ("u2", 0), ("u3", 5))
    b = occurrences(("u1", -big + 5), ("u2", big), ("u3", 6))
    assert users(count_funnel([a, b], 10).steps) == [3, 2]


def test_many_users_at_once_match_a_slow_count() -> None:
    rng = np.random.default_rng(4)
    steps = []
    for _ in range(4):
        n = 3000
        steps.append((rng.integers(0, 10_000, n).astype(np.int64),
                      np.array([f"u{i}" for i in rng.integers(0, 500, n)], dtype=object)))
    window = 2000
    result = count_funnel(steps, window).steps
    assert users(result) == slow_count(steps, window)


def slow_count(steps: list[Step], window: int) -> list[int]:
    """The definition, user by user and entry by entry."""
    per_user: list[dict[Any, list[int]]] = []
    for ts, actors in steps:
        found: dict[Any, list[int]] = {}
        for t, a in zip(ts.tolist(), actors.tolist(), strict=True):
            found.setdefault(a, []).append(t)
        per_user.append({a: sorted(v) for a, v in found.items()})
    reached = [0] * len(steps)
    for user, entries in per_user[0].items():
        best = 0
        for entry in entries:
            depth, at = 1, entry
            for step in per_user[1:]:
                later = [t for t in step.get(user, []) if at <= t <= entry + window]
                if not later:
                    break
                at, depth = later[0], depth + 1
            best = max(best, depth)
        for i in range(best):
            reached[i] += 1
    return reached


def test_definitions_round_trip_and_say_what_is_wrong() -> None:
    funnel = FunnelDefinition(
        name="checkout",
        steps=(EventRef("page_view", "pages/cart/cart"), EventRef("event", "add_to_cart"),
               EventRef("funnel_step", "paid", funnel="purchase",
                        filters=(PropertyFilter("properties.plan", "eq", "gold"),))),
        window_ms=3_600_000,
    )
    assert FunnelDefinition.from_json(funnel.to_json()) == funnel
    assert funnel.step_labels() == ("page view pages/cart/cart", "add_to_cart", "purchase: paid where properties.plan = gold")
    with pytest.raises(ValueError, match="2 to 10 steps"):
        FunnelDefinition("one", (EventRef("page_view"),))
    with pytest.raises(ValueError, match="step 2: an event needs its name"):
        FunnelDefinition.from_json({"name": "x", "steps": [{"source": "page_view"}, {"source": "event"}]})
    with pytest.raises(ValueError, match="between 1 second and 90 days"):
        FunnelDefinition.from_json({"name": "x", "steps": [{"source": "page_view"}] * 2, "window_ms": 0})
    with pytest.raises(ValueError, match="needs a name"):
        FunnelDefinition.from_json({"name": " ", "steps": [{"source": "page_view"}] * 2})


# --- against a reference that follows the module's docstring entry by entry ----------------------


def reference_paths(
    steps: list[Step], window: int, repeats: list[bool], groups: np.ndarray
) -> dict[Any, tuple[list[int], Any]]:
    """Per user, the credited path's step times and the group of their first entry: every
    entry walked in plain Python, the deepest kept (the earliest among equals)."""
    per_step: list[dict[Any, list[tuple[int, int]]]] = []
    for ts, actors in steps:
        found: dict[Any, list[tuple[int, int]]] = {}
        for position, (t, a) in enumerate(zip(ts.tolist(), actors.tolist(), strict=True)):
            found.setdefault(a, []).append((t, position))
        per_step.append({a: sorted(v) for a, v in found.items()})
    credited: dict[Any, tuple[list[int], Any]] = {}
    for user, entries in per_step[0].items():
        best: list[int] = []
        for at, (entry, _) in enumerate(entries):
            path, used, used_at = [entry], entries, at
            for position in range(1, len(steps)):
                if repeats[position]:  # the next occurrence after the one the step before used
                    mine, pick = used, used_at + 1
                else:  # the first at or after the step before
                    mine = per_step[position].get(user, [])
                    pick = next((i for i, (t, _) in enumerate(mine) if t >= path[-1]), len(mine))
                if pick >= len(mine) or mine[pick][0] > entry + window:
                    break
                path.append(mine[pick][0])
                used, used_at = mine, pick
            if len(path) > len(best):
                best = path
        credited[user] = (best, groups[entries[0][1]])
    return credited


def reference_steps(paths: list[list[int]], k: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    entered = previous = len(paths)
    for position in range(k):
        reached = [p for p in paths if len(p) > position]
        n = len(reached)
        median = float(np.median([p[position] - p[position - 1] for p in reached])) if position and n else None
        rows.append((n, (n / previous if previous else None) if position else None,
                     n / entered if entered else 0.0, previous - n if position else 0, median))
        previous = n
    return rows


def as_rows(steps: tuple[StepResult, ...]) -> list[tuple[Any, ...]]:
    return [(s.users, s.conversion_from_previous, s.conversion_overall, s.dropped, s.median_ms_from_previous)
            for s in steps]


def test_random_sequences_count_as_the_reference_does() -> None:
    # Few distinct times (ties, steps at the entry's millisecond, steps before the entry),
    # windows from 1 ms up, repeated steps, one to 3,000 users, times near 0, now and far
    # apart (where the (actor, time) key falls back to ranks).
    rng = random.Random(9)
    users_seen = 0
    for case in range(160):
        k = rng.randint(2, 5)
        repeats = [False] + [rng.random() < 0.35 for _ in range(k - 1)]
        n_users = rng.choice([1, 2, 7, 60, 400, 3000] if case % 20 else [3000])
        span = rng.choice([4, 30, 600, 50_000])
        base = rng.choice([0, 1_764_288_000_000, -(2**40)])
        wide = case % 7 == 0
        moments = [rng.randrange(-(2**61), 2**61) for _ in range(8)] if wide else None
        steps: list[Step] = []
        for position in range(k):
            if repeats[position]:
                steps.append(steps[-1])
                continue
            n = rng.randint(0, n_users * 3)
            ts = [rng.choice(moments) if moments else base + rng.randrange(span) for _ in range(n)]
            actors = [f"u{rng.randrange(n_users)}" for _ in range(n)]
            steps.append((np.array(ts, dtype=np.int64), np.array(actors, dtype=object)))
        window = rng.choice([1, 3, 10, 250, 10_000]) if not wide else rng.choice([1, 2**60])
        groups = np.array([rng.choice(["ios", "android", None, "web", "ohos"]) for _ in steps[0][0]], dtype=object)
        counted = count_funnel(steps, window, repeats=repeats, groups=groups, top=3)
        paths = reference_paths(steps, window, repeats, groups)
        users_seen += len(paths)
        assert as_rows(counted.steps) == reference_steps([p for p, _ in paths.values()], k), case
        names = {user: "(none)" if group is None else group for user, (_, group) in paths.items()}
        ranked = sorted(Counter(names.values()).items(), key=lambda item: (-item[1], item[0]))
        kept = [name for name, _ in ranked[:3]]
        expected = [(name, reference_steps([p for u, (p, _) in paths.items() if names[u] == name], k)) for name in kept]
        if len(ranked) > 3:
            expected.append(("other", reference_steps([p for u, (p, _) in paths.items() if names[u] not in kept], k)))
        assert [(name, as_rows(steps)) for name, steps in counted.breakdown] == expected, case
    assert users_seen > 20_000
