"""handlers.actions: the "Share in channel" button."""

from __future__ import annotations

from typing import Any

from bot.services import Services
from handlers import actions
from tests.handlers.conftest import USER, Recorder, RecordingClient, texts


def press(value: str, message_ts: str | None = "7.0") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": USER},
        "channel": {"id": "C0GENERAL"},
        "container": {"channel_id": "C0GENERAL", "message_ts": message_ts, "is_ephemeral": True},
        "actions": [{"action_id": "innov_share", "value": value}],
        "response_url": "https://hooks.example/r",
    }


def test_share_posts_the_answer_saying_who_shared_it_and_removes_the_original(
    services: Services, client: RecordingClient
) -> None:
    respond = Recorder()
    assert actions.share(press("What is China's GII rank?"), client, respond, services) == "shared"
    [post] = client.posted()
    assert post["channel"] == "C0GENERAL"
    assert "China ranks 11th" in texts(post) and f"Shared by <@{USER}>" in texts(post)
    assert respond.calls == [{"delete_original": True}]


def test_share_posts_once_per_ephemeral_message(services: Services, client: RecordingClient) -> None:
    assert actions.share(press("rank"), client, Recorder(), services) == "shared"
    assert actions.share(press("rank"), client, Recorder(), services) == "duplicate: already shared"
    assert len(client.posted()) == 1


def test_things_that_cannot_be_shared_are_explained_privately(
    services: Services, client: RecordingClient
) -> None:
    for value in ("reload", "help", "Where does Canada rank in the GII?"):
        respond = Recorder()
        assert actions.share(press(value, message_ts=None), client, respond, services).startswith(
            "not shared"
        )
        assert respond.last["response_type"] == "ephemeral"
    assert client.posted() == []


def test_share_where_innov_is_not_a_member(services: Services, client: RecordingClient) -> None:
    client.errors["chat.postMessage"] = "not_in_channel"
    respond = Recorder()
    assert actions.share(press("rank"), client, respond, services) == "error: chat.postMessage failed"
    assert "not_in_channel" in respond.last["text"] and "/invite" in respond.last["text"]


def test_an_expired_response_url_does_not_break_sharing(services: Services, client: RecordingClient) -> None:
    def expired(**kwargs: Any) -> None:
        raise OSError("410 Gone")

    assert actions.share(press("rank"), client, expired, services) == "shared"
    assert len(client.posted()) == 1
