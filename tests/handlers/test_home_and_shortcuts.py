"""handlers.home and handlers.shortcuts, called directly with a recording Web API client."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from handlers import blocks, home, shortcuts, views
from tests.blockkit import check_message, check_view
from tests.handlers.conftest import ADMIN, BOT, USER, Recorder, RecordingClient, texts


def test_opening_the_home_tab_publishes_it(services: Services, client: RecordingClient) -> None:
    assert (
        home.opened({"type": "app_home_opened", "user": USER, "tab": "home"}, client, services) == "published"
    )
    [(method, args)] = client.calls
    assert method == "views.publish" and args["user_id"] == USER
    check_view(args["view"])
    assert home.opened(
        {"type": "app_home_opened", "user": USER, "tab": "messages"}, client, services
    ).startswith("ignored")


def test_an_example_button_shows_the_same_answer_at_the_top_of_home(
    services: Services, client: RecordingClient
) -> None:
    question = views.EXAMPLE_QUESTIONS[1]
    body = {"user": {"id": USER}, "actions": [{"action_id": f"{views.HOME_ASK_ACTION}_1", "value": question}]}
    assert home.example_pressed(body, client, services) == "published"
    view = check_view(client.calls[-1][1]["view"])
    assert blocks.escape(services.answer(question).text) in texts(view)
    assert "innov_vote_up" in str(view["blocks"])


def test_reload_from_home_is_for_admins_only(services: Services, client: RecordingClient) -> None:
    body = {"user": {"id": USER}, "actions": [{"action_id": views.HOME_RELOAD_ACTION, "value": "reload"}]}
    home.reload_pressed(body, client, services)
    assert "Only admins can run `/innov reload`" in texts(check_view(client.calls[-1][1]["view"]))
    body["user"] = {"id": ADMIN}
    home.reload_pressed(body, client, services)
    assert "Reloaded" in texts(check_view(client.calls[-1][1]["view"]))


def shortcut(text: str) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": views.FIND_SOURCES_SHORTCUT,
        "user": {"id": USER},
        "channel": {"id": "C0ELSEWHERE"},
        "message": {"type": "message", "user": "U0BOB", "ts": "5.0", "text": text},
        "response_url": "https://hooks.example/s",
        "trigger_id": "1.t",
    }


def test_find_sources_answers_privately_with_share_and_feedback(
    services: Services, client: RecordingClient
) -> None:
    respond = Recorder()
    outcome = shortcuts.find_sources(
        shortcut(f"<@{BOT}> What is China's GII rank?"),
        {"bot_user_id": BOT},
        client,
        respond,
        services,
    )
    assert outcome == "replied privately" and client.calls == []
    message = check_message(respond.last)
    assert message["response_type"] == "ephemeral"
    assert "China ranks 11th in the Global Innovation Index (2024)." in texts(message)
    ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["innov_vote_up", "innov_vote_down", "innov_share"]


def test_find_sources_is_honest_when_the_knowledge_base_has_nothing(
    services: Services, client: RecordingClient
) -> None:
    respond = Recorder()
    shortcuts.find_sources(shortcut("Lunch at noon?"), {}, client, respond, services)
    assert "couldn't find" in texts(respond.last)
    shortcuts.find_sources(shortcut(""), {}, client, respond, services)
    assert "no text" in texts(respond.last)
