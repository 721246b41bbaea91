"""Block Kit rendering: every reply innov sends, as mrkdwn-escaped blocks plus a plain-text fallback.

All text that comes from a user or from the corpus goes through :func:`escape` (or :func:`fit`, which
escapes and then trims to a length), so ``<!channel>`` typed into a question is shown, never executed.
Slack's limits are respected here and nowhere else: 3,000 characters a section or context element,
50 blocks a message, 2,000 characters a button value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from knowledge import Answer, Fact, ReloadReport, Source

SECTION_LIMIT = 3000
"""Characters in one section's text (and in one context element)."""
BLOCK_LIMIT = 50
"""Blocks in one message."""
TEXT_LIMIT = 3000
"""Characters of the plain ``text`` fallback we send (Slack allows more; notifications show far less)."""
BUTTON_VALUE_LIMIT = 2000
"""Characters in a button's ``value``."""
QUESTION_ECHO_LIMIT = 300
"""Characters of a user's question echoed back above an answer."""
SHARE_ACTION_ID = "innov_share"
"""``action_id`` of the "Share in channel" button."""
ELLIPSIS = "…"

BlockDict = dict[str, Any]

_URL_RE = re.compile(r"^https?://[^\s<>|]+$")


def escape(text: str) -> str:
    """Escape the three characters mrkdwn treats as control characters (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's own escaping of ``&``, ``<`` and ``>`` in text it sends us (inverse of :func:`escape`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def fit(raw: str, limit: int = SECTION_LIMIT) -> str:
    """Escape ``raw`` and trim it so the escaped text, ellipsis included, is at most ``limit`` characters.

    Trimming happens on the raw text, so an entity such as ``&lt;`` is never cut in half.
    """
    escaped = escape(raw)
    if len(escaped) <= limit:
        return escaped
    keep = limit - len(ELLIPSIS)
    while keep > 0:
        candidate = escape(raw[:keep])
        if len(candidate) <= limit - len(ELLIPSIS):
            return candidate.rstrip() + ELLIPSIS
        keep -= len(candidate) - (limit - len(ELLIPSIS))
    return ELLIPSIS


def _clip(mrkdwn: str, limit: int) -> str:
    """Trim already-escaped mrkdwn at an entity-safe point (used for the ``text`` fallback)."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - len(ELLIPSIS)]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut.rstrip() + ELLIPSIS


def mrkdwn_text(mrkdwn: str) -> BlockDict:
    """A mrkdwn text object, trimmed to Slack's limit.

    ``verbatim``: Slack does not turn bare URLs, ``#channel`` or ``@here`` in the text into links or
    pings; text innov means as links or mentions is written as explicit ``<...>`` markup, which still works.
    """
    return {"type": "mrkdwn", "text": _clip(mrkdwn, SECTION_LIMIT) or " ", "verbatim": True}


def section(mrkdwn: str) -> BlockDict:
    """A section block holding already-escaped mrkdwn (trimmed to Slack's limit)."""
    return {"type": "section", "text": mrkdwn_text(mrkdwn)}


def context(*mrkdwn: str) -> BlockDict:
    """A context block of already-escaped mrkdwn elements (at most 10, each trimmed to Slack's limit)."""
    return {"type": "context", "elements": [mrkdwn_text(m) for m in mrkdwn[:10]]}


def plain(raw: str, limit: int = SECTION_LIMIT) -> BlockDict:
    """A plain_text object for text nobody vouches for (what users typed, shown to curators): Slack
    renders none of it (no *bold*, ~strike~, code, links, mentions, ``<!here>`` or emoji codes), and it
    is trimmed to ``limit`` characters."""
    text = raw if len(raw) <= limit else raw[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return {"type": "plain_text", "text": text or " ", "emoji": False}


def source_line(source: Source) -> str:
    """``Source: title — publisher, date`` (escaped), with a link when the article's URL is known."""
    line = f"Source: {escape(source.citation())}"
    if source.url and _URL_RE.match(source.url):
        line += f" · <{escape(source.url)}|link>"
    return line


@dataclass(frozen=True, slots=True)
class Reply:
    """What innov says: a plain-text fallback, the blocks, and whether (and how) it may be shared.

    ``share`` is the subcommand text that re-creates this reply (carried by the "Share in channel"
    button); ``private`` marks notices (refusals, errors, rate limits) that must only be shown to the
    user who asked.
    """

    text: str
    blocks: tuple[BlockDict, ...]
    share: str | None = None
    private: bool = False
    feedback: str | None = None
    """The answer this reply gives, for its 👍 / 👎 buttons (``bot.feedback.AnswerRef.value``); None: no buttons."""

    def message(self) -> dict[str, Any]:
        """``text`` and ``blocks`` as keyword arguments for ``ack``, ``respond`` or ``chat.postMessage``."""
        return {"text": _clip(self.text, TEXT_LIMIT), "blocks": [dict(b) for b in self.blocks]}


def _cap(blocks: Sequence[BlockDict], room: int, more_hint: str) -> tuple[BlockDict, ...]:
    """At most ``room`` blocks; if some had to go, the last one says so."""
    if len(blocks) <= room:
        return tuple(blocks)
    kept = list(blocks[: room - 1])
    kept.append(context(f"{ELLIPSIS} This was cut short to fit in one Slack message. {more_hint}"))
    return tuple(kept)


# Room for content, leaving space for the blocks added later (share button, "shared by" line).
CONTENT_BLOCKS = BLOCK_LIMIT - 3


def notice(mrkdwn: str, *, private: bool = True) -> Reply:
    """A one-section reply of already-escaped mrkdwn (help, refusals, errors, admin reports)."""
    return Reply(text=mrkdwn, blocks=(section(mrkdwn),), private=private)


def question_line(question: str) -> str:
    """The question, escaped and shortened, as a context line above its answer."""
    return f"_Question:_ {fit(question, QUESTION_ECHO_LIMIT)}"


def answer_reply(answer: Answer, question: str | None = None, *, share: str | None = None) -> Reply:
    """One answer: the question echoed, the answer's text, one context block per source.

    An unanswered question gets the honest answer plus a hint of what to try instead.
    """
    blocks: list[BlockDict] = []
    if question:
        blocks.append(context(question_line(question)))
    body = fit(answer.text)
    if not answer.answered:
        body = fit(answer.text, SECTION_LIMIT - 120) + (
            "\nTry `/innov facts` to see what I know, or `/innov help` for everything I can do."
        )
    blocks.append(section(body))
    sources = [source_line(s) for s in answer.sources]
    blocks.extend(context(line) for line in sources)
    if not answer.answered and answer.related:
        # Nearby facts, clearly marked as suggestions: they do not answer the question.
        lines = [f"• {fit(text, 400)} ({source_line(source)})" for text, source in answer.related]
        blocks.append(context("*Not the answer, but related facts I know:*\n" + "\n".join(lines)))
    text = fit(answer.text, TEXT_LIMIT - 200)
    if sources:
        text += f" ({sources[0]})"
    return Reply(
        text=text,
        blocks=_cap(blocks, CONTENT_BLOCKS, "Ask a narrower question."),
        share=share if answer.answered else None,
    )


def facts_reply(
    heading: str, facts: Sequence[tuple[Fact, Source | Sequence[Source]]], *, share: str | None = None
) -> Reply:
    """A list of facts, each a section with its source(s) below it; ``heading`` is already-escaped mrkdwn.

    A fact stated by several articles is one line with all its sources (one context block).
    """
    blocks: list[BlockDict] = [section(heading)]
    for fact, cited in facts:
        sources = [cited] if isinstance(cited, Source) else list(cited)
        blocks.append(section(f"• {fit(fact.shown, SECTION_LIMIT - 2)}"))
        blocks.append(context(*(source_line(s) for s in sources[:10])))
    lines = [heading] + [f"• {escape(f.shown)}" for f, _ in facts]
    return Reply(
        text="\n".join(lines),
        blocks=_cap(blocks, CONTENT_BLOCKS, "Narrow it down with `/innov facts &lt;topic&gt;`."),
        share=share,
    )


def sources_reply(sources: Iterable[Source], version: str, *, share: str | None = None) -> Reply:
    """Every article in the knowledge base with its publisher and date."""
    items = list(sources)
    lines = [f"• {source_line(s).removeprefix('Source: ')}" for s in items]
    heading = f"*The knowledge base has {len(items)} articles* (version `{escape(version)}`):"
    blocks: list[BlockDict] = [section(heading)]
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return Reply(
        text="\n".join([heading, *lines]),
        blocks=_cap(blocks, CONTENT_BLOCKS, "Too many articles to list here."),
        share=share,
    )


def reload_reply(report: ReloadReport) -> Reply:
    """The admin's reload report: counts, time, old -> new version, facts added/removed/changed."""

    def ids(label: str, values: tuple[str, ...]) -> str:
        shown = ", ".join(f"`{escape(v)}`" for v in values[:30])
        more = f" and {len(values) - 30} more" if len(values) > 30 else ""
        return f"*{label}* ({len(values)}): {shown or '—'}{more}"

    status = "Reloaded" if report.changed_anything else "Reloaded (no changes)"
    lines = [
        f"*{status}* in {report.seconds * 1000:.0f} ms: version `{escape(report.old_version)}` → "
        f"`{escape(report.new_version)}`",
        f"{report.articles} articles, {report.passages} passages, {report.facts} facts.",
        ids("Facts added", report.added),
        ids("Facts removed", report.removed),
        ids("Facts changed", report.changed),
    ]
    if report.semantic != report.semantic_before:  # (e.g. the knowledge base outgrew the embedding model)
        lines.append(f"*Meaning* is now {escape(report.semantic)} (was {escape(report.semantic_before)}).")
    if report.notice:  # (e.g. Redis was away: the other replicas have not heard of it yet)
        lines.append(f":warning: {escape(report.notice)}")
    lines.extend(f":warning: `{escape(w)}`" for w in report.warnings[:10])  # (facts.yml: not read: ...)
    return notice("\n".join(lines))


def reload_failed_reply(problems: Sequence[str], serving_version: str) -> Reply:
    """A reload that failed: every ``file:line: message``, and the version that keeps serving."""
    shown = "\n".join(f"• `{escape(p)}`" for p in problems[:20])
    more = f"\n…and {len(problems) - 20} more." if len(problems) > 20 else ""
    text = (
        f"*Reload failed* — nothing changed; still serving version `{escape(serving_version)}`.\n"
        f"{shown}{more}\nFix the file(s) and run `/innov reload` again (`innov check` lists every problem)."
    )
    return notice(text)


def stats_reply(stats: dict[str, Any]) -> Reply:
    """The admin's stats: version, counts, uptime, answers by kind, cache figures."""
    by_kind = stats.get("answers_by_kind") or {}
    kinds = ", ".join(f"{escape(str(k))}: {v}" for k, v in sorted(by_kind.items())) or "none yet"
    uptime = float(stats.get("uptime_s") or 0.0)
    lines = [
        f"*innov stats* — version `{escape(str(stats.get('version', '?')))}`",
        f"{stats.get('articles', '?')} articles, {stats.get('passages', '?')} passages, "
        f"{stats.get('facts', '?')} facts.",
        f"Uptime: {_duration(uptime)}.",
        f"Answers by kind: {kinds}.",
        f"Cache: {stats.get('cache_hits', 0)} hits, {stats.get('cache_misses', 0)} misses.",
    ]
    return notice("\n".join(lines))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    if days or hours or minutes:
        parts.append(f"{minutes}m")
    parts.append(f"{secs}s")
    return " ".join(parts)


_SLACK_CONTROL_RE = re.compile(r"<[!@#]")


def with_share_button(reply: Reply) -> Reply:
    """The reply plus a "Share in channel" button carrying ``reply.share`` (if it fits in a button)."""
    if reply.share is None or len(reply.share) > BUTTON_VALUE_LIMIT:
        return reply
    if _SLACK_CONTROL_RE.search(reply.share):
        # A question carrying <!channel>, <@U...> and the like is answered (the noise is ignored), but
        # such raw control sequences never travel in a payload innov sends: no share button for it.
        return reply
    button = {
        "type": "actions",
        "block_id": "innov_share",
        "elements": [
            {
                "type": "button",
                "action_id": SHARE_ACTION_ID,
                "text": {"type": "plain_text", "text": "Share in channel"},
                "value": reply.share,
            }
        ],
    }
    return replace(reply, blocks=(*reply.blocks, button))


def shared_by(reply: Reply, user_id: str) -> Reply:
    """The reply as posted to the channel by the share button, saying who shared it."""
    line = f"Shared by <@{user_id}>" if _is_slack_id(user_id) else f"Shared by {escape(user_id)}"
    return replace(reply, blocks=(*reply.blocks, context(line)), text=f"{reply.text}\n{line}", share=None)


def mention(user_id: str) -> str:
    """``<@U123>`` for a Slack user id (ids only come from Slack or settings); escaped text otherwise."""
    return f"<@{user_id}>" if _is_slack_id(user_id) else escape(user_id)


_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _is_slack_id(value: str) -> bool:
    return bool(_ID_RE.match(value))
