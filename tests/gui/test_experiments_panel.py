"""The Experiments panel as a user sees it: the demo's A/B test, its split, its verdict, its dialog."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from console.core.demo import EXPERIMENT_ID, DemoScenario
from console.core.store.experiment_writes import ExperimentDefinition
from console.gui.experiments.definition import DefinitionClient
from console.gui.experiments.models import (
    ExperimentListModel,
    ExposureModel,
    GoalTableModel,
    GuardrailModel,
    goal_rows,
)
from console.gui.own_writer import OwnWriter
from tests.gui.support import now_ms
from tests.integration.support import CollectorLauncher, free_port

SHOWN = pytest.mark.qt_log_ignore("propagateSizeHints")
MINUTE = 60_000
#: What the panel reads of the demo's traffic: the experiment, its events, and guardrail data.
_KEPT = {"experiment", "page_load", "javascript_error", "unhandled_promise_rejection", "network_error"}


def demo_payloads(*, seed: int = 7, users: int = 4000, count: int = 54_000, start: int | None = None) -> list[dict[str, Any]]:
    """The demo's payloads over the last half hour, keeping what the Experiments panel reads."""
    scenario = DemoScenario(seed=seed, users=users)
    at = start if start is not None else now_ms() - 30 * MINUTE
    step = 30 * MINUTE // (count // 500)
    kept: list[dict[str, Any]] = []
    for _ in range(count // 500):
        at += step
        for payload in scenario.next_batch(500, at):
            if payload["type"] in _KEPT or str(payload.get("name", "")).startswith("experiment_"):
                kept.append(payload)
    return kept


def write_in_chunks(store, payloads: list[dict[str, Any]], *, project: str = "demo") -> None:
    for i in range(0, len(payloads), 5_000):
        store.write(payloads[i:i + 5_000], project=project)


def assignment(user: str, variant: str, *, key: str = "exp", ts: int | None = None) -> dict[str, Any]:
    return {"type": "event", "name": "experiment_assignment", "userId": user, "timestamp": ts or now_ms() - MINUTE,
            "properties": {"experimentId": key, "variant": variant, "userId": user}}


def goal(user: str, variant: str, *, key: str = "exp", ts: int | None = None) -> dict[str, Any]:
    return {"type": "event", "name": "experiment_goal", "userId": user, "timestamp": ts or now_ms() - MINUTE // 2,
            "properties": {"experimentId": key, "variant": variant, "goal": "signup", "value": 1, "userId": user}}


def definition(key: str = "exp", weights: tuple[float, float] = (50, 50)) -> dict[str, Any]:
    return {"type": "experiment", "id": key, "name": "Sign-up copy",
            "variants": [{"name": "control", "weight": weights[0]}, {"name": "bold", "weight": weights[1]}],
            "goals": ["signup"]}


def open_experiments(qtbot, open_window, path, *, shown: bool = False):
    window = open_window(path)
    if shown:
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        window.show()
    window.show_panel("experiments")
    panel = window.experiments
    qtbot.waitUntil(lambda: panel.is_ready, timeout=10_000)
    return window, panel


def cells(model) -> dict[str, list[str]]:
    return {
        model.index(r, 0).data(): [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    }


def header(model) -> list[str]:
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def refreshed(qtbot, panel) -> None:
    """Ask again now (the panel's own timer asks every few seconds) and wait for the answer."""
    with qtbot.waitSignal(panel.resultsShown, timeout=10_000):
        panel._submit()


def test_the_demo_experiment_shows_orange_ahead_once_enough_data_has_arrived(qtbot, store, open_window):
    payloads = demo_payloads()
    cut = next(i for i, p in enumerate(payloads) if p.get("name") == "experiment_goal") + 2_000
    write_in_chunks(store, payloads[:cut])
    _window, panel = open_experiments(qtbot, open_window, store.path)
    assert panel.chosen == f"demo/{EXPERIMENT_ID}"
    assert cells(panel.experiments)["Checkout button colour"][2] == "defined"
    assert "not enough data yet" in panel.verdict.text()
    view = panel.goal_views["purchase"]
    assert view.result is not None and view.result.conversions < view.result.needed

    write_in_chunks(store, payloads[cut:])
    refreshed(qtbot, panel)
    result = view.result
    assert result.conversions >= result.needed, result.verdict
    assert "not enough data" not in panel.verdict.text()
    # The true lift is positive (12% against 10%): orange's row says so, in every figure.
    orange = cells(view.model)["orange"]
    columns = header(view.model)
    assert orange[columns.index("Rel. lift (95% CI)")].startswith("+")
    assert float(orange[columns.index("Chance to\nbeat control")].rstrip("%")) > 50
    assert result.lifts["orange"].relative > 0
    control = cells(view.model)["control"]
    assert control[columns.index("Rel. lift (95% CI)")] == "control"
    # Exposures: both arms, the totals adding up to the experiment's users.
    exposures = cells(panel.exposures)
    assert set(exposures) == {"control", "orange"}
    users = sum(int(row[1].replace(",", "")) for row in exposures.values())
    assert users == panel.answer.results.summary.users
    assert panel.srm_banner.isHidden() and "no mismatch" in panel.srm_line.text()
    # With a verdict to read comes the warning against reading it again and again.
    assert not panel.peeking.isHidden() and panel.peeking.text() == panel.answer.results.peeking_warning != ""
    # Over time: new users per variant, and the cumulative lift ending above zero.
    assert set(panel.exposure_chart.chart.curves) == {"control", "orange"}
    assert sum(panel.exposure_chart.chart.values["orange"]) > 0
    points = view.chart.points
    assert points and points[-1][1] > 0 and points[-1][2] <= points[-1][1] <= points[-1][3]
    # Guardrails per variant from the errors and page loads the same users produced.
    assert set(cells(panel.guardrails)) == {"control", "orange"}


def test_a_skewed_split_raises_the_srm_banner(qtbot, store, open_window):
    store.write([definition()])
    store.write([assignment(f"c-{i}", "control") for i in range(100)] + [assignment(f"b-{i}", "bold") for i in range(40)])
    _window, panel = open_experiments(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: panel.answer is not None and panel.answer.results is not None)
    assert not panel.srm_banner.isHidden()
    assert "Sample ratio mismatch" in panel.srm_banner.text()
    assert panel.answer.results.srm.warn
    # The mismatch is said first, whatever the numbers would suggest.
    assert "#a50e0e" in panel.verdict.styleSheet()


def test_users_seen_in_two_variants_are_counted_once_and_shown(qtbot, store, open_window):
    store.write([definition()])
    at = now_ms() - 10 * MINUTE
    store.write(
        [assignment(f"u-{i}", "control" if i % 2 else "bold", ts=at + i) for i in range(20)]
        + [assignment("u-1", "bold", ts=at + 100), assignment("u-3", "bold", ts=at + 101)]
    )
    _window, panel = open_experiments(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: panel.answer is not None and panel.answer.results is not None)
    assert panel.two_variants.text().startswith("2 users seen in two variants")
    exposures = cells(panel.exposures)
    assert exposures["control"][1] == "10" and exposures["bold"][1] == "10"  # kept in their first


def test_the_sequential_toggle_swaps_in_the_always_valid_interval(qtbot, store, open_window):
    store.write([definition()])
    at = now_ms() - 20 * MINUTE
    users = [(f"u-{i}", "control" if i % 2 else "bold") for i in range(400)]
    store.write([assignment(u, v, ts=at + i * 1000) for i, (u, v) in enumerate(users)])
    store.write([goal(u, v, ts=at + 600_000 + i) for i, (u, v) in enumerate(users) if i % (5 if v == "bold" else 7) == 0])
    _window, panel = open_experiments(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: "signup" in panel.goal_views)
    view = panel.goal_views["signup"]
    assert "Rel. lift (95% CI)" in header(view.model)
    assert not any(line.isVisible() for line in view.chart.sequential_lines)
    assert panel.peeking.isHidden() and panel.answer.results.peeking_warning is None  # no verdict: no warning
    panel.sequential.setChecked(True)
    assert "Rel. lift (always-valid)" in header(view.model)
    low, high = view.result.sequential["bold"]
    bold = cells(view.model)["bold"][header(view.model).index("Rel. lift (always-valid)")]
    assert f"({low * 100:+.1f} … {high * 100:+.1f}%)".replace("-", "−") in bold
    assert [line.value() for line in view.chart.sequential_lines] == pytest.approx([low * 100, high * 100])
    assert all(line.isVisible() for line in view.chart.sequential_lines)
    panel.sequential.setChecked(False)
    assert "Rel. lift (95% CI)" in header(view.model)


def test_an_experiment_known_only_from_events_is_listed_as_discovered(qtbot, store, open_window):
    store.write([assignment(f"u-{i}", "a" if i % 2 else "b", key="flag-x") for i in range(12)])
    _window, panel = open_experiments(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: panel.experiments.rowCount() == 1)
    row = cells(panel.experiments)["flag-x"]
    assert row[1:] == ["12", "discovered"]


def test_an_empty_store_says_where_experiments_come_from(qtbot, store, open_window):
    _window, panel = open_experiments(qtbot, open_window, store.path)
    assert panel.status.text() == "no experiments yet"
    assert "experiment_assignment" in panel.empty.text()
    assert panel.experiments.rowCount() == 0


@SHOWN  # the dialog is shown
def test_a_definition_made_in_the_window_is_stored_and_listed(qtbot, store, open_window):
    store.write([assignment("u-1", "control", key="other")], project="shop")
    store.close()  # the window is the store's only writer now
    _window, panel = open_experiments(qtbot, open_window, store.path)
    dialog = panel.open_definition(None)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled() and "key" in dialog.problem.text()
    dialog.key.setText("banner-copy")
    dialog.name.setText("Banner copy")
    dialog.project.setCurrentText("shop")
    dialog.goals.setText("signup, purchase")
    dialog.variants.item(1, 0).setText("control")
    assert not save.isEnabled() and dialog.problem.text() == "variant names must differ"
    dialog.variants.item(1, 0).setText("short")
    dialog.variants.item(1, 1).setText("25")
    assert save.isEnabled()
    assert dialog.definition() == ExperimentDefinition(
        project="shop", key="banner-copy", name="Banner copy",
        variants=(("control", 50.0), ("short", 25.0)), goals=("signup", "purchase"),
    )
    dialog.variants.item(1, 1).setText("lots")
    assert not save.isEnabled() and dialog.problem.text() == "weights must be numbers"
    dialog.variants.item(1, 1).setText("25")
    with qtbot.waitSignal(panel.resultsShown, timeout=10_000, check_params_cb=lambda: True):
        save.click()
    qtbot.waitUntil(lambda: panel.experiments.row_of("shop/banner-copy") is not None, timeout=10_000)
    qtbot.waitUntil(lambda: panel.chosen == "shop/banner-copy")
    summary = panel.chosen_summary()
    assert summary.source == "definition" and summary.variants == ("control", "short")
    assert summary.goals == ("signup", "purchase")
    assert panel.status.text().startswith(("saved banner-copy", "2 experiments"))


@SHOWN  # the dialog is shown
def test_editing_keeps_the_key_and_fills_in_the_definition(qtbot, store, open_window):
    store.write([definition()])
    _window, panel = open_experiments(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: panel.chosen_summary() is not None)
    panel.edit_button.click()
    dialog = panel.dialog
    assert dialog.key.text() == "exp" and dialog.key.isReadOnly()
    assert dialog.chosen_variants() == [("control", 50.0), ("bold", 50.0)]
    assert dialog.goals.text() == "signup"
    dialog.reject()


def test_the_models_pass_qtmodeltester(qtmodeltester, qtbot, store, open_window):
    store.write([definition()])
    at = now_ms() - 20 * MINUTE
    store.write([assignment(f"u-{i}", "control" if i % 2 else "bold", ts=at + i) for i in range(60)])
    store.write([goal(f"u-{i}", "control" if i % 2 else "bold", ts=at + 10_000 + i) for i in range(0, 60, 4)])
    _window, panel = open_experiments(qtbot, open_window, store.path)
    qtbot.waitUntil(lambda: "signup" in panel.goal_views)
    results = panel.answer.results
    for model, rows in (
        (ExperimentListModel(), panel.answer.experiments),
        (ExposureModel(), results.variants),
        (GuardrailModel(), results.guardrails),
    ):
        model.set_rows(rows)
        qtmodeltester.check(model, force_py=True)
    goals = GoalTableModel()
    goals.show(goal_rows(results.goals[0], results.control), sequential=True, with_values=True)
    qtmodeltester.check(goals, force_py=True)


@SHOWN
def test_the_screenshot_renders_the_panel(qapp, store, tmp_path):
    from PySide6.QtGui import QImage

    from console.gui.screenshot import render_screenshot

    store.write([definition()])
    store.write([assignment(f"u-{i}", "control" if i % 2 else "bold") for i in range(30)])
    out = tmp_path / "experiments.png"
    render_screenshot(db_path=store.path, panel="experiments", out=out, size=(1400, 900))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)
    assert len({image.pixel(x, y) for x in range(0, 1400, 9) for y in range(0, 900, 9)}) > 20


def defined(db) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT project, experiment, variants FROM experiments ORDER BY experiment").fetchall()
    finally:
        conn.close()


def test_beside_a_collector_a_definition_is_posted_to_it(qtbot, tmp_path):
    launcher = CollectorLauncher(tmp_path)
    try:
        collector = launcher.start()
        writer = OwnWriter(collector.db)
        client = DefinitionClient(db_path=collector.db, collector_url=collector.url, own_writer=writer)
        try:
            with qtbot.waitSignal(client.done, timeout=10_000) as done:
                client.request(ExperimentDefinition(
                project="shop", key="posted", variants=(("control", 50.0), ("bold", 50.0)), goals=("signup",)))
            assert done.args == ["posted"]
            assert not writer.running  # the collector wrote it, not the window
        finally:
            client.stop()
            writer.stop()
        (project, key, variants), = defined(collector.db)
        assert (project, key) == ("shop", "posted")
        assert [v["name"] for v in orjson.loads(variants)] == ["control", "bold"]
    finally:
        launcher.close()


def test_a_collector_that_is_gone_is_said_plainly(qtbot, tmp_path):
    writer = OwnWriter(tmp_path / "s.db")
    client = DefinitionClient(db_path=tmp_path / "s.db", collector_url=f"http://127.0.0.1:{free_port()}", own_writer=writer)
    try:
        with qtbot.waitSignal(client.failed, timeout=10_000) as failed:
            client.request(ExperimentDefinition(project="shop", key="exp", variants=(("a", 1.0), ("b", 1.0))))
        assert failed.args == ["exp", "the collector is not answering; is it still running?"]
    finally:
        client.stop()
        writer.stop()
