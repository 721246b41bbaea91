"""One user cannot poison, flood or slow everyone else (issue 21, items 4 to 6): signed requests, real Redis."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import redis
from rapidfuzz.process import extract

from benchmarks.bench_worst import worst_questions
from bot.redis_store import RedisStore
from bot.settings import Settings
from knowledge import normalise
from knowledge.normalise import SPELLER_LOOKUPS
from tests.e2e.conftest import AUTO_CHANNEL, CHANNEL, Running
from tests.e2e.helpers import all_text
from tests.e2e.slack_api_stub import BOT_USER_ID

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
        words = set(text.lower().replace("?", "").split())
        mine = [w for w in searches if w in words]  # (not another test's knowledge base warming up)
        assert 0 < len(mine) <= SPELLER_LOOKUPS, (text[:40], len(mine))


# -- item 5: auto-replies and public posts are limited; a 429 in one channel starves nobody ----------------

GII = "What is China's GII rank?"  # confident: an automatic reply would be posted


def flood(bot: Running, count: int, *, users: Callable[[int], str], text: str = GII) -> list[str]:
    """``count`` messages in the auto-reply channel, each in a thread of its own; their event ids."""
    ids = []
    for n in range(count):
        event_id, result = bot.slack.event(bot.slack.message(text, channel=AUTO_CHANNEL, user=users(n)))
        assert result.status == 200
        ids.append(event_id)
    return ids


def outcomes(bot: Running, ids: list[str]) -> Counter[str]:
    return Counter(bot.outcomes.wait(i, timeout=30) for i in ids)


def test_auto_replies_count_against_the_users_and_the_channels_limits_before_any_work_is_queued(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    bot = redis_bot(
        start_app, settings_factory, redis_url, redis_prefix, innov_rate_limit=10, innov_channel_rate_limit=20
    )
    one_user = outcomes(bot, flood(bot, 200, users=lambda n: "U0SPAMMER"))
    posts = len(bot.stub.posts())
    assert posts <= 6, one_user  # half the user's 10 a minute: what a direct question needs is left
    assert one_user["quiet: rate limited (user)"] >= 190  # refused in the request: nothing was queued
    direct = all_text(bot.slack.slash(GII, user="U0SPAMMER").json())
    assert "11th" in direct and "Slow down" not in direct  # the spammer can still ask innov directly
    many_users = outcomes(bot, flood(bot, 100, users=lambda n: f"U0CROWD{n:03d}"))
    assert many_users["quiet: rate limited (channel)"] >= 80, many_users
    assert len(bot.stub.posts()) <= 12  # half the channel's 20 a minute, for every automatic reply
    assert not bot.stub.calls("chat.postEphemeral")


def test_unanswered_auto_reply_messages_are_not_cached(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    bot = redis_bot(start_app, settings_factory, redis_url, redis_prefix, innov_channel_rate_limit=1000)
    chatter = [f"lunch at noon on thursday {n}, who is coming along?" for n in range(40)]
    ids = [bot.slack.event(bot.slack.message(text, channel=AUTO_CHANNEL))[0] for text in chatter]
    results = outcomes(bot, ids)
    assert all(o.startswith("quiet: not confident") for o in results), results
    client = redis.Redis.from_url(redis_url)
    try:
        assert list(client.scan_iter(match=f"{redis_prefix}answer:*")) == []
    finally:
        client.close()
    bot.slack.event(bot.slack.message(GII, channel=AUTO_CHANNEL))  # a confident answer is still cached
    bot.stub.wait_for("chat.postMessage")
    assert bot.services.stats()["cache_misses"] == 41


def test_public_posts_are_limited_per_channel_and_the_rest_answered_privately(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    bot = redis_bot(start_app, settings_factory, redis_url, redis_prefix, innov_channel_rate_limit=3)
    for n in range(6):  # browsing, posted in public, from six people
        event = bot.slack.message(f"<@{BOT_USER_ID}> facts", channel=CHANNEL, user=f"U0READER{n}")
        bot.slack.event(event | {"type": "app_mention"})
    private = bot.stub.wait_for("chat.postEphemeral", 3, timeout=10)
    assert len(bot.stub.posts()) == 3 and all(c.args["channel"] == CHANNEL for c in bot.stub.posts())
    assert all("only visible to you" in c.text and "Facts 1–15 of 62" in c.text for c in private)
    assert len(bot.stub.wait_for("chat.postMessage", 3)) == 3  # still 3 public posts


def test_a_429_in_one_channel_starves_no_other_channel(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    # The run: no limit on users or channels, so every message becomes work, and Slack answers
    # 429 (Retry-After 3 s) to every post in the auto-reply channel.
    bot = redis_bot(
        start_app,
        settings_factory,
        redis_url,
        redis_prefix,
        innov_rate_limit=100_000,
        innov_channel_rate_limit=100_000,
    )
    bot.stub.fail("chat.postMessage", status=429, retry_after=3, times=10_000, channel=AUTO_CHANNEL)
    flooded = flood(bot, 600, users=lambda n: f"U0CROWD{n:03d}")
    started = time.monotonic()
    event_id, result = bot.slack.event(
        bot.slack.message(f"<@{BOT_USER_ID}> {GII}", channel=CHANNEL, user="U0BOB") | {"type": "app_mention"}
    )
    assert result.status == 200  # not 500: the queue was not full of waiting automatic replies
    [post] = bot.stub.wait_for(
        "chat.postMessage", where=lambda c: c.args.get("channel") == CHANNEL, timeout=10
    )
    assert "11th" in post.text and time.monotonic() - started < 3.0
    assert bot.outcomes.wait(event_id) == "replied"
    results = outcomes(bot, flooded)
    assert sum(n for o, n in results.items() if o.startswith("quiet: Slack is rate-limiting")) >= 590, results
    assert len([c for c in bot.stub.calls("chat.postMessage") if c.args.get("channel") == AUTO_CHANNEL]) < 20
    # A question asked in the rate-limited channel is answered privately, not lost and not queued behind it.
    asked, _ = bot.slack.event(
        bot.slack.message(f"<@{BOT_USER_ID}> {GII}", channel=AUTO_CHANNEL, user="U0CAROL")
        | {"type": "app_mention"}
    )
    assert bot.outcomes.wait(asked).startswith("replied privately")


def test_a_share_past_the_channels_limit_is_not_posted(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    bot = redis_bot(start_app, settings_factory, redis_url, redis_prefix, innov_channel_rate_limit=2)
    for n in range(3):
        bot.slack.share("facts R&D", user=f"U0READER{n}")
    bot.stub.wait_for("response_url", 3 + 2)  # two posts in the channel (and their cleanup), one refusal
    shared = [c for c in bot.stub.calls("response_url") if c.args.get("response_type") == "in_channel"]
    refused = [c for c in bot.stub.calls("response_url") if "share again in" in c.text]
    assert len(shared) == 2 and len(refused) == 1
