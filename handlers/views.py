"""Block Kit for innov's Slack surfaces beyond a single reply: buttons, pages, the modal and the Home tab.

Pure functions from data to Block Kit dicts (no Slack calls, no store), so tests call them directly.
Text from users and from the corpus is escaped with :func:`handlers.blocks.escape` / ``fit``; every
view stays within Slack's limits (100 blocks a view, 50 a message, 3,000 characters a text, 2,000 a
button value, 255 an ``action_id``/``block_id``, 3,000 a modal's ``private_metadata``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.ports import REASONS, AnswerRef, CuratorQueue, one_line
from handlers import blocks
from handlers.blocks import (
    BUTTON_VALUE_LIMIT,
    BlockDict,
    Reply,
    context,
    escape,
    fit,
    mrkdwn_text,
    plain,
    section,
    source_line,
)
from knowledge import Fact, Source

VOTE_UP_ACTION = "innov_vote_up"
VOTE_DOWN_ACTION = "innov_vote_down"
FACTS_PAGE_ACTION = "innov_facts_page"
"""Prefix of the Previous / Next buttons' ``action_id`` (``_prev``, ``_next``: unique within their block)."""
HOME_ASK_ACTION = "innov_home_ask"
HOME_RELOAD_ACTION = "innov_home_reload"
FEEDBACK_MODAL = "innov_feedback_modal"
"""``callback_id`` of the "What was wrong?" modal."""
FIND_SOURCES_SHORTCUT = "innov_find_sources"
"""``callback_id`` of the "Find sources" message shortcut (declared in ``manifest.yml``)."""
REASON_BLOCK, REASON_ACTION = "reason", "reason_choice"
NOTE_BLOCK, NOTE_ACTION = "note", "note_text"

VIEW_BLOCK_LIMIT = 100
"""Blocks in a Home tab or modal view."""
FACTS_PER_PAGE = 15
METADATA_LIMIT = 3000
"""Characters of a view's ``private_metadata``."""
NOTE_MAX = 500
"""Characters of the modal's optional note."""

EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "What is China's GII rank?",
    "How much does China spend on R&D?",
    "How many patents does Beijing's robotics industry hold?",
)
"""The example questions on the Home tab (tests check the seed knowledge base answers each)."""

NOT_ENGLISH_NOTE = (
    "_innov answers questions in English_, e.g. `/innov What is China's GII rank?` "
    "or `/innov How much does China spend on R&amp;D?`"
)


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> BlockDict:
    button: BlockDict = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


# -- replies: 👍 / 👎 and the single finishing step every surface uses ------------------------------------


def with_feedback_buttons(reply: Reply) -> Reply:
    """The reply plus 👍 / 👎 buttons carrying its answer (when it has one and it fits in a button)."""
    if reply.feedback is None or len(reply.feedback) > BUTTON_VALUE_LIMIT:
        return reply
    buttons = {
        "type": "actions",
        "block_id": "innov_feedback",
        "elements": [
            _button("👍 Helpful", VOTE_UP_ACTION, reply.feedback),
            _button("👎 Not right", VOTE_DOWN_ACTION, reply.feedback),
        ],
    }
    return replace(reply, blocks=(*reply.blocks, buttons))


def finish(reply: Reply, *, share: bool = True) -> Reply:
    """What a surface sends: the reply with its 👍 / 👎 and (for private replies) its Share button."""
    reply = with_feedback_buttons(reply)
    return blocks.with_share_button(reply) if share else reply


def followup_note(reply: Reply, previous: str) -> Reply:
    """A reply that used its thread's previous question says so above the answer."""
    line = context(f"↪ Following up on: _{fit(previous, blocks.QUESTION_ECHO_LIMIT)}_")
    return replace(reply, blocks=(line, *reply.blocks))


def not_english_note(reply: Reply) -> Reply:
    """An unanswered question that looks like another language gets a note that innov answers English."""
    return replace(
        reply, blocks=(*reply.blocks, context(NOT_ENGLISH_NOTE)), text=f"{reply.text}\n{NOT_ENGLISH_NOTE}"
    )


def vote_thanks(vote: str | None, reason: str | None = None) -> str:
    """The ephemeral line confirming a vote (``"up"``/``"down"``), or saying feedback is off (None)."""
    if vote is None:
        return "Feedback is turned off on this workspace (INNOV_FEEDBACK=off)."
    if vote == "up":
        return "Thanks — your 👍 is recorded. Click 👎 instead to change it."
    if reason in REASONS:
        return f"Thanks — recorded as _{REASONS[reason].lower()}_; a curator will look at it."
    return "Thanks — your 👎 is recorded. Tell us what was wrong in the form, or click 👍 to change it."


# -- /innov facts, page by page ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactsPage:
    """Which page of ``/innov facts [topic]`` a button asks for."""

    topic: str
    offset: int

    def value(self) -> str:
        return json.dumps({"topic": self.topic, "offset": self.offset}, separators=(",", ":"))

    @classmethod
    def parse(cls, value: str) -> FactsPage:
        """Read a button value; a forged or unreadable value gives the first page of all facts.

        Forged values fail in more ways than malformed JSON (ValueError): an offset of ``1e400`` is
        infinity, which ``int`` refuses with OverflowError, and a value nested deeper than the interpreter's
        recursion limit raises RecursionError; each is a bad value like the others, never a listener error.
        """
        try:
            data = json.loads(value)
            return cls(topic=str(data.get("topic") or ""), offset=max(0, int(data.get("offset") or 0)))
        except (ValueError, TypeError, AttributeError, OverflowError, RecursionError):
            return cls(topic="", offset=0)


def facts_page(
    topic: str,
    facts: Sequence[tuple[Fact, Source]],
    offset: int,
    *,
    share: str | None = None,
    per_page: int = FACTS_PER_PAGE,
) -> Reply:
    """One page of facts: "Facts 1–15 of 62", each fact with its source, then Previous / Next buttons."""
    total = len(facts)
    offset = max(0, min(offset, (max(total - 1, 0) // per_page) * per_page))
    shown = facts[offset : offset + per_page]
    about = f" about _{fit(topic, 200)}_" if topic else ""
    heading = f"*Facts {offset + 1}–{offset + len(shown)} of {total}*{about}"
    page = blocks.facts_reply(heading, list(shown), share=share)
    nav: list[BlockDict] = []
    if offset > 0:
        nav.append(
            _button("◀ Previous", f"{FACTS_PAGE_ACTION}_prev", FactsPage(topic, offset - per_page).value())
        )
    if offset + per_page < total:
        nav.append(
            _button("Next ▶", f"{FACTS_PAGE_ACTION}_next", FactsPage(topic, offset + per_page).value())
        )
    extra: list[BlockDict] = []
    if nav and len(FactsPage(topic, offset).value()) <= BUTTON_VALUE_LIMIT:
        extra.append({"type": "actions", "block_id": "innov_facts_nav", "elements": nav})
    if not topic and total > per_page:
        extra.append(
            context("Narrow it down with `/innov facts &lt;topic&gt;`, e.g. `/innov facts R&amp;D`.")
        )
    return replace(page, blocks=(*page.blocks, *extra))


# -- the "What was wrong?" modal -----------------------------------------------------------------------------


def feedback_modal(answer: AnswerRef) -> dict[str, Any]:
    """The modal a 👎 opens: what was wrong (a choice) and an optional note; the answer in its metadata."""
    metadata = answer.value()
    if len(metadata) > METADATA_LIMIT:  # cannot happen with AnswerRef's trimmed question; never send too much
        metadata = answer.model_copy(update={"question": answer.question[:200]}).value()
    options = [
        {"text": {"type": "plain_text", "text": label}, "value": value} for value, label in REASONS.items()
    ]
    return {
        "type": "modal",
        "callback_id": FEEDBACK_MODAL,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "What was wrong?"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            context(f"_Question:_ {fit(answer.question, blocks.QUESTION_ECHO_LIMIT)}"),
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "label": {"type": "plain_text", "text": "What was wrong with the answer?"},
                "element": {"type": "radio_buttons", "action_id": REASON_ACTION, "options": options},
            },
            {
                "type": "input",
                "block_id": NOTE_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Anything a curator should know?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": NOTE_ACTION,
                    "multiline": True,
                    "max_length": NOTE_MAX,
                    "placeholder": {
                        "type": "plain_text",
                        "text": "e.g. the 2024 figure is 3.6 trillion yuan",
                    },
                },
            },
        ],
    }


def read_feedback_modal(view: dict[str, Any]) -> tuple[AnswerRef | None, str | None, str | None]:
    """The answer, the reason chosen and the note from a submitted :func:`feedback_modal`."""
    values = (view.get("state") or {}).get("values") or {}
    choice = ((values.get(REASON_BLOCK) or {}).get(REASON_ACTION) or {}).get("selected_option") or {}
    reason = choice.get("value")
    note = ((values.get(NOTE_BLOCK) or {}).get(NOTE_ACTION) or {}).get("value")
    answer = AnswerRef.parse(str(view.get("private_metadata") or ""))
    return answer, (reason if reason in REASONS else None), (str(note) if note else None)


# -- the curator queue ---------------------------------------------------------------------------------------


def curator_queue_blocks(queue: CuratorQueue, *, limit: int = 5) -> list[BlockDict]:
    """The top declined questions and the answers with the most 👎 (already within Slack's limits).

    What users typed (questions, notes) and what a vote's value carried (the answer's kind and id) is
    shown as plain text on one line (``one_line``: line breaks as ␤): never as mrkdwn, so it can neither
    format, link nor mention, nor print lines that pass for queue entries.
    """
    if not queue.enabled:
        return [context("Feedback is off (`INNOV_FEEDBACK=off`): nothing is recorded.")]
    scope = f"version `{escape(queue.kb_version)}`" if queue.kb_version else "all time"
    declined: list[BlockDict] = [
        {
            "type": "context",
            "elements": [
                mrkdwn_text(f"*{d.count}×*"),
                plain(one_line(d.example), 200),
                mrkdwn_text(f"last {_when(d.last_asked)}"),
            ],
        }
        for d in queue.declined[:limit]
    ]
    disliked: list[BlockDict] = []
    for a in queue.disliked[:limit]:
        reasons = ", ".join(f"{REASONS.get(r, r).lower()} {n}" for r, n in sorted(a.reasons.items()))
        what = a.answer.ref or a.answer.kind
        elements = [
            mrkdwn_text(f"👎 {a.down} 👍 {a.up}"),
            plain(f"{one_line(what)} · {one_line(a.answer.question)}", 400),
        ]
        if reasons:
            elements.append(plain(reasons, 200))
        if a.notes:
            elements.append(plain(f"“{one_line(a.notes[0])}”", 200))
        disliked.append({"type": "context", "elements": elements})
    return [
        section(f"*Curator queue* — since the last reload ({scope})"),
        section("*Top declined questions*" + ("" if declined else "\nNone yet.")),
        *declined,
        section("*Answers with the most 👎*" + ("" if disliked else "\nNone yet.")),
        *disliked,
        context("Export it all with `innov feedback --json` (see docs/curating.md)."),
    ]


def with_queue(reply: Reply, queue: CuratorQueue) -> Reply:
    """An admin reply (``/innov stats``) followed by the curator queue."""
    return replace(reply, blocks=(*reply.blocks, {"type": "divider"}, *curator_queue_blocks(queue)))


def _when(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


# -- App Home ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HomeData:
    """What the Home tab shows; gathered by the handler, rendered by :func:`home_view`."""

    version: str
    loaded_at: float
    articles: int
    facts: int
    ranking: Sequence[tuple[Fact, Sequence[Source]]]
    sources: Sequence[Source]
    is_admin: bool = False
    stats: Reply | None = None
    queue: CuratorQueue | None = None
    shown: Reply | None = None
    """An answer (or reload report) to show at the top, after an example button or Reload was pressed."""


def home_view(data: HomeData) -> dict[str, Any]:
    """The Home tab: what innov is, example questions, ranking facts, sources, version; admin tools."""
    top: list[BlockDict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "innov — China's innovation ecosystem"}},
        section(
            "Short, sourced answers from a curated knowledge base of articles and facts: rankings, R&amp;D "
            "spending, innovation hubs and policy. Every answer names its source.\n"
            "Ask with `/innov &lt;question&gt;` anywhere, mention `@innov` in a thread, send me a direct "
            "message, or use *Find sources* in any message's ⋮ menu."
        ),
        section("*Try one of these:*"),
        {
            "type": "actions",
            "block_id": "innov_home_examples",
            "elements": [_button(q, f"{HOME_ASK_ACTION}_{i}", q) for i, q in enumerate(EXAMPLE_QUESTIONS)],
        },
    ]
    if data.shown is not None:
        top.extend(data.shown.blocks)
    top.append({"type": "divider"})
    if data.is_admin:
        admin: list[BlockDict] = [
            section("*Admin*"),
            {
                "type": "actions",
                "block_id": "innov_home_admin",
                "elements": [_button("Reload knowledge base", HOME_RELOAD_ACTION, "reload", style="primary")],
            },
        ]
        if data.stats is not None:
            admin.extend(data.stats.blocks)
        if data.queue is not None:
            admin.extend(curator_queue_blocks(data.queue))
        admin.append({"type": "divider"})
    else:
        admin = []
    ranking: list[BlockDict] = [section("*Where China ranks*")]
    for fact, sources in data.ranking:
        ranking.append(section(f"• {fit(fact.shown, 2900)}"))
        ranking.append(context(*(source_line(s) for s in sources)))
    listed = "\n".join(f"• {source_line(s).removeprefix('Source: ')}" for s in data.sources)
    footer = [
        {"type": "divider"},
        section(f"*Sources* ({len(data.sources)} articles)\n{listed}"),
        context(
            f"Knowledge base version `{escape(data.version)}` · {data.articles} articles, {data.facts} facts · "
            f"last reloaded {_when(data.loaded_at)}"
        ),
    ]
    room = VIEW_BLOCK_LIMIT - len(top) - len(admin) - len(footer)
    if len(ranking) > room:
        ranking = [*ranking[: max(room - 1, 0)], context("More with `/innov rank`.")]
    return {"type": "home", "callback_id": "innov_home", "blocks": [*top, *admin, *ranking, *footer]}
