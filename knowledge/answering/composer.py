"""The answer composer: builds the stages once per knowledge base and runs a question through them.

    analyse (``analyse``) -> candidates (``candidates``) -> decide (``decide``, ``gates``) -> render (``render``)

Each stage hands the next a typed value: a ``Question``, ``Candidate``s, a ``Decision``, an ``Answer``.
Two questions skip the ranking: one about the article it names ("who published the X blog": its front
matter) and one asking what an abbreviation stands for, where an article writes it out (``expansion``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property, lru_cache

from knowledge.aliases import AliasTable, text_rules
from knowledge.answering import gates
from knowledge.answering.analyse import Analyser
from knowledge.answering.answer_types import TermKinds
from knowledge.answering.candidate import Candidate
from knowledge.answering.candidates import CandidateFinder
from knowledge.answering.decide import Decider
from knowledge.answering.decision import Decision
from knowledge.answering.dense import Meaning
from knowledge.answering.expansion import Expansion, spelled_out
from knowledge.answering.fact_table import FactTable
from knowledge.answering.features import Describer
from knowledge.answering.lists import ArticleList, find_lists
from knowledge.answering.question import Question, check_question
from knowledge.answering.render import MAX_ANSWER_CHARS, Renderer
from knowledge.decide import RANK_FEATURES, DecisionModel, RankFeatures, load_model
from knowledge.embedding import Embedder, default_embedder
from knowledge.entities import Gazetteer, gazetteer
from knowledge.models import Answer, Article, Fact, Passage, Source
from knowledge.normalise import Speller
from knowledge.passages import PassageParts, build_passage_parts
from knowledge.semantic import DenseIndex, UnitVectors
from knowledge.text import ALIASES
from knowledge.windows import WindowReader

# Questions answered once before a snapshot serves (a list, a typo, a number, a reason): see ``warm``.
WARM_UP = ("list the main challenges", "how many inovation hubs are there", "why does it matter")


class Composer:
    """Answers questions from one loaded set of articles, passages, facts and aliases (immutable once built).

    Everything here is derived from (articles, passages, facts, aliases), so a saved index can rebuild it.
    """

    def __init__(
        self,
        articles: Mapping[str, Article],
        passages: Sequence[Passage],
        facts: Sequence[Fact],
        version: str,
        aliases: AliasTable | None = None,
        model: DecisionModel | None = None,
        *,
        parts: PassageParts | None = None,
        places: Gazetteer | None = None,
        vectors: UnitVectors | None = None,
        embedder: Embedder | None | bool = True,
    ) -> None:
        """``vectors`` are the units' embeddings (a saved index's), embedded here when not given;
        ``embedder`` True means this process's (``knowledge.embedding``), None or False lexical-only."""
        self.version = version
        self.articles = articles
        # The gazetteer a saved index was built with, or this process's (loading its data takes ~0.6 s).
        self.places = places if places is not None else gazetteer()
        table = dict(ALIASES)
        table.update((aliases or AliasTable()).aliases)
        self.rules = rules = text_rules(aliases, self.places)
        # The passage side (index, sentence terms, names, surface words) is built once with these rules,
        # or given from a saved index: nothing here tokenizes a passage.
        self.parts = parts = parts if parts is not None else build_passage_parts(articles, passages, rules)
        self.passages = parts.passages
        self.passage_index = parts.index
        self.surface_words: Mapping[str, int] = parts.surface  # every word of the passages, as written
        # (With its as-of year: "China ranks 11th in the GII (2024)" states 2024.)
        fact_tokens = [
            rules.tokenize(" ".join((f.answer, f.value, *f.topics, str(f.as_of or "")))) for f in facts
        ]
        self.analyser = Analyser(articles, facts, fact_tokens, parts, rules, table, self.places)
        self.kinds = TermKinds(self.analyser.place_terms, parts.subject_terms, parts.names)
        self.fact_table = FactTable(facts, articles, fact_tokens, self.kinds)
        self.facts = self.fact_table.facts
        # Meaning: the dense channel, when the embedding model is here (else lexical-only).
        chosen: Embedder | None = default_embedder() if embedder is True else (embedder or None)
        self.meaning = Meaning(self.passages, self.facts, parts.sentences.seg_ptr, chosen, vectors)
        # Without meaning, the decision fitted without it (a model weighing cosines would decline everything).
        fitted = model or _default_model()
        self.model = fitted.lexical if self.dense is None and fitted.lexical is not None else fitted
        weights = RankFeatures(*(self.model.ranker.weights.get(f, 0.0) for f in RANK_FEATURES))
        self.windows = WindowReader(
            parts.sentences, self.kinds.array(parts.index.vocabulary), MAX_ANSWER_CHARS
        )
        self.titles = {aid: frozenset(rules.tokenize(a.title)) for aid, a in articles.items()}
        self.describer = Describer(weights, self.windows, parts.sentences, self.kinds)
        self.finder = CandidateFinder(
            self.fact_table,
            self.passages,
            self.passage_index,
            self.titles,
            lambda: self.lists,
            self.meaning,
            self.describer,
        )
        self.renderer = Renderer(version, articles, self.passages, self.fact_table, lambda: self.lists)
        self.decider = Decider(self.model, self.finder, rules, self.renderer.materialise)

    @classmethod
    def from_parts(
        cls,
        articles: Mapping[str, Article],
        facts: Sequence[Fact],
        version: str,
        parts: PassageParts,
        aliases: AliasTable | None = None,
        places: Gazetteer | None = None,
        vectors: UnitVectors | None = None,
    ) -> Composer:
        """A composer over prebuilt passage parts (a saved index): only the small fact side is built."""
        return cls(
            articles, parts.passages, facts, version, aliases, parts=parts, places=places, vectors=vectors
        )

    # -- what the rest of innov reads ------------------------------------------------------------

    @property
    def embedder(self) -> Embedder | None:
        """The embedding model answering here (None: lexical-only)."""
        return self.meaning.embedder

    @property
    def vectors(self) -> UnitVectors | None:
        """The sentences' and facts' embeddings (a saved index keeps them)."""
        return self.meaning.vectors

    @property
    def dense(self) -> DenseIndex | None:
        """The dense index, when meaning is on (``knowledge.semantic.DenseIndex``)."""
        return self.meaning.index

    @property
    def semantic(self) -> str:
        """What /healthz, `innov check` and the console say about meaning here."""
        return self.meaning.state

    @property
    def speller(self) -> Speller:
        """The speller questions are corrected with (``knowledge.normalise.Speller``)."""
        return self.analyser.speller

    @property
    def names(self) -> frozenset[str]:
        """The corpus's names (terms of capitalised words that are not sentence starts)."""
        return self.analyser.names

    @property
    def subject_terms(self) -> frozenset[str]:
        """The corpus's common subject (a place most articles are about)."""
        return self.analyser.subject_terms

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every term of the passages and facts."""
        return self.analyser.vocabulary

    @cached_property
    def lists(self) -> tuple[ArticleList, ...]:
        """The articles' lists (``lists.find_lists``), read when first needed."""
        return find_lists(self.passages, self.parts.sentences, self.rules.tokenize, self.kinds)

    def warm(self) -> None:
        """Pay now what the first questions would pay: the lists, the speller's tables, first-use caches.

        Called before a snapshot starts serving (and in the gunicorn master, before workers fork).
        """
        _ = self.lists, self.describer.continuing, self.finder.announcing
        for question in WARM_UP:
            self.answer(question)
        self.meaning.hits.cache_clear()  # (a forking master warms without meaning: remember none of it)

    # -- the stages ---------------------------------------------------------------------------

    def answer(self, question: str) -> Answer:
        """One to three sentences with their sources, or an honest 'none' with related facts.

        Raises ``QuestionError`` for a question that cannot be taken as it is (see ``check_question``).
        """
        return self.render(self.decide(check_question(question), judged=False))

    def analyse(self, question: str) -> Question:
        """Stage 1: the question cleaned, spelled, and reduced to weighted terms and constraints."""
        return self.analyser.analyse(question)

    def candidates(self, q: Question, *, prune: bool = False) -> list[Candidate]:
        """Stage 2: the facts, windows and lists agreeing with ``q``, with their features (no text yet)."""
        return self.finder.find(q, prune=prune)

    def decide(self, question: str, *, judged: bool = True, prune: bool = True) -> Decision:
        """Stages 1-3 for one question: the best candidate, its probability and whether to answer.

        With ``judged`` (for evaluation and explanations), the best candidate carries its text and sources
        even when it is declined; without, only when it is the answer (a decline shows neither).
        ``prune`` is speed only (``pruning``): the decision is the same without it.
        """
        q = self.analyse(question)
        if q.article is not None and q.about_article is not None:
            return self._about_article(q, q.article, q.about_article)
        if q.expansion_asked is None:
            return self.decider.decide(q, judged=judged, prune=prune)
        # The alias file's words for it, if it has them.
        words = self.analyser.expansions.get(q.expansion_asked.lower(), ())
        expansion = Expansion(q.expansion_asked, words)
        found = spelled_out(q, expansion, self.passage_index, self.passages, self.articles)
        if found is not None:
            return found
        # No article writes it out as such: a fact may ("AMNC 23 stands for ..."); any other text that
        # does not spell it out ("what does Kimi stand for" -> a sentence naming Kimi) is no answer.
        decision = self.decider.decide(q, judged=judged, prune=prune)
        if decision.answer and decision.best is not None and not expansion.spelled_in(decision.best.text):
            why = gates.unexpanded(q.expansion_asked)
            return Decision(q, decision.best, 0.0, False, self.related(q), why)
        return decision

    def render(self, decision: Decision) -> Answer:
        """Stage 4: the Answer the user sees."""
        return self.renderer.render(decision)

    def materialise(self, candidate: Candidate) -> Candidate:
        """The candidate with its text and sources (built only for the one shown or judged)."""
        return self.renderer.materialise(candidate)

    def related(self, q: Question) -> tuple[Fact, ...]:
        """Up to three facts near the question, offered when it is declined."""
        return self.fact_table.related(q)

    def _about_article(self, q: Question, article_id: str, wanted: str) -> Decision:
        """Who published the article the question names, or when: read from its front matter, so certain
        when the field is there (probability 1) and an honest "none" when it is not."""
        article = self.articles[article_id]
        known = article.publisher if wanted == "publisher" else article.published
        if known is None:
            return Decision(q, None, 0.0, False, self.related(q), gates.front_matter(wanted))
        by = f" by {article.publisher}" if article.publisher else ""
        on = f" on {article.published.isoformat()}" if article.published else ""
        text = f"“{article.title}” was published{by}{on}."
        # No features: nothing was ranked or weighed (``evaluate`` leaves it out of fitting).
        best = Candidate("fact", text, (article.source(),), {}, 0.0)
        return Decision(q, best, 1.0, True)

    # -- fact views ---------------------------------------------------------------------------

    def source_of(self, fact: Fact) -> Source:
        """The fact's article as a citation, with the fact's verbatim quote."""
        return self.fact_table.source_of(fact)

    def find_facts(self, topic: str | None) -> list[Fact]:
        """Facts about ``topic`` (best match first), or every fact when no topic is given.

        The topic is understood like a question: noise, typos, aliases and demonyms are handled. Raises
        ``QuestionError`` for a topic that cannot be taken as it is (see ``check_question``).
        """
        if not topic or not topic.strip():
            return list(self.facts)
        if self.fact_table.index is None:
            return []
        return self.fact_table.about(self.analyse(check_question(topic)))  # (held to a question's limits)


@lru_cache(maxsize=1)
def _default_model() -> DecisionModel:
    return load_model()
