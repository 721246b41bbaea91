"""Fuzzing the HTTP endpoint with signed Slack requests: odd text, odd payloads, malformed bodies.

Whatever arrives, innov answers without a 500 or a traceback, never lets user text ping a channel or a
person, and gives bodies Slack would never send a 4xx. Bounded: a fixed number of examples each.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import ADMIN, Running
from tests.e2e.helpers import all_text

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
# Text a user might paste: anything unicode, control characters, Slack's special syntax, huge strings.
SPECIAL = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U0VICTIM>",
        "<#C0SECRET>",
        "&lt;",
        "*bold* _it_ `code`",
        "\u202e",
    ]
)
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(SPECIAL, st.text(max_size=20)), max_size=12).map(" ".join),
    st.sampled_from(
        ["x" * 40_000, "What is China's GII rank? " * 1_600, "\x00" * 100, "rank " + "<!channel>" * 500]
    ),
)
MENTION = re.compile(r"<(@[A-Z0-9]+|![a-z]+|#[A-Z0-9]+)")


def assert_safe_reply(text: str) -> None:
    """No traceback, and no live mention except innov's own mentions of its admins."""
    assert "Traceback" not in text and 'File "' not in text
    for found in MENTION.findall(text):
        assert found == f"@{ADMIN}", f"live Slack syntax {found!r} in a reply"


@FUZZ
@given(text=TEXT)
def test_slash_command_text(bot: Running, text: str) -> None:
    result = bot.slack.slash(text)
    assert result.status == 200, result.body[:300]
    message = result.json()
    assert message["response_type"] == "ephemeral"
    assert_safe_reply(all_text(message))


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40)
)
FIELD = st.sampled_from(
    ["type", "user", "text", "ts", "thread_ts", "channel", "subtype", "bot_id", "channel_type"]
)


@FUZZ
@given(
    event=st.fixed_dictionaries(
        {"type": st.sampled_from(["app_mention", "message", "reaction_added", "", None])},
        optional={"text": st.one_of(TEXT, JSON_SCALARS), "user": st.one_of(st.just("U0ALICE"), JSON_SCALARS)},
    ),
    extra=st.dictionaries(FIELD, st.one_of(JSON_SCALARS, st.lists(JSON_SCALARS, max_size=3)), max_size=4),
)
def test_event_payloads_with_missing_or_wrongly_typed_fields(
    bot: Running, event: dict[str, Any], extra: dict[str, Any]
) -> None:
    payload = {"channel": "C0AUTO", "ts": f"{time.time():.6f}", **event, **extra}
    _, result = bot.slack.event(payload)
    assert result.status < 500, result.body[:300]
    # Whatever lazy work the event started, nothing it posted may carry a traceback or a live mention.
    for call in bot.stub.calls():
        assert_safe_reply(json.dumps(call.args))


MALFORMED = st.one_of(
    st.sampled_from(["{not json", "[1, 2, 3]", '"a string"', "payload=%7Bbroken", "payload=[1]", "{" * 1000]),
    st.binary(min_size=1, max_size=200).map(lambda b: b.decode("latin-1")),
)


@FUZZ
@given(
    body=MALFORMED, content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded"])
)
def test_malformed_bodies_get_a_4xx(bot: Running, body: str, content_type: str) -> None:
    result = bot.slack.signed(body, content_type)
    assert 400 <= result.status < 500, (body[:80], result.status, result.body[:200])
    assert b"Traceback" not in result.body


@FUZZ
@given(body=MALFORMED)
def test_malformed_bodies_with_a_bad_signature_get_401(bot: Running, body: str) -> None:
    result = bot.slack.signed(body, "application/json", signature="v0=" + "0" * 64)
    assert result.status == 401


@FUZZ
@given(
    form=st.dictionaries(
        st.sampled_from(["command", "text", "user_id", "channel_id", "team_id"]), JSON_SCALARS.map(str)
    )
)
def test_slash_commands_missing_fields(bot: Running, form: dict[str, str]) -> None:
    from urllib.parse import urlencode

    result = bot.slack.signed(urlencode({"command": "/innov", **form}), "application/x-www-form-urlencoded")
    assert result.status in (200, 404), result.body[:200]  # 404: Bolt found no listener for it
    assert b"Traceback" not in result.body and b"internal error" not in result.body
