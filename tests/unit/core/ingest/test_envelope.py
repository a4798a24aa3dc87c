"""Sentry envelope framing: recorded envelopes and every way the framing can be broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.core.errors import IngestError
from console.core.ingest.envelope import parse_envelope

SENTRY = Path(__file__).parents[3] / "fixtures" / "payloads" / "sentry"


def test_a_recorded_python_envelope_with_lengths() -> None:
    body = (SENTRY / "python-error-1.envelope").read_bytes()
    envelope = parse_envelope(body)
    assert envelope.headers["event_id"] == envelope.raw_header.split(b'"')[3].decode()
    assert [item.type for item in envelope.items] == ["event", "attachment"]
    for item in envelope.items:
        assert len(item.payload) == item.headers["length"]
    assert envelope.items[1].payload == b'{"lines": [{"sku": "sku-88", "price": null}]}'
    assert envelope.items[1].raw_header.startswith(b'{"filename":"cart.json"')


def test_items_without_length_run_to_the_newline_mixed_with_a_length_and_no_final_newline() -> None:
    body = (SENTRY / "js-error.hand-written.envelope").read_bytes()
    assert not body.endswith(b"\n")
    envelope = parse_envelope(body)
    event, attachment = envelope.items
    assert event.headers == {"type": "event"} and event.payload.startswith(b'{"exception"')
    assert event.payload.endswith(b"}")
    assert attachment.type == "attachment" and attachment.payload.endswith(b"}}")
    assert len(attachment.payload) == attachment.headers["length"]


def test_several_items_blank_lines_and_trailing_newlines() -> None:
    body = b'{"a":1}\n{"type":"log"}\n{"items":[]}\n\n{"type":"session","length":2}\n{}\n\n\n'
    envelope = parse_envelope(body)
    assert envelope.headers == {"a": 1}
    assert [(i.type, i.payload) for i in envelope.items] == [("log", b'{"items":[]}'), ("session", b"{}")]


def test_the_documented_examples() -> None:
    # https://develop.sentry.dev/sdk/data-model/envelopes/#full-examples
    two = (
        b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42"}\n'
        b'{"type":"attachment","length":10,"content_type":"text/plain","filename":"hello.txt"}\n'
        b"\xef\xbb\xbfHello\r\n\n"
        b'{"type":"event","length":41,"content_type":"application/json","filename":"application.log"}\n'
        b'{"message":"hello world","level":"error"}'
    )
    items = parse_envelope(two).items
    assert items[0].payload == b"\xef\xbb\xbfHello\r\n"
    assert items[1].payload == b'{"message":"hello world","level":"error"}'
    empty = b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"attachment","length":0}\n\n{"type":"attachment","length":0}\n'
    assert [i.payload for i in parse_envelope(empty).items] == [b"", b""]
    implicit = b'{}\n{"type":"attachment"}\nhelloworld\r\n'
    assert parse_envelope(implicit).items[0].payload == b"helloworld\r"  # \r belongs to the payload
    at_eof = b'{}\n{"type":"session"}\n{"started": "2020-02-07T14:16:00Z","attrs":{"release":"sentry-test@1.0.0"}}'
    assert parse_envelope(at_eof).items[0].payload.endswith(b"}}")


def test_a_header_only_envelope_has_no_items() -> None:
    for body in (b'{"event_id":"x"}', b'{"event_id":"x"}\n', b"{}\n\n"):
        envelope = parse_envelope(body)
        assert envelope.items == [] and isinstance(envelope.headers, dict)


def test_an_item_without_type_is_framed_with_an_empty_type() -> None:
    envelope = parse_envelope(b'{}\n{"length":2}\n{}\n{"type":7}\nxy\n')
    assert [(i.type, i.payload) for i in envelope.items] == [("", b"{}"), ("", b"xy")]


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        (b"", "empty_envelope", "empty"),
        (b"  \n ", "empty_envelope", "empty"),
        (b"not json\n", "invalid_envelope_header", "envelope header is not JSON"),
        (b"[1, 2]\n", "invalid_envelope_header", "must be a JSON object, not list"),
        (b'{}\n{"type": "event"\n{}\n', "invalid_envelope_header", "header of item 1 is not JSON"),
        (b'{}\n"event"\n{}\n', "invalid_envelope_header", "header of item 1 must be a JSON object"),
        (b'{}\n{"type":"event","length":50}\n{"short":1}\n', "truncated_envelope", "declares 50 bytes but only 12"),
        (b'{}\n{"type":"event"}', "truncated_envelope", "payload is missing"),
        (b'{}\n{"type":"event","length":2}\n{"a":1}\n', "bad_length", "not followed by a newline"),
        (b'{}\n{"type":"event","length":"7"}\n{"a":1}\n', "bad_length", "not str '7'"),
        (b'{}\n{"type":"event","length":-1}\n{}\n', "bad_length", "non-negative integer"),
        (b'{}\n{"type":"event","length":1.5}\n{}\n', "bad_length", "non-negative integer"),
        (b'{}\n{"type":"event","length":true}\n{}\n', "bad_length", "not bool True"),
        (b'{}\n{"type":"log"}\n{}\n{"type":"event","length":9}\n{}\n', "truncated_envelope", "item 2 (event)"),
    ],
)
def test_broken_framing_is_a_400_with_a_code_and_a_reason(body: bytes, code: str, detail: str) -> None:
    with pytest.raises(IngestError) as raised:
        parse_envelope(body)
    assert raised.value.code == code
    assert raised.value.status == 400
    assert detail in raised.value.detail
