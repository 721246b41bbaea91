"""Exactly-once under a slow or missing Redis: Slack's retries across two replicas while Redis sleeps or
stalls (two real ``innov serve`` processes), retries while Redis is unreachable, and 50,000 events of cache
pressure before a retry without Redis."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from bot.services import cache_key
from bot.settings import Settings
from tests.conftest import RedisServer, free_port
from tests.e2e.conftest import CHANNEL, Running
from tests.e2e.slack_api_stub import BOT_USER_ID, TEAM_ID, SlackApiStub
from tests.reliability.serving import Served, post, signed_headers, start_serve

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


STALL = 1.0
"""Seconds Redis sleeps per DEBUG SLEEP, back to back: as long as one claim attempt used to wait."""
MENTIONS = 20


def stall_redis(url: str, stop: threading.Event) -> threading.Thread:
    """Keep Redis asleep ``STALL`` s at a time until ``stop``: it answers other clients only in between."""

    def run() -> None:
        client = redis.Redis.from_url(url, socket_timeout=STALL + 5)
        try:
            while not stop.is_set():
                client.execute_command("DEBUG", "SLEEP", STALL)
        finally:
            client.close()

    thread = threading.Thread(target=run, name="stall-redis", daemon=True)
    thread.start()
    return thread


def serve_two(tmp_path: Path, kb_dir: Path, stub: SlackApiStub, redis_url: str) -> list[Served]:
    """Two replicas (``innov serve``, one worker each) sharing one Redis."""
    env = {"REDIS_URL": redis_url, "INNOV_RATE_LIMIT": "10000", "INNOV_INDEX_DIR": str(tmp_path / "index")}
    return [start_serve(tmp_path, kb_dir, stub.base_url, **env) for _ in range(2)]


def replies_by_message(stub: SlackApiStub) -> Counter[str]:
    """How many replies each mention (by its ts, the thread replied in) got."""
    return Counter(str(call.args.get("thread_ts")) for call in stub.posts())


def deliver_mention(served: Served, n: int, *, retry: bool) -> int:
    """Slack's delivery of mention ``n`` (event ``EvSTALL<n>``) to ``served``, as a retry or not: the status."""
    event = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": f"<@{BOT_USER_ID}> gii rank",
        "channel": CHANNEL,
        "ts": f"1700000000.{n:06d}",
    }
    envelope = {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "api_app_id": "A0INNOV",
        "event": {**event, "event_ts": event["ts"]},
        "event_id": f"EvSTALL{n:04d}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }
    body = json.dumps(envelope).encode()
    headers = signed_headers(body, "application/json")
    if retry:
        headers.update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    return post(served.port, body, headers)[0]


def test_two_served_replicas_answer_each_mention_once_while_redis_stalls(
    tmp_path: Path, kb_dir: Path, stub: SlackApiStub, sleepy_redis: RedisServer
) -> None:
    replicas = serve_two(tmp_path, kb_dir, stub, sleepy_redis.url)
    stop = threading.Event()
    staller = stall_redis(sleepy_redis.url, stop)
    try:

        def both(n: int) -> list[int]:
            # The first delivery to one replica, Slack's retry of it to the other, at the same time.
            first, second = replicas[n % 2], replicas[1 - n % 2]
            with ThreadPoolExecutor(max_workers=2) as pair:
                return list(
                    pair.map(lambda r, a: deliver_mention(r, n, retry=a), [first, second], [False, True])
                )

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = [s for pair in pool.map(both, range(MENTIONS)) for s in pair]
        assert statuses == [200] * 2 * MENTIONS
        deadline = time.monotonic() + 60
        while len(stub.posts()) < MENTIONS and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2 * STALL + 2)  # no late second reply
    finally:
        stop.set()
        staller.join(timeout=STALL + 6)
        for served in replicas:
            served.stop()
    replies = replies_by_message(stub)
    expected = {f"1700000000.{n:06d}" for n in range(MENTIONS)}
    assert set(replies) == expected, f"lost: {sorted(expected - set(replies))}"
    assert [ts for ts, count in replies.items() if count > 1] == [], replies


def test_claims_that_redis_answers_late_lose_no_reply_and_make_no_duplicate(
    tmp_path: Path, kb_dir: Path, stub: SlackApiStub, sleepy_redis: RedisServer
) -> None:
    """One 2.5 s stall, with deliveries placed where a claim that gives up early (two 1 s attempts, then a
    second without asking Redis) used to lose mention 0 and answer mention 2 twice."""
    a, b = serve_two(tmp_path, kb_dir, stub, sleepy_redis.url)
    try:
        started = time.monotonic()
        sleeper = sleep_redis(sleepy_redis.url, 2.5)

        def at(seconds: float) -> None:
            time.sleep(max(0.0, started + seconds - time.monotonic()))

        # Mention 0: Slack's retry reaches b first; its claim lands when Redis wakes, after b stopped waiting.
        assert deliver_mention(b, 0, retry=True) == 200
        assert deliver_mention(a, 1, retry=False) == 200  # a's claims time out during the stall
        at(2.7)  # Redis is awake; a used to leave it alone for a second after its timeouts
        assert deliver_mention(a, 2, retry=False) == 200
        at(3.4)
        assert deliver_mention(a, 0, retry=False) == 200  # the first delivery of mention 0, late
        assert deliver_mention(b, 2, retry=True) == 200
        assert deliver_mention(b, 1, retry=True) == 200
        assert sleeper.result(timeout=10) in (b"OK", "OK")
        deadline = time.monotonic() + 30
        while len(stub.posts()) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)  # no late second reply
    finally:
        for served in (a, b):
            served.stop()
    assert replies_by_message(stub) == {f"1700000000.{n:06d}": 1 for n in range(3)}


def test_a_retry_is_answered_while_redis_is_unreachable(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At least once during an outage: Slack retries a delivery whose first one may never have got through,
    so a retry is answered (a duplicate reply is possible, a lost one is not)."""
    settings = settings_factory(redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    first, second = start_app(settings), start_app(settings)
    # The first delivery never reached innov (a network blip); Slack's retry did, on the second replica.
    second.slack.event(mention(second, 2), event_id="EvDOWN0002", retry_num=1)
    assert second.outcomes.wait("EvDOWN0002") == "replied"
    # A retry reaching the replica that answered the delivery is caught there (in-process claims).
    second.slack.event(mention(second, 2), event_id="EvDOWN0002", retry_num=2)
    assert second.outcomes.wait_all("EvDOWN0002", 2)[1].startswith("duplicate")
    # One reaching another replica is answered there too: at least once, while Redis cannot say.
    event = mention(first, 1)
    first.slack.event(event, event_id="EvDOWN0001")
    assert first.outcomes.wait("EvDOWN0001") == "replied"
    second.slack.event(event, event_id="EvDOWN0001", retry_num=1)
    assert second.outcomes.wait("EvDOWN0001") == "replied"
    time.sleep(0.2)
    assert len(first.stub.posts()) == 3
    # Each replica logs the outage once, saying what happened; no line per event or claim.
    outage = [
        r.getMessage() for r in caplog.records if r.name == "bot.store" and r.levelno >= logging.WARNING
    ]
    assert len(outage) == 2, outage
    assert all("unreachable" in line and "connection refused" in line for line in outage)


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
