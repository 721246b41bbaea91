"""The "Find sources" message shortcut: answer any message's text privately to whoever used it.

Acknowledged at once (Slack allows 3 seconds); the answer is computed by a lazy listener through
:func:`handlers.commands.run_subcommand`, like ``/innov ask``, and sent through the shortcut's
``response_url`` as an ephemeral message with Share and 👍 / 👎. The ``response_url`` works in
channels innov is not a member of; ``chat.postEphemeral`` is the fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ports import log_request, slack_api_error
from handlers import blocks, views
from handlers.actions import respond_safely
from handlers.blocks import unescape
from handlers.commands import run_subcommand
from handlers.listening import guarded

if TYPE_CHECKING:
    from slack_bolt import App, BoltContext, Respond

    from bot.ports import Services

logger = logging.getLogger("innov.handlers.shortcuts")


def acknowledge(ack: Callable[..., Any]) -> None:
    """Acknowledge the shortcut at once; the answer follows through the response_url."""
    ack()


def message_text(body: dict[str, Any], bot_user_id: str | None) -> str:
    """The shortcut's message text as a question: the bot's mention dropped, Slack's escapes undone."""
    text = str((body.get("message") or {}).get("text") or "")
    if bot_user_id:
        text = text.replace(f"<@{bot_user_id}>", " ")
    return " ".join(unescape(text).split())


def find_sources(
    body: dict[str, Any],
    context: dict[str, Any],
    client: WebClient,
    respond: Callable[..., Any],
    services: Services,
) -> str:
    """Answer the message the shortcut was used on, privately to the user who used it."""
    user_id = (body.get("user") or {}).get("id", "")
    channel_id = (body.get("channel") or {}).get("id", "")
    question = message_text(body, context.get("bot_user_id"))
    if not question:
        reply = blocks.notice("That message has no text I can look up.")
    else:
        reply = views.finish(run_subcommand(f"ask {question}", user_id, services, via="shortcut"))
    if respond_safely(respond, response_type="ephemeral", replace_original=False, **reply.message()):
        return "replied privately"
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, **reply.message())
    except SlackApiError as exc:
        slack_api_error("chat.postEphemeral")
        logger.error("Find sources reply to %s failed: %s", user_id, exc.response.get("error", exc))
        return "error: no way to reply"
    return "replied privately with chat.postEphemeral"


def register(app: App, services: Services) -> None:
    """Wire the "Find sources" message shortcut."""

    def shortcut_used(
        body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        with log_request("find sources", message_ts=(body.get("message") or {}).get("ts")) as record:
            record["outcome"] = guarded(lambda: find_sources(body, context, client, respond, services))

    app.shortcut(views.FIND_SOURCES_SHORTCUT)(ack=acknowledge, lazy=[shortcut_used])
