"""The in-process store (bot.memory_store) and RedisStore (bot.redis_store) against a real Redis, outages too."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from bot.memory_store import MemoryStore
from bot.redis_store import RedisStore
from bot.store import FleetVersion, StoreUnavailable
from tests.conftest import RedisServer, free_port

FAST = 0.15  # no call may wait on an unreachable Redis longer than this (socket timeouts are 0.1 s)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same moment; their results in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait(timeout=5)
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    return results


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def outage_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "bot.store" and "unreachable" in r.getMessage()
    ]


# -- MemoryStore -------------------------------------------------------------------------------------------


def test_memory_get_set_honours_ttl() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    assert store.get("a") is None
    assert store.set("a", "1", ttl=10)
    assert store.set("forever", "x")
    assert store.get("a") == "1"
    clock.now += 10
    assert store.get("a") is None
    assert store.get("forever") == "x"


def test_memory_set_nx_only_when_absent_or_expired() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    assert store.set("k", "first", ttl=5, nx=True)
    assert not store.set("k", "second", nx=True)
    assert store.get("k") == "first"
    clock.now += 5
    assert store.set("k", "third", nx=True)


def test_memory_claim_once_until_it_expires() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    assert store.claim("event:E1", ttl=60)
    assert not store.claim("event:E1", ttl=60)
    clock.now += 61
    assert store.claim("event:E1", ttl=60)


def test_memory_claim_is_thread_safe() -> None:
    store = MemoryStore()
    assert sum(run_together(32, lambda _: store.claim("event:E2", 60))) == 1


def test_memory_token_bucket_refuses_the_eleventh_and_refills() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    assert [store.take_token("rate:U1", 10) for _ in range(10)] == [None] * 10
    wait = store.take_token("rate:U1", 10)
    assert wait == pytest.approx(6.0)
    assert store.take_token("rate:U2", 10) is None  # buckets are per key
    clock.now += 6.0
    assert store.take_token("rate:U1", 10) is None
    assert store.take_token("rate:U1", 10) is not None


def test_memory_token_bucket_is_thread_safe() -> None:
    store = MemoryStore()
    assert run_together(30, lambda _: store.take_token("rate:U3", 10)).count(None) == 10


def test_memory_publish_reaches_subscribers_until_they_close() -> None:
    store = MemoryStore()
    first, second = store.subscribe("kb:reload"), store.subscribe("kb:reload")
    assert store.publish("kb:reload", "hello") == 2
    assert first.get_message(0.1) == "hello"
    assert second.get_message(0.1) == "hello"
    assert first.get_message(0.01) is None
    second.close()
    assert store.publish("kb:reload", "again") == 1
    assert store.publish("other", "nobody") == 0


def test_memory_replicas_expire() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    store.register_replica("r1", "v1", ttl=60)
    store.register_replica("r2", "v2", ttl=10)
    assert store.replicas() == {"r1": "v1", "r2": "v2"}
    clock.now += 30
    assert store.replicas() == {"r1": "v1"}
    store.unregister_replica("r1")
    assert store.replicas() == {}


def test_memory_store_stays_bounded() -> None:
    store = MemoryStore(max_entries=100)
    for i in range(1000):
        store.set(f"answer:{i}", "x", ttl=3600)
    assert store.entries() <= 100
    assert store.get("answer:999") == "x"  # the newest survive


# -- RedisStore against a real Redis -----------------------------------------------------------------------


@pytest.fixture
def store(redis_url: str, redis_prefix: str) -> Iterator[RedisStore]:
    s = RedisStore(redis_url, prefix=redis_prefix)
    yield s
    s.close()


@pytest.fixture
def twin(redis_url: str, redis_prefix: str) -> Iterator[RedisStore]:
    """A second store on the same Redis and prefix: another replica."""
    s = RedisStore(redis_url, prefix=redis_prefix)
    yield s
    s.close()


def test_redis_get_set_with_ttl_under_the_prefix(store: RedisStore, redis_prefix: str) -> None:
    assert store.ping()
    assert store.get("answer:v1:q:hello") is None
    assert store.set("answer:v1:q:hello", '{"x": 1}', ttl=30)
    assert store.get("answer:v1:q:hello") == '{"x": 1}'
    assert 0 < store.client.ttl(redis_prefix + "answer:v1:q:hello") <= 30
    assert store.set("kb:version", "v1")
    assert store.client.ttl(redis_prefix + "kb:version") == -1  # no expiry
    assert not store.set("kb:version", "v2", nx=True)
    assert store.get("kb:version") == "v1"
    store.delete("kb:version")
    assert store.get("kb:version") is None
    assert all(k.startswith(redis_prefix) for k in store.client.scan_iter(match=redis_prefix + "*"))


def test_redis_claim_is_set_nx_ex_and_one_replica_wins(
    store: RedisStore, twin: RedisStore, redis_prefix: str
) -> None:
    assert store.claim("claim:event:E1", ttl=120)
    assert not store.claim("claim:event:E1", ttl=120)
    assert not twin.claim("claim:event:E1", ttl=120)
    assert 0 < store.client.ttl(redis_prefix + "claim:event:E1") <= 120
    stores = (store, twin)
    assert sum(run_together(16, lambda i: stores[i % 2].claim("claim:event:E2", 120))) == 1


def test_redis_token_bucket_refuses_the_eleventh(
    store: RedisStore, twin: RedisStore, redis_prefix: str
) -> None:
    assert [store.take_token("rate:U1", 10) for _ in range(5)] == [None] * 5
    assert [twin.take_token("rate:U1", 10) for _ in range(5)] == [None] * 5  # one bucket, fleet-wide
    wait = store.take_token("rate:U1", 10)
    assert wait is not None and 5.0 < wait <= 6.0
    assert store.take_token("rate:U2", 10) is None
    assert 0 < store.client.pttl(redis_prefix + "rate:U1") <= 61_000


def test_redis_token_bucket_is_atomic_under_threads(store: RedisStore, twin: RedisStore) -> None:
    stores = (store, twin)
    results = run_together(40, lambda i: stores[i % 2].take_token("rate:U3", 10))
    assert results.count(None) == 10
    assert all(w > 0 for w in results if w is not None)


def next_message(subscription: Any, seconds: float = 2.0) -> str | None:
    """The subscription's next message within ``seconds`` (None if none came)."""
    deadline = time.monotonic() + seconds
    message = None
    while message is None and time.monotonic() < deadline:
        message = subscription.get_message(0.1)
    return message


def test_redis_publish_subscribe(store: RedisStore, twin: RedisStore) -> None:
    subscription = twin.subscribe("kb:reload")
    try:
        assert store.publish("kb:reload", '{"version": "v2"}') == 1
        assert next_message(subscription) == '{"version": "v2"}'
    finally:
        subscription.close()
    # (Closing returns before Redis has dropped the subscriber: a publish at once may still reach it.)
    deadline = time.monotonic() + 2
    while store.publish("kb:reload", "nobody listens") != 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.publish("kb:reload", "nobody listens") == 0


def test_redis_channels_of_another_database_are_not_heard(redis_url: str, redis_prefix: str) -> None:
    """Pub/sub ignores database numbers: a deployment in database n names its channels by n, so two
    deployments sharing a server under one prefix do not hear each other's reloads."""
    url = urlsplit(redis_url)
    one = RedisStore(urlunsplit(url._replace(path="/1")), prefix=redis_prefix)
    two = RedisStore(urlunsplit(url._replace(path="/2")), prefix=redis_prefix)
    subscription = two.subscribe("kb:reload")
    try:
        assert one.publish("kb:reload", "not for you") == 0
        assert two.publish("kb:reload", "mine") == 1
        assert next_message(subscription) == "mine"
    finally:
        subscription.close()
        one.close()
        two.close()


def test_redis_replicas_registry_prunes_expired_records(store: RedisStore, redis_prefix: str) -> None:
    store.register_replica("r1", "v1", ttl=60)
    store.register_replica("r2", "v2", ttl=60)
    assert store.replicas() == {"r1": "v1", "r2": "v2"}
    assert 0 < store.client.ttl(redis_prefix + "replica:r1") <= 60
    store.client.delete(redis_prefix + "replica:r2")  # as if its record had expired
    assert store.replicas() == {"r1": "v1"}
    assert store.client.smembers(redis_prefix + "replicas") == {"r1"}
    store.unregister_replica("r1")
    assert store.replicas() == {}


# -- outages -----------------------------------------------------------------------------------------------


def test_unreachable_redis_never_raises_and_never_waits(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store")
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    calls: list[Callable[[], Any]] = [
        lambda: store.get("answer:x"),
        lambda: store.set("answer:x", "1", ttl=10),
        lambda: store.claim("claim:event:E1", 60),
        lambda: store.take_token("rate:U1", 10),
        lambda: store.publish("kb:reload", "x"),
        lambda: store.replicas(),
        lambda: store.ping(),
    ]
    results = []
    for _ in range(3):
        for call in calls:
            result, seconds = timed(call)
            assert seconds < FAST
            results.append(result)
    assert results[:7] == [None, False, True, None, 0, {}, False]
    # What was written meanwhile is kept in-process for this replica (set still says the fleet missed it).
    assert results[7] == "1" and store.get("answer:x") == "1"
    assert not store.claim("claim:event:E1", 60)  # de-duplicated in-process meanwhile
    with pytest.raises(StoreUnavailable):
        store.subscribe("kb:reload")
    assert not store.available
    assert len(outage_warnings(caplog)) == 1
    store.close()


def test_outage_and_recovery(throwaway_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store")
    store = RedisStore(throwaway_redis.url, retry_after=0.2)
    assert store.set("answer:a", "cached", ttl=60)
    assert store.claim("claim:event:E1", 60)

    throwaway_redis.stop()
    for _ in range(20):
        value, seconds = timed(lambda: store.get("answer:a"))
        assert value is None and seconds < FAST
        stored, seconds = timed(lambda: store.set("answer:b", "x", ttl=60))
        assert not stored and seconds < FAST
    assert not store.claim("claim:event:E1", 60)  # claimed before the outage: still known here
    assert store.claim("claim:event:E2", 60)
    assert not store.claim("claim:event:E2", 60)
    assert [store.take_token("rate:U1", 2) for _ in range(3)][:2] == [None, None]
    assert not store.ping()
    assert len(outage_warnings(caplog)) == 1

    throwaway_redis.start()  # same port, empty: nothing was saved
    assert store.ping()
    assert store.set("answer:c", "back", ttl=60)
    assert store.get("answer:c") == "back"
    assert store.claim("claim:event:E3", 60)
    recovered = [r for r in caplog.records if r.name == "bot.store" and "reachable again" in r.getMessage()]
    assert len(recovered) == 1
    assert len(outage_warnings(caplog)) == 1
    store.close()


def test_a_restarted_redis_is_used_again_without_a_failed_request(throwaway_redis: RedisServer) -> None:
    store = RedisStore(throwaway_redis.url)
    assert store.set("answer:a", "1", ttl=60)
    throwaway_redis.stop()
    throwaway_redis.start()
    # The pooled connection died with the old server; the one immediate retry reconnects.
    assert store.set("answer:a", "2", ttl=60)
    assert store.get("answer:a") == "2"
    assert store.available
    store.close()


# -- ledgers (feedback, declined questions) ---------------------------------------------------------------


def _ledger_contract(store: Any) -> None:
    """What both stores promise: a value per member, a count, newest first, retention and cap."""
    assert store.ledger_put("led", "a", "A1", 1000.0, retention=100, cap=3) == 1
    assert store.ledger_put("led", "a", "A2", 1001.0, retention=100, cap=3) == 1  # not counted: stays 1
    assert store.ledger_put("led", "q", "Q", 1002.0, retention=100, cap=3, count=True) == 1
    assert store.ledger_put("led", "q", "Q", 1003.0, retention=100, cap=3, count=True) == 2
    entries = store.ledger_read("led", 0.0, 10)
    assert [(e.member, e.value, e.count, e.at) for e in entries] == [
        ("q", "Q", 2, 1003.0),
        ("a", "A2", 1, 1001.0),
    ]
    assert [e.member for e in store.ledger_read("led", 1002.5, 10)] == ["q"]
    assert [e.member for e in store.ledger_read("led", 0.0, 1)] == ["q"]
    # Cap: at most 3 members, the oldest written go first.
    store.ledger_put("led", "b", "B", 1004.0, retention=100, cap=3)
    store.ledger_put("led", "c", "C", 1005.0, retention=100, cap=3)
    assert [e.member for e in store.ledger_read("led", 0.0, 10)] == ["c", "b", "q"]
    # Retention: a write 200 s later drops everything older than 100 s.
    store.ledger_put("led", "d", "D", 1205.0, retention=100, cap=3)
    assert [e.member for e in store.ledger_read("led", 0.0, 10)] == ["d"]
    assert store.ledger_read("other", 0.0, 10) == []


def test_memory_ledger() -> None:
    _ledger_contract(MemoryStore())


def test_redis_ledger(store: RedisStore, redis_prefix: str) -> None:
    _ledger_contract(store)
    for suffix in ("at", "val", "n"):
        assert 0 < store.client.ttl(f"{redis_prefix}led:{suffix}") <= 100  # the retention, stated as a TTL


def test_redis_ledger_is_shared_by_replicas_and_counts_atomically(
    store: RedisStore, twin: RedisStore
) -> None:
    stores = (store, twin)
    run_together(
        20,
        lambda i: stores[i % 2].ledger_put(
            "shared", "q", "Q", 1000.0 + i, retention=3600, cap=10, count=True
        ),
    )
    [entry] = twin.ledger_read("shared", 0.0, 10)
    assert entry.count == 20


def test_redis_ledger_falls_back_in_process_during_an_outage(throwaway_redis: RedisServer) -> None:
    down = RedisStore(throwaway_redis.url, prefix="innov-test-ledger:")
    throwaway_redis.stop()
    (count, seconds) = timed(lambda: down.ledger_put("l", "q", "Q", 1.0, retention=60, cap=10, count=True))
    assert count == 1 and seconds < FAST
    assert [e.member for e in down.ledger_read("l", 0.0, 10)] == ["q"]  # read from the fallback
    down.close()


# -- the fleet's knowledge version (issue 21, items 1 and 2) -----------------------------------------------


def check_version_rules(store: Any) -> None:
    """``advance_version``'s rules, the same for both stores (Redis runs them as one script)."""

    def advance(version: str, **kw: Any) -> FleetVersion | None:
        return store.advance_version("kb:version", "kb:versions", version, **{"force": False, **kw})

    assert advance("A") == FleetVersion("A", 1)  # nothing recorded: the first offer is the fleet's
    assert advance("A", force=True) == FleetVersion("A", 1)  # already the fleet's: unchanged
    assert advance("B", built_here=True) == FleetVersion("B", 2)  # a build the fleet never saw: newer
    assert advance("A", built_here=True) == FleetVersion("B", 2)  # an older build: the fleet keeps B
    assert advance("C") == FleetVersion("B", 2)  # following, not building: no say
    assert advance("A", force=True) == FleetVersion("A", 3)  # an explicit reload always wins
    assert advance("C", known=9) == FleetVersion("C", 10)  # the record fell behind what a replica knew
    assert advance("B", built_here=True, known=2) == FleetVersion("C", 10)  # generations never go back


def test_memory_fleet_version_rules() -> None:
    check_version_rules(MemoryStore())


def test_redis_fleet_version_rules(store: RedisStore, redis_prefix: str) -> None:
    check_version_rules(store)
    assert store.client.zscore(redis_prefix + "kb:versions", "A") == 3  # the history: version -> generation


def test_a_version_record_from_an_older_innov_is_generation_0(store: RedisStore) -> None:
    store.set("kb:version", "6bd5e11e6c7a")  # a bare content hash
    assert FleetVersion.parse(store.get("kb:version")) == FleetVersion("6bd5e11e6c7a", 0)
    assert store.advance_version("kb:version", "kb:versions", "6bd5e11e6c7a", force=False) == FleetVersion(
        "6bd5e11e6c7a", 0
    )
    record = store.advance_version("kb:version", "kb:versions", "0123456789ab", force=False, built_here=True)
    assert record == FleetVersion("0123456789ab", 1)


def test_a_reload_mends_a_bad_generation_of_its_own_version(store: RedisStore, redis_prefix: str) -> None:
    """The second attack run: a record of the served version whose generation was "abc" stayed bad after a
    reload, though the warning said the next reload writes a good one. A heartbeat (force=False) only reads."""
    store.set("kb:version", '{"version": "6bd5e11e6c7a", "generation": "abc"}')
    assert store.advance_version("kb:version", "kb:versions", "6bd5e11e6c7a", force=False) == FleetVersion(
        "6bd5e11e6c7a", 0
    )
    assert "abc" in str(store.get("kb:version"))
    mended = store.advance_version("kb:version", "kb:versions", "6bd5e11e6c7a", force=True)
    assert mended == FleetVersion("6bd5e11e6c7a", 1)
    assert FleetVersion.parse(store.get("kb:version")) == FleetVersion("6bd5e11e6c7a", 1)


def test_an_unreachable_store_records_no_version() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0")
    assert store.advance_version("kb:version", "kb:versions", "A", force=True) is None
    store.close()


def test_add_is_set_nx_and_decided_in_process_during_an_outage(throwaway_redis: RedisServer) -> None:
    store = RedisStore(throwaway_redis.url, retry_after=0.2)
    assert store.add("request:a", 60) and not store.add("request:a", 60)
    throwaway_redis.stop()
    (added, seconds), again = timed(lambda: store.add("request:b", 60)), store.add("request:b", 60)
    assert added and not again and seconds < FAST  # the request path never waits out a claim window
    store.close()
    memory = MemoryStore()
    assert memory.add("request:a", 60) and not memory.add("request:a", 60)


def test_a_command_redis_refuses_is_not_an_outage(
    store: RedisStore, redis_url: str, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Redis answering a command with an error (a ResponseError) is a refusal, not Redis being away: the
    # replica keeps using Redis (claims too), and each distinct refusal is one warning, not one a request.
    caplog.set_level(logging.WARNING, logger="bot.store")
    client = redis.Redis.from_url(redis_url)
    client.hset(f"{redis_prefix}answer:hash", "f", "v")  # GET on a hash: WRONGTYPE
    for _ in range(5):
        assert store.get("answer:hash") is None
        assert not store.set("answer:x", "1", ttl=10**20)  # out of range: nothing cached, Redis still used
    assert store.available
    assert store.claim("claim:event:E1", 60)
    assert client.exists(f"{redis_prefix}claim:event:E1")  # the claim went to Redis, not in-process
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.store"]
    assert len(warnings) == 2, warnings
    assert not outage_warnings(caplog)
    assert all("refused" in w and "still in use" in w for w in warnings)
    client.close()


def test_a_ledger_value_that_is_not_innov_s_is_skipped_with_one_warning(
    store: RedisStore, redis_url: str, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """`innov feedback` crashed on a declined-questions value that was not UTF-8 (written by something other
    than innov): the value is read as missing, the others are still read, and the key is named once."""
    store.ledger_put("led", "a", "A", 1000.0, retention=100, cap=3)
    store.ledger_put("led", "q", "Q", 1001.0, retention=100, cap=3, count=True)
    raw = redis.Redis.from_url(redis_url)
    raw.hset(f"{redis_prefix}led:val", "a", b"\xff\xfe")
    raw.zadd(f"{redis_prefix}led:rank:v1", {"x": 2.0, "y": 1.0})
    raw.hset(f"{redis_prefix}led:items:v1", mapping={"x": b"\xff", "y": '{"c": {"1": 2}, "v": "Y", "at": 5}'})
    with caplog.at_level(logging.WARNING):
        assert [(e.member, e.value) for e in store.ledger_read("led", 0.0, 10)] == [("q", "Q")]
        assert [(r.item, r.value) for r in store.ledger_top("led", "v1", 10)] == [("y", "Y")]
        raw.hset(f"{redis_prefix}led:items:v1", "x", "[not json")
        assert [r.item for r in store.ledger_top("led", "v1", 10)] == ["y"]
        # A member that is not UTF-8 crashed `innov feedback` too (the second attack run).
        raw.zadd(f"{redis_prefix}led:at", {b"q\xff": 5000.0})
        raw.zadd(f"{redis_prefix}led:rank:v1", {b"z\xff": 9.0})
        assert [e.member for e in store.ledger_read("led", 0.0, 10)] == ["q"]
        assert [r.item for r in store.ledger_top("led", "v1", 10)] == ["y"]
    warned = [r.getMessage() for r in caplog.records if "ignoring a value" in r.getMessage()]
    assert len(warned) == 4 and f"{redis_prefix}led:val" in warned[0], warned
    assert any(w.endswith(f"{redis_prefix}led:at: not innov's (not UTF-8 or not its JSON)") for w in warned)
    raw.close()
