"""The curated facts as the answer path reads them: their index, traits and citations, built once."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

from knowledge.answering.answer_types import TermKinds, text_traits
from knowledge.answering.question import Question
from knowledge.index import BM25Index, Hit
from knowledge.models import Article, Fact, Source

TOP_FACTS = 8
MAX_RELATED = 3
# ``/innov facts <topic>`` lists facts holding most of the topic's meaning (not one word of two).
FACTS_MIN_COVERAGE = 0.75


class FactTable:
    """The facts, their BM25 index over answer, value and topics, their traits and their citations."""

    def __init__(
        self,
        facts: Sequence[Fact],
        articles: Mapping[str, Article],
        fact_tokens: Sequence[list[str]],
        kinds: TermKinds,
    ) -> None:
        self.facts = tuple(facts)
        self.articles = articles
        self.token_sets = [frozenset(t) for t in fact_tokens]
        self.index = BM25Index(fact_tokens) if self.facts else None
        # The facts nearest a question's terms: ranked as candidates, and offered as related on a decline
        # (one retrieval for both).
        self.hits = lru_cache(maxsize=4)(self._retrieve)
        self.traits = [
            text_traits(f"{f.answer} {f.quote}", tokens, kinds, f.as_of, ranking=f.unit == "rank")
            for f, tokens in zip(self.facts, self.token_sets, strict=True)
        ]
        # Each fact's citation, made once: offered with every decline it is related to.
        self._source = {f.id: articles[f.source].source(quote=f.quote) for f in self.facts}
        self._source_lists = {f.id: self._same_figure_sources(f) for f in self.facts}
        # Each fact's first fact in file order stating the same figure (itself when none does before it).
        figures: dict[tuple[str, str | None], int] = {}
        self.first_of_figure = [figures.setdefault((f.value, f.unit), i) for i, f in enumerate(self.facts)]

    def _retrieve(self, terms: tuple[str, ...]) -> list[Hit]:
        return self.index.retrieve(terms, TOP_FACTS) if self.index is not None else []

    def source_of(self, fact: Fact) -> Source:
        """The fact's article as a citation, with the fact's verbatim quote."""
        known = self._source.get(fact.id)
        if known is not None and known.quote == fact.quote and known.id == fact.source:
            return known
        return self.articles[fact.source].source(quote=fact.quote)

    def sources(self, fact: Fact) -> tuple[Source, ...]:
        """The fact's article, and any other article stating the same figure (one line, two sources)."""
        return self._source_lists.get(fact.id) or (self.source_of(fact),)

    def _same_figure_sources(self, fact: Fact) -> tuple[Source, ...]:
        sources = [self.source_of(fact)]
        for other in self.facts:
            same = other.value == fact.value and other.unit == fact.unit
            if other.id != fact.id and same and other.source != fact.source:
                sources.append(self.source_of(other))
        return tuple(sources)

    def related(self, q: Question, near: Callable[[int], bool] | None = None) -> tuple[Fact, ...]:
        """Up to three facts near the question, offered when it is declined (never as the answer); from
        the article the question names, when it names one; only facts ``near`` allows (by number)."""
        if self.index is None or not q.weights:
            return ()
        found: list[Fact] = []
        seen_values: set[str] = set()
        for hit in self.hits(q.terms):
            fact = self.facts[hit.doc]
            if fact.value in seen_values or (q.article is not None and fact.source != q.article):
                continue
            if near is not None and not near(hit.doc):
                continue
            if q.coverage(self.token_sets[hit.doc]) <= 0.0:
                continue
            seen_values.add(fact.value)
            found.append(fact)
            if len(found) == MAX_RELATED:
                break
        return tuple(found)

    def about(self, q: Question) -> list[Fact]:
        """The facts holding most of the topic ``q`` reads (best match first), agreeing with its names."""
        if self.index is None or not q.weights:
            return []
        hits = self.index.retrieve(q.terms, len(self.facts))
        return [
            self.facts[h.doc]
            for h in hits
            if q.coverage(self.token_sets[h.doc]) >= FACTS_MIN_COVERAGE and q.agrees(self.token_sets[h.doc])
        ]


@lru_cache(maxsize=1024)
def states(text: str, value: str) -> bool:
    """Whether ``text`` states a fact's value as a whole figure ("11th", "463,000"; not "1" in "11th")."""
    return (
        bool(value)
        and any(ch.isdigit() for ch in value)
        and re.search(rf"(?<![\w.,]){re.escape(value)}(?![\w]|[.,]\d)", text) is not None
    )
