"""Speed only: facts and passages that cannot hold the best candidate or the runner-up are not described.

The decision reads two candidates: the best and the best one saying something else (the runner-up, for
the margin). ``Ceiling`` bounds the score any window of a passage (or a fact) can reach; ``Floor`` is the
score two candidates that cannot say the same thing both reach; ``best_first`` reads facts and passages
highest ceiling first while their ceiling reaches the floor. What is skipped is neither the best candidate
nor that runner-up (``tests/knowledge/test_windows.py``), and every QA question is decided the same with
pruning on and off but four (``tests/knowledge/test_pruning.py``), where a fact quoting the best window
takes its place and the runner-up is then one the floor does not keep.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterator, Sequence

from knowledge.answering.answer_types import TextTraits
from knowledge.answering.candidate import Candidate, group
from knowledge.answering.question import Question
from knowledge.decide import RankFeatures
from knowledge.index import Hit

# The ranking features ``Ceiling`` bounds.
BOUNDED_FEATURES = frozenset(
    (
        "coverage",
        "matched_share",
        "type_ok",
        "constraint_missing",
        "is_fact",
        "bm25",
        "two_sentences",
        "length",
        "cosine",
    )
)


class Ceiling:
    """The highest ranking score any window of a passage, or a fact, can get for a question (one per
    composer).

    Each ranking feature is bounded (a window holds at most the passage's terms; a year or edition the
    passage lacks is missing from all its windows) and weighed at whichever bound its weight favours.
    A little is added so that rounding never makes the ceiling lower than a real score. A ranking
    feature not bounded here (a new one) makes the ceiling infinite: nothing is skipped.
    """

    def __init__(self, weights: RankFeatures) -> None:
        self.coverage, self.matched = weights.coverage, weights.matched_share
        self.missing, self.bm25 = weights.constraint_missing, weights.bm25
        # What a window's type, two-sentence and length features add at most (a window has no fact
        # bonus), plus a little so that rounding never puts a bound below a real score; infinite when a
        # longer window scores higher or a ranking feature is not bounded here (a new one).
        # (A cosine is at most 1.)
        self.fixed = (
            max(0.0, weights.type_ok)
            + max(0.0, weights.two_sentences)
            + max(0.0, weights.cosine)
            + (math.inf if weights.length > 0 or unbounded(weights) else 0.0)
            + 1e-9
        )
        # What a fact's type, fact and length features add at most, its length aside (a fact is one text:
        # no two sentences).
        self.fact_fixed = (
            max(0.0, weights.type_ok)
            + weights.is_fact
            + max(0.0, weights.cosine)
            + (math.inf if unbounded(weights) else 0.0)
            + 1e-9
        )
        self.length = weights.length

    def loose(self, q: Question, bm25: float) -> float:
        """A ceiling for a passage of retrieval score ``bm25`` holding every question term (no look-up)."""
        return self.fixed + self.most(q) + self.bm25 * bm25

    def fact(self, q: Question, bm25: float, log_length: float) -> float:
        """A ceiling for a fact of retrieval score ``bm25`` holding every question term (no look-up)."""
        return self.fact_fixed + self.length * log_length + self.most(q) + self.bm25 * bm25

    def most(self, q: Question) -> float:
        """The most a text holding every question term gets from its matching features for ``q``."""
        return max(0.0, self.coverage) + max(0.0, self.matched) + max(0.0, self.missing * q.most_missing)

    def __call__(self, q: Question, held: frozenset[str], partial: frozenset[str], bm25: float) -> float:
        """The ceiling of a passage holding the question terms ``held``, with ``partial`` its title's."""
        coverage, matched = q.match(held, partial)
        lacking = 0.0
        if q.years or q.ordinals:
            lacking = sum(1.0 for y in q.years if y not in held) + sum(
                0.5 for o in q.ordinals if o not in held
            )
        return (
            self.fixed
            + max(0.0, self.coverage * coverage)
            + max(0.0, self.matched * matched)
            + max(self.missing * lacking, self.missing * q.most_missing)
            + self.bm25 * bm25
        )


def unbounded(weights: RankFeatures) -> bool:
    """Whether a ranking feature ``Ceiling`` does not bound has a weight (a new one): nothing is skipped."""
    return any(w for f, w in weights._asdict().items() if f not in BOUNDED_FEATURES)


class Floor:
    """The score two candidates that cannot say the same thing both reach (``-inf`` until there are two).

    A candidate scoring below it is neither the best nor the runner-up (which say different things).
    Candidates of one fact, passage or list may say the same thing; those of two never do.
    """

    def __init__(self) -> None:
        self._first: tuple[float, tuple[type, int] | None] = (-math.inf, None)
        self.second = -math.inf

    def add(self, candidate: Candidate) -> None:
        score, source = candidate.rank_score, group(candidate.ref)
        best, best_source = self._first
        if source == best_source:
            self._first = (max(best, score), source)
        elif score > best:
            self._first, self.second = (score, source), best
        elif score > self.second:
            self.second = score


def best_first(
    q: Question,
    facts: Sequence[tuple[int, TextTraits, float]],
    hits: Sequence[Hit],
    passages: Sequence[tuple[frozenset[str], float]],
    floor: Floor | None,
    ceiling: Ceiling,
    terms_of: Callable[[int], frozenset[str]],
) -> Iterator[tuple[bool, int]]:
    """(is a passage, its rank) of the facts to describe and the passages whose windows to read, the
    highest ``Ceiling`` first, while it reaches the floor (all of them, facts first, without one).

    A fact's ceiling is read from its retrieval score alone. A passage starts at its loose ceiling
    (every question term held: no look-up) and gets its exact one (its terms read: ``terms_of(doc)``)
    when that comes to the top; it is read when its exact ceiling comes to the top, or at once while there
    is no floor yet (fewer than two candidates that cannot say the same thing). The floor rises as
    candidates are found, so what is still below it is never looked up. (Which are read changes nothing
    decided: a candidate below the floor at any time is neither the best nor the runner-up.)
    """
    if floor is None:
        yield from ((False, rank) for rank in range(len(facts)))
        yield from ((True, rank) for rank in range(len(hits)))
        return
    # (-ceiling, loose?, is a passage, rank): at equal ceilings, exact ones first, facts first.
    heap = [
        (-ceiling.fact(q, bm25, traits.log_length), 0, 0, rank)
        for rank, (_, traits, bm25) in enumerate(facts)
    ]
    heap += [(-ceiling.loose(q, bm25), 1, 1, rank) for rank, (_, bm25) in enumerate(passages)]
    heapq.heapify(heap)
    while heap:
        bound, loose, is_passage, rank = heapq.heappop(heap)
        if -bound < floor.second:
            return
        # (Below two candidates' worth of floor, every ceiling reaches it: read without looking up.)
        if loose and floor.second > -math.inf:
            title, bm25 = passages[rank]
            held = terms_of(hits[rank].doc)
            heapq.heappush(heap, (-ceiling(q, held, title, bm25), 0, 1, rank))
        else:
            yield bool(is_passage), rank
