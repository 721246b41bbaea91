"""Data innov did not write, over signed HTTP against real Redis: a cached answer that is not UTF-8, a
version record whose generation is no whole number, an interactive payload of the wrong shape. Each is
refused or read around with one warning and no traceback, and innov keeps serving."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import pytest
import redis

from bot.redis_store import RedisStore
from bot.services import cache_key
from bot.settings import Settings
from tests.e2e.conftest import USER, Running
from tests.e2e.helpers import all_text
from tests.e2e.slack_api_stub import TEAM_ID

QUESTION = "What is China's GII rank?"
ANSWER = "China ranks 11th in the Global Innovation Index (2024)."


@pytest.fixture
def on_redis(
    start_app: Callable[..., Running], settings: Settings, redis_url: str, redis_prefix: str
) -> Iterator[tuple[Running, redis.Redis]]:
    """innov on real Redis (its own key prefix), and a client to tamper with its data."""
    bot = start_app(settings, RedisStore(redis_url, prefix=redis_prefix))
    client = redis.Redis.from_url(redis_url)
    yield bot, client
    client.close()


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def cached(bot: Running, client: redis.Redis, redis_prefix: str) -> str:
    """The Redis key of QUESTION's answer, once innov has answered it and cached the answer there."""
    key = redis_prefix + cache_key(bot.services.kb.version, QUESTION)
    assert ANSWER in all_text(bot.slack.slash(QUESTION).json())
    assert client.exists(key)
    return key


def test_a_cached_answer_that_is_not_utf8_is_a_miss_and_written_over(
    on_redis: tuple[Running, redis.Redis], redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot, client = on_redis
    key = cached(bot, client, redis_prefix)
    client.set(key, b"\xff\xfe\x00 not an answer")
    caplog.clear()
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        text = all_text(bot.slack.slash(QUESTION).json())
        assert ANSWER in text and "something went wrong" not in text
    assert client.get(key).decode().startswith("{")  # written over with the answer
    [warning] = problems(caplog)
    assert "not UTF-8" in warning.getMessage() and warning.exc_info is None


def test_a_cached_answer_with_no_text_is_a_miss(
    on_redis: tuple[Running, redis.Redis], redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The second attack run: a cached answer of the right shape whose text was "" was posted empty."""
    bot, client = on_redis
    key = cached(bot, client, redis_prefix)
    emptied = json.loads(client.get(key))
    emptied["text"] = "  "
    client.set(key, json.dumps(emptied))
    caplog.clear()
    caplog.set_level(logging.WARNING)
    assert ANSWER in all_text(bot.slack.slash(QUESTION).json())
    assert json.loads(client.get(key))["text"] == ANSWER  # written over with the answer
    [warning] = problems(caplog)
    assert "no text" in warning.getMessage()


def test_a_version_record_with_a_fractional_generation_is_one_warning_and_innov_serves(
    on_redis: tuple[Running, redis.Redis], redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot, client = on_redis
    version = bot.services.kb.version
    caplog.set_level(logging.WARNING)
    for bad in ("1.5", '"1e999"', "-3"):
        client.set(f"{redis_prefix}kb:version", f'{{"version": "{version}", "generation": {bad}}}')
        for _ in range(5):  # the listener compares the record with its own version every heartbeat
            bot.services.fleet.catch_up()
    lines = [r for r in problems(caplog) if r.name == "bot.store"]
    assert len(lines) == 3, [r.getMessage() for r in lines]
    assert all(f"{redis_prefix}kb:version" in r.getMessage() and r.exc_info is None for r in lines)
    assert not [r for r in problems(caplog) if r.levelno >= logging.ERROR]
    assert ANSWER in all_text(bot.slack.slash(QUESTION).json())


@pytest.mark.parametrize("field, value", [("user", "U1"), ("channel", ["C1"]), ("container", "C1")])
def test_an_interactive_payload_of_the_wrong_shape_is_refused_without_a_traceback(
    bot: Running, caplog: pytest.LogCaptureFixture, field: str, value: object
) -> None:
    caplog.set_level(logging.WARNING)
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": USER},
        "api_app_id": "A0INNOV",
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1"},
        "channel": {"id": "C1"},
        "response_url": bot.stub.response_url("bad"),
        "actions": [{"action_id": "innov_share", "block_id": "b", "value": QUESTION, "type": "button"}],
        field: value,
    }
    result = bot.slack.interactive(payload)
    assert result.status == 400
    [warning] = problems(caplog)
    assert f"'{field}' is not the shape Slack sends" in warning.getMessage() and warning.exc_info is None
    assert [c.method for c in bot.stub.calls() if c.method != "auth.test"] == []
