"""``/innov`` over signed HTTP: every subcommand, the share button, escaping, limits and the rate limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.settings import Settings
from tests.e2e.conftest import ADMIN, CHANNEL, USER, Running
from tests.e2e.helpers import all_text, assert_within_slack_limits, share_value


def ask(bot: Running, text: str, **kw: Any) -> dict[str, Any]:
    result = bot.slack.slash(text, **kw)
    assert result.status == 200, result.text
    message = result.json()
    assert message["response_type"] == "ephemeral"
    assert_within_slack_limits(message)
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


def test_share_button_posts_the_same_answer_saying_who_shared_it(bot: Running) -> None:
    message = ask(bot, "What is China's GII rank?")
    value = share_value(message)
    assert value is not None
    result = bot.slack.share(value, user=USER, channel=CHANNEL, message_ts="1700000000.000100")
    assert result.status == 200
    [post] = bot.stub.wait_for("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    assert "China ranks 11th in the Global Innovation Index (2024)." in post.text
    assert f"Shared by <@{USER}>" in post.text
    assert not any(b.get("type") == "actions" for b in post.args["blocks"])
    # The ephemeral original is removed through its response_url.
    [removal] = bot.stub.wait_for("response_url")
    assert removal.args.get("delete_original") is True


def test_a_double_click_on_share_posts_once(bot: Running) -> None:
    bot.slack.share("rank", message_ts="1700000000.000200")
    bot.slack.share("rank", message_ts="1700000000.000200")
    outcomes = bot.outcomes.wait_all("1700000000.000200", 2)
    assert sorted(outcomes) == ["duplicate: already shared", "shared"]
    assert len(bot.stub.posts()) == 1


def test_share_when_innov_is_not_in_the_channel_tells_the_user(bot: Running) -> None:
    bot.stub.fail("chat.postMessage", status=200, error="not_in_channel")
    bot.slack.share("rank", message_ts="1700000000.000300")
    [note] = bot.stub.wait_for("response_url")
    assert "not_in_channel" in note.args["text"] and "/invite" in note.args["text"]
    assert note.args.get("response_type") == "ephemeral"


def test_a_user_over_the_rate_limit_is_told_to_slow_down(
    start_app: Callable[[Settings], Running], settings_factory: Callable[..., Settings]
) -> None:
    bot = start_app(settings_factory(innov_rate_limit=2))
    ask(bot, "rank")
    ask(bot, "rank")
    text = all_text(ask(bot, "rank"))
    assert "Slow down — try again in" in text and " s." in text
    # Help stays available, and other users are not affected.
    assert "/innov rank" in all_text(ask(bot, "help"))
    assert "11th" in all_text(ask(bot, "rank", user=ADMIN))
