"""The ``/innov`` slash command and its subcommands.

Slash commands are answered inside the request: the answer is computed (well under a millisecond)
and returned in the ``ack`` as an ephemeral message with a "Share in channel" button. The same
:func:`run_subcommand` serves mentions, direct messages, the share button and the console, so every
surface gives the same answer. Each subcommand's docstring is its help text.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from bot.ports import AnswerRef, log_note, log_request
from handlers import blocks, views
from handlers.blocks import Reply, escape
from handlers.payloads import SlashCommand
from knowledge import KnowledgeError, KnowledgeLoadError, QuestionError, ReloadReport
from knowledge.language import looks_english

if TYPE_CHECKING:
    from slack_bolt import Ack, App, Respond

    from bot.ports import Services

logger = logging.getLogger("innov.handlers.commands")

COMMAND = "/innov"

Via = Literal["slash", "mention", "dm", "share", "shortcut", "home", "page", "auto"]
"""Where a subcommand came from; admin subcommands only run where the reply stays private."""

_PRIVATE_SURFACES: frozenset[str] = frozenset({"slash", "dm", "home"})


@dataclass(frozen=True, slots=True)
class Invocation:
    """One subcommand call: its argument text, who asked, and from where."""

    rest: str
    user_id: str
    via: Via
    share: str
    offset: int = 0
    """Where a paged listing (``facts``) starts."""
    respond: Callable[[Reply], None] | None = None  # a follow-up through the response_url, if any


@dataclass(frozen=True, slots=True)
class Subcommand:
    """A ``/innov`` subcommand; ``run``'s docstring is the help line."""

    name: str
    usage: str
    example: str
    run: Callable[[Invocation, Services], Reply]
    admin: bool = False
    rate_limited: bool = True

    @property
    def help(self) -> str:
        return (self.run.__doc__ or "").strip().splitlines()[0]


def _rank(inv: Invocation, services: Services) -> Reply:
    """The ranking facts (Global Innovation Index, R&D spending, ...), each with its source."""
    snapshot = services.kb.snapshot
    facts = [(f, snapshot.sources_for(f)) for f in snapshot.ranking_facts()]
    if not facts:
        return blocks.notice("No ranking facts in the knowledge base yet.", private=False)
    return blocks.facts_reply("*Where China ranks*", facts, share=inv.share)


def _ask(inv: Invocation, services: Services) -> Reply:
    """One short, sourced answer to a question (or an honest "not in the knowledge base")."""
    if not inv.rest:
        return blocks.notice("Ask me something, e.g. `/innov ask What is China's GII rank?`")
    # "Find sources" asks about someone's message, not text typed to innov: nothing of it is kept.
    private = inv.via == "shortcut"
    answer = services.answer(inv.rest, keep=not private)
    reply = blocks.answer_reply(answer, inv.rest, share=inv.share)
    if not answer.answered:
        services.feedback.declined(inv.rest, answer.kb_version, private=private)
        if not looks_english(inv.rest):
            reply = views.not_english_note(reply)
    if services.feedback.enabled:
        reply = replace(reply, feedback=AnswerRef.of(answer, private=private).value())
    return reply


def _facts(inv: Invocation, services: Services) -> Reply:
    """The curated facts, optionally about one topic."""
    snapshot = services.kb.snapshot
    found = snapshot.find_facts(inv.rest or None)
    if not found:
        return blocks.notice(
            f"No facts about _{blocks.fit(inv.rest, 200)}_. Try `/innov facts` for all of them.",
            private=False,
        )
    facts = [(f, snapshot.source_of(f)) for f in found]
    return views.facts_page(inv.rest, facts, inv.offset, share=inv.share)


def _sources(inv: Invocation, services: Services) -> Reply:
    """The articles the knowledge base draws on, with publisher and date."""
    snapshot = services.kb.snapshot
    return blocks.sources_reply(snapshot.sources(), snapshot.version, share=inv.share)


def _help(inv: Invocation, services: Services) -> Reply:
    """Everything innov can do, with an example each."""
    lines = ["*innov* answers questions about China's innovation ecosystem from a curated knowledge base."]
    for sub in SUBCOMMANDS.values():
        admin = " _(admins)_" if sub.admin else ""
        lines.append(f"• `/innov {sub.usage}` — {sub.help}{admin} e.g. `{sub.example}`")
    lines.append("• `/innov <question>` — the same as `ask`. e.g. `/innov How much does China spend on R&D?`")
    lines.append("Mention me (`@innov <question>`) to get an answer in the thread; follow up there.")
    lines.append("Send me a direct message, or use *Find sources* in any message's ⋮ menu.")
    return blocks.notice(escape("\n".join(lines)))


def _reload(inv: Invocation, services: Services) -> Reply:
    """Reload the knowledge base from disk on every replica; a broken file keeps the old one serving."""
    logger.info("admin action: reload requested by %s", inv.user_id)
    if inv.respond is not None:
        # The build runs aside (a child process, up to minutes for a large base): answer at once and
        # send the report through the response_url when it is done.
        respond = inv.respond
        services.reload_in_background(
            inv.user_id, lambda result: respond(_reload_result(inv, services, result))
        )
        return blocks.notice("Reloading the knowledge base… the report follows here when it is done.")
    try:
        result: ReloadReport | KnowledgeLoadError = services.reload(inv.user_id)
    except KnowledgeLoadError as exc:
        result = exc
    return _reload_result(inv, services, result)


def _reload_result(inv: Invocation, services: Services, result: ReloadReport | KnowledgeLoadError) -> Reply:
    if isinstance(result, KnowledgeLoadError):
        problems = [str(p) for p in result.problems] or [str(result)]
        logger.warning("admin action: reload by %s failed: %s", inv.user_id, "; ".join(problems))
        return blocks.reload_failed_reply(problems, services.kb.version)
    logger.info(
        "admin action: reload by %s: %s -> %s (+%d -%d ~%d facts) in %.3fs",
        inv.user_id,
        result.old_version,
        result.new_version,
        len(result.added),
        len(result.removed),
        len(result.changed),
        result.seconds,
    )
    return blocks.reload_reply(result)


def _stats(inv: Invocation, services: Services) -> Reply:
    """Version, counts, uptime and answers by kind on this replica."""
    logger.info("admin action: stats requested by %s", inv.user_id)
    queue = services.feedback.queue(kb_version=services.kb.version)
    return views.with_queue(blocks.stats_reply(services.stats()), queue)


SUBCOMMANDS: dict[str, Subcommand] = {
    s.name: s
    for s in (
        # Browsing (rank, facts, sources, help) reads a fixed list: only questions count against the limit.
        Subcommand("rank", "rank", "/innov rank", _rank, rate_limited=False),
        Subcommand("ask", "ask <question>", "/innov ask What is China's GII rank?", _ask),
        Subcommand("facts", "facts [topic]", "/innov facts R&D", _facts, rate_limited=False),
        Subcommand("sources", "sources", "/innov sources", _sources, rate_limited=False),
        Subcommand("help", "help", "/innov help", _help, rate_limited=False),
        Subcommand("reload", "reload", "/innov reload", _reload, admin=True),
        Subcommand("stats", "stats", "/innov stats", _stats, admin=True),
    )
}
# Subcommands whose extra words make the line a question instead ("rank of China in the GII?").
_NO_ARGUMENTS = frozenset({"rank", "sources"})


def parse(text: str) -> tuple[Subcommand, str, str]:
    """Split a command line into (subcommand, its argument, the canonical line that re-creates it)."""
    words = text.split(maxsplit=1)
    if not words:
        return SUBCOMMANDS["help"], "", "help"
    name, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    sub = SUBCOMMANDS.get(name)
    if sub is None or (name in _NO_ARGUMENTS and rest):
        return SUBCOMMANDS["ask"], text.strip(), text.strip()
    return sub, rest, f"{name} {rest}".strip()


def costs_a_token(sub: Subcommand, rest: str) -> bool:
    """Whether running ``sub`` with ``rest`` takes one of the asker's ``INNOV_RATE_LIMIT`` tokens: a
    question does; browsing (help, rank, facts, sources) and an empty question (its usage hint) do not."""
    return sub.rate_limited and bool(rest)


def run_subcommand(
    text: str,
    user_id: str,
    services: Services,
    *,
    via: Via = "slash",
    offset: int = 0,
    respond: Callable[[Reply], None] | None = None,
    rate_checked: bool = False,
) -> Reply:
    """Run one ``/innov`` line for ``user_id`` and render the reply; never raises.

    ``offset`` is where a paged listing starts (the facts page buttons). ``rate_checked``: the asker's
    token was taken before the work was queued (:func:`costs_a_token`; mentions and DMs), not again here.

    Order: admin check, rate limit, the subcommand itself. Knowledge errors become a friendly reply;
    anything else is logged with its traceback and the user gets a short apology.
    """
    sub, rest, canonical = parse(text)
    log_note(command=sub.name, via=via)
    if sub.admin:
        if via not in _PRIVATE_SURFACES:
            return blocks.notice(f"`/innov {sub.name}` is an admin command: run it as a slash command.")
        if not services.settings.is_admin(user_id):
            logger.warning("admin action refused: %s tried %s", user_id, sub.name)
            return refusal(sub.name, services)
    if costs_a_token(sub, rest) and not rate_checked:
        wait = services.check_rate(user_id)
        if wait is not None:
            log_note(rate_limited=True)
            return slow_down(wait)
    try:
        return sub.run(
            Invocation(rest=rest, user_id=user_id, via=via, share=canonical, offset=offset, respond=respond),
            services,
        )
    except QuestionError as exc:
        # The message says what to do ("ask in at most N characters"); it quotes no user text.
        return blocks.notice(f"I can't take that question: {escape(str(exc))}")
    except KnowledgeError as exc:
        logger.warning("knowledge error for %s on %r: %s", user_id, canonical[:200], exc)
        return blocks.notice(
            "The knowledge base could not answer that right now. Try again in a moment, or `/innov help`."
        )
    except Exception:
        logger.exception("subcommand %r failed for %s", sub.name, user_id)
        return blocks.notice("Sorry — something went wrong on my side. It has been logged.")


def refusal(name: str, services: Services) -> Reply:
    """The ephemeral refusal for a non-admin, naming who may run the command."""
    admins = sorted(services.settings.innov_admins)
    if admins:
        who = ", ".join(blocks.mention(a) for a in admins)
        return blocks.notice(f"Only admins can run `/innov {name}`: ask {who}.")
    return blocks.notice(
        f"Only admins can run `/innov {name}`, and none are configured (set `INNOV_ADMINS`)."
    )


def slow_down(wait: float) -> Reply:
    """The ephemeral rate-limit reply."""
    return blocks.notice(f"Slow down — try again in {max(1, math.ceil(wait))} s.")


def handle_command(
    ack: Callable[..., Any],
    command: dict[str, Any],
    services: Services,
    respond: Callable[..., Any] | None = None,
) -> None:
    """``/innov ...``: compute the reply in the request and return it, ephemeral, in the ack.

    ``respond`` (Bolt's, through the command's response_url) carries follow-ups of slow subcommands.
    """
    follow_up = None
    if respond is not None:
        send = respond

        def follow_up(reply: Reply) -> None:
            send(response_type="ephemeral", replace_original=False, **reply.message())

    try:
        cmd = SlashCommand.from_payload(command)
        reply = views.finish(run_subcommand(cmd.text, cmd.user_id, services, via="slash", respond=follow_up))
    except ValidationError as exc:
        # Not a payload Slack sends (a field missing or of the wrong type): say so, no traceback.
        logger.warning("malformed slash command payload: %s", exc.errors()[0].get("loc"))
        reply = blocks.notice("Sorry — I couldn't read that command.")
    except Exception:
        logger.exception("/innov failed")
        reply = blocks.notice("Sorry — something went wrong on my side. It has been logged.")
    ack(response_type="ephemeral", **reply.message())


def register(app: App, services: Services) -> None:
    """Wire ``/innov``, and variants such as ``/innov-dev`` (a staging app installed beside the real one).

    Slash commands answer inside the request (the reply is the ack); Web API work runs lazily.
    """

    def innov_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        # Over HTTP this joins the request's log line; in Socket Mode it is the line.
        with log_request("command"):
            handle_command(ack, command, services, respond)

    app.command(re.compile(rf"^{re.escape(COMMAND)}[\w-]*$"))(innov_command)
