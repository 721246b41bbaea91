"""The Slack surfaces over signed HTTP: App Home, DMs, the "Find sources" shortcut, thread follow-ups,
👍 / 👎 with the "What was wrong?" modal, and the curator queue.

Every request is signed like Slack's and goes through Bolt; the evidence is what the Web API stand-in
recorded (``views.publish``, ``views.open``, ``chat.postMessage``, ``response_url`` posts), each message
and view checked against Block Kit's limits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from bot.feedback import AnswerRef
from bot.redis_store import RedisStore
from bot.settings import Settings
from handlers import views
from tests.blockkit import check_message, check_view
from tests.e2e.conftest import ADMIN, CHANNEL, USER, Running
from tests.e2e.helpers import all_text
from tests.e2e.slack_api_stub import BOT_USER_ID, Call

GII = "What is China's GII rank?"
GII_ANSWER = "China ranks 11th in the Global Innovation Index (2024)."


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message's buttons by action_id."""
    return {
        e["action_id"]: e
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
    }


def home_opened(bot: Running, user: str) -> None:
    bot.slack.event(
        {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home", "ts": "1.0"}
    )


def test_the_home_tab_is_published_for_a_member(bot: Running) -> None:
    home_opened(bot, USER)
    [call] = bot.stub.wait_for("views.publish")
    assert call.args["user_id"] == USER
    view = check_view(call.view or {})
    text = call.text
    assert view["type"] == "home"
    for question in views.EXAMPLE_QUESTIONS:
        assert question in text
    assert GII_ANSWER in text and "5 articles" in text and bot.services.kb.version in text
    assert "Reload knowledge base" not in text and "Curator queue" not in text


def test_the_home_tab_for_an_admin_has_reload_stats_and_the_curator_queue(bot: Running) -> None:
    bot.slack.slash("Where does Canada rank in the GII?")  # declined: lands in the curator queue
    home_opened(bot, ADMIN)
    [call] = bot.stub.wait_for("views.publish")
    check_view(call.view or {})
    assert call.args["user_id"] == ADMIN
    assert "Reload knowledge base" in call.text and "innov stats" in call.text
    assert "*1×*\nWhere does Canada rank in the GII?" in call.text


def test_the_messages_tab_publishes_nothing(bot: Running) -> None:
    event_id, _ = bot.slack.event(
        {"type": "app_home_opened", "user": USER, "channel": "D0", "tab": "messages"}
    )
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and not bot.stub.calls("views.publish"):
        time.sleep(0.02)
    assert not bot.stub.calls("views.publish")


def test_an_example_button_answers_in_the_home_tab(bot: Running) -> None:
    bot.slack.click(f"{views.HOME_ASK_ACTION}_0", GII, container="view")
    [call] = bot.stub.wait_for("views.publish")
    check_view(call.view or {})
    assert GII_ANSWER in call.text and "innov_vote_up" in json.dumps(call.view)


def test_reload_from_the_home_tab_reports_like_the_slash_command(bot: Running) -> None:
    bot.slack.click(views.HOME_RELOAD_ACTION, "reload", user=ADMIN, container="view")
    [call] = bot.stub.wait_for("views.publish")
    assert "Reloaded" in call.text and call.args["user_id"] == ADMIN
    bot.slack.click(views.HOME_RELOAD_ACTION, "reload", user=USER, container="view")
    refused = bot.stub.wait_for("views.publish", 2)[-1]
    assert "Only admins can run `/innov reload`" in refused.text


def test_a_direct_message_is_answered_in_the_dm(bot: Running) -> None:
    dm = bot.slack.message(GII, channel="D0ALICE", channel_type="im")
    bot.slack.event(dm)
    [post] = bot.stub.wait_for("chat.postMessage")
    check_message(post.args)
    assert post.args["channel"] == "D0ALICE" and GII_ANSWER in post.text
    assert set(buttons(post.args)) == {views.VOTE_UP_ACTION, views.VOTE_DOWN_ACTION}


def test_the_message_shortcut_answers_privately_through_its_response_url(bot: Running) -> None:
    started = time.perf_counter()
    result = bot.slack.message_shortcut(f"<@{BOT_USER_ID}> {GII}", channel="C0NOTMEMBER")
    assert result.status == 200 and time.perf_counter() - started < 3.0  # acknowledged within Slack's 3 s
    [reply] = bot.stub.wait_for("response_url")
    check_message(reply.args)
    assert reply.args["response_type"] == "ephemeral"
    assert GII_ANSWER in reply.text
    # The same answer /innov gives.
    slash = bot.slack.slash(GII).json()
    assert [b for b in slash["blocks"] if b["type"] != "actions"] == [
        b for b in reply.args["blocks"] if b["type"] != "actions"
    ]
    assert set(buttons(reply.args)) == {views.VOTE_UP_ACTION, views.VOTE_DOWN_ACTION, "innov_share"}
    assert not bot.stub.calls("chat.postMessage") and not bot.stub.calls("chat.postEphemeral")


def test_the_message_shortcut_is_honest_about_what_is_not_known(bot: Running) -> None:
    bot.slack.message_shortcut("Anyone up for lunch at noon?")
    [reply] = bot.stub.wait_for("response_url")
    assert "couldn't find" in reply.text and "innov_share" not in json.dumps(reply.args)


def thread_posts(bot: Running, count: int) -> list[Call]:
    return bot.stub.wait_for("chat.postMessage", count)


def test_a_follow_up_is_answered_with_the_threads_context(bot: Running) -> None:
    root = "1700000100.000100"
    first = bot.slack.message(
        f"<@{BOT_USER_ID}> How many robots per 10,000 workers does China have?", channel=CHANNEL, ts=root
    )
    bot.slack.event(first | {"type": "app_mention"})
    thread_posts(bot, 1)
    follow = bot.slack.message(
        f"<@{BOT_USER_ID}> and what about patents?", channel=CHANNEL, ts="1700000100.000200", thread_ts=root
    )
    bot.slack.event(follow | {"type": "app_mention"})
    _, answer = thread_posts(bot, 2)
    check_message(answer.args)
    assert answer.args["thread_ts"] == root
    assert "190,000 patents" in answer.text
    assert "Following up on: _How many robots per 10,000 workers does China have?_" in answer.text


def test_a_standalone_follow_up_is_answered_alone(bot: Running) -> None:
    root = "1700000200.000100"
    first = bot.slack.message(
        f"<@{BOT_USER_ID}> How many robots per 10,000 workers does China have?", ts=root
    )
    bot.slack.event(first | {"type": "app_mention", "channel": CHANNEL})
    thread_posts(bot, 1)
    alone = bot.slack.message(f"<@{BOT_USER_ID}> {GII}", ts="1700000200.000200", thread_ts=root)
    bot.slack.event(alone | {"type": "app_mention", "channel": CHANNEL})
    _, answer = thread_posts(bot, 2)
    assert GII_ANSWER in answer.text and "Following up on" not in answer.text
    slash = bot.slack.slash(GII).json()
    assert GII_ANSWER in all_text(slash)


def vote_value(bot: Running) -> str:
    message = bot.slack.slash(GII).json()
    return str(buttons(message)[views.VOTE_UP_ACTION]["value"])


def test_a_vote_is_recorded_and_a_second_click_changes_it(bot: Running) -> None:
    value = vote_value(bot)
    bot.slack.click(views.VOTE_UP_ACTION, value)
    [thanks] = bot.stub.wait_for("response_url")
    assert thanks.args["response_type"] == "ephemeral" and "👍" in thanks.text
    [vote] = bot.services.feedback.votes()
    assert vote.user == USER and vote.vote == "up" and vote.answer.ref == "gii-rank"
    bot.slack.click(views.VOTE_DOWN_ACTION, value)
    [opened] = bot.stub.wait_for("views.open")
    [vote] = bot.services.feedback.votes()  # still one vote per user and answer, now 👎
    assert vote.vote == "down"
    modal = check_view(opened.view or {})
    assert modal["callback_id"] == views.FEEDBACK_MODAL and "What was wrong?" in json.dumps(modal)


def test_the_what_was_wrong_modal_is_submitted(bot: Running) -> None:
    value = vote_value(bot)
    bot.slack.click(views.VOTE_DOWN_ACTION, value, user=ADMIN)
    [opened] = bot.stub.wait_for("views.open")
    modal = opened.view or {}
    values = {
        views.REASON_BLOCK: {
            views.REASON_ACTION: {"type": "radio_buttons", "selected_option": {"value": "out_of_date"}}
        },
        views.NOTE_BLOCK: {
            views.NOTE_ACTION: {"type": "plain_text_input", "value": "2025 edition: <b>10th</b>"}
        },
    }
    result = bot.slack.submit_view(modal, values, user=ADMIN)
    assert result.status == 200 and result.body in (b"", b"{}")  # the modal closes
    [vote] = bot.services.feedback.votes()
    assert (vote.vote, vote.reason, vote.note) == ("down", "out_of_date", "2025 edition: <b>10th</b>")
    # A submission with no reason is sent back with an error on the field.
    values[views.REASON_BLOCK][views.REASON_ACTION]["selected_option"] = None
    refused = bot.slack.submit_view(modal, values, user=ADMIN).json()
    assert refused["response_action"] == "errors" and views.REASON_BLOCK in refused["errors"]
    # The curator queue (/innov stats) lists the answer with the reason and the note, escaped.
    stats = bot.slack.slash("stats", user=ADMIN).json()
    check_message(stats)
    text = all_text(stats)
    assert (
        "👎 1 👍 0\ngii-rank · What is China's GII rank?\nout of date 1\n“2025 edition: <b>10th</b>”" in text
    )
    note = next(e for b in stats["blocks"] for e in b.get("elements", []) if "10th" in str(e.get("text")))
    assert note["type"] == "plain_text"  # what the voter typed is shown as typed, never as mrkdwn


def test_the_curator_queue_lists_declined_questions(bot: Running) -> None:
    for _ in range(3):
        bot.slack.slash("Where does Canada rank in the GII?")
    bot.slack.slash("ask What is Brazil's GII rank?")
    stats = bot.slack.slash("stats", user=ADMIN).json()
    text = all_text(stats)
    assert "*3×*\nWhere does Canada rank in the GII?" in text
    assert text.index("Canada") < text.index("Brazil")  # most asked first
    assert "Only admins" in all_text(bot.slack.slash("stats").json())


def test_feedback_off_records_nothing_and_shows_no_buttons(
    start_app: Callable[[Settings], Running], settings_factory: Callable[..., Settings]
) -> None:
    bot = start_app(settings_factory(innov_feedback="off"))
    message = bot.slack.slash("Where does Canada rank in the GII?").json()
    assert views.VOTE_UP_ACTION not in buttons(message)
    assert bot.services.feedback.queue().declined == ()


def test_votes_and_thread_context_are_shared_through_redis(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    # Two replicas on one Redis: a vote on one and a follow-up answered by the other.
    settings = settings_factory(redis_url=redis_url)
    one = start_app(settings, RedisStore(redis_url, prefix=redis_prefix))
    two = start_app(settings, RedisStore(redis_url, prefix=redis_prefix))
    value = str(buttons(one.slack.slash(GII).json())[views.VOTE_UP_ACTION]["value"])
    one.slack.click(views.VOTE_UP_ACTION, value)
    one.stub.wait_for("response_url")
    assert [v.vote for v in two.services.feedback.votes()] == ["up"]
    assert AnswerRef.parse(value) == two.services.feedback.votes()[0].answer
    root = "1700000300.000100"
    first = one.slack.message(
        f"<@{BOT_USER_ID}> How many robots per 10,000 workers does China have?", ts=root
    )
    one.slack.event(first | {"type": "app_mention", "channel": CHANNEL})
    one.stub.wait_for("chat.postMessage")
    follow = two.slack.message(
        f"<@{BOT_USER_ID}> and what about patents?", ts="1700000300.000200", thread_ts=root
    )
    two.slack.event(follow | {"type": "app_mention", "channel": CHANNEL})
    _, answer = one.stub.wait_for("chat.postMessage", 2)
    assert "Following up on" in answer.text and "190,000 patents" in answer.text


def test_malformed_surface_payloads_are_acknowledged_and_change_nothing(bot: Running) -> None:
    odd: list[dict[str, Any]] = [
        {"type": "block_actions", "user": {"id": USER}, "actions": [{"action_id": views.VOTE_DOWN_ACTION}]},
        {
            "type": "block_actions",
            "user": {"id": USER},
            "actions": [{"action_id": views.VOTE_UP_ACTION, "value": "{}"}],
        },
        {
            "type": "block_actions",
            "user": {"id": USER},
            "actions": [{"action_id": "innov_facts_page_next", "value": "[1"}],
        },
        {"type": "block_actions", "user": {}, "actions": [{"action_id": f"{views.HOME_ASK_ACTION}_0"}]},
        {
            "type": "view_submission",
            "user": {"id": USER},
            "view": {
                "type": "modal",
                "callback_id": views.FEEDBACK_MODAL,
                "state": {"values": {"reason": "x"}},
            },
        },
        {
            "type": "view_submission",
            "user": {"id": USER},
            "view": {"type": "modal", "callback_id": views.FEEDBACK_MODAL},
        },
        {"type": "message_action", "callback_id": views.FIND_SOURCES_SHORTCUT, "user": {"id": USER}},
    ]
    for payload in odd:
        result = bot.slack.interactive({"team": {"id": "T0TEST"}, "api_app_id": "A0INNOV", **payload})
        assert result.status == 200, (payload, result.status, result.text)
    time.sleep(0.3)  # lazy listeners finish
    assert bot.services.feedback.votes() == []


def test_a_lone_surrogate_in_an_example_button_gets_the_binary_input_refusal(bot: Running) -> None:
    bot.slack.click(f"{views.HOME_ASK_ACTION}_0", "\ud800", container="view")
    [call] = bot.stub.wait_for("views.publish")
    assert "binary data or control characters" in call.text
    assert "something went wrong" not in call.text
