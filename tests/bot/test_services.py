"""bot.services and bot.fleet: version-keyed cache, claims, rate limits and fleet-wide reload, against a real Redis."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import metrics
from bot.fleet import RELOAD_CHANNEL, broadcast_reload, fleet_version
from bot.knowledge_loading import open_knowledge, settle_memory
from bot.memory_store import MemoryStore
from bot.redis_store import RedisStore
from bot.services import Services, cache_key, question_key
from bot.settings import Settings
from bot.store import FleetVersion, Store, StoreUnavailable
from knowledge import KnowledgeLoadError, QuestionError
from tests.bot.test_store import FAST, outage_warnings, run_together, timed
from tests.conftest import RedisServer, free_port

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUESTION = "How much does Widgetland spend on research?"


def write_kb(directory: Path, percent: int) -> Path:
    """A one-article knowledge base whose figure a test can change (changing the version)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "widget.md").write_text(
        "---\nid: widget\ntitle: Widgetland report\n---\n"
        f"Widgetland spends {percent} percent of its GDP on research and development.\n\n"
        "The weather in Widgetland is usually mild and pleasant all year.\n",
        encoding="utf-8",
    )
    return directory


def make_settings(kb_dir: Path, redis_url: str | None = None, **overrides: Any) -> Settings:
    return Settings(_env_file=None, innov_knowledge_dir=kb_dir, redis_url=redis_url, **overrides)  # type: ignore[call-arg]


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def eventually(check: Callable[[], bool], within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture
def services_factory() -> Iterator[Callable[..., Services]]:
    """Build Services (closed at the end of the test): ``make(kb_dir, store=..., start=True)``."""
    built: list[Services] = []

    def make(kb_dir: Path, store: Store | None = None, *, start: bool = False, **settings: Any) -> Services:
        services = Services(make_settings(kb_dir, **settings), store=store or MemoryStore())
        built.append(services)
        if start:
            services.start()
        return services

    yield make
    for services in built:
        services.close()


# -- answers and the cache -------------------------------------------------------------------------------


def test_cache_key_is_versioned_exact_but_for_whitespace_and_bounded() -> None:
    assert question_key("  What is  China's\tGII RANK? ") == "What is China's GII RANK?"
    assert cache_key("v1", "What is China's GII rank?") == cache_key("v1", " What is   China's GII rank?\n")
    assert cache_key("v1", "What is China's GII rank?") != cache_key("v1", "what is china's gii rank?")
    assert cache_key("v1", "What is China's GII rank?") != cache_key("v2", "What is China's GII rank?")
    long_key = cache_key("v1", "why " * 100)
    assert long_key.startswith("answer:v1:sha256:") and len(long_key) < 90
    assert long_key != cache_key("v1", "WHY " * 100)
    # The question's text never shows in a key name.
    assert "gii" not in cache_key("v1", "what is the gii rank").lower()


def test_a_cached_answer_keeps_no_question_text_and_is_served_with_the_askers(
    tmp_path: Path, services_factory: Callable[..., Services], redis_url: str, redis_prefix: str
) -> None:
    import json

    import redis

    services = services_factory(write_kb(tmp_path / "kb", 5), RedisStore(redis_url, prefix=redis_prefix))
    typed = "hey team, How much does Widgetland spend on research? asking for my manager Zoltan"
    first = services.answer(typed)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        [key] = list(client.scan_iter(match=f"{redis_prefix}answer:*"))
        raw = client.get(key)
    finally:
        client.close()
    assert raw is not None and "Zoltan" not in raw and "hey team" not in raw
    assert json.loads(raw)["question"] == ""
    again = services.answer(typed)
    assert again.question == first.question == typed and again.text == first.text


def test_answer_is_cached_per_wording_and_counted(
    tmp_path: Path, services_factory: Callable[..., Services]
) -> None:
    services = services_factory(write_kb(tmp_path / "kb", 5))
    hits, misses = sample("innov_cache_hits_total"), sample("innov_cache_misses_total")
    passages = sample("innov_answers_total", {"kind": "passage"})
    first = services.answer(QUESTION)
    second = services.answer("  How much does Widgetland spend   on research? ")
    assert first.kind == second.kind == "passage" and "5 percent" in first.text
    assert second.question == "How much does Widgetland spend   on research?"  # the asker's wording
    assert second.text == first.text and second.kb_version == services.kb.version
    assert sample("innov_cache_hits_total") == hits + 1
    assert sample("innov_cache_misses_total") == misses + 1
    assert sample("innov_answers_total", {"kind": "passage"}) == passages + 2
    stats = services.stats()
    assert stats["cache_hits"] == 1 and stats["cache_misses"] == 1
    assert stats["answers_by_kind"] == {"passage": 2}
    assert stats["version"] == services.kb.version and stats["articles"] == 1
    assert {"passages", "facts", "uptime_s", "redis"} <= stats.keys()


def test_questions_the_knowledge_base_refuses_are_not_cached(
    tmp_path: Path, services_factory: Callable[..., Services]
) -> None:
    services = services_factory(write_kb(tmp_path / "kb", 5))
    with pytest.raises(QuestionError):
        services.answer("   ")
    assert services.stats()["cache_misses"] == 0


def test_real_knowledge_base_answers_from_the_cache(services_factory: Callable[..., Services]) -> None:
    services = services_factory(SEEDS)
    first = services.answer("What is China's GII rank?")
    assert first.kind == "fact" and "11th" in first.text
    assert services.answer("What is  China's GII rank?").text == first.text
    assert services.stats()["cache_hits"] == 1
    assert services.redis_status() is None  # no REDIS_URL
    assert services.replicas() == {services.replica_id: services.kb.version}


def test_reload_changes_the_cache_key_and_never_serves_a_stale_figure(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    kb_dir = write_kb(tmp_path / "kb", 5)
    store = RedisStore(redis_url, prefix=redis_prefix)
    services = services_factory(kb_dir, store)
    old_version = services.kb.version
    assert "5 percent" in services.answer(QUESTION).text
    assert store.get(cache_key(old_version, QUESTION)) is not None
    write_kb(kb_dir, 7)
    report = services.reload("U0ADMIN")
    assert report.old_version == old_version and report.new_version == services.kb.version != old_version
    assert fleet_version(store) == FleetVersion(report.new_version, 1)
    assert (
        metrics.REGISTRY.get_sample_value(metrics.KNOWLEDGE_INFO_NAME, {"version": report.new_version}) == 1
    )
    answer = services.answer(QUESTION)
    assert "7 percent" in answer.text and answer.kb_version == report.new_version
    assert store.get(cache_key(report.new_version, QUESTION)) is not None


def test_a_broken_reload_raises_and_keeps_serving(
    tmp_path: Path, services_factory: Callable[..., Services], caplog: pytest.LogCaptureFixture
) -> None:
    kb_dir = write_kb(tmp_path / "kb", 5)
    store = MemoryStore()
    services = services_factory(kb_dir, store)
    version = services.kb.version
    errors = sample("innov_reloads_total", {"outcome": "error"})
    (kb_dir / "broken.md").write_text(
        "---\nid: broken\n---\nno title in this front matter\n", encoding="utf-8"
    )
    with caplog.at_level(logging.INFO, logger="bot.services"), pytest.raises(KnowledgeLoadError) as failure:
        services.reload("U0ADMIN")
    assert any("broken.md" in str(p) for p in failure.value.problems)
    assert services.kb.version == version and "5 percent" in services.answer(QUESTION).text
    assert sample("innov_reloads_total", {"outcome": "error"}) == errors + 1
    assert fleet_version(store) is None  # nothing was announced to the fleet
    assert any("U0ADMIN" in r.getMessage() for r in caplog.records)  # admin actions name the user


# -- exactly once and rate limits, two replicas on one Redis ------------------------------------------------


def test_one_claim_wins_across_two_replicas(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    kb_dir = write_kb(tmp_path / "kb", 5)
    fleet = [services_factory(kb_dir, RedisStore(redis_url, prefix=redis_prefix)) for _ in range(2)]
    assert sum(run_together(16, lambda i: fleet[i % 2].claim_event("Ev01"))) == 1
    assert fleet[0].claim_message("C1", "1700000000.000100")
    assert not fleet[1].claim_message("C1", "1700000000.000100")  # the app_mention / message twin
    assert fleet[1].claim_thread("C1", "1700000000.000100")
    assert not fleet[0].claim_thread("C1", "1700000000.000100")
    ttl = fleet[0].store.client.ttl(redis_prefix + "claim:event:Ev01")  # type: ignore[attr-defined]
    assert 0 < ttl <= 86400


def test_cache_filled_by_one_replica_is_hit_by_the_other(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    a = services_factory(write_kb(tmp_path / "a", 5), RedisStore(redis_url, prefix=redis_prefix))
    b = services_factory(write_kb(tmp_path / "b", 5), RedisStore(redis_url, prefix=redis_prefix))
    assert a.kb.version == b.kb.version  # same files, same version
    a.answer(QUESTION)
    assert "5 percent" in b.answer(f" {QUESTION} ").text
    assert (a.stats()["cache_misses"], b.stats()["cache_hits"], b.stats()["cache_misses"]) == (1, 1, 0)


def test_rate_limit_refuses_the_eleventh_question_fleet_wide(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    kb_dir = write_kb(tmp_path / "kb", 5)
    a = services_factory(kb_dir, RedisStore(redis_url, prefix=redis_prefix))
    b = services_factory(kb_dir, RedisStore(redis_url, prefix=redis_prefix))
    limited = sample("innov_rate_limited_total")
    assert [(a, b)[i % 2].check_rate("U0ALICE") for i in range(10)] == [None] * 10
    wait = a.check_rate("U0ALICE")
    assert wait is not None and 5.0 < wait <= 6.0
    assert sample("innov_rate_limited_total") == limited + 1
    assert b.check_rate("U0BOB") is None
    results = run_together(30, lambda i: (a, b)[i % 2].check_rate("U0CAROL"))
    assert results.count(None) == 10


def test_rate_limit_is_configurable(tmp_path: Path, services_factory: Callable[..., Services]) -> None:
    services = services_factory(write_kb(tmp_path / "kb", 5), innov_rate_limit=3)
    assert [services.check_rate("U1") is None for _ in range(4)] == [True, True, True, False]


# -- fleet-wide reload -------------------------------------------------------------------------------------


def test_reload_on_one_replica_reaches_the_other(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    dirs = [write_kb(tmp_path / name, 5) for name in ("a", "b")]
    a, b = (services_factory(d, RedisStore(redis_url, prefix=redis_prefix), start=True) for d in dirs)
    assert set(a.replicas()) == {a.replica_id, b.replica_id}
    for d in dirs:  # a deploy updates every replica's files; one admin reload applies them
        write_kb(d, 7)
    report = a.reload("U0ADMIN")
    assert eventually(lambda: b.kb.version == report.new_version, within=2.0)
    assert "7 percent" in b.answer(QUESTION).text
    assert eventually(
        lambda: a.replicas() == {a.replica_id: report.new_version, b.replica_id: report.new_version}
    )


def test_a_replica_that_missed_the_broadcast_catches_up_from_the_version_key(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    dirs = [write_kb(tmp_path / name, 5) for name in ("a", "late")]
    a = services_factory(dirs[0], RedisStore(redis_url, prefix=redis_prefix), start=True)
    late = services_factory(dirs[1], RedisStore(redis_url, prefix=redis_prefix))  # loaded, not listening
    for d in dirs:
        write_kb(d, 7)
    report = a.reload("U0ADMIN")
    assert late.kb.version == report.old_version
    late.start()
    assert eventually(lambda: late.kb.version == report.new_version, within=2.0)


def test_the_newest_files_win_and_a_replica_never_moves_back(
    tmp_path: Path,
    redis_url: str,
    redis_prefix: str,
    services_factory: Callable[..., Services],
    caplog: pytest.LogCaptureFixture,
) -> None:
    kb_dir = write_kb(tmp_path / "kb", 5)
    a = services_factory(kb_dir, RedisStore(redis_url, prefix=redis_prefix), start=True)
    write_kb(kb_dir, 7)
    seven = a.reload("U0ADMIN").new_version
    # The files go back to 5 without a reload, and a replica starts over them: 5 is a version the fleet
    # has since replaced, so it serves 7 (its saved index), and says why.
    write_kb(kb_dir, 5)
    caplog.set_level(logging.WARNING, logger="bot.services")
    restarted = services_factory(kb_dir, RedisStore(redis_url, prefix=redis_prefix), start=True)
    assert restarted.kb.version == seven and "7 percent" in restarted.answer(QUESTION).text
    assert any("`innov reload` makes these files the fleet's" in r.getMessage() for r in caplog.records)
    # An edit the fleet never saw, then a start over it: the newest files win, and the fleet follows.
    write_kb(kb_dir, 9)
    newest = services_factory(kb_dir, RedisStore(redis_url, prefix=redis_prefix), start=True)
    assert "9 percent" in newest.answer(QUESTION).text
    for replica in (a, restarted):
        replica.fleet.catch_up()  # the listener's heartbeat
        assert replica.kb.version == newest.kb.version
    record = fleet_version(a.store)
    assert record is not None and record.version == newest.kb.version and record.generation == 3


def test_cli_broadcast_reaches_every_replica(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    dirs = [write_kb(tmp_path / name, 5) for name in ("a", "b")]
    fleet = [services_factory(d, RedisStore(redis_url, prefix=redis_prefix), start=True) for d in dirs]
    for d in dirs:
        write_kb(d, 7)
    cli_store = RedisStore(redis_url, prefix=redis_prefix)
    reached, outcomes = broadcast_reload(make_settings(dirs[0], redis_url), store=cli_store, timeout=10)
    assert reached == 2
    # Each replica answers with its own outcome, once it has reloaded.
    assert sorted(o["replica"] for o in outcomes) == sorted(s.replica_id for s in fleet)
    assert all(o["ok"] and o["version"] == fleet[0].kb.version for o in outcomes)
    assert all("7 percent" in s.answer(QUESTION).text for s in fleet)
    assert eventually(lambda: getattr(fleet_version(cli_store), "version", None) == fleet[0].kb.version)
    cli_store.close()


def test_a_replica_whose_files_are_broken_reports_its_failure(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    good, bad = write_kb(tmp_path / "good", 5), write_kb(tmp_path / "bad", 5)
    fleet = [services_factory(d, RedisStore(redis_url, prefix=redis_prefix), start=True) for d in (good, bad)]
    write_kb(good, 7)
    (bad / "facts.yaml").write_text("facts: [unclosed\n", encoding="utf-8")
    cli_store = RedisStore(redis_url, prefix=redis_prefix)
    reached, outcomes = broadcast_reload(make_settings(good, redis_url), store=cli_store, timeout=10)
    cli_store.close()
    assert reached == 2
    by_replica = {o["replica"]: o for o in outcomes}
    assert by_replica[fleet[0].replica_id]["ok"] is True
    failed = by_replica[fleet[1].replica_id]
    assert failed["ok"] is False and failed["version"] == failed["old_version"] == fleet[1].kb.version
    assert any("facts.yaml:" in p for p in failed["problems"])


def test_mending_files_back_to_the_version_served_clears_the_problems(
    tmp_path: Path, redis_url: str, redis_prefix: str, services_factory: Callable[..., Services]
) -> None:
    """A failed reload leaves its problems in /healthz; `innov reload` after putting the old file back
    validates the version already served, and each replica clears them (they stayed until a /innov
    reload: found by the second attack run)."""
    kb_dir = write_kb(tmp_path / "kb", 5)
    replica = services_factory(kb_dir, RedisStore(redis_url, prefix=redis_prefix), start=True)
    served = replica.kb.version
    article = kb_dir / "widget.md"
    good = article.read_bytes()
    time.sleep(0.01)  # (file times are coarse on some file systems)
    article.write_text("---\ntitle: [unclosed\n---\nWidgets.\n", encoding="utf-8")
    with pytest.raises(KnowledgeLoadError):
        replica.reload()
    assert replica.kb.problems and sample("innov_knowledge_problems") == 1
    article.write_bytes(good)
    settings = make_settings(kb_dir, redis_url)
    version = open_knowledge(settings).version  # what `innov reload` validates first
    assert version == served
    cli_store = RedisStore(redis_url, prefix=redis_prefix)
    reached, outcomes = broadcast_reload(settings, version=version, store=cli_store, timeout=10)
    cli_store.close()
    assert reached == 1 and outcomes and outcomes[0]["ok"]
    assert eventually(lambda: replica.kb.problems == ())
    assert sample("innov_knowledge_problems") == 0


def test_cli_broadcast_without_a_fleet(tmp_path: Path) -> None:
    kb_dir = write_kb(tmp_path / "kb", 5)
    assert broadcast_reload(make_settings(kb_dir)) == (0, [])
    with pytest.raises(StoreUnavailable):
        broadcast_reload(make_settings(kb_dir, f"redis://127.0.0.1:{free_port()}/0"))


def test_broadcasts_in_process_without_redis(
    tmp_path: Path, services_factory: Callable[..., Services]
) -> None:
    store = MemoryStore()
    a = services_factory(write_kb(tmp_path / "a", 5), store, start=True)
    b = services_factory(write_kb(tmp_path / "b", 5), store, start=True)
    for name in ("a", "b"):
        write_kb(tmp_path / name, 7)
    store.publish(RELOAD_CHANNEL, "not json")  # ignored, with a warning
    a.reload()
    assert eventually(lambda: "7 percent" in b.answer(QUESTION).text, within=2.0)


# -- Redis outage and recovery -----------------------------------------------------------------------------


def test_answers_through_a_redis_outage_and_after_recovery(
    tmp_path: Path,
    throwaway_redis: RedisServer,
    services_factory: Callable[..., Services],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store")
    store = RedisStore(throwaway_redis.url)
    services = services_factory(write_kb(tmp_path / "kb", 5), store, start=True)
    services.answer(QUESTION)
    assert services.redis_status() is True
    assert services.claim_event("Ev-before")

    throwaway_redis.stop()
    for _ in range(10):
        answer, seconds = timed(lambda: services.answer(QUESTION))  # uncached now: Redis is away
        assert "5 percent" in answer.text and seconds < FAST
    assert timed(lambda: services.check_rate("U0ALICE"))[1] < FAST
    status, seconds = timed(services.redis_status)
    assert status is False and seconds < FAST
    assert not services.claim_event("Ev-before")  # still known in-process
    assert services.claim_event("Ev-during")
    assert not services.claim_event("Ev-during")  # in-process de-duplication
    time.sleep(1.2)  # the listener keeps trying to reconnect meanwhile: still one warning
    assert len(outage_warnings(caplog)) == 1

    throwaway_redis.start()  # same port, empty
    assert eventually(lambda: services.redis_status() is True, within=3.0)
    assert eventually(lambda: store.replicas() == {services.replica_id: services.kb.version}, within=3.0)
    assert getattr(fleet_version(store), "version", None) == services.kb.version  # re-announced
    services.answer(QUESTION)
    assert store.get(cache_key(services.kb.version, QUESTION)) is not None  # caching again
    assert len(outage_warnings(caplog)) == 1


def test_a_reload_made_during_an_outage_reaches_the_fleet_when_redis_is_back(
    tmp_path: Path, throwaway_redis: RedisServer, services_factory: Callable[..., Services]
) -> None:
    dirs = [write_kb(tmp_path / name, 5) for name in ("a", "b")]
    a, b = (services_factory(d, RedisStore(throwaway_redis.url), start=True) for d in dirs)
    # b reconnects first and finds an empty Redis: only a's own announcement can tell it.
    a.fleet.reconnect_seconds, b.fleet.reconnect_seconds = 0.4, 0.05
    throwaway_redis.stop()
    for d in dirs:
        write_kb(d, 7)
    report = a.reload("U0ADMIN")  # applies here at once; the fleet cannot be told yet
    assert b.kb.version == report.old_version
    # The admin is told so (the report said a plain "Reloaded": the second attack run).
    assert "Redis is unreachable" in report.notice
    throwaway_redis.start()
    assert eventually(lambda: b.kb.version == report.new_version, within=3.0)
    assert getattr(fleet_version(RedisStore(throwaway_redis.url)), "version", None) == report.new_version


def test_without_redis_workers_on_one_host_meet_through_the_saved_index(
    tmp_path: Path, services_factory: Callable[..., Services]
) -> None:
    # Two gunicorn workers without Redis: separate in-process stores, one knowledge directory.
    kb_dir = write_kb(tmp_path / "kb", 5)
    a, b = services_factory(kb_dir, MemoryStore()), services_factory(kb_dir, MemoryStore())
    b.fleet.catch_up()  # b's own record of what it serves
    write_kb(kb_dir, 7)
    report = a.reload("U0ADMIN")
    assert b.kb.version == report.old_version
    (kb_dir / "widget.md").write_text("broken since: no front matter\n", encoding="utf-8")
    for _ in range(2):
        b.fleet.catch_up()  # the listener's heartbeat: b's record of the old version does not take it back
        assert b.kb.version == report.new_version  # mapped what a validated; the broken files are not read
    assert "7 percent" in b.answer(QUESTION).text


def test_a_reload_frees_the_old_knowledge_and_freezes_the_new(
    tmp_path: Path, services_factory: Callable[..., Services]
) -> None:
    """The serving knowledge is kept out of the cyclic collector's walks, and a reload leaks nothing."""
    import gc
    import weakref

    kb_dir = write_kb(tmp_path / "kb", 5)
    services = services_factory(kb_dir, MemoryStore())
    services.kb.after_swap = settle_memory  # as the server's knowledge base has (open_serving_knowledge)
    old = weakref.ref(services.kb.snapshot.composer)
    assert "lists" in vars(services.kb.snapshot.composer)  # warm before it served
    write_kb(kb_dir, 7)
    try:
        services.reload("U0ADMIN")
        assert gc.get_freeze_count() > 0
        assert old() is None  # the old snapshot's cycles were collected before the freeze
        assert "lists" in vars(services.kb.snapshot.composer)
        assert "7 percent" in services.answer(QUESTION).text
    finally:
        gc.unfreeze()


def test_a_replica_without_meaning_keeps_its_own_cache_entries(tmp_path: Path) -> None:
    """A lexical-only replica (its model missing, INNOV_SEMANTIC=off) may answer a question otherwise than
    the others: its answers are cached under their own key, so one degraded host cannot poison the fleet."""
    from knowledge import KnowledgeBase, embedding, load_snapshot

    store = MemoryStore()
    semantic = load_snapshot(Path("seeds"), index_dir=tmp_path / "a")
    try:
        embedding.configure(embedding.SemanticConfig(enabled=False))
        lexical = load_snapshot(Path("seeds"), index_dir=tmp_path / "b")
    finally:
        embedding.configure(embedding.SemanticConfig.from_env())
    assert semantic.composer.dense is not None and lexical.composer.dense is None
    settings = Settings(_env_file=None)
    first = Services(settings, store=store, kb=KnowledgeBase(Path("seeds"), snapshot=lexical))
    second = Services(settings, store=store, kb=KnowledgeBase(Path("seeds"), snapshot=semantic))
    question = "how many provincial-level regions made ai a top priority this yr"
    expected = semantic.answer(question)
    assert (lexical.answer(question).kind, expected.kind) == ("none", "fact")  # the two modes differ here
    assert first.answer(question).kind == "none"  # computed and cached by the lexical replica
    got = second.answer(question)
    assert (got.kind, got.text) == (expected.kind, expected.text)


def test_a_broadcast_that_is_not_innov_s_is_ignored_and_the_listener_hears_the_next(
    tmp_path: Path,
    redis_url: str,
    redis_prefix: str,
    services_factory: Callable[..., Services],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bytes that are not UTF-8 on the reload channel made the listener log a traceback and subscribe
    again (a broadcast in that gap reached no one), a version that is not a string ({"version": [1]}) made
    every replica reload, and one of 100,000 characters a traceback: two attack runs."""
    dirs = [write_kb(tmp_path / name, 5) for name in ("a", "b")]
    fleet = [services_factory(d, RedisStore(redis_url, prefix=redis_prefix), start=True) for d in dirs]
    before = [s.kb.version for s in fleet]
    store = RedisStore(redis_url, prefix=redis_prefix)
    raw = store.client
    with caplog.at_level(logging.WARNING):
        raw.publish(store.channel_prefix + RELOAD_CHANNEL, b"\xff\xfe")  # type: ignore[arg-type]
        store.publish(RELOAD_CHANNEL, json.dumps({"version": [1], "origin": "elsewhere"}))
        # A version is a digest's hex digits: it names a saved index's directory ("File name too long").
        store.publish(RELOAD_CHANNEL, json.dumps({"version": "a" * 100_000, "origin": "elsewhere"}))
        store.publish(RELOAD_CHANNEL, json.dumps({"version": "../../etc", "origin": "elsewhere"}))
        for d in dirs:
            write_kb(d, 7)
        reached, outcomes = broadcast_reload(make_settings(dirs[0], redis_url), store=store, timeout=10)
    store.close()
    assert reached == 2 and len(outcomes) == 2 and all(o["ok"] for o in outcomes)
    assert all(s.kb.version != old for s, old in zip(fleet, before, strict=True))
    messages = [r.getMessage() for r in caplog.records]
    assert not any("reload listener error" in m for m in messages)
    assert sum("not UTF-8 text" in m for m in messages) == 2  # once per replica
    assert sum("malformed reload broadcast" in m for m in messages) == 6  # three, once per replica
