"""Funnels over a store written through the native decoder and the writer: saved and
discovered funnels, their counts against hand-computed values, breakdowns, and the export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from console.core.analysis.product.funnel import FunnelDefinition, StepResult
from console.core.analysis.product.refs import EventRef
from console.core.store.funnel_queries import (
    breakdown_choices,
    delete_funnel,
    funnel_named,
    funnel_result,
    list_funnels,
    save_funnel,
)
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import NOW, events_of

MIN = 60_000
HOUR = 3_600_000
T0 = NOW - 10 * HOUR
END = NOW


def who(user: str | None, session: str) -> dict[str, Any]:
    return {"sessionId": session, **({"userId": user} if user else {})}


def view(route: str, minute: float, user: str | None, session: str, platform: str) -> dict[str, Any]:
    return {"type": "page_view", "url": f"pages/{route}/{route}", "timestamp": T0 + int(minute * MIN),
            **who(user, session), "deviceInfo": {"platform": platform, "model": "phone"}}


def custom(name: str, minute: float, user: str | None, session: str) -> dict[str, Any]:
    return {"type": "custom_event", "name": name, "timestamp": T0 + int(minute * MIN), "properties": {},
            **who(user, session)}


def purchase(minute: float, user: str | None, session: str) -> dict[str, Any]:
    return {"type": "event", "name": "conversion", "timestamp": T0 + int(minute * MIN), **who(user, session),
            "properties": {"type": "purchase", "value": 10.0, "currency": "CNY"}}


def step(funnel: str, name: str, index: int, minute: float, user: str) -> dict[str, Any]:
    return {"type": "event", "name": "funnel_step", "timestamp": T0 + int(minute * MIN), **who(user, f"s-{user}"),
            "properties": {"funnel": funnel, "step": name, "stepIndex": index}}


def assigned(variant: str, minute: float, user: str | None, session: str) -> dict[str, Any]:
    props: dict[str, Any] = {"experimentId": "checkout-color", "variant": variant}
    if user:
        props["userId"] = user
    return {"type": "event", "name": "experiment_assignment", "timestamp": T0 + int(minute * MIN),
            **who(user, session), "properties": props}


CHECKOUT = FunnelDefinition(
    name="checkout",
    steps=(EventRef("page_view", "pages/index/index"), EventRef("page_view", "pages/item/item"),
           EventRef("event", "add_to_cart"), EventRef("conversion", "purchase")),
    window_ms=HOUR,
)


@pytest.fixture
def store(writer: StoreWriter, store_path: Path) -> Path:
    payloads = [
        # u1 (ios) goes all the way, across two sessions.
        view("index", 0, "u1", "s1", "ios"), view("item", 1, "u1", "s1", "ios"),
        custom("add_to_cart", 10, "u1", "s2"), purchase(20, "u1", "s2"),
        # u2 (android) adds to cart before seeing the item: only two steps in order.
        view("index", 2, "u2", "s3", "android"), custom("add_to_cart", 3, "u2", "s3"),
        view("item", 4, "u2", "s3", "android"),
        # An anonymous session (android) buys two hours later: outside the hour's window.
        view("index", 5, None, "s4", "android"), view("item", 6, None, "s4", "android"),
        custom("add_to_cart", 7, None, "s4"), purchase(125, None, "s4"),
        # u5 never saw the first step.
        view("item", 0, "u5", "s5", "ios"),
        # u6 (ios): the first entry stops at the item; the second, three hours on, adds to cart.
        view("index", 10, "u6", "s6", "ios"), view("item", 11, "u6", "s6", "ios"),
        view("index", 180, "u6", "s7", "ios"), view("item", 181, "u6", "s7", "ios"),
        custom("add_to_cart", 182, "u6", "s7"),
        # The app's own funnel, its steps arriving out of their index order.
        step("signup", "details", 1, 1, "c"), step("signup", "start", 0, 2, "c"),
        step("signup", "start", 0, 3, "a"), step("signup", "details", 1, 4, "a"), step("signup", "done", 2, 5, "a"),
        step("signup", "start", 0, 3, "b"), step("signup", "done", 2, 6, "b"),
        step("signup", "start", 0, 3, "d"), step("signup", "details", 1, 9, "d"),
        step("lonely", "only", 0, 3, "a"),
        # Experiment assignments: the first one counts; s4 is assigned by its session.
        assigned("orange", -60, "u1", "s0"), assigned("control", 30, "u1", "s2"),
        assigned("control", -30, "u2", "s3"), assigned("control", 4, None, "s4"),
    ]
    writer.write(events_of(payloads))
    writer.run_sync(lambda conn: save_funnel(conn, CHECKOUT, now_ms=NOW))
    return store_path


def table(steps: tuple[StepResult, ...]) -> list[tuple[Any, ...]]:
    return [(s.users, s.dropped, s.median_ms_from_previous) for s in steps]


def test_a_saved_funnel_counts_users_once_per_step_in_order(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        (checkout,) = [f for f in list_funnels(conn) if f.name == "checkout"]
        assert checkout.id is not None and not checkout.discovered
        assert checkout.steps == CHECKOUT.steps and checkout.window_ms == HOUR
        result = funnel_result(conn, checkout, T0 - HOUR, END)
    # Entered: u1, u2, s4, u6. Item: all four. Add to cart: u1, s4, u6 (u6 by its second
    # entry). Purchase: u1 (s4's is outside the window).
    assert [s.label for s in result.steps] == [
        "page view pages/index/index", "page view pages/item/item", "add_to_cart", "conversion purchase",
    ]
    assert table(result.steps) == [(4, 0, None), (4, 0, 1 * MIN), (3, 1, 1 * MIN), (1, 2, 10 * MIN)]
    assert result.steps[2].conversion_from_previous == 0.75
    assert result.steps[3].conversion_overall == 0.25
    assert result.breakdown_key is None and result.breakdown == ()


def test_the_range_bounds_every_step(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        result = funnel_result(conn, CHECKOUT, T0, T0 + 15 * MIN)
    # u6's second entry and u1's purchase are after the range.
    assert [s.users for s in result.steps] == [4, 4, 2, 0]


def test_breakdown_by_platform_and_by_experiment_variant(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        by_platform = funnel_result(conn, CHECKOUT, T0 - HOUR, END, breakdown="platform")
        by_variant = funnel_result(conn, CHECKOUT, T0 - HOUR, END, breakdown="experiment:checkout-color")
        choices = breakdown_choices(conn)
        with pytest.raises(ValueError, match="unknown breakdown"):
            funnel_result(conn, CHECKOUT, T0, END, breakdown="colour")
    assert [(g, [s.users for s in steps]) for g, steps in by_platform.breakdown] == [
        ("android", [2, 2, 1, 0]), ("ios", [2, 2, 2, 1]),
    ]
    assert [s.users for s in by_platform.steps] == [4, 4, 3, 1]
    # u1: orange (its first assignment); u2 and the anonymous s4: control; u6: never assigned.
    assert [(g, [s.users for s in steps]) for g, steps in by_variant.breakdown] == [
        ("control", [2, 2, 1, 0]), ("(none)", [1, 1, 1, 0]), ("orange", [1, 1, 1, 1]),
    ]
    assert ("experiment:checkout-color", "experiment checkout-color") in choices
    assert choices[:3] == [("platform", "platform"), ("release", "release"), ("device", "device")]


def test_without_a_session_the_occurrence_says_its_platform(store: Path, writer: StoreWriter) -> None:
    no_session = [view("index", 30, "u7", "x", "devtools"), view("item", 31, "u7", "x", "devtools")]
    for payload in no_session:
        del payload["sessionId"]
    writer.write(events_of(no_session))
    with connect(store, readonly=True) as conn:
        by_platform = funnel_result(conn, CHECKOUT, T0 - HOUR, END, breakdown="platform")
        by_device = funnel_result(conn, CHECKOUT, T0 - HOUR, END, breakdown="device")
    assert [(g, [s.users for s in steps]) for g, steps in by_platform.breakdown] == [
        ("android", [2, 2, 1, 0]), ("ios", [2, 2, 2, 1]), ("devtools", [1, 1, 0, 0]),
    ]
    assert [(g, [s.users for s in steps]) for g, steps in by_device.breakdown] == [("phone", [5, 5, 3, 1])]


def test_who_logs_in_halfway_is_one_user_from_the_landing_page_on(writer: StoreWriter, store_path: Path) -> None:
    # The app sends no user id until the login: u8's landing, item and experiment assignment
    # name only its session, its cart and purchase name u8 as well; s9 never logs in.
    writer.write(events_of([
        view("index", 0, None, "s8", "ios"), assigned("orange", 0.5, None, "s8"), view("item", 1, None, "s8", "ios"),
        custom("add_to_cart", 2, "u8", "s8"), purchase(3, "u8", "s8"),
        view("index", 0, None, "s9", "android"), view("item", 1, None, "s9", "android"),
    ]))
    with connect(store_path, readonly=True) as conn:
        result = funnel_result(conn, CHECKOUT, T0 - HOUR, END)
        by_variant = funnel_result(conn, CHECKOUT, T0 - HOUR, END, breakdown="experiment:checkout-color")
    assert [s.users for s in result.steps] == [2, 2, 1, 1]
    assert [(g, [s.users for s in steps]) for g, steps in by_variant.breakdown] == [
        ("(none)", [1, 1, 0, 0]), ("orange", [1, 1, 1, 1]),
    ]


def test_a_discovered_funnel_follows_its_step_index(store: Path) -> None:
    with connect(store, readonly=True) as conn:
        funnels = list_funnels(conn)
        assert [(f.name, f.discovered) for f in funnels] == [("checkout", False), ("signup", True)]
        signup = funnels[1]
        assert [ref.name for ref in signup.steps] == ["start", "details", "done"]
        assert signup.id is None
        result = funnel_result(conn, signup, T0, END)
    # a: all three; b skipped details; c's details came before its start; d stopped at details.
    assert [(s.label, s.users) for s in result.steps] == [("start", 4), ("details", 2), ("done", 1)]


def test_a_repeated_step_needs_two_occurrences(store: Path, writer: StoreWriter) -> None:
    twice = FunnelDefinition("index twice", (EventRef("page_view", "pages/index/index"),) * 2)
    with connect(store, readonly=True) as conn:
        assert [s.users for s in funnel_result(conn, twice, T0, END).steps] == [4, 1]  # u6 only


def test_saving_replacing_and_deleting(store: Path, writer: StoreWriter) -> None:
    signup = FunnelDefinition("signup", (EventRef("funnel_step", "start", funnel="signup"),
                                         EventRef("funnel_step", "done", funnel="signup")), window_ms=MIN)
    funnel_id = writer.run_sync(lambda conn: save_funnel(conn, signup, now_ms=NOW))
    with connect(store, readonly=True) as conn:
        funnels = list_funnels(conn)
        # The saved "signup" hides the discovered one.
        assert [(f.name, f.discovered, len(f.steps)) for f in funnels] == [("checkout", False, 4), ("signup", False, 2)]
        saved = funnel_named(conn, "signup")
        assert saved is not None and saved.id == funnel_id and saved.window_ms == MIN
        # a did start → done in 2 minutes, b in 3: both outside one minute.
        assert [s.users for s in funnel_result(conn, saved, T0, END).steps] == [4, 0]
    with pytest.raises(ValueError, match="already exists"):
        writer.run_sync(lambda conn: save_funnel(conn, CHECKOUT, now_ms=NOW))
    renamed = FunnelDefinition("signup v2", signup.steps, window_ms=HOUR, id=funnel_id)
    assert writer.run_sync(lambda conn: save_funnel(conn, renamed, now_ms=NOW + 1)) == funnel_id
    assert writer.run_sync(lambda conn: delete_funnel(conn, funnel_id))
    with pytest.raises(ValueError, match="no funnel"):
        writer.run_sync(lambda conn: save_funnel(conn, renamed, now_ms=NOW + 2))
    with connect(store, readonly=True) as conn:
        assert [f.name for f in list_funnels(conn)] == ["checkout", "signup"]
        assert funnel_named(conn, "signup v2") is None


def test_export_gives_every_funnel(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--db", str(store), "--kind", "funnels"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [(f["funnel"], f["discovered"]) for f in exported] == [("checkout", False), ("signup", True)]
    assert [s["users"] for s in exported[0]["steps"]] == [4, 4, 3, 1]
    assert exported[0]["definition"]["window_ms"] == HOUR
    assert main(["export", "--db", str(store), "--kind", "funnels", "--format", "csv",
                 "--from", str(T0), "--to", str(T0 + 15 * MIN)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["funnel"], r["step_index"], r["step"], r["users"]) for r in rows] == [
        ("checkout", "1", "page view pages/index/index", "4"), ("checkout", "2", "page view pages/item/item", "4"),
        ("checkout", "3", "add_to_cart", "2"), ("checkout", "4", "conversion purchase", "0"),
        ("signup", "1", "start", "4"), ("signup", "2", "details", "2"), ("signup", "3", "done", "1"),
    ]
    assert rows[1]["median_ms_from_previous"] == str(float(MIN))
    # An ISO time works as well; an unreadable one is refused before anything is read.
    iso = "2027-01-15T00:30:00Z"  # T0 + 150 min: only u6's second entry is after it
    assert main(["export", "--db", str(store), "--kind", "funnels", "--from", iso]) == 0
    assert [s["users"] for s in json.loads(capsys.readouterr().out)[0]["steps"]] == [1, 1, 1, 0]
    with pytest.raises(SystemExit):
        main(["export", "--db", str(store), "--kind", "funnels", "--from", "yesterday-ish"])


def test_breakdown_by_a_property_of_the_first_step(writer: StoreWriter, store_path: Path) -> None:
    """Each user's group is the property of their first step-1 occurrence."""
    def search(minute: float, user: str, plan: str) -> dict[str, Any]:
        return {**custom("search", minute, user, f"s-{user}"), "properties": {"plan": plan}}

    writer.write(events_of([
        search(0, "u1", "gold"), search(1, "u1", "free"), custom("add_to_cart", 2, "u1", "s-u1"),
        search(0, "u2", "gold"), custom("add_to_cart", 3, "u2", "s-u2"),
        search(0, "u3", "free"), search(0, "u4", "free"), custom("add_to_cart", 1, "u4", "s-u4"),
        search(0, "u5", "plan with spaces"),
    ]))
    funnel = FunnelDefinition(name="search to cart", steps=(EventRef("event", "search"), EventRef("event", "add_to_cart")))
    with connect(store_path, readonly=True) as conn:
        assert ("properties.plan", "first step: properties.plan") in breakdown_choices(conn, funnel)
        result = funnel_result(conn, funnel, T0, END, breakdown="properties.plan")
        by_plan = {group: [s.users for s in steps] for group, steps in result.breakdown}
        assert by_plan == {"gold": [2, 2], "free": [2, 1], "plan with spaces": [1, 0]}
        with pytest.raises(ValueError, match="a column or property of the first step"):
            funnel_result(conn, funnel, T0, END, breakdown="colour")


def test_export_breaks_funnels_down(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--db", str(store), "--kind", "funnels", "--breakdown", "platform"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported[0]["breakdown_key"] == "platform" and exported[0]["breakdown"]
    assert main(["export", "--db", str(store), "--kind", "funnels", "--breakdown", "colour"]) == 1
    assert "unknown breakdown 'colour'" in capsys.readouterr().err
