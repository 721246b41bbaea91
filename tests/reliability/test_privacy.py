"""Private text stays private, and curator views trust nothing users type (issue 21, items 7 and 8).

Signed requests against the app over HTTP, with the curator queue in a real Redis (this test's own keys).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis

from bot.settings import Settings
from bot.store import RedisStore
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
