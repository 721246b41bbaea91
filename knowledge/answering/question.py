"""The question as the answer path reads it (``Question``, stage 1's output), and the limits of one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from knowledge.answering.intents import BY_TYPE, Intent
from knowledge.attributes import Attribute
from knowledge.errors import QuestionError
from knowledge.windows import AMOUNT_KIND, SHARE_KIND

MAX_QUESTION_CHARS = 2000
# A term the candidate holds only in its article's title counts this much (the title says what the
# article is about, not what the sentence says).
TITLE_WEIGHT = 0.5
# Control characters other than tab and line breaks, U+FFFD (bytes that were not UTF-8), and lone surrogates
# (Unicode category Cs: a JSON "\ud800" escape, or the bytes of a command-line argument that were not UTF-8,
# which Python keeps as U+DC80-U+DCFF): binary input. A surrogate cannot be encoded as UTF-8, so letting one
# through would fail later, wherever the text is first encoded (the answer cache's key, the output).
_BINARY_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Question:
    """A question reduced to what matching needs (stage 1's output)."""

    text: str
    normalised: str
    terms: tuple[str, ...]
    weights: Mapping[str, float]
    names: frozenset[str]
    entities: tuple[frozenset[str], ...]
    unknown: tuple[str, ...]
    unknown_name: bool
    wants: str | None  # the type of answer asked for: an ``intents.INTENTS`` row's, None for none
    years: frozenset[str]
    ordinals: frozenset[str]
    yes_no: bool
    # The stems of each multi-word thing an abbreviation of the question stands for ("gdp" -> gross,
    # domestic, product): a text holding only some of them names something else.
    phrases: tuple[frozenset[str], ...] = ()
    # The article the question names ("according to the AMNC 23 blog"): answers come from it alone.
    article: str | None = None
    # A number question asking for an amount ("how much"), which a position does not answer.
    amount: bool = False
    # An amount question asking for a share ("what percentage"), which only a share answers.
    share: bool = False
    # A number question asking how many years or times in a row, which "the second consecutive year" answers.
    repeats: bool = False
    # What is asked about that article itself: "publisher" or "published" (its front matter says).
    about_article: str | None = None
    # ``expansion_asked`` when the alias tables spell it out.
    abbreviation: str | None = None
    # The word whose meaning is the whole question ("what does X stand for"), known to the alias tables
    # or not: only a text writing it out answers ("Zhongguancun (ZGC)"), never one merely naming it.
    expansion_asked: str | None = None
    # The question as the embedding model reads it: cleaned and spelled.
    meaning: str = ""
    # Its words as the alias file reads them ("cos" -> companies, "sci and tech" -> science and technology):
    # where the gates find what is counted and whose attribute is asked.
    understood: str = ""
    # What it asks about a named thing that only a text saying it answers ("who founded X").
    attribute: Attribute | None = None
    # The sum of ``weights``, summed once: every candidate's coverage divides by it.
    total: float = field(init=False, default=0.0)
    # The most ``constraint_missing`` a text can reach: each year, edition and phrase missed.
    most_missing: float = field(init=False, default=0.0)
    # The row of ``intents.INTENTS`` the question matched (None: it asks for no type of answer), found once:
    # every window that may answer reads it.
    intent: Intent | None = field(init=False, default=None, repr=False, compare=False)
    # The term kind (``knowledge.windows``) an answer must hold beyond the question's own terms (0: none):
    # a share, an amount, or what its intent asks a window to add. (Read for every fact described.)
    adds: int = field(init=False, default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum(self.weights.values()))
        object.__setattr__(
            self, "most_missing", float(len(self.years) + len(self.ordinals) + len(self.phrases))
        )
        intent = BY_TYPE.get(self.wants) if self.wants is not None else None
        object.__setattr__(self, "intent", intent)
        adds = SHARE_KIND if self.share else AMOUNT_KIND if self.counts else intent.adds if intent else 0
        object.__setattr__(self, "adds", adds)

    @property
    def counts(self) -> bool:
        """Whether it asks for an amount or a count ("how much", "how many"), which a year or a position
        ("2024", "11th") does not give; "how many years in a row" is answered by one ("second")."""
        return self.amount or (self.wants == "number" and not self.repeats)

    def agrees(self, tokens: frozenset[str]) -> bool:
        """Every name and place the question uses is named by the candidate (or its article's title).

        A capitalised name the knowledge base has never seen ("Freedonia") is named by no candidate.
        """
        return not self.unknown_name and self.names <= tokens and all(e <= tokens for e in self.entities)

    def coverage(self, tokens: set[str] | frozenset[str], partial: frozenset[str] = frozenset()) -> float:
        """IDF-weighted share of the question's known terms found in ``tokens`` (``partial`` ones count half)."""
        total = self.total
        if not total:
            return 0.0
        got = sum(
            w if t in tokens else w * TITLE_WEIGHT
            for t, w in self.weights.items()
            if t in tokens or t in partial
        )
        return got / total

    def match(
        self, tokens: set[str] | frozenset[str], partial: frozenset[str] = frozenset()
    ) -> tuple[float, float]:
        """``coverage`` and the unweighted share of known terms found in ``tokens`` or ``partial``."""
        if not self.weights:
            return 0.0, 0.0
        got = 0.0
        count = 0
        for term, weight in self.weights.items():
            if term in tokens:
                got += weight
                count += 1
            elif term in partial:
                got += weight * TITLE_WEIGHT
                count += 1
        return got / self.total, count / len(self.weights)


def check_question(question: str) -> str:
    """The question with surrounding space removed; ``QuestionError`` if it is empty, binary or too long."""
    text = question.strip()
    if not text:
        raise QuestionError("the question is empty: ask something, e.g. 'What is China's GII rank?'")
    if _BINARY_RE.search(text):
        raise QuestionError("the question contains binary data or control characters: ask in plain text")
    if len(text) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is too long ({len(text):,} characters): ask in at most {MAX_QUESTION_CHARS:,}"
        )
    return text
