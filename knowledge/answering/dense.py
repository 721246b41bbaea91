"""The dense channel as the answer path reads it: the question's cosine with every sentence and fact.

Passages holding the sentences nearest the question in meaning, and the facts nearest it, join the
lexical candidates (``candidates``); a candidate's cosine is a ranking feature, and how far it stands
above the best cosine of anything else (``cos_margin``) is a decision feature. Without the embedding
model (or above ``INNOV_SEMANTIC_MAX_PASSAGES``) every cosine is 0: lexical-only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache, partial

import numpy as np

from knowledge.answering.candidate import Candidate, FactRef, ListRef, WindowRef
from knowledge.answering.question import Question
from knowledge.embedding import Embedder, EmbeddingUnavailable
from knowledge.models import Fact
from knowledge.passages import PassageStore
from knowledge.semantic import (
    DenseHits,
    DenseIndex,
    UnitVectors,
    build_vectors,
    dense_fits,
    quoted_segments,
    semantic_state,
)

# Passages holding the best sentences by meaning, and the facts nearest in meaning, join the lexical ones.
DENSE_PASSAGES = 8
DENSE_FACTS = 5


class Meaning:
    """The question's cosines with the knowledge base's sentences and facts (None when lexical-only)."""

    def __init__(
        self,
        passages: PassageStore,
        facts: Sequence[Fact],
        seg_ptr: np.ndarray,
        embedder: Embedder | None,
        vectors: UnitVectors | None,
    ) -> None:
        """``vectors`` are the units' embeddings (a saved index's), embedded here when not given."""
        self.embedder = embedder
        self.vectors = vectors
        self._passages = passages
        self.index: DenseIndex | None = None
        if embedder is not None and vectors is None and dense_fits(len(passages)):
            self.vectors = build_vectors(passages, facts, embedder)
        if embedder is not None and self.vectors is not None:
            self.index = DenseIndex(self.vectors, seg_ptr, DENSE_PASSAGES, DENSE_FACTS)
        # What /healthz, `innov check` and the console say about meaning here.
        self.state = semantic_state(self.vectors if self.index else None, embedder, len(passages))
        # The sentences each fact quotes, and the facts quoting each sentence: they say one thing.
        self.fact_segments = quoted_segments(passages, facts)
        self._seg_ptr = seg_ptr
        self.segment_facts: dict[int, set[int]] = {}
        for number, segments in enumerate(self.fact_segments):
            for segment in segments:
                self.segment_facts.setdefault(segment, set()).add(number)
        self.hits = lru_cache(maxsize=4)(self._search)

    def _search(self, meaning: str, article: str | None) -> DenseHits | None:
        """The dense channel's cosines for the question's meaning (None when lexical-only)."""
        if self.index is None or self.embedder is None or not meaning:
            return None
        within = None
        if article is not None:
            within = self._passages.article == self._passages.article_ids.index(article)
        try:
            vector = self.embedder.encode_one(meaning)
        except EmbeddingUnavailable:
            return None  # a process that does not run the model (a forking master's warm-up): words only
        return self.index.search(vector, within)

    def of(self, q: Question) -> DenseHits | None:
        """The question's cosines (the last few questions' are remembered)."""
        return self.hits(q.meaning, q.article)

    def fact(self, hits: DenseHits | None, fact: int) -> float:
        """A fact's cosine with the question."""
        return float(hits.facts[fact]) if hits is not None else 0.0

    def windows(self, hits: DenseHits | None) -> Callable[[int, int, int], float]:
        """A passage window's cosine with the question: (passage, first sentence, end) -> cosine."""
        return partial(self.index.window, hits) if hits and self.index else _no_cosine

    def passages_best(self, hits: DenseHits | None, docs: Sequence[int]) -> float:
        """The best cosine of any sentence of the passages ``docs`` (a list's)."""
        if not hits or not self.index:
            return 0.0
        return max((self.index.passage_best(hits, d) for d in docs), default=0.0)

    def quoting(self, first_segment: int, segments: range) -> set[int]:
        """The facts quoting any of a passage's sentences ``segments`` (numbered from the passage's first
        sentence, at segment ``first_segment``)."""
        return {f for s in segments for f in self.segment_facts.get(first_segment + s, ())}

    def quoted_sentence(self, fact: int) -> tuple[int, int] | None:
        """The passage and sentence number of the one sentence a fact quotes (None when it quotes none, or
        several: a heading, or the same words twice)."""
        segments = self.fact_segments[fact]
        if len(segments) != 1:
            return None
        (segment,) = segments
        doc = int(np.searchsorted(self._seg_ptr, segment, side="right")) - 1
        sentence = segment - int(self._seg_ptr[doc]) - 1  # (segment seg_ptr[doc] is the heading)
        return (doc, sentence) if sentence >= 0 else None

    def cos_margin(self, q: Question, best: Candidate, list_docs: Callable[[int], Sequence[int]]) -> float:
        """How clearly the best candidate is what the question means: its cosine over the best cosine of any
        other sentence or fact of the knowledge base (0 when lexical-only)."""
        hits = self.of(q)
        if hits is None or self.index is None:
            return 0.0
        ref = best.ref
        own: range | frozenset[int]
        if isinstance(ref, FactRef):
            own, facts = self.fact_segments[ref.fact], frozenset((ref.fact,))
        else:
            if isinstance(ref, ListRef):
                docs = list_docs(ref.number)
                own = range(int(self.index.seg_ptr[docs[0]]), int(self.index.seg_ptr[docs[-1] + 1]))
            elif isinstance(ref, WindowRef):
                own = self.index.segments_of(ref.passage, ref.start, ref.end)
            else:
                return 0.0  # (a look-up is never weighed)
            facts = frozenset(f for s in own for f in self.segment_facts.get(s, ()))
        return best.features.get("cosine", 0.0) - self.index.nearest_other(hits, own, facts)


def _no_cosine(doc: int, start: int, end: int) -> float:
    """Lexical-only: every window's cosine is 0."""
    return 0.0
