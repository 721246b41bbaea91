"""One user cannot poison, flood or slow everyone else (issue 21, items 4 to 6): signed requests, real Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rapidfuzz.process import extract

from benchmarks.bench_worst import worst_questions
from bot.settings import Settings
from bot.store import RedisStore
from knowledge import normalise
from knowledge.normalise import SPELLER_LOOKUPS
from tests.e2e.conftest import Running
from tests.e2e.helpers import all_text

SHOUTED_863 = "WHATS THE OFFICIAL NAME OF THE 863 PROGRAMME"


def redis_bot(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
    **overrides: object,
) -> Running:
    """The app over HTTP with its cache, claims and rate limits in a real Redis (this test's own keys)."""
    settings = settings_factory(redis_url=redis_url, **overrides)
    return start_app(settings, RedisStore(redis_url, prefix=redis_prefix))


# -- item 4: the answer cache ----------------------------------------------------------------------------


def test_a_question_in_capitals_does_not_change_the_answer_others_get(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    one = redis_bot(start_app, settings_factory, redis_url, redis_prefix)
    two = redis_bot(start_app, settings_factory, redis_url, redis_prefix)  # a second replica, same Redis
    fresh = one.services.kb.snapshot.answer(SHOUTED_863.lower())
    assert fresh.answered and "863 Program" in fresh.text
    shouted = one.slack.slash(SHOUTED_863, user="U0MALLORY")
    assert shouted.status == 200
    for bot in (one, two):  # every other user, on either replica, gets what a fresh server gives
        reply = all_text(bot.slack.slash(SHOUTED_863.lower(), user="U0BOB").json())
        assert "couldn't find" not in reply and fresh.text in reply.split("Not the answer")[0]


# -- item 6: a question's work is bounded -------------------------------------------------------------------


def test_a_question_of_never_seen_words_makes_a_bounded_number_of_speller_searches(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bot = redis_bot(start_app, settings_factory, redis_url, redis_prefix)
    speller = bot.services.kb.snapshot.composer.speller
    searches: list[str] = []

    def counted(word: str, *args: Any, **kwargs: Any) -> Any:
        searches.append(word)
        return extract(word, *args, **kwargs)

    monkeypatch.setattr(normalise, "extract", counted)
    known = lambda word: word in speller.protected or word in speller.known  # noqa: E731
    question, topic = worst_questions(2, known)
    assert len(question) > 1_900 and len(question.split()) > 250  # every word a search without the bound
    for text in (question, question.title(), f"facts {topic}"):
        searches.clear()
        assert bot.slack.slash(text).status == 200
        assert 0 < len(searches) <= SPELLER_LOOKUPS, (text[:40], len(searches))
