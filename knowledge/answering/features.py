"""Describing a candidate: what it matches of the question, and its ranking features and score.

The ranking features (``knowledge.decide.RankFeatures``) are built in one place, ``rank_features``, for a
fact, a list and a passage window alike; the score is their dot product with the ranker's weights. The
question's own features (``question_features``) go with every candidate; the decision's (margin,
missed_max, cos_margin) are added to the best one only (``decide``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from functools import cached_property

from knowledge.answering.answer_types import TermKinds, TextTraits, adds, answer_types
from knowledge.answering.candidate import Candidate, FactRef, ListRef, Ref, WindowRef
from knowledge.answering.intents import type_fit
from knowledge.answering.lists import continuing_sentences
from knowledge.answering.pruning import Ceiling
from knowledge.answering.question import Question
from knowledge.decide import RankFeatures
from knowledge.passages import SentenceTable
from knowledge.windows import ORDINAL_KIND, PLACE_KIND, RANK_KIND, Lookup, Window, WindowReader

_EMPTY: frozenset[str] = frozenset()
# What a window holding the same question terms matches (``Describer.window``): coverage, matched share and
# missing constraints, and their weighted sum; one entry per distinct (tokens, title, any edition).
Matches = dict[tuple[frozenset[str], frozenset[str], bool], tuple[tuple[float, float, float], float]]


def question_features(q: Question) -> dict[str, float]:
    """The decision features every candidate of ``q`` shares: what the question itself is like."""
    return {
        "unknown_share": len(q.unknown) / max(1, len(q.terms)),
        "unknown_name": float(q.unknown_name),
        "content_terms": math.log1p(len(q.weights)),
        "type_asked": float(q.wants is not None),
        "entities": float(len(q.entities) + len(q.names)),
    }


def match(
    q: Question,
    tokens: frozenset[str],
    years: frozenset[str],
    ordinals: frozenset[str],
    any_ordinal: bool,
    partial: frozenset[str],
) -> tuple[float, float, float]:
    """Coverage and matched share of the question's terms in a text holding ``tokens`` (``partial``: its
    title's), and the question's years, editions and abbreviation phrases it lacks (``constraint_missing``)."""
    missing = 0.0
    for year in q.years:
        if year not in years:
            missing += 1.0
    for ordinal in q.ordinals:
        if ordinal not in ordinals:
            missing += 1.0 if any_ordinal else 0.5
    for phrase in q.phrases:
        if phrase & tokens and not phrase <= tokens | partial:
            missing += 1.0  # part of what an abbreviation stands for: another thing
    coverage, matched = q.match(tokens, partial)
    return coverage, matched, missing


def rank_features(
    matched: tuple[float, float, float],
    type_ok: float,
    *,
    is_fact: bool,
    bm25: float,
    two_sentences: float,
    log_length: float,
    cosine: float,
) -> RankFeatures:
    """The one place ranking features are built: ``matched`` is ``match``'s (coverage, matched share,
    missing constraints)."""
    coverage, share, missing = matched
    # (In the order of ``RankFeatures``' fields, which ``tests/knowledge/test_features.py`` checks by name;
    # made as the tuple it is, a quarter of the cost of naming each field, for every window that may answer.)
    values = (coverage, share, type_ok, missing, float(is_fact), bm25, two_sentences, log_length, cosine)
    return tuple.__new__(RankFeatures, values)


class Describer:
    """Describes candidates for questions over one knowledge base, with one ranker's weights."""

    def __init__(
        self, weights: RankFeatures, windows: WindowReader, table: SentenceTable, kinds: TermKinds
    ) -> None:
        self.weights = weights
        self.ceiling = Ceiling(weights)
        self.windows = windows
        self.kinds = kinds
        self._table = table

    def with_weights(self, weights: RankFeatures) -> Describer:
        """The same describer with other ranking weights (what the ceiling tests weigh with)."""
        return Describer(weights, self.windows, self._table, self.kinds)

    @cached_property
    def continuing(self) -> frozenset[tuple[int, int]]:
        """(passage, sentence) of every sentence that goes on with the one before (read once, when needed)."""
        return continuing_sentences(self._table)

    def score(self, values: RankFeatures) -> float:
        """A candidate's ranking score: its features weighed (summed in ``RANK_FEATURES`` order)."""
        return sum(map(operator.mul, self.weights, values))

    def lookup(self, q: Question) -> Lookup:
        """What the windows must report for ``q``: its terms, names, places, years and editions by term
        id, and the kind of term (``Question.adds``) a window must add beyond the question's own."""
        get_id = self.windows.sentences.vocabulary.get_id
        words = {*q.weights, *q.names, *q.years, *q.ordinals}.union(*q.entities, *q.phrases)
        wanted = {term_id: t for t in words if (term_id := get_id(t)) >= 0}
        kind = q.adds
        # (A share is wanted whether or not the question says "percent" itself.)
        own = (
            frozenset(term_id for t in q.weights if (term_id := get_id(t)) >= 0)
            if kind and not q.share
            else frozenset()
        )
        return Lookup(wanted, kind, own, self.windows.own_adds(own, kind))

    def adds(self, q: Question, tokens: frozenset[str]) -> bool:
        """Whether ``tokens`` hold a term of the kind ``q`` asks for that ``q`` lacks (``answer_types.adds``)."""
        return adds(q, self.kinds.of(tokens))

    def fact(
        self,
        q: Question,
        ref: FactRef,
        traits: TextTraits,
        bm25: float,
        base: Mapping[str, float],
        cosine: float,
    ) -> Candidate:
        """A fact as a candidate for ``q`` (``bm25`` relative to the best fact retrieved)."""
        return self._text(q, "fact", ref, traits, _EMPTY, bm25, base, cosine)

    def list(
        self,
        q: Question,
        ref: ListRef,
        traits: TextTraits,
        title: frozenset[str],
        bm25: float,
        base: Mapping[str, float],
        cosine: float,
    ) -> Candidate:
        """An article's list as a candidate for ``q``, its article's ``title`` counting half."""
        return self._text(q, "passage", ref, traits, title, bm25, base, cosine)

    def _text(
        self,
        q: Question,
        kind: str,
        ref: Ref,
        traits: TextTraits,
        partial: frozenset[str],
        bm25: float,
        base: Mapping[str, float],
        cosine: float,
    ) -> Candidate:
        """A fact or a list as a candidate: its traits were read once, with the knowledge base."""
        types = traits.types | {"number"} if q.repeats and "count" in traits.types else traits.types
        type_ok = type_fit(q.intent, types) if adds(q, traits.kinds) else 0.0
        matched = match(q, traits.tokens, traits.years, traits.ordinals, bool(traits.ordinals), partial)
        values = rank_features(
            matched,
            type_ok,
            is_fact=kind == "fact",
            bm25=bm25,
            two_sentences=0.0,  # (one text)
            log_length=traits.log_length,
            cosine=cosine,
        )
        # The feature mapping is built lazily (``Candidate.described``): only the best one is described.
        return Candidate(kind, "", (), base, self.score(values), None, ref, values)

    def window(
        self,
        q: Question,
        doc: int,
        window: Window,
        partial: frozenset[str],
        bm25: float,
        base: Mapping[str, float],
        matches: Matches,
        at_least: float = -math.inf,
        cosine: float = 0.0,
    ) -> Candidate | None:
        """A passage window as a candidate for ``q``, or None when its score is below ``at_least``.

        Its tokens are the question's terms it holds, and so are its years and editions (each question
        year or edition is a term of the window when it has it). ``matches`` remembers, for one question,
        what windows holding the same terms match (see ``Matches``). A window that cannot reach
        ``at_least`` is left before its other features are read (most windows are not kept).
        """
        tokens, kinds = window.tokens, window.kinds
        any_ordinal = bool(kinds & ORDINAL_KIND)
        key = (tokens, partial, any_ordinal)
        known = matches.get(key)
        ceiling = self.ceiling
        if known is None:
            matched = match(q, tokens, tokens, tokens, any_ordinal, partial)
            coverage, share, missing = matched
            matching = ceiling.coverage * coverage + ceiling.matched * share + ceiling.missing * missing
            known = matches[key] = (matched, matching)
        # What the matching features give, with the type, two-sentence and length features at their best
        # (the ceiling's ``fixed``): a window that cannot reach ``at_least`` even so is left here.
        if known[1] + bm25 * ceiling.bm25 + ceiling.fixed < at_least:
            return None
        if window.adds:
            types = answer_types(window.flags, bool(kinds & RANK_KIND), bool(kinds & PLACE_KIND))
            type_ok = type_fit(q.intent, types)
        else:
            type_ok = 0.0
        # ``two_sentences``: 1 for two sentences, which must earn their place, unless the second goes on
        # with the first ("... faces challenges. These include ..."): then they are one statement (0), and
        # the first alone, which stops before what it announces, counts as 1.
        start, end = window.start, window.end
        if end - start == 2:
            two_sentences = 0.0 if (doc, start + 1) in self.continuing else 1.0
        else:
            two_sentences = 1.0 if (doc, end) in self.continuing else 0.0
        values = rank_features(
            known[0],
            type_ok,
            is_fact=False,
            bm25=bm25,
            two_sentences=two_sentences,
            log_length=math.log1p(window.length),
            cosine=cosine,
        )
        score = sum(map(operator.mul, self.weights, values))  # (``score``, inline: most windows come here)
        if score < at_least:
            return None
        # (Positional: a third cheaper than by name, for every window that may answer.)
        return Candidate("passage", "", (), base, score, None, WindowRef(doc, start, end), values)
