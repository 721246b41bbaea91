"""handlers.payloads: Slack payloads read into small frozen models."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from handlers.payloads import MessageEvent, ShareAction, SlashCommand


def test_slash_command_undoes_slacks_escaping_and_ignores_extra_fields() -> None:
    cmd = SlashCommand.from_payload({"text": "  ask a &lt;b&gt; &amp; c ", "user_id": "U1", "extra": 1})
    assert cmd.text == "ask a <b> & c"
    assert cmd.user_id == "U1"
    with pytest.raises(ValidationError):
        cmd.text = "changed"


def test_message_event_thread_question_and_mentions() -> None:
    body: dict[str, Any] = {
        "event_id": "Ev1",
        "event": {
            "type": "app_mention",
            "user": "U1",
            "text": "<@U0BOT|innov>  what &lt;is&gt;  it",
            "ts": "2.0",
            "channel": "C1",
        },
    }
    event = MessageEvent.from_body(body)
    assert event.event_id == "Ev1"
    assert event.reply_thread == "2.0"
    assert event.mentions("U0BOT") and not event.mentions("U0OTHER") and not event.mentions(None)
    assert event.question("U0BOT") == "what <is> it"
    threaded = MessageEvent.from_body({"event": {**body["event"], "thread_ts": "1.0"}})
    assert threaded.reply_thread == "1.0" and threaded.event_id == ""


def test_share_action_reads_channel_from_channel_or_container() -> None:
    body = {
        "user": {"id": "U1"},
        "container": {"channel_id": "C2", "message_ts": "3.0"},
        "actions": [{"value": "rank"}],
        "response_url": "https://hooks.example/1",
    }
    action = ShareAction.from_body(body)
    assert (action.user_id, action.channel_id, action.value, action.message_ts) == ("U1", "C2", "rank", "3.0")
    assert ShareAction.from_body({**body, "channel": {"id": "C9"}}).channel_id == "C9"
