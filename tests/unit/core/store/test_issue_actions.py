"""Grouping through the writer, and what a user does to issues: resolve, ignore, merge, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from console.core.ingest.sentry import decode_envelope
from console.core.store.issue_actions import MAX_ACTION_ISSUES, IssueAction
from console.core.store.issue_queries import IssueQuery, list_issues
from console.core.store.retention import RetentionPolicy
from console.core.store.schema import connect
from console.core.store.writer import StoreWriter
from tests.unit.core.store.conftest import events_of
from tests.unit.core.store.issue_support import HOUR, NOW, act, count, issue_table, js_error
from tests.unit.core.store.test_retention import DAY, run

SENTRY = Path(__file__).parents[3] / "fixtures" / "payloads" / "sentry"


# --- grouping through the writer -----------------------------------------------------------


def test_stacks_that_differ_only_in_lines_are_one_issue_other_functions_two(
    writer: StoreWriter, store_path: Path
) -> None:
    writer.write(events_of([
        js_error(line=88, user="u-1"),
        js_error("TypeError: Cannot read 'price' of order 9917", line=90, user="u-2"),  # a new build
        js_error(line=88, user="u-1"),
        js_error(function="renderList", user="u-3"),
    ]))
    issues = issue_table(store_path)
    assert [(i["culprit"], i["event_count"], i["user_count"]) for i in issues] == [
        ("sumCart (pages/cart/cart.js:88)", 3, 2),
        ("renderList (pages/cart/cart.js:88)", 1, 1),
    ]
    assert count(store_path, "SELECT count(DISTINCT issue_id) FROM errors") == 2


def test_a_resolved_issue_regresses_on_a_new_event(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([js_error()]))
    (issue,) = issue_table(store_path)
    assert act(writer, IssueAction("resolve", (issue["id"],))) == 1
    assert issue_table(store_path)[0]["status"] == "resolved"
    writer.write(events_of([js_error()]))
    assert issue_table(store_path)[0]["status"] == "regressed"
    assert act(writer, IssueAction("reopen", (issue["id"],))) == 1
    assert issue_table(store_path)[0]["status"] == "unresolved"


def test_ignored_until_n_more_events(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([js_error(), js_error()]))
    (issue,) = issue_table(store_path)
    assert act(writer, IssueAction("ignore", (issue["id"],), ignore_for_events=3)) == 1
    assert (issue_table(store_path)[0]["status"], issue_table(store_path)[0]["ignore_until_count"]) == ("ignored", 5)
    writer.write(events_of([js_error(), js_error()]))
    assert issue_table(store_path)[0]["status"] == "ignored"  # 2 of 3 more
    writer.write(events_of([js_error()]))
    after = issue_table(store_path)[0]
    assert (after["status"], after["event_count"], after["ignore_until_count"]) == ("unresolved", 5, None)


def test_ignored_until_a_time(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([js_error(ts=NOW - HOUR)]))
    (issue,) = issue_table(store_path)
    act(writer, IssueAction("ignore", (issue["id"],), ignore_until_ms=NOW))
    writer.write(events_of([js_error(ts=NOW - 1)]))
    assert issue_table(store_path)[0]["status"] == "ignored"
    writer.write(events_of([js_error(ts=NOW)]))
    assert (issue_table(store_path)[0]["status"], issue_table(store_path)[0]["ignore_until_ms"]) == ("unresolved", None)


def test_ignored_for_good_stays_ignored(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([js_error()]))
    act(writer, IssueAction("ignore", (issue_table(store_path)[0]["id"],)))
    writer.write(events_of([js_error() for _ in range(20)]))
    assert issue_table(store_path)[0]["status"] == "ignored"


# --- merge ---------------------------------------------------------------------------------


def test_merged_issues_join_the_target_and_their_next_events_too(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([
        js_error(function="sumCart", user="u-1", ts=NOW - 3 * HOUR, context={"appVersion": "2.3.0"}),
        js_error(function="sumCart", user="u-2", ts=NOW - 2 * HOUR, context={"appVersion": "2.3.0"}),
        js_error(function="payCart", user="u-2", ts=NOW - 5 * HOUR, severity="critical",
                 context={"appVersion": "2.3.1"}),
        js_error(function="openCart", user="u-3", ts=NOW - HOUR),
    ]))
    target, merged, other = (i["id"] for i in issue_table(store_path))
    assert act(writer, IssueAction("merge", (merged, 999_999), into=target)) == 1  # a gone id is skipped
    (into, kept) = issue_table(store_path)
    assert kept["id"] == other
    assert (into["id"], into["event_count"], into["user_count"], into["level"]) == (target, 3, 2, "fatal")
    assert (into["first_seen"], into["last_seen"]) == (NOW - 5 * HOUR, NOW - 2 * HOUR)
    assert count(store_path, "SELECT count(*) FROM errors WHERE issue_id = ?", target) == 3
    assert count(store_path, "SELECT count(*) FROM issue_users WHERE issue_id = ?", merged) == 0
    conn = connect(store_path, readonly=True)
    (row,) = [r for r in list_issues(conn, IssueQuery(), now_ms=NOW) if r.id == target]
    assert row.releases == ("2.3.0", "2.3.1")
    conn.close()

    # The merged fingerprint's next error lands in the target, not in a new issue.
    writer.write(events_of([js_error(function="payCart", user="u-4", ts=NOW)]))
    assert [i["id"] for i in issue_table(store_path)] == [target, other]
    assert issue_table(store_path)[0]["event_count"] == 4 and issue_table(store_path)[0]["user_count"] == 3

    # Merged again: the alias follows, so payCart's errors go where sumCart's go.
    act(writer, IssueAction("merge", (target,), into=other))
    writer.write(events_of([js_error(function="payCart", ts=NOW), js_error(function="sumCart", ts=NOW)]))
    (only,) = issue_table(store_path)
    assert (only["id"], only["event_count"]) == (other, 7)


def test_a_merge_leaves_other_projects_and_a_gone_target_alone(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([js_error(function="a")], project="shop"))
    writer.write(events_of([js_error(function="b")], project="admin"))
    shop, admin = (i["id"] for i in issue_table(store_path))
    assert act(writer, IssueAction("merge", (admin,), into=shop)) == 0
    assert act(writer, IssueAction("merge", (admin,), into=424242)) == 0
    assert len(issue_table(store_path)) == 2


# --- delete --------------------------------------------------------------------------------


def test_delete_removes_the_issue_everywhere(writer: StoreWriter, store_path: Path) -> None:
    batch = decode_envelope((SENTRY / "python-error-1.envelope").read_bytes(), project="1", now_ms=NOW)
    writer.write(batch.events)
    writer.write(events_of([js_error(function="a"), js_error(function="b")], project="1"))
    sentry_issue, merged, kept = (i["id"] for i in issue_table(store_path))
    act(writer, IssueAction("merge", (merged,), into=sentry_issue))
    assert count(store_path, "SELECT count(*) FROM raw_payloads") >= 1
    assert act(writer, IssueAction("delete", (sentry_issue,))) == 1
    for sql in (
        "SELECT count(*) FROM errors WHERE issue_id != ?",
        "SELECT count(*) FROM issues WHERE id != ?",
    ):
        assert count(store_path, sql, kept) == 0, sql
    for table in ("raw_payloads", "attachments", "issue_aliases"):
        assert count(store_path, f"SELECT count(*) FROM {table}") == 0, table
    assert count(store_path, "SELECT count(*) FROM issue_users WHERE issue_id != ?", kept) == 0
    assert count(store_path, "SELECT count(*) FROM issue_releases WHERE issue_id != ?", kept) == 0
    assert count(store_path, "SELECT count(*) FROM events WHERE kind = 'error'") == 1
    assert count(store_path, "SELECT count(*) FROM errors_fts WHERE errors_fts MATCH 'TypeError'") == 1
    conn = connect(store_path, readonly=True)
    assert [r.id for r in list_issues(conn, IssueQuery(text="b"), now_ms=NOW)] == [kept]
    assert list_issues(conn, IssueQuery(text="a"), now_ms=NOW) == []  # merged in, deleted with it
    conn.close()
    # A deleted issue's fingerprint starts afresh.
    writer.write(events_of([js_error(function="a")], project="1"))
    assert len(issue_table(store_path)) == 2


def test_a_deleted_issues_errors_leave_their_sessions(writer: StoreWriter, store_path: Path) -> None:
    # s-1: a click and an error of the issue deleted; s-2: nothing but such an error; s-3 keeps its own.
    click = {"type": "interaction", "action": "click", "timestamp": NOW - 50_000, "sessionId": "s-1"}
    writer.write(events_of([click, js_error(session="s-1"), js_error(session="s-2", ts=NOW - 40_000),
                            js_error(function="other", session="s-3")]))
    doomed = next(i["id"] for i in issue_table(store_path) if i["culprit"].startswith("sumCart"))
    assert act(writer, IssueAction("delete", (doomed,))) == 1
    rows = "SELECT session_id, events, errors, started FROM sessions ORDER BY session_id"
    with connect(store_path, readonly=True) as conn:
        assert [row[:3] for row in conn.execute(rows)] == [("s-1", 1, 0), ("s-3", 1, 1)]
    # s-2 comes back with what arrives next, started then; not from what the writer knew of it.
    writer.write(events_of([{**click, "sessionId": "s-2", "timestamp": NOW - 30_000}]))
    writer.write(events_of([{**click, "sessionId": "s-2", "timestamp": NOW - 35_000}]))
    with connect(store_path, readonly=True) as conn:
        assert conn.execute(rows + " LIMIT 1 OFFSET 1").fetchall() == [("s-2", 2, 0, NOW - 35_000)]


# --- actions as data -----------------------------------------------------------------------


def test_actions_travel_as_json() -> None:
    for action in (
        IssueAction("resolve", (1, 2)),
        IssueAction("ignore", (3,), ignore_for_events=10, ignore_until_ms=NOW),
        IssueAction("ignore", (3,)),
        IssueAction("merge", (4, 5), into=6),
        IssueAction("delete", (7,)),
    ):
        assert IssueAction.from_json(action.to_json()) == action
    assert IssueAction("merge", (4,), into=6).to_json() == {"kind": "merge", "issue_ids": [4], "into": 6}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("resolve", "JSON object"),
        ({"kind": "explode", "issue_ids": [1]}, "'kind' must be one of"),
        ({"kind": "resolve"}, "'issue_ids'"),
        ({"kind": "resolve", "issue_ids": []}, "non-empty"),
        ({"kind": "resolve", "issue_ids": [0]}, "positive"),
        ({"kind": "resolve", "issue_ids": [True]}, "integer"),
        ({"kind": "resolve", "issue_ids": ["1"]}, "integer"),
        ({"kind": "resolve", "issue_ids": [2**63]}, "positive integer up to"),
        ({"kind": "resolve", "issue_ids": list(range(1, MAX_ACTION_ISSUES + 2))}, "at most"),
        ({"kind": "resolve", "issue_ids": [1], "extra": 1}, "unknown field"),
        ({"kind": "merge", "issue_ids": [1]}, "needs 'into'"),
        ({"kind": "merge", "issue_ids": [1, 2], "into": 2}, "must not be one of"),
        ({"kind": "resolve", "issue_ids": [1], "into": 2}, "'into' is for 'merge'"),
        ({"kind": "ignore", "issue_ids": [1], "ignore_for_events": 0}, "positive"),
        ({"kind": "ignore", "issue_ids": [1], "ignore_until_ms": -5}, "positive"),
        ({"kind": "ignore", "issue_ids": [1], "ignore_for_events": 1.5}, "integer"),
        ({"kind": "delete", "issue_ids": [1], "ignore_for_events": 3}, "are for 'ignore'"),
    ],
)
def test_anything_but_an_action_is_refused_with_a_reason(data: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        IssueAction.from_json(data)


# --- the writer runs them ------------------------------------------------------------------


def test_a_failing_job_is_rolled_back_and_the_writer_goes_on(writer: StoreWriter, store_path: Path) -> None:
    writer.write(events_of([js_error()]))

    def half_done(conn: Any) -> None:
        conn.execute("UPDATE issues SET status = 'resolved'")
        raise RuntimeError("a bug in the job")

    with pytest.raises(RuntimeError, match="a bug"):
        writer.run_sync(half_done)
    assert issue_table(store_path)[0]["status"] == "unresolved"
    writer.write(events_of([js_error()]))
    assert issue_table(store_path)[0]["event_count"] == 2
    with pytest.raises(ValueError, match="needs 'into'"):  # an invalid action is refused, not half applied
        act(writer, IssueAction("merge", (1,)))


def test_jobs_run_in_order_with_the_commits(writer: StoreWriter, store_path: Path) -> None:
    seen: list[int] = []
    finished: list[BaseException | None] = []
    for _ in range(3):
        writer.submit(events_of([js_error()]), lambda error: None)
        writer.run(
            lambda conn: int(conn.execute("SELECT event_count FROM issues").fetchone()[0]),
            lambda result, error: (seen.append(result or 0), finished.append(error)),
        )
    writer.run_sync(lambda conn: None)
    assert seen == [1, 2, 3] and finished == [None, None, None]


def test_a_stopped_writer_refuses_jobs(store_path: Path) -> None:
    from console.core.errors import StoreUnavailable

    stopped = StoreWriter(path=store_path)
    with pytest.raises(StoreUnavailable):
        stopped.run(lambda conn: None, lambda result, error: None)
    stopped.stop()


# --- retention -----------------------------------------------------------------------------


def test_retention_drops_searchable_errors_and_the_aliases_of_gone_issues(store_path: Path) -> None:
    now = 100 * DAY
    writer = StoreWriter(path=store_path, retention=RetentionPolicy(check_interval_s=1e9))
    writer.start()
    writer.write(events_of([js_error("TypeError: stale checkout", function="a", ts=now - 20 * DAY),
                            js_error("TypeError: stale checkout", function="b", ts=now - 20 * DAY)]),
                 received=now - 20 * DAY)
    writer.write(events_of([js_error("TypeError: fresh checkout", function="c", ts=now)]), received=now)
    old_a, old_b, fresh = (i["id"] for i in issue_table(store_path))
    act(writer, IssueAction("merge", (old_b,), into=old_a))
    writer.stop()
    assert count(store_path, "SELECT count(*) FROM issue_aliases") == 1
    run(store_path, RetentionPolicy(max_age_days=14), now)
    assert count(store_path, "SELECT count(*) FROM errors_fts WHERE errors_fts MATCH 'checkout'") == 1
    assert count(store_path, "SELECT count(*) FROM errors_fts WHERE errors_fts MATCH 'stale'") == 0
    for table in ("issue_aliases", "issue_releases", "issue_users"):
        assert count(store_path, f"SELECT count(*) FROM {table} WHERE issue_id != ?", fresh) == 0, table
    assert [i["id"] for i in issue_table(store_path)] == [fresh]
