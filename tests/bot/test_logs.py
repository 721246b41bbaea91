from __future__ import annotations

import json
import logging

import pytest

from bot import logs


def _lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "innov.request"]


def test_one_line_per_request_with_what_was_noted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="innov.request")
    with logs.request("http", route="/slack/events") as record:
        logs.note(kind="fact", cache_hit=True)
        with logs.request("command", via="slash"):  # nested: joins the outer line
            logs.note(command="ask")
        record["status"] = 200
    (line,) = _lines(caplog)
    assert line.levelno == logging.INFO
    for key, value in {
        "route": "/slack/events",
        "kind": "fact",
        "cache_hit": True,
        "via": "slash",
        "command": "ask",
        "status": 200,
    }.items():
        assert getattr(line, key) == value
    assert line.ms >= 0  # type: ignore[attr-defined]


def test_note_outside_a_request_is_harmless(caplog: pytest.LogCaptureFixture) -> None:
    logs.note(kind="none")
    assert _lines(caplog) == []


def test_the_line_is_written_even_when_the_request_fails(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="innov.request")
    with pytest.raises(RuntimeError), logs.request("message"):
        raise RuntimeError("boom")
    assert len(_lines(caplog)) == 1


def test_json_lines_are_json(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("INFO", json_lines=True)
        logs.configure("INFO", json_lines=True)  # twice: still one handler of ours
        assert [h.get_name() for h in root.handlers].count("innov") == 1
        with logs.request("http", route="/healthz"):
            logs.note(answered=False)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["logger"], line["request"], line["route"], line["answered"]) == (
        "innov.request",
        "http",
        "/healthz",
        False,
    )
    assert line["level"] == "INFO" and "ms" in line
