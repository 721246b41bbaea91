"""bot.feedback: votes, declined questions, the curator queue and thread context over a store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import feedback as feedback_module
from bot.feedback import (
    AMBIENT_THREAD_TTL,
    FEEDBACK_RETENTION,
    QUESTION_KEEP,
    THREAD_TTL,
    AnswerRef,
    Feedback,
    Threads,
    normalise,
)
from bot.memory_store import MemoryStore
from bot.redis_store import RedisStore
from knowledge import Answer, Source


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def answer(
    question: str, kind: str = "fact", version: str = "v1", fact_id: str | None = "gii-rank"
) -> Answer:
    sources = (Source(id="focus", title="Focus"),) if kind != "none" else ()
    return Answer(
        question=question, kind=kind, text="t", sources=sources, kb_version=version, fact_id=fact_id
    )  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[MemoryStore | RedisStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    redis_store = RedisStore(url, prefix=prefix)
    yield redis_store
    redis_store.close()


def test_the_same_question_on_the_same_version_is_the_same_answer() -> None:
    a = AnswerRef.of(answer("What is China's GII rank?"))
    assert a.id == AnswerRef.of(answer("what is  china's GII rank")).id
    assert a.id != AnswerRef.of(answer("What is China's GII rank?", version="v2")).id
    assert (a.kind, a.ref) == ("fact", "gii-rank")
    assert AnswerRef.of(answer("x", kind="passage", fact_id=None)).ref == "focus"
    assert AnswerRef.parse(a.value()) == a and AnswerRef.parse("{oops") is None


def test_votes_one_per_user_and_answer_the_last_click_wins(store: MemoryStore | RedisStore) -> None:
    clock = Clock()
    feedback = Feedback(store, clock=clock)
    gii = AnswerRef.of(answer("What is China's GII rank?"))
    feedback.vote(gii, "U1", "up")
    clock.now += 1
    feedback.vote(gii, "U1", "down", reason="wrong_figure", note=" it is 10th ")
    feedback.vote(gii, "U2", "down")
    votes = feedback.votes()
    assert sorted((v.user, v.vote) for v in votes) == [("U1", "down"), ("U2", "down")]
    [disliked] = feedback.queue(kb_version="v1").disliked
    assert (disliked.down, disliked.up, disliked.reasons, disliked.notes) == (
        2,
        0,
        {"wrong_figure": 1},
        ("it is 10th",),
    )
    assert feedback.queue(kb_version="v2").disliked == ()  # since the last reload: other versions left out


def test_declined_questions_are_counted_most_asked_first(store: MemoryStore | RedisStore) -> None:
    clock = Clock()
    feedback = Feedback(store, clock=clock)
    for question in ("Canada's GII rank?", "canada's  gii rank", "Brazil?", "Canada's GII rank!"):
        clock.now += 10
        feedback.declined(question, "v1")
    queue = feedback.queue(kb_version="v1")
    assert [(d.text, d.count) for d in queue.declined] == [("canada's gii rank", 3), ("brazil", 1)]
    assert queue.declined[0].last_asked == clock.now
    assert feedback.queue(since=clock.now - 5).declined[0].text == "canada's gii rank"
    assert feedback.queue(since=clock.now + 1).declined == ()


def test_feedback_off_records_nothing() -> None:
    store = MemoryStore()
    feedback = Feedback(store, enabled=False)
    assert feedback.vote(AnswerRef.of(answer("q")), "U1", "up") is None
    assert feedback.declined("q", "v1") == 0
    assert (
        store.ledger_read("feedback:votes", 0, 10) == []
        and store.ledger_read("feedback:declined", 0, 10) == []
    )
    assert feedback.queue().enabled is False


def test_retention_is_ninety_days(store: MemoryStore | RedisStore) -> None:
    clock = Clock()
    feedback = Feedback(store, clock=clock)
    feedback.declined("old question", "v1")
    clock.now += FEEDBACK_RETENTION + 1
    feedback.declined("new question", "v1")
    assert [d.text for d in feedback.queue().declined] == ["new question"]


def test_threads_remember_the_last_question(store: MemoryStore | RedisStore) -> None:
    threads = Threads(store)
    assert threads.recall("C1", "1.0") is None
    threads.remember("C1", "1.0", "first")
    threads.remember("C1", "1.0", "second")
    threads.remember("C1", "2.0", "other thread")
    assert threads.recall("C1", "1.0") == "second"
    if isinstance(store, RedisStore):
        assert 0 < store.client.ttl(store.key(Threads.key("C1", "1.0"))) <= THREAD_TTL


def test_an_ambient_thread_keeps_the_question_as_understood_for_a_day(
    store: MemoryStore | RedisStore,
) -> None:
    threads = Threads(store)
    threads.remember_ambient("C1", "3.0", "what is china's gii rank " + "x" * 1000)
    kept = threads.recall("C1", "3.0")
    assert kept is not None and kept.startswith("what is china's gii rank") and len(kept) == QUESTION_KEEP
    if isinstance(store, RedisStore):
        assert 0 < store.client.ttl(store.key(Threads.key("C1", "3.0"))) <= AMBIENT_THREAD_TTL < THREAD_TTL


def test_normalise_groups_wordings() -> None:
    assert normalise("  What IS it?? ") == "what is it"


def test_innov_feedback_setting_takes_on_and_off() -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    def make(value: str) -> Settings:
        return Settings(_env_file=None, innov_feedback=value)  # type: ignore[call-arg, arg-type]

    assert make("on").innov_feedback is True and make("OFF").innov_feedback is False
    assert Settings(_env_file=None).innov_feedback is True  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        make("sometimes")


# -- the rankings /innov stats reads agree with the whole ledgers ------------------------------------------

_VERSIONS = ("v1", "v2")
_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("vote"),
            st.integers(0, 3),  # which answer
            st.sampled_from(_VERSIONS),
            st.sampled_from(["U1", "U2", "U3", "U4"]),
            st.sampled_from(["up", "down"]),
            st.sampled_from([None, "wrong_figure", "out_of_date"]),
            st.sampled_from([None, "a note", "another note"]),
        ),
        st.tuples(st.just("decline"), st.integers(0, 5), st.sampled_from(_VERSIONS)),
        st.tuples(st.just("wait"), st.sampled_from([1.0, 3600.0, 40 * 86400.0])),
    ),
    max_size=40,
)


def _replay(feedback: Feedback, clock: Clock, operations: list[tuple[Any, ...]]) -> None:
    for op in operations:
        if op[0] == "vote":
            _, n, version, user, kind, reason, note = op
            ref = AnswerRef.of(answer(f"question {n}", version=version))
            feedback.vote(ref, user, kind, reason=reason if kind == "down" else None, note=note)
        elif op[0] == "decline":
            feedback.declined(f"declined question {op[1]}?", op[2])
        else:
            clock.now += op[1]
        clock.now += 0.5


def _assert_rankings_agree(feedback: Feedback) -> None:
    for version in _VERSIONS:
        fast = feedback.queue(kb_version=version, limit=100)
        slow = feedback.queue_from_ledgers(kb_version=version, limit=100)
        assert [(d.text, d.count) for d in fast.declined] == [(d.text, d.count) for d in slow.declined]
        assert {a.answer.id: (a.up, a.down, a.reasons) for a in fast.disliked} == {
            a.answer.id: (a.up, a.down, a.reasons) for a in slow.disliked
        }
        downs = [a.down for a in fast.disliked]
        assert downs == sorted(downs, reverse=True)
        notes = {a.answer.id: set(a.notes) for a in slow.disliked}
        assert all(set(a.notes) <= notes[a.answer.id] for a in fast.disliked)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(operations=_OPERATIONS)
def test_the_rankings_agree_with_the_whole_ledgers(operations: list[tuple[Any, ...]], redis_url: str) -> None:
    prefix = f"innov-test-rank-{uuid.uuid4().hex[:10]}:"
    stores: list[MemoryStore | RedisStore] = [MemoryStore(), RedisStore(redis_url, prefix=prefix)]
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(feedback_module, "FEEDBACK_CAP", 6)  # members beyond it are dropped
            for store in stores:
                clock = Clock()
                feedback = Feedback(store, clock=clock)
                _replay(feedback, clock, operations)
                _assert_rankings_agree(feedback)
    finally:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()
        stores[1].close()
