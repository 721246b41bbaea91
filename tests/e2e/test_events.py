"""Events over signed HTTP: mentions in threads, exactly-once delivery, auto-replies, what is ignored.

Events are acknowledged at once and answered by lazy listeners, so the tests wait (boundedly) for
the stub to record the reply, or for the listener's logged outcome when no reply is expected.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from bot.redis_store import RedisStore
from bot.settings import Settings
from tests.e2e.conftest import AUTO_CHANNEL, CHANNEL, USER, Running
from tests.e2e.slack_api_stub import BOT_ID, BOT_USER_ID

GOOD_QUESTION = "What is China's GII rank?"


def mention(bot: Running, text: str, *, channel: str = CHANNEL, **fields: Any) -> dict[str, Any]:
    """An ``app_mention`` event body (not sent)."""
    return bot.slack.message(f"<@{BOT_USER_ID}> {text}", channel=channel, **fields) | {"type": "app_mention"}


def test_events_are_acknowledged_at_once(bot: Running) -> None:
    started = time.perf_counter()
    _, result = bot.slack.event(mention(bot, GOOD_QUESTION))
    assert result.status == 200
    assert time.perf_counter() - started < 1.0
    bot.stub.wait_for("chat.postMessage")


def test_a_mention_is_answered_in_a_new_thread_under_the_message(bot: Running) -> None:
    event = mention(bot, GOOD_QUESTION, ts="1700000001.000100")
    bot.slack.event(event)
    [post] = bot.stub.wait_for("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    assert post.args["thread_ts"] == "1700000001.000100"
    assert "China ranks 11th in the Global Innovation Index (2024)." in post.text
    assert "Source: " in post.text
    assert f"<@{BOT_USER_ID}>" not in post.text


def test_a_mention_inside_a_thread_is_answered_in_that_thread(bot: Running) -> None:
    event = mention(bot, GOOD_QUESTION, ts="1700000002.000200", thread_ts="1700000000.000001")
    bot.slack.event(event)
    [post] = bot.stub.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == "1700000000.000001"


def test_a_mention_that_slack_retries_gets_one_reply(bot: Running) -> None:
    event = mention(bot, GOOD_QUESTION)
    event_id, first = bot.slack.event(event)
    _, second = bot.slack.event(event, event_id=event_id, retry_num=1)
    _, third = bot.slack.event(event, event_id=event_id, retry_num=2)
    assert first.status == second.status == third.status == 200
    outcomes = bot.outcomes.wait_all(event_id, 3)
    assert outcomes.count("replied") == 1
    assert len(bot.stub.posts()) == 1


def test_the_app_mention_and_message_twins_of_one_message_get_one_reply(bot: Running) -> None:
    # In an auto-reply channel, the message twin would be a candidate for an automatic reply too.
    as_mention = mention(bot, GOOD_QUESTION, channel=AUTO_CHANNEL)
    as_message = {**as_mention, "type": "message", "channel_type": "channel"}
    mention_id, _ = bot.slack.event(as_mention)
    message_id, _ = bot.slack.event(as_message)
    assert bot.outcomes.wait(mention_id) == "replied"
    assert bot.outcomes.wait(message_id).startswith(("ignored", "duplicate"))
    assert len(bot.stub.posts()) == 1


def test_the_twins_in_reverse_order_still_get_one_reply(bot: Running) -> None:
    as_mention = mention(bot, GOOD_QUESTION, channel=AUTO_CHANNEL)
    message_id, _ = bot.slack.event({**as_mention, "type": "message", "channel_type": "channel"})
    bot.outcomes.wait(message_id)
    mention_id, _ = bot.slack.event(as_mention)
    assert bot.outcomes.wait(mention_id) == "replied"
    assert len(bot.stub.posts()) == 1


def test_messages_from_bots_edits_and_deletions_are_ignored(bot: Running) -> None:
    base = bot.slack.message(GOOD_QUESTION)
    ignored = [
        {**base, "bot_id": "B0OTHER", "ts": "1700000003.000001"},
        {**base, "subtype": "bot_message", "bot_id": "B0OTHER", "ts": "1700000003.000002"},
        {
            **base,
            "subtype": "message_changed",
            "ts": "1700000003.000003",
            "message": {"type": "message", "user": USER, "text": GOOD_QUESTION, "ts": "1700000003.000000"},
        },
        {**base, "subtype": "message_deleted", "ts": "1700000003.000004", "deleted_ts": "1700000003.000000"},
        {**base, "subtype": "channel_topic", "ts": "1700000003.000005"},
        {**base, "subtype": "channel_join", "ts": "1700000003.000006"},
    ]
    ids = [bot.slack.event(event)[0] for event in ignored]
    for event_id in ids:
        assert bot.outcomes.wait(event_id).startswith("ignored")
    # innov's own messages are dropped by Bolt before any listener runs; a later message proves it.
    bot.slack.event({**base, "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": "1700000003.000007"})
    marker, _ = bot.slack.event(bot.slack.message(GOOD_QUESTION, ts="1700000003.000008"))
    assert bot.outcomes.wait(marker) == "replied"
    time.sleep(0.05)
    [post] = bot.stub.posts()
    assert post.args["thread_ts"] == "1700000003.000008"


FILES = [{"id": "F0FILE", "name": "chart.png", "mimetype": "image/png"}]


def test_a_mention_also_sent_to_the_channel_is_answered_once(bot: Running) -> None:
    # A thread reply with "Also send to #channel" is an app_mention with subtype thread_broadcast.
    event = mention(
        bot, GOOD_QUESTION, ts="1700000005.000002", thread_ts="1700000005.000001", subtype="thread_broadcast"
    )
    event_id, _ = bot.slack.event(event)
    bot.slack.event(event, event_id=event_id, retry_num=1)
    assert bot.outcomes.wait_all(event_id, 2).count("replied") == 1
    [post] = bot.stub.posts()
    assert post.args["thread_ts"] == "1700000005.000001"
    assert "China ranks 11th in the Global Innovation Index (2024)." in post.text


def test_a_mention_with_a_file_is_answered_once_in_its_thread(bot: Running) -> None:
    # Slack sends a mention carrying a file as message/file_share, with no app_mention (bolt-python #925).
    shared = bot.slack.message(
        f"<@{BOT_USER_ID}> {GOOD_QUESTION}", channel=CHANNEL, subtype="file_share", files=FILES
    )
    event_id, _ = bot.slack.event(shared)
    assert bot.outcomes.wait(event_id) == "replied"
    [post] = bot.stub.posts()
    assert post.args["channel"] == CHANNEL
    assert post.args["thread_ts"] == shared["ts"]
    assert "China ranks 11th in the Global Innovation Index (2024)." in post.text
    # Its retry, and an app_mention twin should Slack send one, get no second reply.
    bot.slack.event(shared, event_id=event_id, retry_num=1)
    twin, _ = bot.slack.event({**shared, "type": "app_mention"})
    assert bot.outcomes.wait_all(event_id, 2)[1].startswith("duplicate")
    assert bot.outcomes.wait(twin).startswith("duplicate")
    assert len(bot.stub.posts()) == 1


def test_a_direct_message_with_a_file_is_answered(bot: Running) -> None:
    dm = bot.slack.message(
        GOOD_QUESTION, channel="D0ALICE", channel_type="im", subtype="file_share", files=FILES
    )
    event_id, _ = bot.slack.event(dm)
    assert bot.outcomes.wait(event_id) == "replied"
    [post] = bot.stub.posts()
    assert post.args["channel"] == "D0ALICE"
    assert "China ranks 11th" in post.text


def test_auto_reply_in_an_opted_in_channel_once_per_thread(bot: Running) -> None:
    top = bot.slack.message(GOOD_QUESTION, ts="1700000004.000001")
    first, _ = bot.slack.event(top)
    assert bot.outcomes.wait(first) == "replied"
    [post] = bot.stub.posts()
    assert post.args["channel"] == AUTO_CHANNEL
    assert post.args["thread_ts"] == "1700000004.000001"
    assert "Source: " in post.text
    # The thread keeps, for follow-ups, the question as understood, not the message as written.
    kept = bot.services.threads.recall(AUTO_CHANNEL, "1700000004.000001")
    assert kept is not None and kept != GOOD_QUESTION and kept == kept.lower()
    # Another confident question in the same thread: no second automatic reply.
    reply_in_thread = bot.slack.message(
        "How much does China spend on R&D?", ts="1700000004.000002", thread_ts="1700000004.000001"
    )
    second, _ = bot.slack.event(reply_in_thread)
    assert bot.outcomes.wait(second) == "quiet: thread already has an automatic reply"
    assert len(bot.stub.posts()) == 1


def test_low_confidence_messages_and_chatter_get_no_auto_reply(bot: Running) -> None:
    # Questions innov cannot answer confidently: answerable when asked, not volunteered.
    for text in (
        "lunch at noon anyone?",
        "Where does Canada rank in the GII?",
        "any solar panels on the roof?",
    ):
        event_id, _ = bot.slack.event(bot.slack.message(text))
        assert bot.outcomes.wait(event_id).startswith("quiet: not confident")
    # Statements are not questions, however well innov could "answer" them ("DeepSeek is down again" got
    # "DeepSeek is part of Hangzhou's six little dragons" at 0.96, "Beijing" a fact about Beijing).
    for text in (
        "hello team, standup moved to 10",
        "DeepSeek is down again",
        "Beijing",
        "Made in China 2025",
    ):
        event_id, _ = bot.slack.event(bot.slack.message(text))
        assert bot.outcomes.wait(event_id) == "quiet: not a question"
    assert not bot.stub.calls("chat.postMessage")


def test_channels_not_opted_in_stay_quiet(bot: Running) -> None:
    event_id, _ = bot.slack.event(bot.slack.message(GOOD_QUESTION, channel=CHANNEL))
    assert bot.outcomes.wait(event_id).startswith("quiet: channel not in")
    assert not bot.stub.calls("chat.postMessage")


def test_star_opts_every_channel_in(
    start_app: Callable[[Settings], Running], settings_factory: Callable[..., Settings]
) -> None:
    bot = start_app(settings_factory(innov_auto_reply_channels="*"))
    event_id, _ = bot.slack.event(bot.slack.message(GOOD_QUESTION, channel="C0ANYWHERE"))
    assert bot.outcomes.wait(event_id) == "replied"


def test_a_direct_message_is_answered(bot: Running) -> None:
    event = bot.slack.message("rank", channel="D0ALICE", channel_type="im")
    event_id, _ = bot.slack.event(event)
    assert bot.outcomes.wait(event_id) == "replied"
    [post] = bot.stub.posts()
    assert post.args["channel"] == "D0ALICE" and "11th" in post.text


def test_mention_injection_is_escaped_in_the_posted_reply(bot: Running) -> None:
    bot.slack.event(mention(bot, "<!channel> <!here|here> what is China's GII rank?"))
    [post] = bot.stub.wait_for("chat.postMessage")
    raw = json.dumps(post.args)
    assert "<!channel>" not in raw and "<!here" not in raw
    assert "&lt;!channel&gt;" in post.text


def test_a_16_kb_mention_gets_a_short_reply_within_limits(bot: Running) -> None:
    event_id, _ = bot.slack.event(mention(bot, "<!channel> " + "x" * 16 * 1024))
    # Far too long to be a question: the asker alone is told so.
    assert bot.outcomes.wait(event_id) == "replied privately"
    [note] = bot.stub.calls("chat.postEphemeral")
    raw = json.dumps(note.args)
    assert "<!channel>" not in raw
    assert len(raw) < 10_000
    assert "too long" in note.text


def test_a_rate_limited_web_api_call_is_retried_after_retry_after(bot: Running) -> None:
    bot.stub.fail("chat.postMessage", status=429, retry_after=0)
    event_id, _ = bot.slack.event(mention(bot, GOOD_QUESTION))
    assert bot.outcomes.wait(event_id, timeout=10) == "replied"
    calls = bot.stub.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert len(bot.stub.posts()) == 1


def test_a_transient_server_error_is_retried_and_the_reply_posted_once(bot: Running) -> None:
    # The stub answers 500 with a non-JSON body, as an HTML error page would be.
    bot.stub.fail("chat.postMessage", status=500)
    event_id, _ = bot.slack.event(mention(bot, GOOD_QUESTION))
    assert bot.outcomes.wait(event_id) == "replied"
    assert [c.status for c in bot.stub.calls("chat.postMessage")] == [500, 200]


def test_a_lasting_server_error_is_retried_boundedly_and_logged_once(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bot.stub.fail("chat.postMessage", status=503, times=10)
    event_id, _ = bot.slack.event(mention(bot, GOOD_QUESTION))
    assert bot.outcomes.wait(event_id) == "error: chat.postMessage failed"
    assert [c.status for c in bot.stub.calls("chat.postMessage")] == [503, 503, 503]
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failed) == 1 and "chat.postMessage to C0GENERAL failed: HTTP 503" in failed[0], failed
    # Slack's retry of the event does not produce a late second reply either.
    bot.slack.event(mention(bot, GOOD_QUESTION), event_id=event_id, retry_num=1)
    assert bot.outcomes.wait_all(event_id, 2)[1].startswith("duplicate")
    assert len(bot.stub.calls("chat.postMessage")) == 3


def test_a_rate_limited_user_mentioning_innov_gets_an_ephemeral_note(
    start_app: Callable[[Settings], Running], settings_factory: Callable[..., Settings]
) -> None:
    bot = start_app(settings_factory(innov_rate_limit=1))
    first, _ = bot.slack.event(mention(bot, GOOD_QUESTION))
    assert bot.outcomes.wait(first) == "replied"
    second, _ = bot.slack.event(mention(bot, GOOD_QUESTION))
    assert bot.outcomes.wait(second) == "rate limited: told to slow down"
    [note] = bot.stub.wait_for("chat.postEphemeral")
    assert note.args["user"] == USER
    assert "Slow down — try again in" in note.text


def test_replicas_sharing_redis_reply_once_to_retries_and_twins(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    """Slack may deliver an event, its retry and its twin to different replicas: one reply in all."""
    settings = settings_factory(redis_url=redis_url)
    first = start_app(settings, RedisStore(redis_url, prefix=redis_prefix))
    second = start_app(settings, RedisStore(redis_url, prefix=redis_prefix))
    event = mention(first, GOOD_QUESTION, channel=AUTO_CHANNEL)
    event_id, _ = first.slack.event(event)
    second.slack.event(event, event_id=event_id, retry_num=1)
    twin_id, _ = second.slack.event({**event, "type": "message", "channel_type": "channel"})
    outcomes = first.outcomes.wait_all(event_id, 2) + [first.outcomes.wait(twin_id)]
    assert outcomes.count("replied") == 1
    assert len(first.stub.posts()) == 1
    assert second.slack.request("GET", "/healthz").json()["redis"] is True


def test_a_lone_surrogate_in_a_mention_gets_the_binary_input_refusal(bot: Running) -> None:
    # "\ud800" is a valid JSON escape but no character: it cannot be encoded as UTF-8 anywhere later on.
    event = mention(bot, "gii rank \ud800")
    assert "\\ud800" in json.dumps(event)
    event_id, result = bot.slack.event(event)
    assert result.status == 200
    assert bot.outcomes.wait(event_id).startswith("replied")
    [post] = bot.stub.calls("chat.postEphemeral")  # a refusal goes to the asker alone
    assert "binary data or control characters" in post.text
    assert "something went wrong" not in post.text
