"""Exactly-once under a slow or missing Redis: Slack's retries across two replicas while Redis sleeps,
retries while Redis is unreachable, and 50,000 events of cache pressure before a retry without Redis."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
import redis

from bot.services import cache_key
from bot.settings import Settings
from tests.conftest import RedisServer, free_port
from tests.e2e.conftest import CHANNEL, Running
from tests.e2e.slack_api_stub import BOT_USER_ID

EVENTS = 50


def mention(bot: Running, n: int) -> dict[str, object]:
    ts = f"{int(time.time())}.{n:06d}"
    return {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": f"<@{BOT_USER_ID}> gii rank",
        "channel": CHANNEL,
        "ts": ts,
    }


@pytest.fixture
def sleepy_redis() -> Iterator[RedisServer]:
    """A throwaway Redis that accepts DEBUG SLEEP."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(debug_commands=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sleep_redis(url: str, seconds: float) -> Future[object]:
    """Make Redis unresponsive for ``seconds`` (DEBUG SLEEP) from another thread; its future."""

    def run() -> object:
        client = redis.Redis.from_url(url, socket_timeout=seconds + 5)
        try:
            return client.execute_command("DEBUG", "SLEEP", seconds)
        finally:
            client.close()

    future: Future[object] = ThreadPoolExecutor(max_workers=1).submit(run)
    time.sleep(0.05)  # the SLEEP is running before the deliveries start
    return future


def test_two_replicas_answer_retried_events_once_while_redis_sleeps(
    start_app: Callable[..., Running], settings_factory: Callable[..., Settings], sleepy_redis: RedisServer
) -> None:
    settings = settings_factory(redis_url=sleepy_redis.url)
    first, second = start_app(settings), start_app(settings)
    events = [(f"EvSLOW{n:04d}", mention(first, n)) for n in range(EVENTS)]
    sleeper = sleep_redis(sleepy_redis.url, 1)

    def deliver(item: tuple[str, dict[str, object]]) -> None:
        event_id, event = item
        # The first delivery to one replica; Slack's retry of it (it timed out waiting) to the other.
        first.slack.event(event, event_id=event_id)
        second.slack.event(event, event_id=event_id, retry_num=1)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(deliver, events))
    assert sleeper.result(timeout=10) in (b"OK", "OK")  # Redis really slept
    for event_id, _ in events:
        outcomes = first.outcomes.wait_all(event_id, 2, timeout=15)
        assert outcomes.count("replied") == 1, (event_id, outcomes)
    time.sleep(0.3)
    assert len(first.stub.posts()) == EVENTS


def test_a_retry_is_not_answered_while_redis_is_unreachable(
    start_app: Callable[..., Running], settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory(redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    first, second = start_app(settings), start_app(settings)
    event = mention(first, 1)
    first.slack.event(event, event_id="EvDOWN0001")
    assert first.outcomes.wait("EvDOWN0001") == "replied"  # a first delivery is answered in-process
    second.slack.event(event, event_id="EvDOWN0001", retry_num=1)
    assert second.outcomes.wait_all("EvDOWN0001", 2)[1].startswith("duplicate")
    # A retry this replica never saw the original of: still not answered, Redis cannot say it was not.
    second.slack.event(mention(second, 2), event_id="EvDOWN0002", retry_num=2)
    assert second.outcomes.wait("EvDOWN0002").startswith("duplicate")
    time.sleep(0.2)
    assert len(first.stub.posts()) == 1


def test_50000_events_then_a_retry_of_the_first_without_redis(bot: Running) -> None:
    services = bot.services  # no REDIS_URL: the in-process store
    version = services.kb.version
    cached = '{"not": "an answer"}'
    first_event = mention(bot, 0)
    bot.slack.event(first_event, event_id="EvPRESSURE00000")
    assert bot.outcomes.wait("EvPRESSURE00000") == "replied"
    for n in range(1, 50_000):
        # What 50,000 answered events leave behind: their claims and as many cached answers.
        assert services.claim_event(f"EvPRESSURE{n:05d}")
        assert services.claim_message(CHANNEL, f"1700000000.{n:06d}")
        services.store.set(cache_key(version, f"question number {n}"), cached, 86400)
    bot.slack.event(first_event, event_id="EvPRESSURE00000", retry_num=1)
    assert bot.outcomes.wait_all("EvPRESSURE00000", 2)[1].startswith("duplicate")
    time.sleep(0.2)
    assert len(bot.stub.posts()) == 1
