"""bot.feedback: votes, declined questions, the curator queue and thread context over a store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.feedback import (
    FEEDBACK_RETENTION,
    THREAD_TTL,
    AnswerRef,
    Feedback,
    Threads,
    normalise,
)
from bot.store import MemoryStore, RedisStore
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
