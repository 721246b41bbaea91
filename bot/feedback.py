"""What innov remembers about its answers: 👍/👎 votes, declined questions, and each thread's last question.

Everything goes through the store protocol (``bot.store``): Redis for a fleet, the in-process store
otherwise. No Slack here; the handlers turn clicks into calls on :class:`Feedback` and :class:`Threads`.

Keys (under the store's prefix, ``innov:`` by default) and how long they live are the constants below.
``INNOV_FEEDBACK=off`` stops votes and declined questions being recorded; thread context is kept either
way (follow-ups need it) and expires after a week.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.store import Store, Tally
from knowledge import Answer

logger = logging.getLogger(__name__)

VOTES_LEDGER = "feedback:votes"  # member <answer id>:<user id>, value a Vote (JSON); FEEDBACK_RETENTION
DECLINED_LEDGER = "feedback:declined"  # member the normalised question, counted; FEEDBACK_RETENTION
THREAD_KEY = "thread:"  # thread:<channel>:<thread ts> -> the thread's last question; THREAD_TTL
FEEDBACK_RETENTION = 90 * 86400  # votes and declined questions are dropped 90 days after their last write
FEEDBACK_CAP = 10_000  # and each ledger keeps at most this many members (the oldest go first)
THREAD_TTL = 7 * 86400  # a thread quiet for a week starts afresh
# A thread innov replied to on its own (a channel message nobody addressed to it) keeps the question as
# understood for a day only: follow-ups come soon, and the message was not written to innov.
AMBIENT_THREAD_TTL = 86400
QUESTION_KEEP = 300  # characters of a question kept with a vote or a declined question
NOTE_KEEP = 500  # characters of a curator note ("What was wrong?")
VALUE_LIMIT = 2000  # characters of a button's value (Slack's limit): a longer AnswerRef value is forged
REASON_COUNTER = "reason:"  # a 👎's reason counts towards its answer as counter reason:<reason>
PRIVATE_QUESTION = "(a message, through Find sources: its text is not kept)"
"""What the curator queue shows for a question that was someone's message, not text typed to innov."""

VoteKind = Literal["up", "down"]
Reason = Literal["wrong_figure", "wrong_source", "out_of_date", "other"]
REASONS: dict[str, str] = {
    "wrong_figure": "Wrong figure",
    "wrong_source": "Wrong source",
    "out_of_date": "Out of date",
    "other": "Other",
}
"""The "What was wrong?" choices, in the order the modal shows them."""


# Characters that would break a curator's one line: line and paragraph breaks become ␤; other control
# characters (terminal escapes among them) and the marks that reorder text (bidi overrides) become �.
_LINE_BREAKS = {
    c: "␤" for c in ("\r\n", "\n", "\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
}
_UNSHOWN_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BREAK_RE = re.compile("|".join(re.escape(c) for c in _LINE_BREAKS))


def one_line(text: str) -> str:
    """User text (a question, a note) as one line for a curator: line breaks shown as ␤, tabs as spaces,
    other control characters as �, so it cannot print lines of its own or move the cursor."""
    text = _BREAK_RE.sub("␤", text).replace("\t", " ")
    return _UNSHOWN_RE.sub("�", text)


def normalise(question: str) -> str:
    """A question as the curator queue groups it: casefolded, whitespace collapsed, end punctuation dropped."""
    return " ".join(question.casefold().split()).rstrip("?!.").strip()


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


M = TypeVar("M", bound=_Frozen)


class AnswerRef(_Frozen):
    """Which answer a vote is about: small enough to ride in a button's value (at most 2,000 characters).

    It comes back from Slack in a button's value or a modal's metadata, so every field is held to the
    shape innov writes: a forged value (an outsized one, a ``kind`` carrying mrkdwn) is refused whole.
    """

    id: str = Field(pattern=r"^[0-9a-f]{1,64}$")
    question: str = Field(max_length=QUESTION_KEEP)
    kind: Literal["fact", "passage", "none"]
    ref: str = Field(default="", pattern=r"^[A-Za-z0-9._-]{0,200}$")
    """The fact id, else the first source's article id, else empty."""
    kb_version: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")

    @classmethod
    def of(cls, answer: Answer, *, private: bool = False) -> AnswerRef:
        """The reference for ``answer`` (same question and version: same id, so votes meet).

        ``private``: the question is not the asker's own text (a message "Find sources" was used on), so
        the reference carries none of it, only the id (a hash) by which votes on it are counted.
        """
        ref = answer.fact_id or (answer.sources[0].id if answer.sources else "")
        digest = hashlib.sha1(f"{answer.kb_version}\0{normalise(answer.question)}".encode()).hexdigest()
        return cls(
            id=digest[:16],
            question=PRIVATE_QUESTION if private else answer.question[:QUESTION_KEEP],
            kind=answer.kind,
            ref=ref,
            kb_version=answer.kb_version,
        )

    def value(self) -> str:
        """Compact JSON for a button value or a modal's ``private_metadata``.

        ``<``, ``>`` and ``&`` are written as JSON escapes, so a question such as ``<!channel>`` never
        appears raw in anything sent to Slack (it reads back unchanged).
        """
        raw = json.dumps(self.model_dump(), separators=(",", ":"), ensure_ascii=False)
        return raw.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")

    @classmethod
    def parse(cls, value: str) -> AnswerRef | None:
        """Read :meth:`value` back; None for anything else (a forged, outsized or truncated value)."""
        if len(value) > VALUE_LIMIT:  # Slack's own limit on a button's value: nothing longer is read
            return None
        try:
            return cls.model_validate_json(value)
        except ValidationError:
            return None


class Vote(_Frozen):
    """One user's vote on one answer; a later click or a "What was wrong?" reply replaces it."""

    answer: AnswerRef
    user: str
    vote: VoteKind
    reason: Reason | None = None
    note: str | None = None
    at: float


class Declined(_Frozen):
    """A question innov could not answer, counted by its normalised text."""

    text: str
    example: str
    count: int = 1
    last_asked: float
    kb_version: str


class AnswerFeedback(_Frozen):
    """The votes on one answer, added up for the curator queue."""

    answer: AnswerRef
    up: int
    down: int
    reasons: dict[str, int]
    notes: tuple[str, ...]
    last: float


class CuratorQueue(_Frozen):
    """What curators should look at: declined questions (most asked first) and answers with the most 👎."""

    declined: tuple[Declined, ...]
    disliked: tuple[AnswerFeedback, ...]
    kb_version: str | None = None
    """Only entries for this knowledge base version ("since the last reload"), when set."""
    since: float | None = None
    """Only entries written at or after this wall-clock time, when set."""
    enabled: bool = True

    def to_json(self) -> dict[str, object]:
        """The ``innov feedback --json`` object."""
        return {
            "enabled": self.enabled,
            "kb_version": self.kb_version,
            "since": self.since,
            "declined": [d.model_dump(mode="json") for d in self.declined],
            "disliked": [a.model_dump(mode="json") for a in self.disliked],
        }


class Feedback:
    """Votes and declined questions over a ``Store``; every method is a no-op when ``enabled`` is False."""

    def __init__(self, store: Store, *, enabled: bool = True, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.enabled = enabled
        self._clock = clock

    def vote(
        self,
        answer: AnswerRef,
        user: str,
        vote: VoteKind,
        *,
        reason: Reason | None = None,
        note: str | None = None,
    ) -> Vote | None:
        """Record (or change) ``user``'s vote on ``answer``; None when feedback is off."""
        if not self.enabled:
            return None
        record = Vote(
            answer=answer,
            user=user,
            vote=vote,
            reason=reason,
            note=(note or "").strip()[:NOTE_KEEP] or None,
            at=self._clock(),
        )
        counts: dict[str, int] = {vote: 1}
        if vote == "down" and reason:
            counts[f"{REASON_COUNTER}{reason}"] = 1
        self.store.ledger_put(
            VOTES_LEDGER,
            f"{answer.id}:{user}",
            record.model_dump_json(),
            record.at,
            retention=FEEDBACK_RETENTION,
            cap=FEEDBACK_CAP,
            # The answer's 👎 (its reasons, its newest note) add up for /innov stats, per knowledge version.
            tally=Tally(
                answer.kb_version, answer.id, counts, "down", record.note if vote == "down" else None
            ),
        )
        logger.info("feedback: %s voted %s on answer %s (%s)", user, vote, answer.id, reason or "no reason")
        return record

    def declined(self, question: str, kb_version: str, *, private: bool = False) -> int:
        """Count a question innov declined to answer; the count so far (0 when feedback is off).

        ``private``: the question is someone's message (not typed to innov): it is counted by a hash of
        its normalised text and nothing of the text is kept.
        """
        text = normalise(question)
        if not self.enabled or not text:
            return 0
        now = self._clock()
        if private:
            text = "#" + hashlib.sha1(text.encode()).hexdigest()[:16]
            question = PRIVATE_QUESTION
        record = Declined(
            text=text[:QUESTION_KEEP], example=question[:QUESTION_KEEP], last_asked=now, kb_version=kb_version
        )
        return self.store.ledger_put(
            DECLINED_LEDGER,
            record.text,
            record.model_dump_json(),
            now,
            retention=FEEDBACK_RETENTION,
            cap=FEEDBACK_CAP,
            count=True,
            # Ranked by how often it was asked, under the version that declined it last.
            tally=Tally(kb_version, record.text, {}, "count"),
        )

    def votes(self, since: float = 0.0) -> list[Vote]:
        """Every vote written since ``since`` (newest first)."""
        return [
            v
            for v in (_read(Vote, e.value) for e in self.store.ledger_read(VOTES_LEDGER, since, FEEDBACK_CAP))
            if v
        ]

    def queue(
        self, *, kb_version: str | None = None, since: float | None = None, limit: int = 10
    ) -> CuratorQueue:
        """The top ``limit`` declined questions and most-disliked answers, for one version or since a time.

        For one version (``/innov stats``, the Home tab) the top is read from the ledgers' rankings
        (``Store.ledger_top``), whatever their size; otherwise (``innov feedback``) the whole ledgers are
        read and added up.
        """
        if kb_version is not None and since is None:
            return self._top(kb_version, limit)
        return self.queue_from_ledgers(kb_version=kb_version, since=since, limit=limit)

    def _top(self, kb_version: str, limit: int) -> CuratorQueue:
        declined = []
        for top in self.store.ledger_top(DECLINED_LEDGER, kb_version, limit):
            record = _read(Declined, top.value)
            if record is not None:
                declined.append(
                    record.model_copy(update={"count": top.counts.get("count", 1), "last_asked": top.at})
                )
        disliked = []
        for top in self.store.ledger_top(VOTES_LEDGER, kb_version, limit):
            vote = _read(Vote, top.value)
            if vote is None:
                continue
            reasons = {
                k.removeprefix(REASON_COUNTER): n
                for k, n in sorted(top.counts.items())
                if k.startswith(REASON_COUNTER) and n > 0
            }
            disliked.append(
                AnswerFeedback(
                    answer=vote.answer,
                    up=top.counts.get("up", 0),
                    down=top.counts.get("down", 0),
                    reasons=reasons,
                    notes=(top.note,) if top.note else (),
                    last=top.at,
                )
            )
        return CuratorQueue(
            declined=tuple(declined), disliked=tuple(disliked), kb_version=kb_version, enabled=self.enabled
        )

    def queue_from_ledgers(
        self, *, kb_version: str | None = None, since: float | None = None, limit: int = 10
    ) -> CuratorQueue:
        """:meth:`queue` added up from the whole ledgers (every note of an answer kept, not only its newest)."""
        start = since or 0.0
        declined: list[Declined] = []
        for entry in self.store.ledger_read(DECLINED_LEDGER, start, FEEDBACK_CAP):
            record = _read(Declined, entry.value)
            if record is None or (kb_version is not None and record.kb_version != kb_version):
                continue
            declined.append(record.model_copy(update={"count": entry.count, "last_asked": entry.at}))
        declined.sort(key=lambda d: (-d.count, -d.last_asked))
        by_answer: dict[str, list[Vote]] = {}
        for vote in self.votes(start):
            if kb_version is None or vote.answer.kb_version == kb_version:
                by_answer.setdefault(vote.answer.id, []).append(vote)
        disliked = [_tally(votes) for votes in by_answer.values()]
        disliked = [a for a in disliked if a.down > 0]
        disliked.sort(key=lambda a: (-a.down, a.up, -a.last))
        return CuratorQueue(
            declined=tuple(declined[:limit]),
            disliked=tuple(disliked[:limit]),
            kb_version=kb_version,
            since=since,
            enabled=self.enabled,
        )


def _tally(votes: list[Vote]) -> AnswerFeedback:
    reasons: Counter[str] = Counter(str(v.reason) for v in votes if v.vote == "down" and v.reason)
    return AnswerFeedback(
        answer=max(votes, key=lambda v: v.at).answer,
        up=sum(v.vote == "up" for v in votes),
        down=sum(v.vote == "down" for v in votes),
        reasons=dict(reasons),
        notes=tuple(v.note for v in votes if v.vote == "down" and v.note),
        last=max(v.at for v in votes),
    )


def _read(model: type[M], raw: str) -> M | None:
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        logger.warning("ignoring an unreadable %s record in the feedback store", model.__name__)
        return None


class Threads:
    """Each thread's last question, so a follow-up ("and what about patents?") keeps its subject."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def key(channel: str, thread_ts: str) -> str:
        return f"{THREAD_KEY}{channel}:{thread_ts}"

    def remember(self, channel: str, thread_ts: str, question: str, ttl: int = THREAD_TTL) -> None:
        """Keep ``question`` as the thread's last question for ``ttl`` seconds."""
        if channel and thread_ts and question:
            self.store.set(self.key(channel, thread_ts), question[: QUESTION_KEEP * 2], ttl)

    def remember_ambient(self, channel: str, thread_ts: str, understood: str) -> None:
        """Keep what innov answered on its own in a thread: the question as understood (never the message as
        written), at most :data:`QUESTION_KEEP` characters, for :data:`AMBIENT_THREAD_TTL` seconds."""
        self.remember(channel, thread_ts, understood[:QUESTION_KEEP], AMBIENT_THREAD_TTL)

    def recall(self, channel: str, thread_ts: str) -> str | None:
        """The thread's last question, or None."""
        if not channel or not thread_ts:
            return None
        return self.store.get(self.key(channel, thread_ts))
