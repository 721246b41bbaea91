"""handlers.actions: Share, 👍 / 👎 with the "What was wrong?" modal, and facts pages."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from bot.feedback import AnswerRef
from bot.services import Services
from handlers import actions, views
from tests.blockkit import check_message, check_view
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


def test_share_posts_in_channel_through_the_response_url_and_removes_the_original(
    services: Services, client: RecordingClient
) -> None:
    respond = Recorder()
    assert actions.share(press("What is China's GII rank?"), client, respond, services) == "shared"
    assert client.posted() == []  # no chat.postMessage: the response_url works where innov is no member
    posted, removal = respond.calls
    assert posted["response_type"] == "in_channel" and posted["replace_original"] is False
    assert "China ranks 11th" in texts(posted) and f"Shared by <@{USER}>" in texts(posted)
    check_message(posted)
    assert removal == {"delete_original": True}


def test_share_posts_once_per_ephemeral_message(services: Services, client: RecordingClient) -> None:
    respond = Recorder()
    assert actions.share(press("rank"), client, respond, services) == "shared"
    assert actions.share(press("rank"), client, respond, services) == "duplicate: already shared"
    assert [c.get("response_type") for c in respond.calls] == ["in_channel", None]


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


class Refused:
    """A response_url that Slack no longer takes (expired after 30 minutes): HTTP 404 ``expired_url``."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> SimpleNamespace:
        self.calls.append(kwargs)
        return SimpleNamespace(status_code=404, body="expired_url")


def test_an_expired_response_url_falls_back_to_chat_post_message(
    services: Services, client: RecordingClient
) -> None:
    respond = Refused()
    assert actions.share(press("rank"), client, respond, services) == "shared with chat.postMessage"
    [post] = client.posted()
    assert post["channel"] == "C0GENERAL" and "11th" in texts(post)


def test_share_where_neither_way_works_tells_the_presser_what_to_do(
    services: Services, client: RecordingClient
) -> None:
    client.errors["chat.postMessage"] = "not_in_channel"
    respond = Refused()
    assert actions.share(press("rank"), client, respond, services).startswith("error:")
    hint = respond.calls[-1]
    assert "not_in_channel" in hint["text"] and "/invite" in hint["text"] and "30 minutes" in hint["text"]


def test_a_response_url_that_raises_does_not_break_sharing(
    services: Services, client: RecordingClient
) -> None:
    def unreachable(**kwargs: Any) -> None:
        raise OSError("connection refused")

    assert actions.share(press("rank"), client, unreachable, services) == "shared with chat.postMessage"
    assert len(client.posted()) == 1


# -- 👍 / 👎 ----------------------------------------------------------------------------------------------


def click(action_id: str, value: str, user: str = USER, trigger: str | None = "1.trig") -> dict[str, Any]:
    return {
        "type": "block_actions",
        "user": {"id": user},
        "channel": {"id": "C0GENERAL"},
        "container": {"channel_id": "C0GENERAL", "message_ts": "9.0", "is_ephemeral": True},
        "trigger_id": trigger,
        "actions": [{"action_id": action_id, "value": value}],
        "response_url": "https://hooks.example/r",
    }


def answer_value(services: Services, question: str = "What is China's GII rank?") -> str:
    return AnswerRef.of(services.answer(question)).value()


def test_a_vote_is_recorded_once_per_user_and_a_second_click_changes_it(
    services: Services, client: RecordingClient
) -> None:
    value = answer_value(services)
    ack = Recorder()
    assert actions.vote(ack, click(views.VOTE_UP_ACTION, value), client, services) == "voted up"
    assert actions.vote(ack, click(views.VOTE_UP_ACTION, value), client, services) == "voted up"
    assert len(ack.calls) == 2
    [vote] = services.feedback.votes()
    assert vote.vote == "up" and vote.answer.ref == "gii-rank" and vote.answer.kind == "fact"
    assert client.calls == []  # a 👍 opens nothing
    assert actions.vote(ack, click(views.VOTE_DOWN_ACTION, value), client, services) == "voted down"
    [vote] = services.feedback.votes()
    assert vote.vote == "down"
    [(method, args)] = client.calls
    assert method == "views.open" and args["trigger_id"] == "1.trig"
    modal = check_view(args["view"])
    assert modal["callback_id"] == views.FEEDBACK_MODAL
    assert AnswerRef.parse(modal["private_metadata"]) == AnswerRef.parse(value)
    # Another user's vote on the same answer is a second vote.
    actions.vote(ack, click(views.VOTE_UP_ACTION, value, user="U0BOB"), client, services)
    assert sorted(v.user for v in services.feedback.votes()) == sorted(["U0BOB", USER])


def test_a_forged_vote_value_is_ignored(services: Services, client: RecordingClient) -> None:
    ack = Recorder()
    assert actions.vote(ack, click(views.VOTE_DOWN_ACTION, "<!channel>"), client, services).startswith(
        "ignored"
    )
    assert ack.calls and services.feedback.votes() == [] and client.calls == []


def test_the_voter_is_thanked_privately(services: Services) -> None:
    respond = Recorder()
    value = answer_value(services)
    assert actions.vote_thanks(click(views.VOTE_UP_ACTION, value), respond, services) == "thanked"
    assert respond.last["response_type"] == "ephemeral" and "👍" in respond.last["text"]


def test_with_feedback_off_nothing_is_recorded_and_the_user_is_told(
    make_services: Callable[..., Services], client: RecordingClient
) -> None:
    services = make_services(innov_feedback="off")
    value = answer_value(services)
    assert actions.vote(Recorder(), click(views.VOTE_DOWN_ACTION, value), client, services) == "feedback off"
    assert client.calls == [] and services.feedback.votes() == []
    respond = Recorder()
    actions.vote_thanks(click(views.VOTE_DOWN_ACTION, value), respond, services)
    assert "INNOV_FEEDBACK=off" in respond.last["text"]


def submitted(value: str, reason: str | None, note: str | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        views.REASON_BLOCK: {
            views.REASON_ACTION: {
                "type": "radio_buttons",
                "selected_option": {"value": reason} if reason else None,
            }
        },
        views.NOTE_BLOCK: {views.NOTE_ACTION: {"type": "plain_text_input", "value": note}},
    }
    return {
        "id": "V1",
        "callback_id": views.FEEDBACK_MODAL,
        "private_metadata": value,
        "state": {"values": values},
    }


def test_the_modal_stores_the_reason_and_note_with_the_down_vote(services: Services) -> None:
    value = answer_value(services)
    ack = Recorder()
    body = {"type": "view_submission", "user": {"id": USER}}
    outcome = actions.feedback_submitted(
        ack, body, submitted(value, "out_of_date", "2025 edition says 10th"), services
    )
    assert outcome == "feedback: out_of_date" and ack.calls == [{}]
    [vote] = services.feedback.votes()
    assert (vote.vote, vote.reason, vote.note) == ("down", "out_of_date", "2025 edition says 10th")


def test_the_modal_without_a_reason_asks_for_one(services: Services) -> None:
    ack = Recorder()
    body = {"type": "view_submission", "user": {"id": USER}}
    assert (
        actions.feedback_submitted(ack, body, submitted(answer_value(services), None), services)
        == "invalid: no reason"
    )
    assert ack.last["response_action"] == "errors" and views.REASON_BLOCK in ack.last["errors"]
    assert services.feedback.votes() == []


# -- facts pages ------------------------------------------------------------------------------------------


def test_next_replaces_the_same_message_with_the_next_page(services: Services) -> None:
    respond = Recorder()
    value = views.FactsPage("", views.FACTS_PER_PAGE).value()
    assert actions.facts_page(click(views.FACTS_PAGE_ACTION, value), respond, services) == "page 2"
    message = respond.last
    assert message["replace_original"] is True
    check_message(message)
    total = len(services.kb.snapshot.facts)
    assert f"Facts 16–30 of {total}" in texts(message)
    labels = [e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert "◀ Previous" in labels and "Next ▶" in labels and "Share in channel" in labels
