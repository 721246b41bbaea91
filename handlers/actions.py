"""The "Share in channel" button under an ephemeral ``/innov`` reply.

The button's value is the subcommand line that produced the reply; pressing it re-runs that line
through the services and posts the result to the channel, saying who shared it. It runs in a lazy
listener because it calls the Web API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from handlers import blocks
from handlers.commands import run_subcommand
from handlers.payloads import ShareAction

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger("innov.handlers.actions")


def acknowledge(ack: Callable[..., Any]) -> None:
    """Acknowledge the button press at once; the post is made by :func:`share`."""
    ack()


def share(body: dict[str, Any], client: WebClient, respond: Callable[..., Any], services: Services) -> str:
    """Post the reply the button belongs to in its channel, then remove the ephemeral original."""
    try:
        action = ShareAction.from_body(body)
        reply = run_subcommand(action.value, action.user_id, services, via="share")
        if reply.share is None:
            # Rate limited, refused or nothing worth sharing: tell the presser only.
            _respond(respond, text=reply.text, response_type="ephemeral", replace_original=False)
            return "not shared: " + reply.text
        # A double click must not post twice: one share per ephemeral message.
        if action.message_ts and not services.claim(
            f"share:{action.channel_id}:{action.message_ts}", ttl=3600
        ):
            return "duplicate: already shared"
        posted = blocks.shared_by(reply, action.user_id)
        try:
            client.chat_postMessage(
                channel=action.channel_id, unfurl_links=False, unfurl_media=False, **posted.message()
            )
        except SlackApiError as exc:
            error = exc.response.get("error", "error")
            metrics.SLACK_API_ERRORS.labels(method="chat.postMessage").inc()
            logger.error("share to %s by %s failed: %s", action.channel_id, action.user_id, error)
            _respond(
                respond,
                text=f"I couldn't post in this channel ({blocks.escape(str(error))}). "
                "Invite me with `/invite @innov` and try again.",
                response_type="ephemeral",
                replace_original=False,
            )
            return "error: chat.postMessage failed"
        logger.info("%s shared an answer in %s", action.user_id, action.channel_id)
        _respond(respond, delete_original=True)
        return "shared"
    except Exception:
        logger.exception("share failed")
        return "error"


def _respond(respond: Callable[..., Any], **kwargs: Any) -> None:
    """Reply through the response_url; a failure there is logged, never raised (the post already happened)."""
    try:
        respond(**kwargs)
    except Exception as exc:  # the response_url may have expired (30 minutes) or be absent
        logger.warning("response_url reply failed: %s", exc)
