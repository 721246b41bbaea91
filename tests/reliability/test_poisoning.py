"""One user cannot poison, flood or slow everyone else (issue 21, items 4 to 6): signed requests, real Redis."""

from __future__ import annotations

from collections.abc import Callable

from bot.settings import Settings
from bot.store import RedisStore
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
