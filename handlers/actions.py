"""Buttons and modals: "Share in channel", 👍 / 👎 with the "What was wrong?" modal, and facts pages.

The Share button's value is the subcommand line that produced the reply; pressing it re-runs that line
through the services and posts the result to the channel, saying who shared it. Work that calls Slack
runs in lazy listeners, except ``views.open``, which must use the click's ``trigger_id`` at once.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ports import AnswerRef, VoteKind, log_note, log_request, slack_api_error
from handlers import blocks, views
from handlers.blocks import SHARE_ACTION_ID
from handlers.commands import run_subcommand
from handlers.listening import guarded, message_ts
from handlers.payloads import ShareAction

if TYPE_CHECKING:
    from slack_bolt import Ack, App, Respond

    from bot.ports import Services

logger = logging.getLogger("innov.handlers.actions")


def acknowledge(ack: Callable[..., Any]) -> None:
    """Acknowledge the button press at once; the post is made by :func:`share`."""
    ack()


def share(body: dict[str, Any], client: WebClient, respond: Callable[..., Any], services: Services) -> str:
    """Post the reply the button belongs to in its channel, then remove the ephemeral original.

    The post goes through the interaction's ``response_url`` with ``response_type: in_channel``, the
    way Slack intends for slash command replies: it works in channels innov was never invited to. If
    that fails (the URL expired after 30 minutes), ``chat.postMessage`` is tried, and if innov is not in
    the channel either, the presser gets a hint.
    """
    try:
        action = ShareAction.from_body(body)
        reply = run_subcommand(action.value, action.user_id, services, via="share")
        if reply.share is None:
            # Rate limited, refused or nothing worth sharing: tell the presser only.
            respond_safely(respond, text=reply.text, response_type="ephemeral", replace_original=False)
            return "not shared: " + reply.text
        # A share is a public post: it counts against the channel's limit (INNOV_CHANNEL_RATE_LIMIT).
        wait = 60.0 if services.backing_off(action.channel_id) else services.check_channel(action.channel_id)
        if wait is not None:
            respond_safely(
                respond,
                text=f"innov has posted a lot in this channel just now: share again in {max(1, math.ceil(wait))} s.",
                response_type="ephemeral",
                replace_original=False,
            )
            return "not shared: channel rate limited"
        # A double click must not post twice: one share per ephemeral message.
        if action.message_ts and not services.claim(
            f"share:{action.channel_id}:{action.message_ts}", ttl=3600
        ):
            return "duplicate: already shared"
        posted = views.finish(blocks.shared_by(reply, action.user_id), share=False)
        if respond_safely(respond, response_type="in_channel", replace_original=False, **posted.message()):
            outcome = "shared"
        else:
            try:
                client.chat_postMessage(
                    channel=action.channel_id, unfurl_links=False, unfurl_media=False, **posted.message()
                )
                outcome = "shared with chat.postMessage"
            except SlackApiError as exc:
                error = exc.response.get("error", "error")
                slack_api_error("chat.postMessage")
                logger.error("share to %s by %s failed: %s", action.channel_id, action.user_id, error)
                respond_safely(
                    respond,
                    text=f"I couldn't post in this channel ({blocks.escape(str(error))}). Run the command "
                    "again and press Share within 30 minutes, or invite me with `/invite @innov`.",
                    response_type="ephemeral",
                    replace_original=False,
                )
                return "error: response_url and chat.postMessage failed"
        logger.info("%s shared an answer in %s (%s)", action.user_id, action.channel_id, outcome)
        respond_safely(respond, delete_original=True)
        return outcome
    except Exception:
        logger.exception("share failed")
        return "error"


def respond_safely(respond: Callable[..., Any], **kwargs: Any) -> bool:
    """Reply through the response_url; True when Slack took it. A failure is logged, never raised."""
    try:
        response = respond(**kwargs)
    except Exception as exc:  # the response_url may be absent, or unreachable
        logger.warning("response_url reply failed: %s", exc)
        return False
    status = getattr(response, "status_code", 200)  # the console's stand-in returns None
    if status != 200:  # expired (30 minutes, 5 uses) or refused
        logger.warning("response_url reply refused: HTTP %s %s", status, getattr(response, "body", ""))
        return False
    return True


# -- 👍 / 👎 ----------------------------------------------------------------------------------------------


def vote(ack: Callable[..., Any], body: dict[str, Any], client: WebClient, services: Services) -> str:
    """A 👍 or 👎 click: record (or change) the user's vote; a 👎 opens "What was wrong?" at once.

    Runs before the acknowledgement is returned because ``views.open`` needs the click's ``trigger_id``
    within 3 seconds; recording is one store write.
    """
    ack()
    action = ShareAction.from_body(body)
    pressed = (body.get("actions") or [{}])[0]
    answer = AnswerRef.parse(action.value)
    if answer is None or not action.user_id:
        logger.warning("ignoring a vote with an unreadable value from %s", action.user_id)
        return "ignored: unreadable vote"
    kind: VoteKind = "up" if pressed.get("action_id") == views.VOTE_UP_ACTION else "down"
    recorded = services.feedback.vote(answer, action.user_id, kind)
    log_note(vote=kind, answer=answer.id)
    if recorded is not None and kind == "down" and body.get("trigger_id"):
        try:
            client.views_open(trigger_id=body["trigger_id"], view=views.feedback_modal(answer))
        except SlackApiError as exc:
            slack_api_error("views.open")
            logger.error("views.open for %s failed: %s", action.user_id, exc.response.get("error", exc))
    return f"voted {kind}" if recorded else "feedback off"


def vote_thanks(body: dict[str, Any], respond: Callable[..., Any], services: Services) -> str:
    """Tell the voter, privately, that the vote counted (lazy: an HTTP call to the response_url)."""
    if AnswerRef.parse(ShareAction.from_body(body).value) is None:
        return "ignored: unreadable vote"
    pressed = (body.get("actions") or [{}])[0]
    kind = "up" if pressed.get("action_id") == views.VOTE_UP_ACTION else "down"
    text = views.vote_thanks(kind if services.feedback.enabled else None)
    ok = respond_safely(respond, text=text, response_type="ephemeral", replace_original=False)
    return "thanked" if ok else "error: response_url failed"


def feedback_submitted(
    ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], services: Services
) -> str:
    """The "What was wrong?" modal was sent: store the reason and note with the user's 👎."""
    try:
        answer, reason, note = views.read_feedback_modal(view)
    except (AttributeError, TypeError):  # not the shape Slack sends: close the modal, keep nothing
        answer, reason, note = None, None, None
    if answer is None:
        ack()
        return "ignored: unreadable modal"
    if reason is None:
        ack(response_action="errors", errors={views.REASON_BLOCK: "Pick what was wrong."})
        return "invalid: no reason"
    ack()
    user = (body.get("user") or {}).get("id", "")
    services.feedback.vote(answer, user, "down", reason=reason, note=note)  # type: ignore[arg-type]
    log_note(vote="down", answer=answer.id, reason=reason)
    return f"feedback: {reason}"


# -- /innov facts pages -----------------------------------------------------------------------------------


def facts_page(body: dict[str, Any], respond: Callable[..., Any], services: Services) -> str:
    """Previous / Next under ``/innov facts``: replace the same message with the page asked for."""
    action = ShareAction.from_body(body)
    page = views.FactsPage.parse(action.value)
    line = f"facts {page.topic}".strip()
    reply = run_subcommand(line, action.user_id, services, via="page", offset=page.offset)
    is_ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
    finished = views.finish(reply, share=is_ephemeral)
    ok = respond_safely(respond, replace_original=True, **finished.message())
    return f"page {page.offset // views.FACTS_PER_PAGE + 1}" if ok else "error: response_url failed"


def register(app: App, services: Services) -> None:
    """Wire the buttons and the modal: Share, 👍 / 👎 with "What was wrong?", and the facts pages."""

    def share_pressed(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        with log_request("share", message_ts=message_ts(body)) as record:
            record["outcome"] = share(body, client, respond, services)

    def vote_pressed(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        with log_request("vote", message_ts=message_ts(body)) as record:
            record["outcome"] = guarded(lambda: vote(ack, body, client, services))

    def voter_thanked(body: dict[str, Any], respond: Respond) -> None:
        with log_request("vote thanks", message_ts=message_ts(body)) as record:
            record["outcome"] = guarded(lambda: vote_thanks(body, respond, services))

    def modal_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        with log_request("feedback", view_id=view.get("id")) as record:
            record["outcome"] = feedback_submitted(ack, body, view, services)

    def page_turned(body: dict[str, Any], respond: Respond) -> None:
        with log_request("facts page", message_ts=message_ts(body)) as record:
            record["outcome"] = guarded(lambda: facts_page(body, respond, services))

    app.action(SHARE_ACTION_ID)(ack=acknowledge, lazy=[share_pressed])
    # 👍 / 👎: the vote and the modal happen before the ack returns (trigger_id); the thanks is lazy.
    app.action(re.compile(rf"^({views.VOTE_UP_ACTION}|{views.VOTE_DOWN_ACTION})$"))(
        ack=vote_pressed, lazy=[voter_thanked]
    )
    app.view(views.FEEDBACK_MODAL)(modal_submitted)
    app.action(re.compile(rf"^{views.FACTS_PAGE_ACTION}_(prev|next)$"))(ack=acknowledge, lazy=[page_turned])
