"""handlers.events: who gets a reply, where, and exactly once (listeners called directly, no App)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.services import Services
from handlers import events
from knowledge import Answer
from tests.blockkit import check_message
from tests.handlers.conftest import AUTO, BOT, QUIET, USER, RecordingClient, texts

GOOD = "What is China's GII rank?"
CONTEXT = {"bot_user_id": BOT}


def body(text: str, *, channel: str = AUTO, event_id: str = "Ev1", **fields: Any) -> dict[str, Any]:
    event = {
        "type": "message",
        "user": USER,
        "text": text,
        "ts": "10.0",
        "channel": channel,
        "channel_type": "channel",
        **fields,
    }
    return {"type": "event_callback", "event_id": event_id, "event": event}


def mention(text: str, **fields: Any) -> dict[str, Any]:
    envelope = body(f"<@{BOT}> {text}", channel="C0GENERAL", **fields)
    envelope["event"]["type"] = "app_mention"
    return envelope


@pytest.mark.parametrize(
    ("score", "kind", "confident"),
    [(1.0, "fact", True), (0.85, "passage", True), (0.75, "fact", False), (1.0, "none", False)],
)
def test_confidence(score: float, kind: str, confident: bool) -> None:
    answer = Answer(question="q", kind=kind, text="t", score=score, kb_version="v")  # type: ignore[arg-type]
    assert events.is_confident(answer) is confident


def test_acknowledge_acks_with_nothing() -> None:
    calls: list[tuple[Any, ...]] = []
    events.acknowledge(lambda *a, **k: calls.append((a, k)))
    assert calls == [((), {})]


def test_mention_is_answered_in_its_thread(services: Services, client: RecordingClient) -> None:
    assert events.answer_mention(mention(GOOD, ts="5.0"), CONTEXT, client, services) == "replied"
    [post] = client.posted()
    assert post["thread_ts"] == "5.0" and post["channel"] == "C0GENERAL"
    assert "China ranks 11th" in texts(post)
    assert (
        events.answer_mention(
            mention(GOOD, ts="6.0", thread_ts="1.0", event_id="Ev2"), CONTEXT, client, services
        )
        == "replied"
    )
    assert client.posted()[-1]["thread_ts"] == "1.0"


def test_retries_and_twins_get_one_reply(services: Services, client: RecordingClient) -> None:
    assert events.answer_mention(mention(GOOD), CONTEXT, client, services) == "replied"
    assert events.answer_mention(mention(GOOD), CONTEXT, client, services).startswith("duplicate: event")
    twin = mention(GOOD, event_id="Ev9")
    assert events.answer_mention(twin, CONTEXT, client, services).startswith("duplicate: message")
    assert len(client.posted()) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"bot_id": "B0OTHER"},
        {"subtype": "bot_message", "bot_id": "B0OTHER"},
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"subtype": "channel_join"},
        {"user": BOT},
        {"user": None},
    ],
)
def test_bots_self_edits_deletions_and_subtypes_are_ignored(
    services: Services, client: RecordingClient, fields: dict[str, Any]
) -> None:
    assert events.handle_message(body(GOOD, **fields), CONTEXT, client, services).startswith("ignored")
    assert events.answer_mention(mention(GOOD, **fields), CONTEXT, client, services).startswith("ignored")
    assert client.calls == []


def test_auto_reply_only_in_opted_in_channels(services: Services, client: RecordingClient) -> None:
    assert events.handle_message(body(GOOD, channel=QUIET), CONTEXT, client, services).startswith(
        "quiet: channel"
    )
    assert events.handle_message(body(GOOD), CONTEXT, client, services) == "replied"
    [post] = client.posted()
    assert post["thread_ts"] == "10.0" and "Source: " in texts(post)


def test_auto_reply_once_per_thread(services: Services, client: RecordingClient) -> None:
    assert events.handle_message(body(GOOD, ts="1.0"), CONTEXT, client, services) == "replied"
    again = body("How much does China spend on R&D?", ts="2.0", thread_ts="1.0", event_id="Ev2")
    assert (
        events.handle_message(again, CONTEXT, client, services)
        == "quiet: thread already has an automatic reply"
    )
    assert len(client.posted()) == 1


def test_no_auto_reply_when_not_confident(services: Services, client: RecordingClient) -> None:
    outcome = events.handle_message(body("lunch at noon anyone?"), CONTEXT, client, services)
    assert outcome.startswith("quiet: not confident")
    assert events.handle_message(body("x" * 5000), CONTEXT, client, services).startswith("quiet:")
    assert client.calls == []


def test_messages_mentioning_innov_are_left_to_app_mention(
    services: Services, client: RecordingClient
) -> None:
    outcome = events.handle_message(body(f"<@{BOT}> {GOOD}"), CONTEXT, client, services)
    assert outcome.startswith("ignored: mentions innov")
    # ... so the app_mention twin, handled after, still replies.
    twin = body(f"<@{BOT}> {GOOD}", event_id="Ev2")
    twin["event"]["type"] = "app_mention"
    assert events.answer_mention(twin, CONTEXT, client, services) == "replied"


def test_direct_messages_get_answers_and_subcommands(services: Services, client: RecordingClient) -> None:
    dm = body("rank", channel="D0ALICE", channel_type="im")
    assert events.handle_message(dm, CONTEXT, client, services) == "replied"
    assert "11th" in texts(client.posted()[-1]) and client.posted()[-1].get("thread_ts") is None


def test_a_rate_limited_mention_is_told_privately(
    make_services: Callable[..., Services], client: RecordingClient
) -> None:
    services = make_services(innov_rate_limit=1)
    assert events.answer_mention(mention(GOOD, ts="1.0"), CONTEXT, client, services) == "replied"
    assert (
        events.answer_mention(mention(GOOD, ts="2.0", event_id="Ev2"), CONTEXT, client, services)
        == "replied privately"
    )
    [note] = client.posted("chat.postEphemeral")
    assert note["user"] == USER and "Slow down" in note["text"]


def test_a_failed_post_is_reported_not_raised(services: Services, client: RecordingClient) -> None:
    client.errors["chat.postMessage"] = "channel_not_found"
    assert events.answer_mention(mention(GOOD), CONTEXT, client, services) == "error: chat.postMessage failed"


def test_an_unexpected_error_is_logged(
    services: Services, client: RecordingClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert events.answer_mention({"event": "not a dict"}, CONTEXT, client, services) == "error"
    assert caplog.records and caplog.records[-1].exc_info is not None


# -- thread follow-ups and feedback buttons ----------------------------------------------------------------


def test_a_follow_up_in_a_mention_thread_is_answered_with_the_threads_subject(
    services: Services, client: RecordingClient
) -> None:
    first = mention("How many robots per 10,000 workers does China have?", ts="20.0", event_id="EvA")
    assert events.answer_mention(first, CONTEXT, client, services) == "replied"
    follow = mention("and what about patents?", ts="21.0", thread_ts="20.0", event_id="EvB")
    assert events.answer_mention(follow, CONTEXT, client, services) == "replied"
    first_reply, reply = client.posted()
    check_message(reply)
    assert "470 robots per 10,000 workers" in texts(first_reply)
    assert reply["thread_ts"] == "20.0"
    shown = texts(reply)
    assert "190,000 patents" in shown  # Beijing's robotics patents: the thread's subject was kept
    assert "Following up on: _How many robots per 10,000 workers does China have?_" in shown


def test_a_follow_up_that_stands_alone_is_answered_alone(services: Services, client: RecordingClient) -> None:
    events.answer_mention(
        mention("How many robots per 10,000 workers does China have?", ts="30.0"), CONTEXT, client, services
    )
    alone = mention("What is China's GII rank?", ts="31.0", thread_ts="30.0", event_id="EvC")
    events.answer_mention(alone, CONTEXT, client, services)
    reply = client.posted()[-1]
    assert "China ranks 11th in the Global Innovation Index (2024)." in texts(reply)
    assert "Following up on" not in texts(reply)
    alone_answer = services.answer("What is China's GII rank?").text
    assert alone_answer in texts(reply)  # the very answer the question gets anywhere else


def test_a_follow_up_in_a_dm_continues_the_dm(services: Services, client: RecordingClient) -> None:
    dm = {"channel": "D0ALICE", "channel_type": "im"}
    events.handle_message(
        body("What is China's GII rank?", ts="40.0", event_id="EvD", **dm), CONTEXT, client, services
    )
    events.handle_message(body("and in 2024?", ts="41.0", event_id="EvE", **dm), CONTEXT, client, services)
    first, second = client.posted()
    assert first["channel"] == second["channel"] == "D0ALICE"
    assert "Following up on: _What is China's GII rank?_" in texts(second)


def test_every_answer_in_a_thread_carries_feedback_buttons_but_no_share(
    services: Services, client: RecordingClient
) -> None:
    events.answer_mention(mention(GOOD, ts="50.0", event_id="EvF"), CONTEXT, client, services)
    events.handle_message(body(GOOD, ts="51.0", event_id="EvG"), CONTEXT, client, services)  # auto-reply
    for post in client.posted():
        ids = [e["action_id"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert ids == ["innov_vote_up", "innov_vote_down"]
        check_message(post)


def test_a_mention_after_an_automatic_reply_follows_up_on_the_threads_question(
    services: Services, client: RecordingClient
) -> None:
    root = body("How many robots per 10,000 workers does China have?", ts="60.0", event_id="EvH")
    assert events.handle_message(root, CONTEXT, client, services) == "replied"
    follow = mention("and what about patents?", ts="61.0", thread_ts="60.0", event_id="EvI")
    follow["event"]["channel"] = AUTO
    assert events.answer_mention(follow, CONTEXT, client, services) == "replied"
    reply = client.posted()[-1]
    assert reply["thread_ts"] == "60.0" and "190,000 patents" in texts(reply)
    assert "Following up on" in texts(reply)


def test_chatter_in_an_auto_reply_channel_costs_no_token(services: Services) -> None:
    """The second attack run: ten "lunch at noon today" messages took the channel's tokens before the
    question check, and a real question then got "rate limited (channel)"."""
    for n in range(40):  # more than the user's and the channel's limits
        admitted = events.admit_message(body("lunch at noon today", event_id=f"Ev{n}"), CONTEXT, services)
        assert admitted.outcome == "quiet: not a question"
    assert events.admit_message(body(GOOD, event_id="EvQ"), CONTEXT, services).outcome is None
    assert services.check_rate(USER) is None  # the question took one token; the chatter none


def test_a_file_with_no_text_is_not_a_question(services: Services, client: RecordingClient) -> None:
    """A file dropped into a DM (message/file_share with no text) was answered with the help text."""
    dm = body("", channel="D0DIRECT", channel_type="im", subtype="file_share", files=[{"id": "F1"}])
    assert events.handle_message(dm, CONTEXT, client, services) == "ignored: a file with no text"
    assert client.calls == []
