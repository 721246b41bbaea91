"""Slack listeners for innov: thin adapters between Bolt and ``bot.services.Services``.

The listeners are plain module-level functions that take ``services`` as an argument, so they can be
imported and called without an ``App`` (the console does exactly that). :func:`register` wires them to
a Bolt app; Bolt injects its arguments by parameter name, so each is wrapped in a small closure that
supplies ``services`` and keeps Bolt's names.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot import logs
from handlers import actions, commands, events, home, shortcuts, views
from handlers.blocks import SHARE_ACTION_ID

if TYPE_CHECKING:
    from slack_bolt import Ack, App, BoltContext, Respond
    from slack_sdk import WebClient

    from bot.background import BoundedExecutor
    from bot.services import Services

COMMAND = "/innov"

logger = logging.getLogger("innov.handlers")


def register(app: App, services: Services, background: BoundedExecutor) -> None:
    """Wire every innov listener to ``app``: the slash command, buttons, the modal, mentions, messages,
    the Home tab and the "Find sources" shortcut. ``background`` runs the ``message`` events' work (the
    other lazy listeners reach it as Bolt's executor)."""

    def innov_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        # Over HTTP this joins the request's log line; in Socket Mode it is the line.
        with logs.request("command"):
            commands.handle_command(ack, command, services, respond)

    # Each lazy listener run is one request log line with its outcome ("replied", "duplicate: ...",
    # "quiet: ..."), which explains why innov did or did not reply.
    def share_pressed(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        with logs.request("share", message_ts=(body.get("container") or {}).get("message_ts")) as record:
            record["outcome"] = actions.share(body, client, respond, services)

    def mention_received(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        with logs.request("app_mention", event_id=body.get("event_id")) as record:
            record["outcome"] = events.answer_mention(body, context, client, services)

    def message_received(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        with logs.request("message", event_id=body.get("event_id")) as record:
            record["outcome"] = events.handle_message(body, context, client, services)

    def message_outcome(body: dict[str, Any], outcome: str) -> None:
        with logs.request("message", event_id=body.get("event_id")) as record:
            record["outcome"] = outcome

    def message_arrived(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        # Judged in the request, before anything is queued: a message that needs no reply, or an
        # automatic reply past its author's or channel's limit, costs no background work at all.
        ack()
        admission = events.admit_message(body, context, services)
        if admission.outcome is not None:
            message_outcome(body, admission.outcome)
            return
        if admission.sheddable:  # refused or shed when the queue is busy: never at a direct question's cost
            shed = "shed: background queue busy"
            background.submit_sheddable(
                lambda: message_received(body, context, client), on_shed=lambda: message_outcome(body, shed)
            )
            return
        background.submit(message_received, body, context, client)  # full: 500, and Slack retries it

    # Slash commands answer inside the request (the reply is the ack); Web API work runs lazily.
    # "/innov" and variants such as "/innov-dev" (a staging app installed beside the real one).
    def vote_pressed(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        with logs.request("vote", message_ts=_message_ts(body)) as record:
            record["outcome"] = _guarded(lambda: actions.vote(ack, body, client, services))

    def vote_thanks(body: dict[str, Any], respond: Respond) -> None:
        with logs.request("vote thanks", message_ts=_message_ts(body)) as record:
            record["outcome"] = _guarded(lambda: actions.vote_thanks(body, respond, services))

    def feedback_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        with logs.request("feedback", view_id=view.get("id")) as record:
            record["outcome"] = actions.feedback_submitted(ack, body, view, services)

    def facts_page(body: dict[str, Any], respond: Respond) -> None:
        with logs.request("facts page", message_ts=_message_ts(body)) as record:
            record["outcome"] = _guarded(lambda: actions.facts_page(body, respond, services))

    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        with logs.request("app_home_opened", user=event.get("user")) as record:
            record["outcome"] = _guarded(lambda: home.opened(event, client, services))

    def home_example(body: dict[str, Any], client: WebClient) -> None:
        with logs.request("home example", user=(body.get("user") or {}).get("id")) as record:
            record["outcome"] = _guarded(lambda: home.example_pressed(body, client, services))

    def home_reload(body: dict[str, Any], client: WebClient) -> None:
        with logs.request("home reload", user=(body.get("user") or {}).get("id")) as record:
            record["outcome"] = _guarded(lambda: home.reload_pressed(body, client, services))

    def find_sources(body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
        with logs.request("find sources", message_ts=(body.get("message") or {}).get("ts")) as record:
            record["outcome"] = _guarded(
                lambda: shortcuts.find_sources(body, context, client, respond, services)
            )

    app.command(re.compile(rf"^{re.escape(COMMAND)}[\w-]*$"))(innov_command)
    app.action(SHARE_ACTION_ID)(ack=actions.acknowledge, lazy=[share_pressed])
    app.event("app_mention")(ack=events.acknowledge, lazy=[mention_received])
    app.event("message")(message_arrived)
    # 👍 / 👎: the vote and the modal happen before the ack returns (trigger_id); the thanks is lazy.
    app.action(re.compile(rf"^({views.VOTE_UP_ACTION}|{views.VOTE_DOWN_ACTION})$"))(
        ack=vote_pressed, lazy=[vote_thanks]
    )
    app.view(views.FEEDBACK_MODAL)(feedback_submitted)
    app.action(re.compile(rf"^{views.FACTS_PAGE_ACTION}_(prev|next)$"))(
        ack=actions.acknowledge, lazy=[facts_page]
    )
    app.event("app_home_opened")(ack=events.acknowledge, lazy=[home_opened])
    app.action(re.compile(rf"^{views.HOME_ASK_ACTION}_\d+$"))(ack=actions.acknowledge, lazy=[home_example])
    app.action(views.HOME_RELOAD_ACTION)(ack=actions.acknowledge, lazy=[home_reload])
    app.shortcut(views.FIND_SOURCES_SHORTCUT)(ack=shortcuts.acknowledge, lazy=[find_sources])


def _guarded(work: Callable[[], str]) -> str:
    """Run a listener's work; an unexpected error is logged with its traceback and becomes the outcome."""
    try:
        return work()
    except Exception:
        logger.exception("listener failed")
        return "error"


def _message_ts(body: dict[str, Any]) -> str | None:
    return (body.get("container") or {}).get("message_ts")


__all__ = ["COMMAND", "register"]
