"""Immutable records the knowledge layer hands out: articles, passages, facts, sources and answers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

AnswerKind = Literal["fact", "passage", "none"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """A cited article, optionally with the sentence quoted from it."""

    id: str
    title: str
    publisher: str | None = None
    published: dt.date | None = None
    url: str | None = None
    quote: str | None = None

    def citation(self) -> str:
        """``title — publisher, date`` with whatever parts are known."""
        tail = ", ".join(p for p in (self.publisher, self.published and self.published.isoformat()) if p)
        return f"{self.title} — {tail}" if tail else self.title


class Article(_Frozen):
    """One cleaned article of the corpus."""

    id: str
    title: str
    publisher: str | None = None
    published: dt.date | None = None
    url: str | None = None
    text: str
    raw: str
    path: str

    def source(self, quote: str | None = None) -> Source:
        return Source(
            id=self.id,
            title=self.title,
            publisher=self.publisher,
            published=self.published,
            url=self.url,
            quote=quote,
        )


class Passage(_Frozen):
    """A paragraph-sized chunk of an article, split into its sentences."""

    id: str
    article_id: str
    sentences: tuple[str, ...]
    heading: str | None = None

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


class Fact(_Frozen):
    """A curated fact, its value and the verbatim quote from its source article that backs it."""

    id: str
    answer: str
    value: str
    unit: str | None = None
    as_of: int | None = None
    topics: tuple[str, ...] = ()
    source: str
    quote: str
    rank: bool = False
    line: int = 0

    @property
    def shown(self) -> str:
        """The answer as shown to users, with its as-of year when known and not already stated."""
        if self.as_of and str(self.as_of) not in self.answer:
            return f"{self.answer.rstrip('.')} ({self.as_of})."
        return self.answer


class Answer(_Frozen):
    """What the bot says to a question: one to three sentences and their sources, or an honest 'none'."""

    question: str
    kind: AnswerKind
    text: str
    sources: tuple[Source, ...] = ()
    score: float = 0.0
    kb_version: str
    fact_id: str | None = None
    # The question as understood (noise removed, typos corrected), for curators.
    normalised: str | None = None
    # On a decline: up to three nearby facts (text, source), offered as suggestions, never as the answer.
    related: tuple[tuple[str, Source], ...] = ()

    @property
    def answered(self) -> bool:
        return self.kind != "none"

    def to_json(self) -> dict[str, Any]:
        """The ``innov ask --json`` object (DESIGN.md contract: exactly these keys; suggestions made on a
        decline are shown by the text renderers, not added to the contract)."""
        return {
            "question": self.question,
            "answered": self.answered,
            "kind": self.kind,
            "text": self.text,
            "sources": [s.model_dump(mode="json") for s in self.sources],
            "score": round(self.score, 4),
            "kb_version": self.kb_version,
            "normalised": self.normalised if self.normalised is not None else self.question,
        }
