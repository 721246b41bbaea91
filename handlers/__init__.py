"""Slack listeners for innov: thin adapters between Bolt and ``bot.services.Services``.

The listeners are plain module-level functions that take ``services`` as an argument, so they can be
imported and called without an ``App`` (the console does exactly that). :func:`register` wires them to
a Bolt app; Bolt injects its arguments by parameter name, so each is wrapped in a small closure that
supplies ``services`` and keeps Bolt's names.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from bot import logs
from handlers import actions, commands, events
from handlers.blocks import SHARE_ACTION_ID

if TYPE_CHECKING:
    from slack_bolt import Ack, App, BoltContext, Respond
    from slack_sdk import WebClient

    from bot.services import Services

COMMAND = "/innov"

logger = logging.getLogger("innov.handlers")


def register(app: App, services: Services) -> None:
    """Wire every innov listener to ``app``: the slash command, the share button, mentions and messages."""

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

    # Slash commands answer inside the request (the reply is the ack); Web API work runs lazily.
    # "/innov" and variants such as "/innov-dev" (a staging app installed beside the real one).
    app.command(re.compile(rf"^{re.escape(COMMAND)}[\w-]*$"))(innov_command)
    app.action(SHARE_ACTION_ID)(ack=actions.acknowledge, lazy=[share_pressed])
    app.event("app_mention")(ack=events.acknowledge, lazy=[mention_received])
    app.event("message")(ack=events.acknowledge, lazy=[message_received])


__all__ = ["COMMAND", "register"]
