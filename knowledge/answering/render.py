"""Stage 4: the text and sources of the candidate shown, and the ``Answer`` the user sees."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

from knowledge.answering.candidate import Candidate, FactRef, ListRef, Ref, WindowRef
from knowledge.answering.decision import Decision
from knowledge.answering.fact_table import FactTable
from knowledge.answering.lists import ArticleList
from knowledge.answering.question import Question
from knowledge.models import Answer, Article, Source
from knowledge.passages import PassageStore

MAX_ANSWER_CHARS = 300
# A lead sentence this long or shorter leaves the sentence after it room to be shown (cut to the limit).
LEAD_MAX_CHARS = 250
NOT_FOUND = "I couldn't find that in the knowledge base."
SHOWN_REMEMBERED = 256


class Renderer:
    """Builds the text and sources of the candidate shown (only that one: candidates are light)."""

    def __init__(
        self,
        version: str,
        articles: Mapping[str, Article],
        passages: PassageStore,
        facts: FactTable,
        lists: Callable[[], tuple[ArticleList, ...]],
    ) -> None:
        self.version = version
        self.articles = articles
        self.passages = passages
        self.facts = facts
        self.lists = lists
        self._shown = lru_cache(maxsize=SHOWN_REMEMBERED)(self._build)

    def materialise(self, candidate: Candidate) -> Candidate:
        """The candidate with its text and sources (built only for the one shown or judged; the gates that
        read a text and the answer itself share one build: the last references' are remembered)."""
        if candidate.text:
            return candidate
        # (Keyed by the reference's type too: FactRef(5) and ListRef(5) are equal tuples.)
        shown = self._shown(type(candidate.ref).__name__, candidate.ref)
        if shown is None:
            return candidate  # (a look-up is made with its text)
        text, sources, fact_id = shown
        return candidate._replace(text=text, sources=sources, fact_id=fact_id)

    def _build(self, _kind: str, ref: Ref) -> tuple[str, tuple[Source, ...], str | None] | None:
        """The text, sources and fact id of what ``ref`` refers to (None for a look-up)."""
        fact_id: str | None = None
        if isinstance(ref, FactRef):
            fact = self.facts.facts[ref.fact]
            shown = fact.shown
            sources = self.facts.sources(fact)
            fact_id = fact.id
        elif isinstance(ref, ListRef):  # its heading and item labels
            docs, shown, _ = self.lists()[ref.number]
            shown = clip(shown)
            sources = (self.articles[self.passages.article_id(docs[0])].source(),)
        elif isinstance(ref, WindowRef):
            passage = self.passages[ref.passage]
            shown = clip(" ".join(passage.sentences[ref.start : ref.end]))
            sources = (self.articles[passage.article_id].source(quote=shown),)
        else:
            return None
        return shown, tuple(sources), fact_id

    def render(self, decision: Decision) -> Answer:
        """The Answer the user sees: the best candidate's text and sources, or an honest "none" with the
        related facts offered."""
        q = decision.question
        if not decision.answer or decision.best is None:
            return Answer(
                question=q.text,
                kind="none",
                text=NOT_FOUND,
                score=decision.probability,
                kb_version=self.version,
                normalised=q.normalised,
                related=tuple((f.shown, self.facts.source_of(f)) for f in decision.related),
            )
        best = decision.best
        return Answer(
            question=q.text,
            kind=best.kind,  # type: ignore[arg-type]
            text=best.text,
            sources=best.sources,
            score=decision.probability,
            kb_version=self.version,
            fact_id=best.fact_id,
            normalised=q.normalised,
        )


def elaborated(q: Question, best: Candidate, passages: PassageStore) -> Candidate:
    """A passage's lead sentence and the one after it, for an open question the lead alone answers.

    A passage's first sentence introduces ("Ethical and Regulatory Considerations: ... pose risks to ...
    AI, biotechnology, and autonomous vehicles.") and the next says what of it ("China must address these
    issues through transparent governance, ..."): an open question ("how is China meant to handle the
    ethics of AI") is answered by both, cut to ``MAX_ANSWER_CHARS``. A question asking for a type of answer
    (a number, a name, a year) is answered by the sentence holding it; a lead-in to a list ("Key initiatives
    include:") adds nothing; a lead of more than ``LEAD_MAX_CHARS`` leaves no room."""
    ref = best.ref
    if q.wants is not None or not isinstance(ref, WindowRef) or ref.start != 0 or ref.end != 1:
        return best
    sentences = passages[ref.passage].sentences
    if len(sentences) < 2 or not room_for_next(sentences[0], sentences[1]):
        return best
    return best._replace(ref=WindowRef(ref.passage, 0, 2), text="", sources=())


def room_for_next(first: str, after: str) -> bool:
    """Whether ``after`` may be shown after ``first``: not when it only leads into a list ("Key initiatives
    include:"), nor when ``first`` is over ``LEAD_MAX_CHARS`` (no room left)."""
    return len(first) <= LEAD_MAX_CHARS and not after.rstrip().endswith(":")


def followed(best: Candidate, after: str) -> Candidate:
    """A fact's sentence and ``after``, the sentence after the one it quotes in its article.

    A curated fact is one sentence, written to answer; a question asking for no type of answer often wants
    what the article says next ("what does the BRI bring for tech cooperation": the fact introduces the
    Belt and Road Initiative, the next sentence says it "facilitates knowledge exchange"), which a passage
    window of two sentences would have shown. The same limits as ``elaborated`` (``room_for_next``), the
    whole cut to ``MAX_ANSWER_CHARS``. (Whether ``after`` is near the question in meaning, and about the
    same places, is the caller's to ask.)"""
    if not best.text or not room_for_next(best.text, after):
        return best
    return best._replace(text=clip(f"{best.text} {after}"))


def clip(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    """``text`` cut at a word to at most ``limit`` characters, an ellipsis marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
