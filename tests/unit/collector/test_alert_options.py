"""The alert options of ``lookout collect`` and of the window command."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import _alert_args, _parser


def test_collect_takes_an_interval_webhooks_and_a_log_file() -> None:
    args = _parser().parse_args([
        "collect", "--alert-interval", "2.5", "--alert-webhook", "http://127.0.0.1:9000/a",
        "--alert-webhook", "https://hooks.example.com/b", "--alert-log", "alerts.jsonl",
    ])
    assert args.alert_interval == 2.5
    assert args.alert_webhook == ["http://127.0.0.1:9000/a", "https://hooks.example.com/b"]
    assert args.alert_log == Path("alerts.jsonl")
    defaults = _parser().parse_args(["collect"])
    assert (defaults.alert_interval, defaults.alert_webhook, defaults.alert_log) == (15.0, [], None)


def test_the_window_passes_them_to_the_collector_it_starts() -> None:
    args = _parser().parse_args(["--alert-interval", "0", "--alert-webhook", "http://h/x", "--alert-log", "a.jsonl"])
    assert _alert_args(args) == [
        "--alert-interval", "0.0", "--alert-webhook", "http://h/x", "--alert-log", str(Path("a.jsonl").resolve())
    ]


@pytest.mark.parametrize(
    ("option", "value"),
    [("--alert-interval", "-1"), ("--alert-interval", "inf"), ("--alert-interval", "soon"),
     ("--alert-webhook", "ftp://h/x"), ("--alert-webhook", "hooks.example.com"), ("--alert-webhook", "http://")],
)
def test_bad_values_are_refused(option: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["collect", option, value])
    assert option in capsys.readouterr().err
