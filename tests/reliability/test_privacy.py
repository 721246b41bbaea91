"""Private text stays private, and curator views trust nothing users type (issue 21, items 7 and 8).

Signed requests against the app over HTTP, with the curator queue in a real Redis (this test's own keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
import redis

from bot.redis_store import RedisStore
from bot.settings import Settings
from handlers import views
from tests.e2e.conftest import ADMIN, Running

SECRET = "Jane's salary is 210k"


@pytest.fixture
def redis_bot(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> Running:
    """The app over HTTP with its cache, claims and curator queue in a real Redis."""
    return start_app(settings_factory(redis_url=redis_url), RedisStore(redis_url, prefix=redis_prefix))


def everything_stored(redis_url: str, prefix: str) -> str:
    """Every key under ``prefix`` and everything it holds, as one string."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    parts: list[str] = []
    try:
        for key in client.scan_iter(match=prefix + "*", count=500):
            kind = client.type(key)
            value: Any = None
            if kind == "string":
                value = client.get(key)
            elif kind == "hash":
                value = client.hgetall(key)
            elif kind == "zset":
                value = client.zrange(key, 0, -1, withscores=True)
            elif kind == "set":
                value = sorted(client.smembers(key))
            elif kind == "list":
                value = client.lrange(key, 0, -1)
            parts.append(f"{key} {json.dumps(value, default=str, ensure_ascii=False)}")
    finally:
        client.close()
    return "\n".join(parts)


def vote_buttons(message: dict[str, Any]) -> dict[str, str]:
    return {
        e["action_id"]: e["value"]
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] in (views.VOTE_UP_ACTION, views.VOTE_DOWN_ACTION)
    }


# -- item 7: "Find sources" records nothing of someone else's message -------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        f"{SECRET} -- where does japan rank in the gii?",  # declined: once counted with its text
        f"{SECRET}, and what is China's GII rank?",  # answered: its wording rode in the vote buttons
    ],
)
def test_find_sources_on_someone_elses_message_keeps_nothing_of_its_text(
    redis_bot: Running, redis_url: str, redis_prefix: str, message: str
) -> None:
    redis_bot.slack.message_shortcut(message)  # a message by U0BOB, looked up by U0ALICE
    [reply] = redis_bot.stub.wait_for("response_url")
    buttons = vote_buttons(reply.args)
    assert buttons and all("salary" not in value for value in buttons.values())
    redis_bot.slack.click(views.VOTE_DOWN_ACTION, buttons[views.VOTE_DOWN_ACTION])  # and a 👎 on it
    redis_bot.stub.wait_for("views.open")
    stored = everything_stored(redis_url, redis_prefix)
    assert "feedback:" in stored and "salary" not in stored.lower() and "Jane" not in stored
    queue = redis_bot.services.feedback.queue()
    assert "salary" not in json.dumps(queue.to_json()).lower()
    assert len(queue.disliked) == 1  # the vote still counts, by the answer's hash
    stats = redis_bot.slack.slash("stats", user=ADMIN).json()
    assert "salary" not in json.dumps(stats).lower()


# -- item 8: curator views trust nothing users type --------------------------------------------------------

HOSTILE = (
    "*bold* ~strike~ `code` <https://evil.example|Sign in again> <!here> where does freedonia rank?"
    "\r\n    •  99× _Where does Narnia rank?_ (last 2026-01-01 00:00 UTC)"
)
MARKUP = ("*bold*", "~strike~", "`code`", "evil.example", "<!here>", "Narnia")


def _text_objects(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"])
        found += [e for e in block.get("elements", []) if e.get("type") in ("mrkdwn", "plain_text")]
    return found


def assert_user_text_is_plain_and_one_line(blocks: list[dict[str, Any]]) -> None:
    texts = _text_objects(blocks)
    assert any("Narnia" in t["text"] for t in texts)  # the hostile text is there...
    for text in texts:
        if text["type"] == "mrkdwn":  # ...never where Slack would format, link or mention it
            assert not any(markup in text["text"] for markup in MARKUP), text["text"]
        elif "Narnia" in text["text"]:
            assert "\n" not in text["text"] and "\r" not in text["text"] and "␤" in text["text"]


def test_curator_views_show_questions_and_notes_as_plain_text_on_one_line(redis_bot: Running) -> None:
    assert redis_bot.slack.slash(HOSTILE, user="U0MALLORY").status == 200  # declined: in the queue
    answer = redis_bot.slack.slash("What is China's GII rank?", user="U0MALLORY").json()
    redis_bot.slack.click(
        views.VOTE_DOWN_ACTION, vote_buttons(answer)[views.VOTE_DOWN_ACTION], user="U0MALLORY"
    )
    [opened] = redis_bot.stub.wait_for("views.open")
    values = {
        views.REASON_BLOCK: {
            views.REASON_ACTION: {"type": "radio_buttons", "selected_option": {"value": "other"}}
        },
        views.NOTE_BLOCK: {views.NOTE_ACTION: {"type": "plain_text_input", "value": HOSTILE}},
    }
    assert redis_bot.slack.submit_view(opened.view or {}, values, user="U0MALLORY").status == 200
    stats = redis_bot.slack.slash("stats", user=ADMIN).json()
    assert_user_text_is_plain_and_one_line(stats["blocks"])
    redis_bot.slack.event({"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME", "tab": "home"})
    [home] = redis_bot.stub.wait_for("views.publish")
    assert_user_text_is_plain_and_one_line((home.view or {})["blocks"])


def test_a_forged_or_outsized_vote_value_is_refused(redis_bot: Running) -> None:
    answer = redis_bot.slack.slash("What is China's GII rank?").json()
    genuine = json.loads(vote_buttons(answer)[views.VOTE_UP_ACTION])
    forged_kind = {**genuine, "kind": "<https://evil.example|Sign in again> <!here>"}
    outsized = {**genuine, "question": "x" * 50_000}
    for value in (forged_kind, outsized):
        result = redis_bot.slack.click(views.VOTE_DOWN_ACTION, json.dumps(value), user="U0MALLORY")
        assert result.status == 200
    redis_bot.slack.click(views.VOTE_UP_ACTION, json.dumps(genuine), user="U0CAROL")  # still counts
    redis_bot.stub.wait_for("response_url")  # thanked; the refused ones were not
    votes = redis_bot.services.feedback.votes()
    assert [(v.user, v.vote) for v in votes] == [("U0CAROL", "up")]
    assert not redis_bot.stub.calls("views.open")  # no "What was wrong?" form for a refused vote
    stats = json.dumps(redis_bot.slack.slash("stats", user=ADMIN).json())
    assert "evil.example" not in stats and "xxxxxxxxxx" not in stats


def test_a_command_body_with_two_user_ids_is_refused(redis_bot: Running) -> None:
    form = {
        "command": "/innov",
        "text": "stats",
        "team_id": "T0TEST",
        "channel_id": "C0GENERAL",
        "response_url": redis_bot.stub.response_url("twice"),
    }
    once = urlencode({**form, "user_id": ADMIN})
    twice = urlencode({**form, "user_id": "U0MALLORY"}) + "&" + urlencode({"user_id": ADMIN})
    assert redis_bot.slack.signed(once, "application/x-www-form-urlencoded").status == 200
    refused = redis_bot.slack.signed(twice, "application/x-www-form-urlencoded")
    assert refused.status == 400 and "innov stats" not in refused.text
    payload = urlencode({"payload": json.dumps({"type": "block_actions"})})
    assert redis_bot.slack.signed(f"{payload}&{payload}", "application/x-www-form-urlencoded").status == 400
