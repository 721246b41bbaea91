"""The answer composer: facts first, then the best one or two sentences of the best passage, else 'none'.

Confidence is not a raw BM25 score (those grow with question length and corpus size). It is the share
of the question's meaning, weighted by IDF, that the candidate answer actually speaks to: 1.0 when every
content word of the question is in the answer, lower as words go unmatched. On top of that, names are
hard constraints: a question that names something (a country, a company, a person) is only answered by
text that names it too, so "Where does Canada rank in the GII?" never gets China's rank.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from knowledge.errors import QuestionError
from knowledge.index import BM25Index
from knowledge.models import Answer, Article, Fact, Passage, Source
from knowledge.passages import PassageParts, build_passage_parts
from knowledge.text import STOP_WORDS, normalise, stem, tokenize, words

MAX_ANSWER_CHARS = 300
MAX_QUESTION_CHARS = 2000
FACT_MIN_CONFIDENCE = 0.6
PASSAGE_MIN_CONFIDENCE = 0.75
# A fact is preferred to a passage unless the passage speaks to clearly more of the question.
FACT_PREFERENCE = 0.15
TOP_PASSAGES = 8
TOP_FACTS = 5
RANK_TERM = stem(
    "rank"
)  # "rank", "ranking", "position", "place", ... (synonyms fold onto it)  # passages whose sentence tokens are kept between questions
TITLE_WEIGHT = 0.5
# A lower-case word the corpus never uses ("put", "people") weighs as much as a middling corpus word:
# it may be phrasing, not subject. A capitalised one is a name the corpus does not know: no answer.
# A question typed all in lower case gives no such hint, so there every unknown word weighs in full.
OOV_WEIGHT = 0.5

NOT_FOUND = "I couldn't find that in the knowledge base."

_CAPITALISED_RE = re.compile(r"[A-Z][\w'’&.-]*")
# "What year ...", "which date ...": the word names the kind of answer wanted, not its subject.
_ANSWER_TYPE_RE = re.compile(
    r"\b(what|which|in what|in which)\s+(year|date|month|day|time|percentage)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Question:
    """A question reduced to what matching needs: its terms, their weights and the names it uses."""

    text: str
    terms: tuple[str, ...]
    weights: Mapping[str, float]
    names: frozenset[str]
    unknown_names: frozenset[str]

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def coverage(self, tokens: set[str] | frozenset[str], partial: frozenset[str] = frozenset()) -> float:
        """IDF-weighted share of the question's terms found in ``tokens`` (``partial`` ones count half)."""
        if not self.weights:
            return 0.0
        got = sum(
            w if t in tokens else w * TITLE_WEIGHT
            for t, w in self.weights.items()
            if t in tokens or t in partial
        )
        return got / self.total


@dataclass(frozen=True, slots=True)
class _Choice:
    kind: str
    text: str
    sources: tuple[Source, ...]
    confidence: float
    fact_id: str | None = None


class Composer:
    """Answers questions from one loaded set of articles, passages and facts (immutable once built)."""

    def __init__(
        self,
        articles: Mapping[str, Article],
        passages: Sequence[Passage],
        facts: Sequence[Fact],
        version: str,
        *,
        parts: PassageParts | None = None,
    ) -> None:
        # The passage side (index, sentence terms, names) is built once, or given from a saved index.
        parts = parts if parts is not None else build_passage_parts(articles, passages)
        self.version = version
        self.articles = articles
        self.passages: Sequence[Passage] = parts.passages
        self.facts = tuple(facts)
        self.passage_index: BM25Index = parts.index
        # Each sentence's terms were computed at build time: no tokenizing of passages per question.
        self._sentence_tokens = parts.sentences.tokens
        self._title_tokens = {aid: frozenset(tokenize(a.title)) for aid, a in articles.items()}
        fact_tokens = [tokenize(" ".join((f.answer, f.value, *f.topics))) for f in self.facts]
        self._fact_token_sets = [frozenset(t) for t in fact_tokens]
        self.fact_index = BM25Index(fact_tokens) if self.facts else None
        self.vocabulary = frozenset(parts.index.vocabulary).union(*fact_tokens)
        self.names, self.subject_terms = parts.names, parts.subject_terms

    @classmethod
    def from_parts(
        cls, articles: Mapping[str, Article], facts: Sequence[Fact], version: str, parts: PassageParts
    ) -> Composer:
        """A composer over prebuilt passage parts (a saved index): only the small fact index is built."""
        return cls(articles, parts.passages, facts, version, parts=parts)

    # -- question analysis -------------------------------------------------------------------------

    def analyse(self, question: str) -> Question:
        """Terms of the question with their IDF weights, and the names it mentions."""
        terms = tuple(dict.fromkeys(tokenize(_ANSWER_TYPE_RE.sub(r"\1", question))))
        oov = self.passage_index.unseen_idf * (OOV_WEIGHT if question != question.lower() else 1.0)
        weights = {t: self._idf(t) if t in self.vocabulary else oov for t in terms}
        names = {t for t in terms if t in self.names and t not in self.subject_terms}
        unknown = set()
        for word in _CAPITALISED_RE.findall(normalise(question)):
            lowered = word.lower().rstrip(".")
            for part in words(lowered):
                if part in STOP_WORDS:
                    continue
                term = stem(part)
                if term not in self.vocabulary:
                    unknown.add(term)
        return Question(question, terms, weights, frozenset(names), frozenset(unknown))

    def _idf(self, term: str) -> float:
        # Terms known only to the fact table weigh as much as the rarest passage term.
        return self.passage_index.idf.get(term, self.passage_index.unseen_idf)

    # -- answering -----------------------------------------------------------------------------

    def answer(self, question: str) -> Answer:
        """One to three sentences with their sources, or an honest 'not in the knowledge base'.

        Raises ``QuestionError`` for a question that cannot be taken as it is (see ``check_question``).
        """
        question = check_question(question)
        q = self.analyse(question)
        if not q.terms or q.unknown_names:
            return self._none(question, 0.0)
        fact = self._best_fact(q)
        passage = self._best_passage(q)
        choice: _Choice | None = None
        if (
            fact is not None
            and fact.confidence >= FACT_MIN_CONFIDENCE
            and (passage is None or fact.confidence >= passage.confidence - FACT_PREFERENCE)
        ):
            choice = fact
        elif passage is not None and passage.confidence >= PASSAGE_MIN_CONFIDENCE:
            choice = passage
        if choice is None:
            best = max((c.confidence for c in (fact, passage) if c is not None), default=0.0)
            return self._none(question, best)
        return Answer(
            question=question,
            kind=choice.kind,  # type: ignore[arg-type]
            text=choice.text,
            sources=choice.sources,
            score=min(1.0, choice.confidence),
            kb_version=self.version,
            fact_id=choice.fact_id,
        )

    def _none(self, question: str, confidence: float) -> Answer:
        return Answer(
            question=question, kind="none", text=NOT_FOUND, score=confidence, kb_version=self.version
        )

    def _best_fact(self, q: Question) -> _Choice | None:
        if self.fact_index is None:
            return None
        asks_rank = RANK_TERM in q.terms
        best: tuple[float, bool, float, int] | None = None
        for hit in self.fact_index.retrieve(q.terms, TOP_FACTS):
            tokens = self._fact_token_sets[hit.doc]
            if not q.names <= tokens:
                continue
            # Between equally good matches, a ranking answers "where does it rank" and a figure
            # answers everything else ("What's China's R&D budget?" wants the amount, not the rank).
            fits = (self.facts[hit.doc].unit == "rank") == asks_rank
            key = (q.coverage(tokens), fits, hit.score, -hit.doc)
            if best is None or key > best:
                best = key
        if best is None:
            return None
        confidence, _, _, negative_doc = best
        fact = self.facts[-negative_doc]
        sources = [self.source_of(fact)]
        # The same figure stated by another article is cited too.
        for other in self.facts:
            if (
                other.id != fact.id
                and other.value == fact.value
                and other.source != fact.source
                and q.coverage(self._fact_token_sets[self.facts.index(other)]) >= confidence - 1e-9
            ):
                sources.append(self.source_of(other))
        return _Choice("fact", fact.answer, tuple(sources), confidence, fact.id)

    def _best_passage(self, q: Question) -> _Choice | None:
        hits = self.passage_index.retrieve(q.terms, TOP_PASSAGES)
        if not hits:
            return None
        top_score = hits[0].score
        terms = frozenset(q.terms)
        best: tuple[float, float, int, int, int] | None = None
        for hit in hits:
            passage = self.passages[hit.doc]
            # Only the question's terms matter below (coverage, names): fetch just those.
            heading, sentences = self._sentence_tokens(hit.doc, terms)
            title = self._title_tokens.get(passage.article_id, frozenset())
            # No window can cover more than the whole passage: skip a passage that cannot win.
            bound = q.coverage(heading.union(*sentences), partial=title) + 0.05 * hit.score / top_score
            if best is not None and bound <= best[0]:
                continue
            for start in range(len(sentences)):
                for end in (start + 1, start + 2):
                    if end > len(sentences):
                        break
                    tokens = frozenset().union(*sentences[start:end]) | heading
                    if not q.names <= tokens | title:
                        continue
                    length = sum(len(s) for s in passage.sentences[start:end])
                    if end - start == 2 and length > MAX_ANSWER_CHARS:
                        continue
                    coverage = q.coverage(tokens, partial=title)
                    # A second sentence must earn its place by covering clearly more of the question.
                    penalty = 0.1 * (end - start - 1)
                    key = (coverage - penalty + 0.05 * hit.score / top_score, coverage, hit.doc, start, end)
                    if best is None or key[0] > best[0]:
                        best = key
        if best is None:
            return None
        _, coverage, doc, start, end = best
        passage = self.passages[doc]
        text = _clip(" ".join(passage.sentences[start:end]))
        article = self.articles[passage.article_id]
        return _Choice("passage", text, (article.source(quote=text),), coverage)

    # -- fact views ---------------------------------------------------------------------------

    def source_of(self, fact: Fact) -> Source:
        """The fact's article as a citation, with the fact's verbatim quote."""
        return self.articles[fact.source].source(quote=fact.quote)

    def find_facts(self, topic: str | None) -> list[Fact]:
        """Facts about ``topic`` (best match first), or every fact when no topic is given."""
        if not topic or not topic.strip():
            return list(self.facts)
        if self.fact_index is None:
            return []
        q = self.analyse(topic)
        hits = self.fact_index.retrieve(q.terms, len(self.facts))
        return [
            self.facts[h.doc]
            for h in hits
            if q.coverage(self._fact_token_sets[h.doc]) >= 0.5 and q.names <= self._fact_token_sets[h.doc]
        ]


def check_question(question: str) -> str:
    """The question with surrounding space removed; ``QuestionError`` if it is empty, binary or too long."""
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty: ask something, e.g. 'What is China's GII rank?'")
    if "\x00" in text or sum(1 for c in text if ord(c) < 32 and c not in "\t\n\r") > 0 or "\ufffd" in text:
        raise QuestionError("the question contains binary data or control characters: ask in plain text")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is too long ({len(text):,} characters): ask in at most {MAX_QUESTION_CHARS:,}"
        )
    return text


def _clip(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
