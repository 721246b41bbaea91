"""``/innov`` over signed HTTP: every subcommand, the share button, escaping, limits and the rate limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.settings import Settings
from tests.blockkit import check_message
from tests.e2e.conftest import ADMIN, CHANNEL, USER, Running
from tests.e2e.helpers import all_text, assert_within_slack_limits, share_value


def ask(bot: Running, text: str, **kw: Any) -> dict[str, Any]:
    result = bot.slack.slash(text, **kw)
    assert result.status == 200, result.text
    message = result.json()
    assert message["response_type"] == "ephemeral"
    assert_within_slack_limits(message)
    check_message(message)
    return message


def test_rank_lists_the_ranking_facts_with_sources(bot: Running) -> None:
    message = ask(bot, "rank")
    text = all_text(message)
    assert "11th" in text and "Global Innovation Index" in text
    assert "Source: Focus on tech innovations to elevate China’s advancement — MK sports, 2025-03-06" in text
    assert share_value(message) == "rank"
    # No Web API call is needed to answer a slash command: the answer is the HTTP response.
    assert not bot.stub.calls("chat.postMessage")


def test_ask_gives_one_short_sourced_answer(bot: Running) -> None:
    message = ask(bot, "ask What is China's GII rank?")
    text = all_text(message)
    assert "China ranks 11th in the Global Innovation Index (2024)." in text
    assert "Source: " in text
    assert share_value(message) == "ask What is China's GII rank?"


def test_a_bare_question_is_the_same_as_ask(bot: Running) -> None:
    bare = ask(bot, "What is China's GII rank?")
    asked = ask(bot, "ask What is China's GII rank?")
    assert [b for b in bare["blocks"] if b["type"] != "actions"] == [
        b for b in asked["blocks"] if b["type"] != "actions"
    ]


def test_an_unknown_subject_gets_an_honest_answer_and_hints(bot: Running) -> None:
    message = ask(bot, "Where does Canada rank in the GII?")
    text = all_text(message)
    assert "couldn't find" in text or "not in the knowledge base" in text
    # China's rank may be offered as a related fact, but never as the answer.
    answer = text.split("Not the answer, but related")[0]
    assert "11th" not in answer
    assert "/innov facts" in text and "/innov help" in text
    assert share_value(message) is None


def test_facts_lists_every_fact_and_facts_topic_narrows(bot: Running) -> None:
    everything = ask(bot, "facts")
    topic = ask(bot, "facts robots")
    assert len(topic["blocks"]) < len(everything["blocks"])
    assert "robot" in all_text(topic).lower()
    assert share_value(topic) == "facts robots"


def test_sources_lists_articles_with_publisher_and_date(bot: Running) -> None:
    text = all_text(ask(bot, "sources"))
    assert "5 articles" in text
    assert "MK sports, 2025-03-06" in text
    assert "Unveiling China's Exceptional Innovation Ecosystem" in text


def test_help_names_every_subcommand_with_an_example(bot: Running) -> None:
    message = ask(bot, "help")
    text = all_text(message)
    for usage in ("rank", "ask", "facts", "sources", "help", "reload", "stats"):
        assert f"/innov {usage}" in text
    assert "&lt;question&gt;" in text  # the usage placeholder is escaped, not a Slack link
    assert share_value(message) is None


def test_an_empty_command_shows_help(bot: Running) -> None:
    assert "/innov rank" in all_text(ask(bot, ""))


def test_channel_mentions_typed_in_a_question_are_escaped(bot: Running) -> None:
    message = ask(bot, "ask <!channel> <!here> <@U0BOSS> what is China's GII rank? & more")
    raw = json.dumps(message)
    assert "<!channel>" not in raw and "<!here>" not in raw and "<@U0BOSS>" not in raw
    text = all_text(message)
    assert "&lt;!channel&gt;" in text and "&lt;!here&gt;" in text and "&lt;@U0BOSS&gt;" in text
    assert "&amp; more" in text


def test_slack_escaped_text_is_not_double_escaped(bot: Running) -> None:
    # Slack itself sends "<" as "&lt;": the user must see "<", not "&lt;".
    text = all_text(ask(bot, "ask &lt;!channel&gt; GII rank"))
    assert "&lt;!channel&gt;" in text and "&amp;lt;" not in text


def test_a_16_kb_question_is_answered_within_slack_limits(bot: Running) -> None:
    question = ("<!channel> what is China's GII rank? " * 500)[: 16 * 1024]
    message = ask(bot, question)
    raw = json.dumps(message)
    assert "<!channel>" not in raw
    assert len(raw) < 20_000
    assert "too long" in all_text(message)


def test_share_button_posts_the_same_answer_in_channel_through_the_response_url(bot: Running) -> None:
    message = ask(bot, "What is China's GII rank?")
    value = share_value(message)
    assert value is not None
    result = bot.slack.share(value, user=USER, channel=CHANNEL, message_ts="1700000000.000100")
    assert result.status == 200
    post, removal = bot.stub.wait_for("response_url", 2)
    assert post.args["response_type"] == "in_channel" and post.args["replace_original"] is False
    assert "China ranks 11th in the Global Innovation Index (2024)." in post.text
    assert f"Shared by <@{USER}>" in post.text
    check_message(post.args)
    ids = [e["action_id"] for b in post.args["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["innov_vote_up", "innov_vote_down"]  # votes, but no second Share button
    # The ephemeral original is removed through the same response_url; no chat.postMessage was needed.
    assert removal.args.get("delete_original") is True
    assert post.args["_path"] == removal.args["_path"]
    assert not bot.stub.calls("chat.postMessage")


def test_a_double_click_on_share_posts_once(bot: Running) -> None:
    bot.slack.share("rank", message_ts="1700000000.000200")
    bot.slack.share("rank", message_ts="1700000000.000200")
    outcomes = bot.outcomes.wait_all("1700000000.000200", 2)
    assert sorted(outcomes) == ["duplicate: already shared", "shared"]
    shared = [c for c in bot.stub.calls("response_url") if c.args.get("response_type") == "in_channel"]
    assert len(shared) == 1


def test_share_in_a_channel_innov_is_not_in(bot: Running) -> None:
    # innov was never invited to C0PRIVATE: chat.postMessage would fail there, the response_url does not.
    bot.stub.fail("chat.postMessage", status=200, error="not_in_channel", times=10)
    bot.slack.share("rank", channel="C0PRIVATE", message_ts="1700000000.000300")
    assert bot.outcomes.wait("1700000000.000300") == "shared"
    post = bot.stub.calls("response_url")[0]
    assert post.args["response_type"] == "in_channel" and "11th" in post.text
    assert not bot.stub.calls("chat.postMessage")


def test_share_with_an_expired_response_url_outside_the_channel_gives_a_hint(bot: Running) -> None:
    bot.stub.fail("response_url", status=404, times=1)  # Slack: expired_url (30 minutes, 5 uses)
    bot.stub.fail("chat.postMessage", status=200, error="not_in_channel")
    bot.slack.share("rank", channel="C0PRIVATE", message_ts="1700000000.000400")
    assert bot.outcomes.wait("1700000000.000400").startswith("error:")
    note = bot.stub.wait_for("response_url", 2)[-1]
    assert "not_in_channel" in note.args["text"] and "/invite" in note.args["text"]
    assert note.args.get("response_type") == "ephemeral"


def test_a_user_over_the_rate_limit_is_told_to_slow_down(
    start_app: Callable[[Settings], Running], settings_factory: Callable[..., Settings]
) -> None:
    bot = start_app(settings_factory(innov_rate_limit=2))
    ask(bot, "What is China's GII rank?")
    ask(bot, "What is China's GII rank?")
    text = all_text(ask(bot, "What is China's GII rank?"))
    assert "Slow down — try again in" in text and " s." in text
    # Browsing stays available, and other users are not affected.
    assert "/innov rank" in all_text(ask(bot, "help"))
    assert "11th" in all_text(ask(bot, "rank"))
    assert "11th" in all_text(ask(bot, "What is China's GII rank?", user=ADMIN))


def test_browse_commands_are_not_rate_limited(
    start_app: Callable[[Settings], Running], settings_factory: Callable[..., Settings]
) -> None:
    bot = start_app(settings_factory(innov_rate_limit=10))
    for i in range(25):  # the 11th command in the first minute used to get "Slow down"
        line = ("rank", "facts", "sources", "help", "facts robots")[i % 5]
        assert "Slow down" not in all_text(ask(bot, line)), (i, line)
    assert "11th" in all_text(ask(bot, "What is China's GII rank?"))


def test_facts_pages_update_the_same_ephemeral_message(bot: Running) -> None:
    first = ask(bot, "facts")
    total = len(bot.services.kb.snapshot.facts)
    assert all_text(first).startswith(f"*Facts 1–15 of {total}*")
    assert "blocks not shown" not in all_text(first)
    [nxt] = [
        e
        for b in first["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if "Next" in e["text"]["text"]
    ]
    bot.slack.click(nxt["action_id"], nxt["value"], message_ts="1700000000.000500")
    [page] = bot.stub.wait_for("response_url")
    assert page.args["replace_original"] is True  # the same message, not a new one
    check_message(page.args)
    assert f"*Facts 16–30 of {total}*" in page.text
    [prev] = [
        e
        for b in page.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if "Previous" in e["text"]["text"]
    ]
    bot.slack.click(prev["action_id"], prev["value"], message_ts="1700000000.000500")
    back = bot.stub.wait_for("response_url", 2)[-1]
    assert f"*Facts 1–15 of {total}*" in back.text
