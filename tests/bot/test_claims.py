"""Claims ("already answered" records): kept apart from cached answers in-process, and safe to retry
against a Redis that answers late."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from bot.memory_store import MemoryStore
from bot.redis_store import RedisStore
from tests.conftest import RedisServer, free_port


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_memory_claims_are_never_evicted_by_cached_values() -> None:
    store = MemoryStore(max_entries=100)
    assert store.claim("claim:event:E0", ttl=3600)
    for n in range(10_000):
        store.set(f"answer:v:q:{n}", "x", ttl=3600)  # far past max_entries: the cache is trimmed
    assert store.get("answer:v:q:0") is None  # cached values were evicted...
    assert not store.claim("claim:event:E0", ttl=3600)  # ...the claim was not


def test_memory_claims_expire_and_expired_ones_are_swept() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    for n in range(3000):
        assert store.claim(f"claim:event:E{n}", ttl=10)
    clock.now = 11.0
    assert store.claim("claim:event:E0", ttl=10)  # expired: a new claim
    for n in range(3000, 6000):
        store.claim(f"claim:event:E{n}", ttl=10)
    assert store.claims() < 6000  # the expired ones were swept on the way
    assert not store.claim("claim:event:E5999", ttl=10)


@pytest.fixture
def sleepy_redis() -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(debug_commands=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_claim_answered_after_its_timeout_is_still_won_by_its_owner(sleepy_redis: RedisServer) -> None:
    # Redis sleeps 1 s; the claim's first attempt times out at 0.7 s but Redis applies it at 1 s; the
    # second attempt finds the claimant's own token there: won, and nobody else wins it.
    store = RedisStore(sleepy_redis.url, prefix="t:", claim_timeout=0.7)
    other = RedisStore(sleepy_redis.url, prefix="t:", claim_timeout=2.0)
    sleeper = threading.Thread(
        target=lambda: redis.Redis.from_url(sleepy_redis.url).execute_command("DEBUG", "SLEEP", 1)
    )
    sleeper.start()
    time.sleep(0.05)
    started = time.monotonic()
    assert store.claim("claim:event:E1", 60)
    assert 0.7 < time.monotonic() - started < 2.0
    sleeper.join()
    assert not other.claim("claim:event:E1", 60)
    store.close()
    other.close()


def test_a_retry_whose_claim_redis_may_have_recorded_is_answered(sleepy_redis: RedisServer) -> None:
    # Redis sleeps past the claim window: the retry's claim times out unanswered, but Redis applies it on
    # waking, so the first delivery's claim, later, finds it taken. The retry answers, or nobody would.
    store = RedisStore(sleepy_redis.url, prefix="t:", claim_window=0.5)
    other = RedisStore(sleepy_redis.url, prefix="t:")
    assert store.claim("claim:event:E0", 60)  # connected: the next claim's command is sent at once
    sleeper = threading.Thread(
        target=lambda: redis.Redis.from_url(sleepy_redis.url).execute_command("DEBUG", "SLEEP", 1.5)
    )
    sleeper.start()
    time.sleep(0.05)
    started = time.monotonic()
    assert store.claim("claim:event:E1", 60)
    assert 0.5 < time.monotonic() - started < 1.5
    sleeper.join()
    assert not other.claim("claim:event:E1", 60)
    store.close()
    other.close()


def test_unreachable_redis_every_delivery_is_claimed_once_in_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # At least once while Redis is down: a retry whose first delivery never got here (it may never have
    # got anywhere) is answered; a delivery this replica already claimed is not answered again.
    caplog.set_level(logging.DEBUG, logger="bot.store")
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", retry_after=0.0)
    assert store.claim("claim:event:E1", 60)  # answered on the in-process claim
    assert not store.claim("claim:event:E1", 60)  # and known here afterwards
    assert store.claim("claim:event:E2", 60)  # a retry of a delivery that never got here
    for n in range(3, 40):
        assert store.claim(f"claim:event:E{n}", 60)
    # The outage is one warning saying what happened; each claim is a debug line.
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "unreachable" in warnings[0] and "connection refused" in warnings[0]
    assert "within" not in warnings[0]
    per_claim = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(per_claim) == 39 and "connection refused" in per_claim[0]
    store.close()
