"""Fingerprints: variable parts masked, the top frame counted, the client's own respected."""

from __future__ import annotations

from console.core.analysis.grouping import StackFrame, fingerprint, mask_message, parse_stack

STACK = (
    "TypeError: Cannot read properties of undefined (reading 'price')\n"
    "    at sumCart (pages/cart/cart.js:88:27)\n"
    "    at Object.onCheckout (pages/cart/cart.js:141:9)\n"
    "    at Function.tap (WAService.js:2:1093)"
)


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


def test_same_error_different_values_same_fingerprint() -> None:
    frame = parse_stack(STACK)[0]
    a = fingerprint(error_type="TypeError", message="Cannot read 'a' of order 1", frame=frame)
    b = fingerprint(error_type="TypeError", message="Cannot read 'b' of order 2", frame=frame)
    assert a == b


def test_line_numbers_do_not_split_an_issue_but_functions_do() -> None:
    moved = StackFrame("sumCart", "pages/cart/cart.js", 90, 1)
    other = StackFrame("renderList", "pages/cart/cart.js", 88, 27)
    base = fingerprint(error_type="TypeError", message="m", frame=parse_stack(STACK)[0])
    assert fingerprint(error_type="TypeError", message="m", frame=moved) == base
    assert fingerprint(error_type="TypeError", message="m", frame=other) != base
    assert fingerprint(error_type="RangeError", message="m", frame=moved) != base


def test_a_client_fingerprint_wins() -> None:
    a = fingerprint(error_type="A", message="x", frame=None, client_fingerprint=["checkout"])
    b = fingerprint(error_type="B", message="y", frame=None, client_fingerprint=["checkout"])
    c = fingerprint(error_type="A", message="x", frame=None)
    assert a == b != c
