"""Load, a reload under load, and faults: signed requests from 8 concurrent keep-alive clients.

The app is the real WSGI application on a threaded loopback server (the end-to-end fixture), with a
real Redis (this test's own key prefix, or a throwaway server the test stops and restarts). Bounded:
a fixed number of requests, each with a 30 s socket timeout.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks.load import Request, Result, drive, mention, mixed_plan, slash, summary
from bot.redis_store import RedisStore
from bot.settings import Settings
from tests.conftest import RedisServer
from tests.e2e.conftest import ADMIN, SIGNING_SECRET, Running
from tests.e2e.helpers import all_text

ANSWER_DEADLINE_S = 3.0
GII = "What is China's rank in the Global Innovation Index?"
OLD_GII = "China ranks 11th in the Global Innovation Index."
NEW_GII = "China ranks 11th in the Global Innovation Index, up the table."


@pytest.fixture
def redis_store(redis_url: str, redis_prefix: str) -> Iterator[RedisStore]:
    """innov's store under this test's prefix. Tests ask for it before ``start_app``, so that the bots stop
    before the prefix's keys are deleted (a reload finishing after the clean-up left kb:version behind)."""
    store = RedisStore(redis_url, prefix=redis_prefix)
    yield store
    store.close()


def _port(bot: Running) -> int:
    return bot.slack.port


def _assert_answered(results: list[Result]) -> None:
    failures = [(r.kind, r.status, r.error, r.body[:120]) for r in results if r.status != 200]
    assert not failures, failures[:5]
    for result in results:
        if result.kind == "slash":
            text = all_text(result.json())
            assert "Source: " in text or "couldn't find" in text, text[:300]
            assert "went wrong" not in text
            assert result.seconds <= ANSWER_DEADLINE_S


def test_2000_mixed_requests_from_8_clients_with_redis(
    redis_store: RedisStore,
    start_app: Callable[..., Running],
    settings: Settings,
    record_property: Callable[[str, object], None],
) -> None:
    bot = start_app(settings, store=redis_store)
    plan = mixed_plan(2000)
    started = time.perf_counter()
    results = drive(_port(bot), plan, secret=SIGNING_SECRET, clients=8)
    figures = summary(results, time.perf_counter() - started)
    print(f"\nload: {figures}")
    for key, value in figures.items():
        record_property(key, value)
    assert figures["requests"] == 2000 and figures["errors"] == 0
    _assert_answered(results)
    # Every mention is answered in its thread, exactly once, once the lazy listeners catch up.
    mentions = sum(r.kind == "event" for r in plan)
    posts = bot.stub.wait_for("chat.postMessage", mentions, timeout=60)
    assert len(posts) == mentions
    per_thread = Counter(p.args.get("thread_ts") for p in posts)
    assert max(per_thread.values()) == 1


def test_a_reload_in_the_middle_of_the_load(
    redis_store: RedisStore, start_app: Callable[..., Running], settings: Settings, kb_dir: Path
) -> None:
    bot = start_app(settings, store=redis_store)
    old_version = bot.services.kb.version
    facts = kb_dir / "facts.yaml"
    assert f"answer: {OLD_GII}" in facts.read_text()
    reload_reply: list[Result] = []

    def reload_midway(done: int) -> None:
        if done == 400:
            facts.write_text(facts.read_text().replace(f"answer: {OLD_GII}", f"answer: {NEW_GII}", 1))
            [result] = drive(_port(bot), [slash("reload", ADMIN)], secret=SIGNING_SECRET, clients=1)
            reload_reply.append(result)

    plan = [slash(GII, f"U0LOAD{i % 100:03d}") for i in range(1000)]
    results = drive(_port(bot), plan, secret=SIGNING_SECRET, clients=8, on_sent=reload_midway)
    _assert_answered(results)
    (reply,) = reload_reply
    assert reply.status == 200
    # The admin is answered at once; the build runs aside and its report follows via the response_url.
    assert "Reloading the knowledge base" in all_text(reply.json())
    deadline = time.monotonic() + 30
    while bot.services.kb.version == old_version and time.monotonic() < deadline:
        time.sleep(0.05)
    new_version = bot.services.kb.version
    assert new_version != old_version
    # Answers show the fact's as-of year ("... Index (2024)."): compare without it.
    shown = [r.json()["text"].replace(" (2024).", ".") for r in results]
    texts = Counter(
        NEW_GII if text.startswith(NEW_GII) else OLD_GII if text.startswith(OLD_GII) else text
        for text in shown
    )
    assert set(texts) <= {OLD_GII, NEW_GII}, texts
    assert texts[OLD_GII] >= 400 - 8 and texts[NEW_GII] > 0  # the old one until the swap, then the new
    # After the reload every answer is the new one: the cache is keyed by version, so none is stale.
    [after] = drive(_port(bot), [slash(GII, "U0AFTER")], secret=SIGNING_SECRET, clients=1)
    assert NEW_GII.removesuffix(".") in all_text(after.json())


def test_redis_stopped_and_restarted_during_the_load(
    start_app: Callable[..., Running], settings: Settings, throwaway_redis: RedisServer
) -> None:
    store = RedisStore(throwaway_redis.url, prefix="innov-outage:")
    bot = start_app(settings, store=store)

    def outage(done: int) -> None:
        if done == 300:
            throwaway_redis.stop()
        elif done == 700:
            throwaway_redis.start()

    plan: list[Request] = mixed_plan(1200, seed=3)
    results = drive(_port(bot), plan, secret=SIGNING_SECRET, clients=8, on_sent=outage)
    _assert_answered(results)
    assert summary(results, 1.0)["errors"] == 0
    # Redis is back: innov reconnects by itself.
    deadline = time.monotonic() + 10
    while bot.services.redis_status() is not True:
        assert time.monotonic() < deadline, "innov did not reconnect to Redis"
        time.sleep(0.1)
    mentions = sum(r.kind == "event" for r in plan)
    posts = bot.stub.wait_for("chat.postMessage", mentions, timeout=60)
    assert len(posts) == mentions  # one reply per mention, outage or not


def test_web_api_429_then_500s_retried_as_slack_sdk_does_and_nothing_posted_twice(
    redis_store: RedisStore, start_app: Callable[..., Running], settings: Settings
) -> None:
    bot = start_app(settings, store=redis_store)
    bot.stub.fail("chat.postMessage", status=429, retry_after=1, times=1)
    bot.stub.fail("chat.postMessage", status=500, times=2)
    plan = [mention(GII, f"U0FAULT{i}", bot_user="U0INNOV") for i in range(8)]
    results = drive(_port(bot), plan, secret=SIGNING_SECRET, clients=4)
    assert [r.status for r in results] == [200] * 8
    # Each mention is answered in its own thread. 429: retried after Retry-After, then posted.
    # 500: retried by slack-sdk's ServerErrorRetryHandler (two more attempts), then posted.
    calls = bot.stub.wait_for("chat.postMessage", 8 + 1 + 2, timeout=30)
    time.sleep(0.5)  # let any (wrong) extra retry show up
    calls = bot.stub.calls("chat.postMessage")
    assert sorted(c.status for c in calls) == [200] * 8 + [429] + [500] * 2
    ok_threads = Counter(c.args.get("thread_ts") for c in calls if c.ok)
    assert len(ok_threads) == 8 and max(ok_threads.values()) == 1
    retried = [c for c in calls if c.status == 429]
    again = [c for c in calls if c.ok and c.args.get("thread_ts") == retried[0].args.get("thread_ts")]
    assert again and again[0].at - retried[0].at >= 0.9  # waited for Retry-After: 1


def test_concurrent_reloads_and_answers_never_error(
    redis_store: RedisStore, start_app: Callable[..., Running], settings: Settings
) -> None:
    bot = start_app(settings, store=redis_store)
    stop = threading.Event()
    reloads: list[int] = []

    def reloader() -> None:
        while not stop.is_set():
            [r] = drive(_port(bot), [slash("reload", ADMIN)], secret=SIGNING_SECRET, clients=1)
            reloads.append(r.status)

    thread = threading.Thread(target=reloader)
    thread.start()
    try:
        results = drive(_port(bot), mixed_plan(400, seed=5), secret=SIGNING_SECRET, clients=8)
    finally:
        stop.set()
        thread.join()
    _assert_answered(results)
    assert reloads and set(reloads) == {200}
