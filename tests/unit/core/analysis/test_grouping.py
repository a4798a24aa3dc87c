"""Fingerprints: Sentry's rules for every sender; variable parts masked, lines never counted."""

from __future__ import annotations

from console.core.analysis.grouping import (
    ExceptionInfo,
    StackFrame,
    culprit,
    fingerprint,
    is_in_app,
    mask_message,
    parse_stack,
    top_frame,
)

STACK = (
    "TypeError: Cannot read properties of undefined (reading 'price')\n"
    "    at sumCart (pages/cart/cart.js:88:27)\n"
    "    at Object.onCheckout (pages/cart/cart.js:141:9)\n"
    "    at Function.tap (WAService.js:2:1093)"
)


def key(exc_type: str, value: str, frames: list[StackFrame], **kw: object) -> str:
    return fingerprint(exceptions=[ExceptionInfo(exc_type, value, frames)], message=value, **kw)  # type: ignore[arg-type]


def test_masking_replaces_numbers_ids_quoted_values_and_urls() -> None:
    assert mask_message("Order 8812 failed for u-1042") == "Order <n> failed for <n>"
    assert mask_message("reading 'price' of \"cart\"") == "reading <str> of <str>"
    assert mask_message("GET https://api.example.com/cart?id=7 failed") == "GET <url> failed"
    assert mask_message("obj 0x7ffee3 id 3fa85f64-5717-4562-b3fc-2c963f66afa6") == "obj <hex> id <id>"
    assert mask_message("token expired") == "token expired"


def test_v8_and_jsc_stacks_parse_innermost_first() -> None:
    frames = parse_stack(STACK)
    assert frames[0] == StackFrame("sumCart", "pages/cart/cart.js", 88, 27)
    assert frames[2].label() == "Function.tap (WAService.js:2)"
    assert parse_stack("render@pages/a/a.js:10:3\n@app.js:1") == [
        StackFrame("render", "pages/a/a.js", 10, 3),
        StackFrame("", "app.js", 1, None),
    ]
    assert parse_stack("no frames here") == []
    assert len(parse_stack("    at f (a.js:1:1)\n" * 6000)) == 5000


def test_runtime_and_library_frames_are_not_in_app_unless_the_client_says() -> None:
    frames = parse_stack(STACK)
    assert [is_in_app(f) for f in frames] == [True, True, False]
    assert not is_in_app(StackFrame("f", "node_modules/lodash/get.js", 3))
    assert is_in_app(StackFrame("f", "node_modules/x.js", 3, in_app=True))
    library_first = [StackFrame("get", "node_modules/lodash/get.js", 1), *frames]
    assert top_frame(library_first) == frames[0]


def test_same_error_different_values_same_fingerprint() -> None:
    frames = parse_stack(STACK)
    assert key("TypeError", "Cannot read 'a' of order 1", frames) == key("TypeError", "Cannot read 'b' of order 2", frames)


def test_with_frames_the_message_does_not_count_but_types_and_functions_do() -> None:
    frames = parse_stack(STACK)
    moved = [StackFrame("sumCart", "pages/cart/cart.js", 90, 1), *frames[1:]]
    other = [StackFrame("renderList", "pages/cart/cart.js", 88, 27), *frames[1:]]
    base = key("TypeError", "m", frames)
    assert key("TypeError", "another message", moved) == base
    assert key("TypeError", "m", other) != base
    assert key("RangeError", "m", frames) != base


def test_library_frames_do_not_split_an_issue_when_in_app_frames_exist() -> None:
    frames = parse_stack(STACK)
    via_other_runtime = [*frames[:2], StackFrame("dispatch", "appservice.js", 7)]
    assert key("TypeError", "m", via_other_runtime) == key("TypeError", "m", frames)


def test_same_bundle_from_two_hosts_is_one_issue() -> None:
    a = [StackFrame("pay", "https://cdn-a.example.com/static/app.js?v=3", 10, in_app=True)]
    b = [StackFrame("pay", "https://cdn-b.example.com/static/app.js?v=4", 12, in_app=True)]
    assert key("Error", "x", a) == key("Error", "x", b)


def test_without_frames_the_masked_message_groups() -> None:
    assert key("Error", "Order 8812 failed", []) == key("Error", "Order 9917 failed", [])
    assert key("Error", "Order 8812 failed", []) != key("Error", "Payment failed", [])
    assert fingerprint(message="disk 91% full") == fingerprint(message="disk 97% full")


def test_a_chain_groups_on_every_exception_of_it() -> None:
    inner = ExceptionInfo("KeyError", "'sku'", [StackFrame("lookup", "shop/cart.py", 4, module="shop.cart")])
    outer = ExceptionInfo("ValueError", "bad cart", [StackFrame("checkout", "shop/views.py", 9, module="shop.views")])
    assert fingerprint(exceptions=[inner, outer]) != fingerprint(exceptions=[outer])
    assert culprit([inner, outer]) == "checkout (shop.views:9)"


def test_a_client_fingerprint_wins_and_default_expands() -> None:
    frames = parse_stack(STACK)
    a = key("A", "x", [], client_fingerprint=["checkout"])
    b = key("B", "y", frames, client_fingerprint=["checkout"])
    assert a == b != key("A", "x", [])
    assert key("A", "x", frames, client_fingerprint=["{{ default }}"]) == key("A", "x", frames)
    with_default = key("A", "x", frames, client_fingerprint=["{{default}}", "tenant-7"])
    assert with_default != key("A", "x", frames)
    assert with_default != key("B", "x", [], client_fingerprint=["{{ default }}", "tenant-7"])
    assert with_default == key("A", "other", frames, client_fingerprint=["{{ default }}", "tenant-7"])
