"""Stage 2: the candidates for a question: facts, passage windows and lists, lexical and dense.

BM25 retrieves facts and passages; the dense channel (``dense``) adds the passages and facts nearest the
question in meaning. Every agreeing fact, every one- or two-sentence window of a retrieved passage that
holds a question term (or comes near it in meaning), and for a list question every agreeing list, is a
candidate, and they compete in one ranking. Candidates are light (no text, no sources: ``render``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property

from knowledge.answering.answer_types import TextTraits
from knowledge.answering.candidate import Candidate, FactRef, ListRef, WindowRef
from knowledge.answering.dense import Meaning
from knowledge.answering.fact_table import FactTable
from knowledge.answering.features import Describer, Matches, question_features
from knowledge.answering.lists import ArticleList, announcing_sentences
from knowledge.answering.pruning import Floor, best_first
from knowledge.answering.question import Question
from knowledge.index import BM25Index, Hit
from knowledge.passages import PassageStore
from knowledge.semantic import DenseHits
from knowledge.text import tokenize
from knowledge.windows import Lookup, WindowReader

TOP_PASSAGES = 8
# A window that shares no question word is a candidate when this close in meaning.
DENSE_WINDOW_MIN = 0.3
_EMPTY: frozenset[str] = frozenset()
_CAPITALISED_RE = re.compile(r"\b[A-Z][\w'’-]*")


class CandidateFinder:
    """Finds and describes the candidates for questions over one knowledge base."""

    def __init__(
        self,
        facts: FactTable,
        passages: PassageStore,
        index: BM25Index,
        titles: Mapping[str, frozenset[str]],
        lists: Callable[[], tuple[ArticleList, ...]],
        meaning: Meaning,
        describer: Describer,
    ) -> None:
        """``titles`` are each article's title terms; ``lists()`` the articles' lists (read when first asked)."""
        self.facts = facts
        self.passages = passages
        self.index = index
        self.titles = titles
        self.lists = lists
        self.meaning = meaning
        self.describer = describer

    @property
    def windows(self) -> WindowReader:
        """The passages' sentence windows (``knowledge.windows``)."""
        return self.describer.windows

    @cached_property
    def announcing(self) -> frozenset[tuple[int, int]]:
        """(passage, sentence) of every sentence ending in a colon (``lists.announcing_sentences``): read
        once, when first needed."""
        return announcing_sentences(self.passages, self.windows.sentences)

    def list_docs(self, number: int) -> tuple[int, ...]:
        """The passages of list ``number`` (``ListRef.number``)."""
        return self.lists()[number].docs

    def tokens_of(self, candidate: Candidate, wanted: Iterable[str]) -> frozenset[str]:
        """Which of the ``wanted`` terms the candidate holds (a fact's or list's: all its terms), its article's
        title included."""
        ref = candidate.ref
        if isinstance(ref, FactRef):
            return self.facts.traits[ref.fact].tokens
        if isinstance(ref, ListRef):
            docs, _, traits = self.lists()[ref.number]
            return traits.tokens | self.titles.get(self.passages[docs[0]].article_id, _EMPTY)
        if isinstance(ref, WindowRef):
            title = self.titles.get(self.passages.article_id(ref.passage), _EMPTY)
            get_id = self.index.vocabulary.get_id
            lookup = Lookup({term_id: t for t in wanted if (term_id := get_id(t)) >= 0})
            return self.windows.window_terms(ref.passage, ref.start, ref.end, lookup) | title
        return _EMPTY  # (a look-up holds nothing to weigh)

    def places_in(self, text: str) -> frozenset[str]:
        """The places ``text`` names, as it capitalises them ("China", "Sweden"; not "partner cities" nor
        "the northern sea", whose words the gazetteer's place names also hold), the corpus's subject
        included."""
        names = " ".join(_CAPITALISED_RE.findall(text))
        return frozenset(tokenize(names)) & self.describer.kinds.place_terms if names else _EMPTY

    def find(
        self, q: Question, *, prune: bool = False, facts: list[tuple[int, TextTraits, float]] | None = None
    ) -> list[Candidate]:
        """Facts, passage windows and (for a list question) lists that agree with the question's named
        things, with their features; facts first, each kind in retrieval order.

        With ``prune``, a fact or passage none of whose candidates can be the best or the runner-up
        (``decide`` needs no other) is left out: see ``pruning``. ``facts`` are ``agreeing_facts(q, ...)``
        when the caller has them already.
        """
        dense = self.meaning.of(q)
        base = question_features(q)
        if facts is None:
            facts = self.agreeing_facts(q, dense)
        hits = self._passage_hits(q)
        top = hits[0].score if hits else 1.0
        if dense is not None:
            found = {hit.doc for hit in hits}
            hits = hits + _scored(self.index, q.terms, dense.top_passages, found)
        out = self._facts_and_windows(q, facts, hits, top, base, Floor() if prune else None, dense)
        if q.wants == "list":
            out += self._lists(q, {hit.doc: hit.score / top for hit in hits}, base, dense)
        return out

    def agreeing_facts(self, q: Question, dense: DenseHits | None) -> list[tuple[int, TextTraits, float]]:
        """(fact, traits, retrieval score relative to the best) of the facts retrieved that agree with ``q``;
        the facts nearest in meaning join the lexical ones (with their own BM25 score, maybe 0)."""
        table = self.facts
        if table.index is None:
            return []
        hits = table.hits(q.terms)
        top = hits[0].score if hits else 1.0
        found = {hit.doc for hit in hits}
        near = _scored(table.index, q.terms, dense.top_facts if dense else (), found)
        facts = []
        for hit in (*hits, *near):
            traits = table.traits[hit.doc]
            if q.article is not None and table.facts[hit.doc].source != q.article:
                continue
            if q.agrees(traits.tokens):
                facts.append((hit.doc, traits, hit.score / top))
        return facts

    def _passage_hits(self, q: Question) -> list[Hit]:
        """The best passages for the question, from the article it names when it names one."""
        if q.article is None:
            return self.index.retrieve(q.terms, TOP_PASSAGES)
        store = self.passages
        within = store.article == store.article_ids.index(q.article)
        return self.index.retrieve_within(q.terms, TOP_PASSAGES, within)

    def _facts_and_windows(
        self,
        q: Question,
        facts: Sequence[tuple[int, TextTraits, float]],
        hits: Sequence[Hit],
        top: float,
        base: Mapping[str, float],
        floor: Floor | None,
        dense: DenseHits | None,
    ) -> list[Candidate]:
        """The agreeing ``facts`` and the windows of the retrieved passages that hold a question term (or
        come near it in meaning) and agree with its names, facts first, each in retrieval order.

        With a ``floor`` (empty), a fact or passage whose ``Ceiling`` is below the floor the candidates
        found so far reach is skipped, and so is a window scoring below it (``best_first``).
        """
        describer, windows, meaning = self.describer, self.describer.windows, self.meaning
        continuing, announcing = describer.continuing, self.announcing
        window_cosine = meaning.windows(dense)
        terms = frozenset(q.weights)
        lookup = describer.lookup(q)
        matches: Matches = {}
        passages = [
            (self.titles.get(self.passages.article_id(hit.doc), _EMPTY), hit.score / top) for hit in hits
        ]
        found: list[tuple[int, int, int, Candidate]] = []  # (fact 0 or passage 1, rank, window, candidate)
        named = bool(q.unknown_name or q.names or q.entities)  # (else every window agrees)
        for is_passage, rank in best_first(
            q, facts, hits, passages, floor, describer.ceiling, lambda doc: windows.terms(doc, lookup)
        ):
            if not is_passage:
                fact, traits, bm25 = facts[rank]
                stated = describer.fact(q, FactRef(fact), traits, bm25, base, meaning.fact(dense, fact))
                found.append((0, rank, 0, stated))
                if floor is not None:
                    floor.add(stated)
                continue
            doc = hits[rank].doc
            title, bm25 = passages[rank]
            for position, window in enumerate(windows.windows(doc, lookup)):
                # A sentence announcing the next ("... faces challenges. These include ...", "... these
                # opportunities:") is no answer alone: it stops before what it announces.
                if window.end - window.start == 1 and (doc, window.end) in continuing:
                    continue
                # Nor one ending in a colon: what it announces follows ("... will shape its future:").
                if (doc, window.end - 1) in announcing:
                    continue
                cosine = window_cosine(doc, window.start, window.end)
                if terms.isdisjoint(window.tokens) and cosine < DENSE_WINDOW_MIN:
                    continue
                if named and not q.agrees(window.named | title):
                    continue
                # (Below the floor: neither the best nor the runner-up, and not built.)
                at_least = floor.second if floor else -math.inf
                candidate = describer.window(q, doc, window, title, bm25, base, matches, at_least, cosine)
                if candidate is not None:
                    found.append((1, rank, position, candidate))
                    if floor is not None:
                        floor.add(candidate)
        # In retrieval order, as they would be without skipping: equal scores rank the same.
        found.sort(key=lambda entry: entry[:3])
        return [candidate for *_, candidate in found]

    def _lists(
        self, q: Question, scores: Mapping[int, float], base: Mapping[str, float], dense: DenseHits | None
    ) -> list[Candidate]:
        """The lists agreeing with a list question (``scores``: the retrieved passages' relative BM25)."""
        terms = frozenset(q.weights)
        out = []
        for number, (docs, _, traits) in enumerate(self.lists()):
            article_id = self.passages.article_id(docs[0])
            if q.article is not None and article_id != q.article:
                continue
            title = self.titles.get(article_id, _EMPTY)
            if terms & traits.tokens and q.agrees(traits.named | title):
                bm25 = max((scores.get(d, 0.0) for d in docs), default=0.0)
                cosine = self.meaning.passages_best(dense, docs)
                out.append(self.describer.list(q, ListRef(number), traits, title, bm25, base, cosine))
        return out


def _scored(index: BM25Index, terms: Sequence[str], docs: Sequence[int], found: set[int]) -> list[Hit]:
    """``docs`` not already ``found``, as hits with their BM25 score for ``terms`` (0 when none match)."""
    new = [doc for doc in docs if doc not in found]
    return [Hit(doc, score) for doc, score in zip(new, index.score_of(terms, new), strict=True)]
