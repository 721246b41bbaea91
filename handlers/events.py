"""Events: mentions answered in their thread, direct messages, and automatic replies in opted-in channels.

Events are acknowledged at once (:func:`acknowledge`); the work that calls Slack's Web API runs in the
background (:func:`answer_mention`, :func:`handle_message`). Every event is judged before any work is
queued (:func:`admit_mention`, :func:`admit_message`): most messages need no reply at all, one in an
auto-reply channel becomes work only within its author's and its channel's rate limits, as sheddable
work, and a question (a mention, a DM) takes its asker's token first: past the limit nothing is queued
but, once a minute at most, a "slow down" notice. A full queue drops the event (logged, counted in
``innov_background_rejected_total``) and still answers 200: Slack retries a 500, which would add to the
flood that filled the queue.
Exactly-once is the services' job: ``claim_event`` absorbs Slack's retries (``X-Slack-Retry-Num``),
``claim_message`` the ``app_mention``/``message`` twins of one message, and both hold across replicas
sharing Redis.

Public posts count against their channel's limit (``INNOV_CHANNEL_RATE_LIMIT``); a reply that was asked
for and finds the channel over it, or Slack answering 429 for the channel, is sent privately to the asker
instead, and an automatic reply is not sent (see ``bot.slack_api`` for when a 429 is waited out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ports import (
    AnswerRef,
    retry_after,
    slack_api_error,
    volunteered,
)
from handlers import blocks, listening, views
from handlers.blocks import Reply
from handlers.commands import Via, costs_a_token, parse, run_subcommand, slow_down
from handlers.payloads import MessageEvent
from knowledge import Answer, KnowledgeError
from knowledge.followup import in_thread
from knowledge.language import reads_as_question

if TYPE_CHECKING:
    from slack_bolt import Ack, App, BoltContext

    from bot.ports import Background, Services

logger = logging.getLogger("innov.handlers.events")

AUTO_REPLY_MIN_SCORE = 0.8
"""An automatic reply needs an answer (fact or passage) at least this confident; below, innov is quiet.

The score is the calibrated probability that the answer is right (knowledge/decision.json). This is
higher than the decision's own threshold for answering (about 0.7): nobody asked innov into the
thread, so a volunteered answer must clear a higher bar than a requested one."""

SLOW_DOWN_CLAIM = "slowdown:"
"""Claim key (``claim:slowdown:<user id>``) of the one "slow down" notice a user gets per window."""
SLOW_DOWN_NOTICE_SECONDS = 60
"""A user past ``INNOV_RATE_LIMIT`` is told to slow down at most once in this many seconds (the rate
limit's own window): a flood of mentions costs one notice, not one Web API call each."""


def is_confident(answer: Answer) -> bool:
    """Whether an answer is good enough to volunteer in a thread nobody asked innov into."""
    return answer.kind != "none" and answer.score >= AUTO_REPLY_MIN_SCORE


def acknowledge(ack: Callable[..., Any]) -> None:
    """Acknowledge an event at once; the reply is sent by a lazy listener."""
    ack()


ANSWERED_SUBTYPES = frozenset({"thread_broadcast", "file_share"})
"""Subtypes of a message a person wrote and sent, answered like a plain one: a thread reply also sent to
the channel, and a message with files (a mention with a file arrives only as ``message``/``file_share``,
with no ``app_mention`` twin: bolt-python issue 925). Every other subtype (edits, deletions, joins, bot
messages...) is ignored."""
FILE_SHARE = "file_share"


def _ignored(event: MessageEvent, bot_user_id: str | None) -> str | None:
    """Why a message must get no reply at all, or None: bots, ourselves, edits, deletions, and every
    subtype but :data:`ANSWERED_SUBTYPES`."""
    if event.subtype and event.subtype not in ANSWERED_SUBTYPES:
        return f"ignored: subtype {event.subtype}"
    if event.subtype == FILE_SHARE and not event.question(bot_user_id):
        return "ignored: a file with no text"  # (not a question: the help text was the reply)
    if event.bot_id:
        return "ignored: bot message"
    if not event.user or (bot_user_id and event.user == bot_user_id):
        return "ignored: own or anonymous message"
    return None


def _claim(event: MessageEvent, services: Services) -> str | None:
    """Claim the event and the message; the reason another delivery owns them, or None if we do.

    While Redis is down the claims are in-process: a Slack retry reaching another replica is answered
    there too (at least once), since its first delivery may never have got through.
    """
    if event.event_id and not services.claim_event(event.event_id):
        return "duplicate: event already handled (Slack retry)"
    if not services.claim_message(event.channel, event.ts):
        return "duplicate: message already answered (app_mention/message twin)"
    return None


@dataclass(frozen=True, slots=True)
class Admission:
    """What a ``message`` event is, decided before any work is queued for it."""

    outcome: str | None
    """Why it gets no work at all (logged as its outcome), or None: queue it."""
    sheddable: bool = False
    """An automatic reply's work: the first to go when the background queue is full."""
    slow_down: float | None = None
    """Past its asker's rate limit, and the notice is due: queue the notice (wait this many seconds)."""


def admit_question(user: str, text: str, services: Services, *, retry: bool = False) -> Admission:
    """Take the asker's token for a question before its work is queued (browsing costs none).

    Past the limit nothing is queued but the "slow down" notice, and that once per
    ``SLOW_DOWN_NOTICE_SECONDS`` per user (a fleet-wide claim): one user's flood never fills the queue.
    A Slack retry (``retry``) costs none: its first delivery took the token (or never arrived), and the
    event claims answer the event once (three retries of one slow answer cost four tokens and told the
    asker to slow down).
    """
    sub, rest, _ = parse(text)
    if retry or not costs_a_token(sub, rest):
        return Admission(None)
    wait = services.check_rate(user)
    if wait is None:
        return Admission(None)
    if services.claim(SLOW_DOWN_CLAIM + user, SLOW_DOWN_NOTICE_SECONDS):
        return Admission(None, slow_down=wait)  # its outcome is the notice's (:func:`tell_to_slow_down`)
    return Admission("rate limited: already told to slow down")


def _admissible(body: dict[str, Any], context: dict[str, Any], what: str) -> MessageEvent | Admission:
    """The event to judge, or why it is not: unreadable (not the shape Slack sends), or ignored."""
    try:
        event = MessageEvent.from_body(body)
    except Exception:  # not the shape Slack sends: nothing to answer
        logger.warning("ignoring %s event that cannot be read", what)
        return Admission("ignored: unreadable event")
    reason = _ignored(event, context.get("bot_user_id"))
    return Admission(reason) if reason else event


def _mention_with_files(event: MessageEvent, bot_user_id: str | None) -> bool:
    """A channel message with files that mentions innov: Slack sends it as ``message``/``file_share`` alone,
    so it is answered as a mention (in its thread); the message claim keeps it to one reply should an
    ``app_mention`` twin arrive after all."""
    return event.subtype == FILE_SHARE and not event.is_direct and event.mentions(bot_user_id)


def admit_mention(body: dict[str, Any], context: dict[str, Any], services: Services) -> Admission:
    """Judge an ``app_mention`` in the request: ignored ones, and questions past the asker's limit,
    are not queued."""
    event = _admissible(body, context, "an app_mention")
    if isinstance(event, Admission):
        return event
    assert event.user is not None  # checked by _ignored
    question = event.question(context.get("bot_user_id"))
    return admit_question(event.user, question, services, retry=bool(context.get("retry_num")))


def admit_message(body: dict[str, Any], context: dict[str, Any], services: Services) -> Admission:
    """Judge a ``message`` event in the request: ignored messages are not queued at all, and one in an
    auto-reply channel becomes work only within the limits of ``Services.admit_auto_reply``."""
    event = _admissible(body, context, "a message")
    if isinstance(event, Admission):
        return event
    bot_user_id = context.get("bot_user_id")
    assert event.user is not None  # checked by _ignored
    if event.is_direct or _mention_with_files(event, bot_user_id):
        retry = bool(context.get("retry_num"))
        return admit_question(event.user, event.question(bot_user_id), services, retry=retry)
    reason = _not_for_auto_reply(event, bot_user_id, services)  # (before the limits: chatter costs no token)
    if reason:
        return Admission(reason)
    return Admission(services.admit_auto_reply(event.user, event.channel), sheddable=True)


def _not_for_auto_reply(event: MessageEvent, bot_user_id: str | None, services: Services) -> str:
    """Why a channel message gets no automatic reply whatever innov would answer ("" when it may): it
    mentions innov (answered as a mention), its channel is not opted in, or it is not a question."""
    if event.mentions(bot_user_id):
        return "ignored: mentions innov (answered as app_mention)"
    if not services.settings.auto_replies_in(event.channel):
        return "quiet: channel not in INNOV_AUTO_REPLY_CHANNELS"
    question = event.question(bot_user_id)
    if not question:
        return "quiet: empty message"
    if not reads_as_question(question):
        return "quiet: not a question"
    return ""


def answer_mention(
    body: dict[str, Any],
    context: dict[str, Any],
    client: WebClient,
    services: Services,
    *,
    rate_checked: bool = False,
) -> str:
    """``@innov <question>``: answer in the message's thread (its ``thread_ts``, else its ``ts``).

    ``rate_checked``: :func:`admit_mention` took the asker's token before queueing this."""
    try:
        event = MessageEvent.from_body(body)
        return _answer_as_mention(event, context, client, services, rate_checked=rate_checked)
    except Exception:
        logger.exception("app_mention failed")
        return "error"


def _answer_as_mention(
    event: MessageEvent, context: dict[str, Any], client: WebClient, services: Services, *, rate_checked: bool
) -> str:
    """Answer a mention (an ``app_mention``, or a ``message`` with files that mentions innov) in its thread."""
    bot_user_id = context.get("bot_user_id")
    reason = _ignored(event, bot_user_id) or _claim(event, services)
    if reason:
        logger.debug("mention %s %s", event.event_id, reason)
        return reason
    assert event.user is not None  # checked by _ignored
    reply = answer_in_thread(
        event,
        event.question(bot_user_id),
        event.reply_thread,
        services,
        via="mention",
        rate_checked=rate_checked,
    )
    return _send(client, event, reply, thread_ts=event.reply_thread, services=services)


def handle_message(
    body: dict[str, Any],
    context: dict[str, Any],
    client: WebClient,
    services: Services,
    *,
    rate_checked: bool = False,
) -> str:
    """A ``message`` event: direct messages are answered; in auto-reply channels, confident answers only.

    Messages that mention innov are left to :func:`answer_mention`. At most one automatic reply per thread.
    ``rate_checked``: :func:`admit_message` took a direct question's token before queueing this.
    """
    try:
        event = MessageEvent.from_body(body)
        bot_user_id = context.get("bot_user_id")
        reason = _ignored(event, bot_user_id)
        if reason:
            return reason
        assert event.user is not None  # checked by _ignored
        if event.is_direct:
            reason = _claim(event, services)
            if reason:
                return reason
            # A DM is one long conversation: its follow-ups continue the DM's (or its thread's) last question.
            thread = event.thread_ts or "dm"
            text = event.question(bot_user_id)
            reply = answer_in_thread(event, text, thread, services, via="dm", rate_checked=rate_checked)
            return _send(client, event, reply, thread_ts=event.thread_ts, services=services)
        if _mention_with_files(event, bot_user_id):
            return _answer_as_mention(event, context, client, services, rate_checked=rate_checked)
        reason = _not_for_auto_reply(event, bot_user_id, services)  # (judged again: the console comes here)
        if reason:
            return reason
        question = event.question(bot_user_id)
        if services.backing_off(event.channel):  # (it may have started while this waited in the queue)
            return "quiet: Slack is rate-limiting this channel"
        try:
            # A decline is volunteered to nobody: it is not cached (a flood of chatter would fill the cache).
            answer = services.answer(question, keep_declines=False)
        except KnowledgeError as exc:  # e.g. a pasted log far too long to be a question
            return f"quiet: {exc}"
        if not is_confident(answer):
            return f"quiet: not confident ({answer.kind}, {answer.score:.2f})"
        reason = _claim(event, services)
        if reason:
            return reason
        if not services.claim_thread(event.channel, event.reply_thread):
            return "quiet: thread already has an automatic reply"
        services.threads.remember_ambient(event.channel, event.reply_thread, answer.normalised or "")
        reply = blocks.answer_reply(answer)
        if services.feedback.enabled:
            reply = replace(reply, feedback=AnswerRef.of(answer).value())
        with volunteered():  # a 429 is not waited out for a reply nobody asked for
            return _send(client, event, reply, thread_ts=event.reply_thread, services=services, asked=False)
    except Exception:
        logger.exception("message event failed")
        return "error"


def answer_in_thread(
    event: MessageEvent, text: str, thread: str, services: Services, *, via: Via, rate_checked: bool = False
) -> Reply:
    """Run ``text`` for the event's author; a question is read in the light of the thread's last question.

    A follow-up that does not stand alone ("and what about patents?") is answered as the question it
    stands for (``knowledge.followup``), and the reply says which question it followed up on; one that
    changes the subject ("and what about opportunities?" after challenges) is answered on its own. The
    thread keeps the follow-up's subject (``FollowUp.subject``), so follow-ups chain without piling up.
    """
    assert event.user is not None
    sub, rest, _ = parse(text)
    if sub.name != "ask" or not rest:
        return run_subcommand(text, event.user, services, via=via, rate_checked=rate_checked)
    previous = services.threads.recall(event.channel, thread)
    understood = in_thread(rest, previous, services.kb.snapshot)
    reply = run_subcommand(
        f"ask {understood.understood}", event.user, services, via=via, rate_checked=rate_checked
    )
    if not reply.private:
        services.threads.remember(event.channel, thread, understood.subject)
    if understood.uses_context and understood.previous:
        reply = views.followup_note(reply, understood.previous)
    return reply


CHANNEL_BUSY_NOTE = (
    "_innov has posted a lot in this channel just now, so this answer is only visible to you. "
    "Share it later, or ask in a DM._"
)


def _send(
    client: WebClient,
    event: MessageEvent,
    reply: Reply,
    *,
    thread_ts: str | None,
    services: Services,
    asked: bool = True,
) -> str:
    """Post ``reply`` in the event's channel (thread), or ephemerally to its author if it is private.

    A public reply in a channel takes one of the channel's tokens (an automatic reply took its token
    before it was queued). A reply that was ``asked`` for and finds the channel over its limit or in a
    429 back-off goes to its author privately instead; an automatic reply is then not sent.
    """
    reply = views.finish(reply, share=False)  # public already: 👍 / 👎, no Share button
    public_here = not reply.private and not event.is_direct and asked
    if public_here and (
        services.backing_off(event.channel) or services.check_channel(event.channel) is not None
    ):
        return _send_privately(client, event, reply, thread_ts, "channel busy")
    method = "chat.postEphemeral" if reply.private else "chat.postMessage"
    try:
        if reply.private:
            client.chat_postEphemeral(
                channel=event.channel, user=event.user or "", thread_ts=thread_ts, **reply.message()
            )
        else:
            client.chat_postMessage(
                channel=event.channel,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                **reply.message(),
            )
    except SlackApiError as exc:
        slack_api_error(method)
        wait = retry_after(exc)
        if wait is not None and not reply.private:
            services.back_off(event.channel, wait)
            if asked:
                return _send_privately(client, event, reply, thread_ts, "Slack rate-limits the channel")
            return "quiet: Slack is rate-limiting this channel"
        logger.error("%s to %s failed: %s", method, event.channel, api_failure(exc))
        return f"error: {method} failed"
    except OSError as exc:  # Slack not reached, after the client's retries (refused, timed out, DNS, TLS)
        logger.error("%s to %s failed: Slack not reached (%s)", method, event.channel, exc)
        return f"error: {method} failed"
    return "replied" if not reply.private else "replied privately"


def api_failure(exc: SlackApiError) -> str:
    """A failed Web API call in one short line: the HTTP status when it was not 200, and Slack's error (an
    HTML error page's text is cut short, on one line)."""
    response = exc.response
    status = getattr(response, "status_code", None)
    error = str(response.get("error") or exc) if response is not None else str(exc)
    text = error if status in (None, 200) else f"HTTP {status}: {error}"
    return " ".join(text.split())[:200]


def tell_to_slow_down(body: dict[str, Any], client: WebClient, services: Services, wait: float) -> str:
    """The one "slow down" notice of :func:`admit_question`, privately, where the question was asked."""
    event = MessageEvent.from_body(body)
    thread = event.thread_ts if event.is_direct else event.reply_thread
    sent = _send(client, event, slow_down(wait), thread_ts=thread, services=services)
    return "rate limited: told to slow down" if sent.startswith("replied") else sent


def _send_privately(
    client: WebClient, event: MessageEvent, reply: Reply, thread_ts: str | None, why: str
) -> str:
    """A public reply sent to its asker alone, saying why (the channel is over its limit)."""
    note = blocks.context(CHANNEL_BUSY_NOTE)
    try:
        client.chat_postEphemeral(
            channel=event.channel,
            user=event.user or "",
            thread_ts=thread_ts,
            **replace(
                reply, blocks=(*reply.blocks, note), text=f"{reply.text}\n{CHANNEL_BUSY_NOTE}"
            ).message(),
        )
    except SlackApiError as exc:
        slack_api_error("chat.postEphemeral")
        logger.error("chat.postEphemeral to %s failed: %s", event.channel, api_failure(exc))
        return "error: chat.postEphemeral failed"
    return f"replied privately: {why}"


def register(app: App, services: Services, background: Background) -> None:
    """Wire mentions and messages: each judged in the request (:func:`admit_mention`,
    :func:`admit_message`), its work then run on ``background``."""

    def outcome(kind: str, body: dict[str, Any], what: str) -> None:
        listening.outcome(kind, what, event_id=body.get("event_id"))

    def queue(kind: str, body: dict[str, Any], job: Callable[[], str]) -> None:
        listening.queued(background, kind, job, event_id=body.get("event_id"))

    def judged(kind: str, body: dict[str, Any], client: WebClient, admission: Admission) -> bool:
        """Log and act on an admission that queues no answer (a due "slow down" notice is queued, and
        its sending is the event's outcome); True when the event is done with."""
        if admission.slow_down is not None:
            wait = admission.slow_down
            queue(kind, body, lambda: tell_to_slow_down(body, client, services, wait))
            return True
        if admission.outcome is not None:
            outcome(kind, body, admission.outcome)
            return True
        return False

    def mention_arrived(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        ack()
        if judged("app_mention", body, client, admit_mention(body, context, services)):
            return
        queue("app_mention", body, lambda: answer_mention(body, context, client, services, rate_checked=True))

    def message_arrived(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        # Judged in the request, before anything is queued: a message that needs no reply, an automatic
        # reply past its author's or channel's limit, or a DM past its asker's, costs no answer work.
        ack()
        admission = admit_message(body, context, services)
        if judged("message", body, client, admission):
            return

        def work() -> str:
            return handle_message(body, context, client, services, rate_checked=True)

        if admission.sheddable:  # refused or shed when the queue is busy: never at a direct question's cost
            shed = "shed: background queue busy"
            run = listening.logged("message", work, event_id=body.get("event_id"))
            background.submit_sheddable(run, on_shed=lambda: outcome("message", body, shed))
            return
        queue("message", body, work)

    app.event("app_mention")(mention_arrived)
    app.event("message")(message_arrived)
