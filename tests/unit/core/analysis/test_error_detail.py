"""One error as the detail view reads it, from native, Sentry and OTLP senders alike."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson

from console.core.analysis.error_detail import MAX_FRAMES, ErrorDetail, read_error
from console.core.events import Event, Kind
from console.core.ingest.native import decode_native
from console.core.ingest.otlp import decode_otlp
from console.core.ingest.sentry import decode_envelope

NOW = 1_800_000_000_000
PAYLOADS = Path(__file__).parents[3] / "fixtures" / "payloads"


def row_of(event: Event, event_id: int = 1, issue_id: int = 1) -> dict[str, Any]:
    """The ``errors`` row the writer would store for a decoded error, ``data`` decoded."""
    assert event.kind is Kind.ERROR
    return {
        "event_id": event_id, "ts": event.timestamp, "project": event.project,
        "session_id": event.session_id, "user_id": event.user_id, "issue_id": issue_id,
        **event.columns, "data": orjson.loads(orjson.dumps(event.data)),
    }


def native_error(payload: dict[str, Any]) -> ErrorDetail:
    batch = decode_native(orjson.dumps([payload]), project="shop", now_ms=NOW)
    assert not batch.rejected, batch.rejected
    (event,) = batch.events
    return read_error(row_of(event))


def sentry_errors(name: str) -> list[ErrorDetail]:
    batch = decode_envelope((PAYLOADS / "sentry" / name).read_bytes(), project="1", now_ms=NOW)
    return [read_error(row_of(e)) for e in batch.events if e.kind is Kind.ERROR]


def otlp_errors(signal: str, name: str) -> list[ErrorDetail]:
    kind = "application/json" if name.endswith(".json") else "application/x-protobuf"
    batch = decode_otlp(signal, (PAYLOADS / "otlp" / name).read_bytes(), content_type=kind, project=None, now_ms=NOW)  # type: ignore[arg-type]
    return [read_error(row_of(e)) for e in batch.events if e.kind is Kind.ERROR]


def test_a_native_error_reads_its_stack_breadcrumbs_and_app_context(native_examples: list[dict[str, Any]]) -> None:
    example = next(e for e in native_examples if e["type"] == "javascript_error")
    detail = native_error(example)
    assert detail.sender == "native"
    assert (detail.error_id, detail.level, detail.session_id, detail.user_id) == ("err-3b7c", "error", "s-7f3a9c", "u-1042")
    assert detail.title == "TypeError: Cannot read properties of undefined (reading 'price')"
    (exc,) = detail.exceptions
    assert (exc.type, exc.value) == ("TypeError", "Cannot read properties of undefined (reading 'price')")
    assert [(f.function, f.location, f.line, f.column, f.in_app) for f in exc.frames] == [
        ("sumCart", "pages/cart/cart.js", 88, 27, True),
        ("Object.onCheckout", "pages/cart/cart.js", 141, 9, True),
        ("Function.tap", "WAService.js", 2, 1093, False),  # the mini-program runtime
    ]
    assert detail.contexts == {"app": {"route": "pages/cart/cart", "appVersion": "2.3.1", "environment": "staging"}}
    assert [(c.offset_ms, c.type, c.category, c.level) for c in detail.breadcrumbs] == [
        (-12_100, "navigation", "route", "info"),
        (-9_100, "http", "request", "info"),
        (-4_300, "user", "ui.tap", "info"),
        (-3_900, "default", "console", "warning"),
    ]
    assert detail.breadcrumbs[1].data == {"url": "https://api.example.com/cart", "method": "GET", "status": 200}
    assert detail.breadcrumbs[2].message == "button#checkout"
    assert detail.user == {"id": "u-1042"} and detail.tags == () and detail.raw_bytes is None
    assert detail.raw["id"] == "err-3b7c"


def test_a_native_error_without_a_stack_points_at_its_file_and_line() -> None:
    detail = native_error({
        "type": "javascript_error", "message": "Script error.", "filename": "pages/pay/pay.js",
        "lineno": 12, "colno": 4, "timestamp": NOW,
    })
    (frame,) = detail.exceptions[0].frames
    assert (frame.location, frame.line, frame.column, frame.in_app) == ("pages/pay/pay.js", 12, 4, True)


def test_a_network_error_shows_its_request(native_examples: list[dict[str, Any]]) -> None:
    detail = native_error(next(e for e in native_examples if e["type"] == "network_error"))
    assert detail.request == {
        "url": "https://api.example.com/orders", "method": "POST", "error": "request:fail timeout", "duration": 15000.0,
    }
    assert detail.exceptions[0].frames == ()


def test_breadcrumbs_come_oldest_first_whatever_their_clock() -> None:
    detail = native_error({
        "type": "javascript_error", "message": "Error: late", "timestamp": NOW,
        "breadcrumbs": [
            {"category": "b", "timestamp": NOW - 1_000},
            {"category": "a", "timestamp": "2027-01-15T07:59:55.000Z"},  # RFC 3339: NOW - 5 s
            {"category": "c", "timestamp": (NOW + 250) / 1000},  # seconds, after the error
            {"category": "d", "message": {"not": "text"}},
        ],
    })
    # One without a time: kept in the order sent.
    assert [(c.category, c.offset_ms) for c in detail.breadcrumbs] == [("b", -1000), ("a", -5000), ("c", 250), ("d", None)]
    assert detail.breadcrumbs[3].message == '{"not":"text"}'
    timed = native_error({
        "type": "javascript_error", "message": "Error: late", "timestamp": NOW,
        "breadcrumbs": [{"category": "b", "timestamp": NOW - 1_000}, {"category": "a", "timestamp": "2027-01-15T07:59:55Z"}],
    })
    assert [c.category for c in timed.breadcrumbs] == ["a", "b"]


def test_a_sentry_chain_reads_outermost_first_with_source_lines() -> None:
    (detail,) = sentry_errors("python-chained.envelope")
    assert detail.sender == "sentry"
    assert [(e.type, e.value) for e in detail.exceptions] == [
        ("PaymentDeclined", "card declined for order order-8812"),
        ("KeyError", "'order-8812'"),
    ]
    outer, cause = detail.exceptions
    assert [f.function for f in outer.frames] == ["charge", "<lambda>", "capture"]  # innermost first
    assert [f.function for f in cause.frames] == ["gateway_lookup", "charge"]
    top = outer.frames[0]
    assert (top.location, top.line, top.module, top.in_app) == ("record.py", 109, "__main__", True)
    assert top.context_line is not None and "raise PaymentDeclined" in top.context_line
    assert len(top.pre_context) == 5 and top.post_context
    assert (outer.handled, outer.mechanism) == (True, "generic")
    assert (detail.release, detail.environment) == ("shop@2.3.1", "staging")
    assert detail.contexts["runtime"]["name"] == "CPython" and "trace" in detail.contexts
    assert detail.trace_id == "8c65fbc3b2aa44978b4181d8d810e511"


def test_a_sentry_error_reads_rfc3339_breadcrumbs_tags_and_user() -> None:
    (detail,) = sentry_errors("python-error-1.envelope")
    assert [(c.category, c.message) for c in detail.breadcrumbs] == [
        ("navigation", "/cart"), ("ui.click", "button#checkout"), ("http", ""),
    ]
    assert all(c.offset_ms is not None and -1_000 < c.offset_ms <= 0 for c in detail.breadcrumbs)
    assert detail.tags == (("session_id", "s-7f3a9c"),)
    assert detail.user == {"id": "u-1042", "email": "ada@example.com"}


def test_the_javascript_envelope_reads_frames_breadcrumbs_and_request() -> None:
    (detail,) = sentry_errors("js-error.hand-written.envelope")
    (exc,) = detail.exceptions
    assert [(f.function, f.in_app, f.column) for f in exc.frames] == [
        ("sumCart", True, 51873), ("HTMLButtonElement.onClick", True, 48211), ("r", False, 10517),
    ]
    assert exc.frames[0].location == "https://shop.example.com/static/js/main.8f3a.js"
    assert (exc.handled, exc.mechanism) == (False, "onerror")
    # Float seconds against the event's 1764288003.512.
    assert [(c.category, c.offset_ms) for c in detail.breadcrumbs] == [
        ("navigation", -3408), ("fetch", -1642), ("ui.click", -312), ("console", -22),
    ]
    assert detail.breadcrumbs[1].type == "http" and detail.breadcrumbs[3].level == "warning"
    assert detail.tags == (("sessionId", "s-web-51c2"),)
    assert detail.request["url"] == "https://shop.example.com/products/88"
    assert detail.user == {"id": "u-2077", "ip_address": "{{auto}}"}
    assert (detail.session_id, detail.route) == ("s-web-51c2", "/products/:id")


def test_an_otlp_python_exception_reads_its_traceback() -> None:
    (detail,) = otlp_errors("traces", "traces.pb")
    assert detail.sender == "otlp"
    (exc,) = detail.exceptions
    assert (exc.type, exc.value) == ("ValueError", "card declined for order o-8812")
    assert [(f.function, f.line) for f in exc.frames] == [("charge", 141), ("pay", 145), ("record_traces", 181)]
    assert exc.frames[0].context_line == 'raise ValueError(f"card declined for order {order}")'
    assert detail.contexts["span"]["name"] == "charge-card"
    assert detail.contexts["span"]["order.id"] == "o-8812"
    assert detail.contexts["scope"] == {"name": "shop.checkout", "version": "1.4.0"}
    assert detail.breadcrumbs == ()


def test_an_otlp_browser_exception_reads_its_javascript_stack() -> None:
    (detail,) = otlp_errors("logs", "browser-logs.hand-written.json")
    (exc,) = detail.exceptions
    assert exc.type == "TypeError"
    assert [f.function for f in exc.frames] == ["sumCart", "HTMLButtonElement.onCheckout", ""]
    assert detail.contexts["attributes"]["session.id"] == "s-7f3a9c"
    assert detail.contexts["log"] == {"event_name": "exception", "severity_text": "ERROR"}


def test_a_chained_python_traceback_from_otlp_is_two_exceptions() -> None:
    stack = (
        "Traceback (most recent call last):\n"
        '  File "/app/pay.py", line 10, in lookup\n'
        "    return tokens[order]\n"
        "           ~~~~~~^^^^^^^\n"
        "KeyError: 'o-1'\n"
        "\n"
        "The above exception was the direct cause of the following exception:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "/app/main.py", line 3, in <module>\n'
        "    charge()\n"
        '  File "/app/pay.py", line 14, in charge\n'
        "    raise Declined('card declined') from exc\n"
        "pay.Declined: card declined\n"
    )
    row = {
        "event_id": 1, "ts": NOW, "project": "p", "issue_id": 1, "error_type": "pay.Declined",
        "message": "card declined", "level": "error",
        "data": {"_format": "otlp", "attributes": {"exception.type": "pay.Declined",
                                                   "exception.message": "card declined",
                                                   "exception.stacktrace": stack}},
    }
    outer, cause = read_error(row).exceptions
    assert (outer.type, outer.value, [f.function for f in outer.frames]) == ("pay.Declined", "card declined", ["charge", "<module>"])
    assert (cause.type, cause.value, [f.function for f in cause.frames]) == ("KeyError", "'o-1'", ["lookup"])
    assert cause.frames[0].context_line == "return tokens[order]"  # the caret line is not source


def test_a_5000_frame_stack_keeps_the_innermost_1000_and_opens_fast() -> None:
    stack = "RangeError: Maximum call stack size exceeded\n" + "\n".join(
        f"    at recurse{n} (pages/tree/tree.js:{n + 1}:7)" for n in range(5000)
    )
    # Straight as a row: the native decoder keeps 8 KB of a stack, a store may hold more.
    native = {"event_id": 1, "ts": NOW, "project": "p", "issue_id": 1, "error_type": "RangeError",
              "message": "RangeError: Maximum call stack size exceeded", "level": "error", "data": {"stack": stack}}
    started = time.perf_counter()
    (exc,) = read_error(native).exceptions
    native_s = time.perf_counter() - started
    assert len(exc.frames) == MAX_FRAMES and exc.frames_dropped == 4000
    assert exc.frames[0].function == "recurse0"  # the innermost
    frames = [{"function": f"f{n}", "filename": "app.py", "lineno": n, "in_app": True} for n in range(5000)]
    row = {"event_id": 1, "ts": NOW, "project": "p", "issue_id": 1, "error_type": "RecursionError",
           "message": "deep", "level": "error",
           "data": {"_format": "sentry", "exception": {"values": [{"type": "RecursionError", "stacktrace": {"frames": frames}}]}}}
    started = time.perf_counter()
    (exc,) = read_error(row).exceptions
    sentry_s = time.perf_counter() - started
    assert len(exc.frames) == MAX_FRAMES and exc.frames_dropped == 4000
    assert exc.frames[0].function == "f4999"  # Sentry's last frame is the innermost
    assert native_s < 0.5 and sentry_s < 0.1, (native_s, sentry_s)


def test_markup_in_a_message_survives_verbatim() -> None:
    hostile = "<img src=x onerror=alert(1)>"
    detail = native_error({
        "type": "javascript_error", "message": f"Error: {hostile}", "timestamp": NOW,
        "stack": f"Error: {hostile}\n    at render (pages/a/a.js:1:1)",
        "breadcrumbs": [{"category": "console", "message": hostile, "timestamp": NOW - 1}],
    })
    assert detail.message == f"Error: {hostile}" and detail.exceptions[0].value == hostile
    assert detail.breadcrumbs[0].message == hostile


def test_hostile_shapes_are_left_out_not_raised() -> None:
    row = {
        "event_id": 1, "ts": NOW, "project": "p", "issue_id": 1, "error_type": None, "message": None, "level": "error",
        "data": {"_format": "sentry", "exception": {"values": ["x", {"stacktrace": {"frames": ["y", {"lineno": "7"}]}}]},
                 "breadcrumbs": ["z", {"timestamp": True}], "tags": [["a"], ["k", None], ["n", 1]],
                 "contexts": {"os": "not an object"}, "user": "nobody", "request": 3},
    }
    detail = read_error(row)
    (exc,) = detail.exceptions
    assert (exc.type, exc.value, len(exc.frames), exc.frames[0].line) == ("Error", "", 1, None)
    assert detail.breadcrumbs[0].offset_ms is None
    assert detail.tags == (("n", "1"),) and detail.contexts == {} and detail.user == {} and detail.request == {}
