"""The answer composer, read as its stages: normalise -> retrieve -> describe -> decide -> render.

1. Normalise (``knowledge.normalise``): Slack noise out, long-word typos corrected against the knowledge
   base's own words, aliases, number forms and demonyms folded by one tokenizer shared with the index.
2. Retrieve: BM25 over facts and passages; every fact and every one- or two-sentence window of the top
   passages is a candidate, and they compete in one ranking.
3. Describe: each candidate gets features that mean something (``Features``): coverage of the
   question's known content words, agreement on named things (countries, cities, companies, people:
   a question naming Japan is never answered by text about China alone), years and editions, whether
   it holds the type of answer asked for (a number for "how many", a year for "when", ...).
4. Decide (``knowledge.decide``): a logistic model fitted on QA sets turns the best candidate's features
   into the probability that it is right; below the fitted threshold the answer is an honest "none",
   with up to three related facts offered as suggestions.
5. Render: the fact's sentence, or the passage's best sentences clipped, with their sources.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import operator
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

import numpy as np

from knowledge.aliases import AliasTable, text_rules
from knowledge.attributes import ATTRIBUTES, Attribute, attribute_asked
from knowledge.decide import RANK_FEATURES, DecisionModel, load_model
from knowledge.embedding import Embedder, default_embedder
from knowledge.entities import Gazetteer, gazetteer
from knowledge.errors import QuestionError
from knowledge.index import BM25Index, Hit
from knowledge.models import Answer, Article, Fact, Passage, Source
from knowledge.normalise import NOISE_WORDS, Speller, clean, english_words
from knowledge.passages import PassageParts, PassageStore, build_passage_parts
from knowledge.references import ArticleReferences
from knowledge.semantic import (
    DenseHits,
    DenseIndex,
    UnitVectors,
    build_vectors,
    dense_fits,
    quoted_segments,
    semantic_state,
)
from knowledge.text import ALIASES, STOP_WORDS, SYMBOLS, holds_any, might_hold, normalise, stem
from knowledge.traits import (
    CAPITALISED,
    CAPITALISED_RE,
    CONTINUES,
    ENUMERATION,
    LABEL_RE,
    LABELLED,
    NAMING,
    NUMBER,
    REASON,
    YEAR,
    ordinal_terms,
    text_flags,
    year_terms,
)
from knowledge.windows import (
    AMOUNT_KIND,
    KIND_DTYPE,
    NEW_NAME_KIND,
    NEW_PLACE_KIND,
    NUMBER_KIND,
    ORDINAL_KIND,
    PLACE_KIND,
    RANK_KIND,
    SHARE_KIND,
    Lookup,
    Window,
    WindowReader,
)

MAX_ANSWER_CHARS = 300
MAX_QUESTION_CHARS = 2000
TOP_PASSAGES = 8
TOP_FACTS = 8
# The dense channel: passages holding the best sentences by meaning, and the facts nearest in meaning, join
# the lexical ones; a window that shares no question word is a candidate when this close in meaning.
DENSE_PASSAGES = 8
DENSE_FACTS = 5
DENSE_WINDOW_MIN = 0.3
MAX_RELATED = 3
# ``/innov facts <topic>`` lists facts holding most of the topic's meaning (not one word of two).
FACTS_MIN_COVERAGE = 0.75
TITLE_WEIGHT = 0.5

NOT_FOUND = "I couldn't find that in the knowledge base."
# Questions answered once before a snapshot serves (a list, a typo, a number, a reason): see ``warm``.
WARM_UP = ("list the main challenges", "how many inovation hubs are there", "why does it matter")
RANK_TERM = stem("rank")  # "rank", "ranking", "position", "place", ... (synonyms fold onto it)

_POSSESSIVE_RE = re.compile(r"'s?$")
# What a question asks for. "what year", "which percentage": the word names the answer's type.
# A share ("what percentage", "in %", the alias file spelling "%" as "percent"): answered by a share of
# something ("40 percent", "two-thirds", "half"), not by any amount ("3.6 trillion yuan").
_SHARE_NOUNS = ("share", "percentage", "percent", "proportion", "fraction")
_SHARE = "|".join(_SHARE_NOUNS)
_ASKS_SHARE_RE = re.compile(rf"\bwhat (?:{_SHARE})\b|\b(?:{_SHARE}) of\b|\bpercent(?:age)?\b", re.IGNORECASE)
# An amount, not a count: "how much", "what share". A position ("its first", "11th") answers no such
# question, while "how many years in a row" is answered by "the second consecutive year".
# "what's the budget for X" asks "how much" as well: a sentence naming X without a figure does not answer.
_AMOUNT_NOUNS = ("amount", "budget", "cost", "price", "funding", "value", "worth")
_ASKS_AMOUNT_RE = re.compile(
    rf"\bhow much\b|\bwhat(?:'s|s| is| was| are| were)? (?:the |its |their )?(?:{'|'.join(_AMOUNT_NOUNS)})\b"
    rf"|{_ASKS_SHARE_RE.pattern}",
    re.IGNORECASE,
)
# A number question asking how many times in a row ("how many years in a row" -> "consecutive").
_REPEATED = r"(?:consecutive|straight|successive|running|in a row)"
_ASKS_REPEATS_RE = re.compile(
    rf"\bhow many (?:(?:years|times|editions)\b.*\b{_REPEATED}\b|{_REPEATED} (?:years|times|editions)\b)",
    re.IGNORECASE,
)
# In an amount question these nouns name the type of answer, not a word it must hold ("what fraction
# of", "what's the value of"). "share", "budget" and "funding" stay: the corpus uses them as subjects
# ("share of world robotics patents", "R&D budget").
_TYPE_NOUNS = frozenset(_SHARE_NOUNS + _AMOUNT_NOUNS) - {"share", "budget", "funding"}
# The measures "how ..." asks a number of.
_HOW_NUMBER = "many|much|big|large|far|fast|long|old"
_ASKS_NUMBER_RE = re.compile(
    rf"\bhow (?:{_HOW_NUMBER})\b|\bnumber of\b|{_ASKS_AMOUNT_RE.pattern}", re.IGNORECASE
)
SHARE_TERMS = frozenset(stem(w) for w in ("percent", "percentage", "half", "third", "quarter", "fifth"))
_POSITION_WORDS = frozenset(("first", "second", "third"))
_ASKS_YEAR_RE = re.compile(r"\bwhen\b|\b(?:what|which) (?:year|date|month)\b|\bsince when\b", re.IGNORECASE)
# Another name of the thing named: "what's the official name of the 863 programme", "formal program name",
# "full name of X". The words say what type of answer is wanted (a text saying what X is also known as:
# ``traits.NAMING``), not what the answer must contain ("official" is rarely written beside the name).
_NAME_QUALIFIERS = ("official", "formal", "full", "proper", "complete", "real", "actual", "legal")
_ASKS_NAME_RE = re.compile(
    rf"\b(?:{'|'.join(_NAME_QUALIFIERS)}) (?:\w+ )?name\b"
    r"|\b(?:officially|formally) (?:called|named|known as)\b",
    re.IGNORECASE,
)
_NAME_WORDS = frozenset((*_NAME_QUALIFIERS, "name", "officially", "formally", "called", "named"))
_ASKS_WHO_RE = re.compile(r"^(?:who|whom)\b|\bwho (?:is|was|said|heads|leads|runs|founded)\b", re.IGNORECASE)
_ASKS_WHERE_RE = re.compile(
    r"^where\b(?!.*\brank)|\b(?:which|what) (?:city|cities|country|countries|province|provinces)\b",
    re.IGNORECASE,
)
# "how big", "how fast": the measure asked for ("a number"), not a word the answer must hold.
_HOW_MEASURE_RE = re.compile(
    rf"\bhow (?:{_HOW_NUMBER}|often|high|tall|wide|early|soon|quickly|rapidly)\b", re.IGNORECASE
)
_TYPE_WORDS_RE = re.compile(
    r"\b(?:what|which|in what|in which)\s+(year|date|month|day|time|percentage)\b", re.IGNORECASE
)
# "why" questions want a reason: the text must give one, not merely share the question's words.
_ASKS_REASON_RE = re.compile(
    r"^(?:so\s+)?why\b|\bwhy (?:is|are|does|do|did|has|have|was|were|would|should|can)\b|\bhow come\b|"
    r"\bwhat(?:'s| is| was| are)? behind\b|\b(?:what|which) (?:is|are|was|were)? ?the reasons?\b|"
    r"\breasons? (?:for|behind|why)\b",
    re.IGNORECASE,
)
# Number words as the tokenizer stems them ("nine", "billion", "second", "half").
_NUMBER_TERMS = frozenset(
    stem(w)
    for w in """one two three four five six seven eight nine ten twelve twenty thirty forty fifty hundred
    thousand million billion trillion percent dozen first second third half double twice""".split()  # noqa: SIM905
)
_YEAR_RE = re.compile(r"\b(?:1[89]|20)\d\d\b")
# A position that counts repetitions ("the second consecutive year", "third straight time", "5th year in
# a row"): how many times, not only where in a ranking.
_COUNTED_RE = re.compile(
    r"\b(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\s+"
    r"(?:(?:consecutive|straight|successive|running)\s+(?:year|time|month|quarter|edition)s?"
    r"|(?:year|time|edition)s?\s+in\s+a\s+row)\b",
    re.IGNORECASE,
)
_ORDINAL_RE = re.compile(r"\b\d+(?:st|nd|rd|th)\b")
# A number after "more than", "over", ... is a threshold to compare with, not a constraint to match.
_COMPARED_RE = re.compile(
    r"\b(?:more|less|fewer|greater|higher|lower) than\s+|\b(?:over|under|above|below|at least|at most)\s+",
    re.IGNORECASE,
)
# A question asking for the items of a list: "list ...", "name ...", "which areas ...", "key elements".
_LIST_NOUNS = (
    r"(?:areas|elements|industries|sectors|technologies|techs|strategies|challenges|ecosystems|fields|"
    r"companies|programs|programmes|opportunities|priorities)"
)
_ASKS_LIST_RE = re.compile(
    r"^(?:(?:hey|hi|ok|okay|so|pls|please|can you|could you)\W+)*(?:list|name|enumerate)\b"
    rf"|\bwhich (?:\S+ ){{0,2}}{_LIST_NOUNS}\b|\bwhat are the (?:\S+ ){{0,2}}{_LIST_NOUNS}\b"
    r"|\bkey elements\b|\bexamples of\b",
    re.IGNORECASE,
)
# A position written as a number ("#1", "no. 2", "number one"): a rank, in the words facts use ("first").
_RANK_NUMBER_RE = re.compile(
    r"(?:#\s?|\bno\.\s?|\bnumber\s)(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\b(?!,\d)",
    re.IGNORECASE,
)
_RANK_NUMBER_NEEDS = ("#", "no.", "number")  # (see ``holds_any``)
_ORDINAL_WORDS = {
    n: w
    for n, w in zip(
        "1 2 3 4 5 6 7 8 9 10".split(),  # noqa: SIM905 - reads as the list it is
        "first second third fourth fifth sixth seventh eighth ninth tenth".split(),  # noqa: SIM905
        strict=True,
    )
}
_CARDINAL_DIGITS = {
    w: str(i)
    for i, w in enumerate(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], 1)
}
# What the asker already knows and wants something beyond: "besides X, what else ...", "X and what else"
# (the whole match is what is known, but for the question's own "what ...").
_KNOWN_ALREADY_RES = (
    re.compile(
        r"\b(?:besides|apart from|aside from|other than|except(?:\s+for)?|in addition to)\s+[^,?;.!]+", re.I
    ),
    re.compile(r"^.+?\s+(?:and|&)(?=\s+what else\b)|\belse\b", re.I),
)
# About the named article itself: who published it, when ("who published the MK sports piece").
_ASKS_PUBLISHER_RE = re.compile(
    r"\bpublisher\b|\b(?:who|which (?:site|outlet|publication|paper|website|media|newspaper))\b.*"
    r"\b(?:publish|post|ran\b|run\b)|\bwhere (?:was|is) (?:it |this |that )?(?:publish|post)"
)
_ASKS_PUBLISHED_RE = re.compile(
    r"\bwhen\b.*\b(?:publish|post|come out\b|came out\b|written\b|dated\b)"
    r"|\b(?:publication|publish\w*|post) date\b|\b(?:what|which) date\b"
)
# What an abbreviation stands for: "what does WIPO stand for", "BRI short for?", "full form of GDP".
_ABBREVIATION = r"[\"'“”‘’]?(?P<abbr>[a-z0-9][a-z0-9&.-]*(?: \d+)?)[\"'“”‘’]?"
_ASKS_EXPANSION_RES = (
    re.compile(
        rf"^(?:what(?:'s|s| is| does| do)? )?(?:the )?{_ABBREVIATION} "
        r"(?:stands? for|short for|an? (?:acronym|abbreviation) (?:for|of))[?!.]*$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?:what(?:'s|s| is) )?(?:the )?(?:full (?:form|name)|long form|expansion) (?:of|for) {_ABBREVIATION}[?!.]*$",
        re.IGNORECASE,
    ),
)
# How far down the passages an abbreviation's spelled-out form is looked for.
EXPANSION_PASSAGES = 50
_HARD_TYPES = frozenset(("name", "number", "year", "who", "where"))
NAMES_SEEN = 65536  # capitalised words whose knownness is remembered (``Composer._known_name``)
# What "how many", "where" and "who" want a window to hold beyond the question's own words (``_adds``).
_ADDS_KIND = {"number": NUMBER_KIND, "where": NEW_PLACE_KIND, "who": NEW_NAME_KIND}
# Substrings one of which each pattern above needs to match (every word or phrase it can match holds
# one): where none is there, the pattern is not tried (see ``holds_any``).
_AMOUNT_NEEDS = ("how", "what", *_SHARE_NOUNS)
_NAME_NEEDS = ("name", "officially", "formally")
_REASON_NEEDS = ("why", "come", "behind", "reason")
_NUMBER_NEEDS = ("how", "number")  # (without an amount: see ``analyse``)
_YEAR_NEEDS = ("when", "what", "which")
_WHERE_NEEDS = ("where", "what", "which")
_LIST_NEEDS = ("list", "name", "enumerate", "which", "what are the", "key elements", "examples of")
_KNOWN_ALREADY_NEEDS = (
    "besides",
    "apart from",
    "aside from",
    "other than",
    "except",
    "in addition to",
    "else",
)
_EXPANSION_NEEDS = (
    "stand",
    "short for",
    "acronym",
    "abbreviation",
    "full form",
    "full name",
    "long form",
    "expansion",
)
# Any digit: a question without one writes no year and no ordinal ("2024", "11th").
_DIGIT_RE = re.compile(r"\d")
# Control characters other than tab and line breaks, and U+FFFD (bytes that were not UTF-8): binary input.
_BINARY_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
_YES_NO_RE = re.compile(r"^(?:is|are|does|do|did|has|have|was|were|can|will)\b", re.IGNORECASE)


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
    wants: str | None
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
    # What it asks about a named thing that only a text saying it answers ("who founded X").
    attribute: Attribute | None = None
    # The sum of ``weights``, summed once: every candidate's coverage divides by it.
    total: float = field(init=False, default=0.0)
    # The most ``constraint_missing`` a text can reach: each year, edition and phrase missed.
    most_missing: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum(self.weights.values()))
        object.__setattr__(
            self, "most_missing", float(len(self.years) + len(self.ordinals) + len(self.phrases))
        )

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


class Candidate(NamedTuple):
    """One possible answer (a fact or a passage window) with its features (stage 3's output).

    (A named tuple: made for every window that may win, it costs a third of a frozen dataclass.)
    """

    kind: str
    text: str
    sources: tuple[Source, ...]
    features: Mapping[str, float]
    rank_score: float
    fact_id: str | None = None
    ref: tuple[int, int, int] = (0, 0, 0)  # (fact or passage, first sentence, end sentence)
    values: tuple[float, ...] = ()  # the ranking features, in RANK_FEATURES order

    def described(self) -> Candidate:
        """The candidate with the ranking features merged into ``features`` (for the decision)."""
        if not self.values:
            return self
        merged = {**self.features, **dict(zip(RANK_FEATURES, self.values, strict=True))}
        return self._replace(features=merged, values=())


@dataclass(frozen=True, slots=True)
class _Traits:
    """What a fact or list holds, computed once per knowledge base (windows: ``knowledge.windows``)."""

    tokens: frozenset[str]
    years: frozenset[str]
    ordinals: frozenset[str]
    types: frozenset[str]  # "number", "year", "who", "where", "reason": the kinds of answer the text gives
    length: int
    # The tokens that may satisfy a question's names and places: the text's own, never a heading's
    # ("Japan's Challenges" over a sentence about China does not make the sentence about Japan).
    named: frozenset[str] = frozenset()

    @property
    def log_length(self) -> float:
        return math.log1p(self.length)


_EMPTY: frozenset[str] = frozenset()


# The ranking features ``_Ceiling`` bounds.
_BOUNDED_FEATURES = frozenset(
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


class _Ceiling:
    """The highest ranking score any window of a passage, or a fact, can get for a question (one per
    composer).

    Each ranking feature is bounded (a window holds at most the passage's terms; a year or edition the
    passage lacks is missing from all its windows) and weighed at whichever bound its weight favours.
    A little is added so that rounding never makes the ceiling lower than a real score. A ranking
    feature not bounded here (a new one) makes the ceiling infinite: nothing is skipped.
    """

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.coverage, self.matched = weights["coverage"], weights["matched_share"]
        self.missing, self.bm25 = weights["constraint_missing"], weights["bm25"]
        # What a window's type, two-sentence and length features add at most (a window has no fact
        # bonus), plus a little so that rounding never puts a bound below a real score; infinite when a
        # longer window scores higher or a ranking feature is not bounded here (a new one).
        # (A cosine is at most 1.)
        self.fixed = (
            max(0.0, weights["type_ok"])
            + max(0.0, weights["two_sentences"])
            + max(0.0, weights["cosine"])
            + (math.inf if weights["length"] > 0 or _unbounded(weights) else 0.0)
            + 1e-9
        )
        # What a fact's type, fact and length features add at most, its length aside (a fact is one text:
        # no two sentences).
        self.fact_fixed = (
            max(0.0, weights["type_ok"])
            + weights["is_fact"]
            + max(0.0, weights["cosine"])
            + (math.inf if _unbounded(weights) else 0.0)
            + 1e-9
        )
        self.length = weights["length"]

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


def _unbounded(weights: Mapping[str, float]) -> bool:
    """Whether a ranking feature ``_Ceiling`` does not bound has a weight (a new one): nothing is skipped."""
    return any(w for f, w in weights.items() if f not in _BOUNDED_FEATURES)


class _Floor:
    """The score two candidates that cannot say the same thing both reach (``-inf`` until there are two).

    A candidate scoring below it is neither the best nor the runner-up (which say different things).
    Candidates of one fact, passage or list may say the same thing; those of two never do.
    """

    def __init__(self) -> None:
        self._first: tuple[float, tuple[str, int, bool] | None] = (-math.inf, None)
        self.second = -math.inf

    def add(self, candidate: Candidate) -> None:
        score, group = candidate.rank_score, (candidate.kind, candidate.ref[0], candidate.ref[1] == -1)
        best, best_group = self._first
        if group == best_group:
            self._first = (max(best, score), group)
        elif score > best:
            self._first, self.second = (score, group), best
        elif score > self.second:
            self.second = score


# Words an abbreviation's letters skip ("R&D": research AND development; "BRI": belt AND road initiative).
_SKIPPED_INITIALS = frozenset(("and", "of", "the", "for", "in", "on", "&"))


class _Expansion:
    """What an abbreviation stands for, and how to tell a text that writes it out.

    With the alias file's words for it, an article writes it out where it pairs them with the letters
    ("Zhongguancun (ZGC)") or, when their initials spell it, where it uses them; without (letters the
    alias file does not know), where it brackets the letters after words whose initials spell them
    ("the Strelsau Robotics Board (SRB)").
    """

    def __init__(self, abbreviation: str, words: tuple[str, ...] = ()) -> None:
        self.abbreviation = abbreviation
        own = abbreviation.lower()
        self._letters = [c for c in own if c.isalpha()]
        # "AMNC: AMNC Asia's Most Innovative Countries": the abbreviation itself is no part of what it means.
        self.words = tuple(w for w in words if w != own) or words
        abbr = re.escape(abbreviation)
        self._named = re.compile(rf"(?<![\w&]){abbr}(?![\w&])", re.IGNORECASE)
        joined = r"[\s,;-]+".join(map(re.escape, self.words))
        self._plain = re.compile(rf"\b{joined}s?\b", re.IGNORECASE)
        # "Zhongguancun (ZGC)", "ZGC (Zhongguancun)": the article says which abbreviation it is.
        self._paired = re.compile(
            rf"\b(?P<x>{joined})\s*\(\s*{abbr}\s*\)|\b{abbr}\s*\(\s*(?P<y>{joined})\s*\)", re.IGNORECASE
        )
        self._bracketed = re.compile(rf"((?:[A-Z][\w'’&-]*\s+)+)\(\s*(?i:{abbr})\s*\)")
        # A text saying what the letters stand for, the alias file's words unknown: "... Board (SRB)",
        # "SRB (...)", "SRB stands for / is short for / means ...".
        self._said = re.compile(
            rf"\(\s*{abbr}\s*\)|(?<![\w&]){abbr}\s*\(|(?<![\w&]){abbr}\W+(?:\w+\W+)?(?:stands for|short for|means)\b",
            re.IGNORECASE,
        )
        # Words whose initials spell the abbreviation ("World Intellectual Property Organization"), not a
        # paraphrase the alias file gives for matching ("NPC: top legislature", "PV: solar panels").
        spelled = _initials(self.words)
        remaining = iter(spelled)
        self._initials_fit = (
            len(self.words) >= 2
            and bool(self._letters)
            and bool(spelled)
            and self._letters[0] == spelled[0]
            and all(c in remaining for c in self._letters)
        )

    def written_out(self, sentence: str) -> str | None:
        """The expansion as ``sentence`` writes it, when it does so as this abbreviation's."""
        if not self.words:
            for match in self._bracketed.finditer(sentence) if len(self._letters) >= 2 else ():
                words = match.group(1).split()
                found = next(
                    (words[i:] for i in range(len(words)) if _initials(words[i:]) == self._letters), None
                )
                if found is not None:
                    return " ".join(found)
            return None
        paired = self._paired.search(sentence)
        if paired is not None:
            return paired.group("x") or paired.group("y")
        found_plain = self._plain.search(sentence) if self._initials_fit else None
        return found_plain.group(0) if found_plain is not None else None

    def spelled_in(self, text: str) -> bool:
        """Whether ``text`` says what the abbreviation stands for: names it and holds the alias file's words
        for it ("AMNC 23 stands for Asia's Most Innovative Countries"; a sentence on "solar panels" does
        not say what "PV" stands for), or, those unknown, pairs or equates it with words ("Kimi and ..."
        does not say what Kimi stands for)."""
        if not self.words:
            return self._said.search(text) is not None
        return self._plain.search(text) is not None and self._named.search(text) is not None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the composer made of a question: the best candidate, its probability and the verdict."""

    question: Question
    best: Candidate | None  # with its text and sources unless declined by ``decide(judged=False)``
    probability: float
    answer: bool
    related: tuple[Fact, ...] = field(default=())
    # Why it was declined: the gate or threshold that said no (empty when answered).
    reason: str = ""


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
        self.facts = tuple(facts)
        chosen = model or _default_model()
        # The gazetteer a saved index was built with, or this process's (loading its data takes ~0.6 s).
        gaz = self.places = places if places is not None else gazetteer()
        table = dict(ALIASES)
        table.update((aliases or AliasTable()).aliases)
        self.rules = text_rules(aliases, gaz)
        tokenize = self.rules.tokenize
        # The passage side (index, sentence terms, names, surface words) is built once with these rules,
        # or given from a saved index: nothing here tokenizes a passage.
        parts = self.parts = (
            parts if parts is not None else build_passage_parts(articles, passages, self.rules)
        )
        self.passages: PassageStore = parts.passages
        self.passage_index: BM25Index = parts.index
        self._sentences = parts.sentences
        self.surface_words: Mapping[str, int] = parts.surface  # every word of the passages, as written
        surface: Counter[str] = Counter(list(table))
        surface.update(parts.surface)
        # (Which articles hold a term is asked per reference word: cached, as postings can be long.)
        self.references = ArticleReferences(articles, tokenize, lru_cache(maxsize=4096)(self._articles_with))
        self._title_tokens = {aid: frozenset(tokenize(a.title)) for aid, a in articles.items()}
        fact_tokens = [tokenize(" ".join((f.answer, f.value, *f.topics))) for f in self.facts]
        self._fact_token_sets = [frozenset(t) for t in fact_tokens]
        self.fact_index = BM25Index(fact_tokens) if self.facts else None
        # The facts nearest a question's terms: ranked as candidates, and offered as related on a decline
        # (one retrieval for both).
        self._fact_hits = lru_cache(maxsize=4)(self._retrieve_facts)
        # Meaning: the dense channel, when the embedding model is here (else lexical-only).
        self.embedder: Embedder | None = default_embedder() if embedder is True else (embedder or None)
        self.vectors = vectors
        self.dense: DenseIndex | None = None
        if self.embedder is not None and self.vectors is None and dense_fits(len(self.passages)):
            self.vectors = build_vectors(self.passages, self.facts, self.embedder)
        if self.embedder is not None and self.vectors is not None:
            self.dense = DenseIndex(self.vectors, parts.sentences.seg_ptr, DENSE_PASSAGES, DENSE_FACTS)
        # What /healthz, `innov check` and the console say about meaning here.
        self.semantic = semantic_state(
            self.vectors if self.dense else None, self.embedder, len(self.passages)
        )
        # Without meaning, the decision fitted without it (a model weighing cosines would decline everything).
        self.model = chosen.lexical if self.dense is None and chosen.lexical is not None else chosen
        self._rank_weights = tuple(self.model.ranker.weights.get(f, 0.0) for f in RANK_FEATURES)
        self._ceiling = _Ceiling(dict(zip(RANK_FEATURES, self._rank_weights, strict=True)))
        # The sentences each fact quotes, and the facts quoting each sentence: they say one thing.
        self._fact_segments = quoted_segments(self.passages, self.facts)
        self._segment_facts: dict[int, set[int]] = {}
        for number, segments in enumerate(self._fact_segments):
            for segment in segments:
                self._segment_facts.setdefault(segment, set()).add(number)
        self._dense_hits = lru_cache(maxsize=4)(self._search_dense)
        self.vocabulary = frozenset(parts.index.vocabulary).union(*fact_tokens)
        self.names, self.subject_terms = parts.names, parts.subject_terms
        # Places: the gazetteer's, as token tuples, except those the corpus uses as ordinary words.
        self._places: dict[tuple[str, ...], frozenset[str]] = {}
        for phrase in gaz.places:
            key = tuple(self.rules.words(phrase))
            tokens = frozenset(stem(w) for w in key if w not in STOP_WORDS)
            if key and tokens and (len(key) > 1 or tokens <= self.names or not tokens <= self.vocabulary):
                self._places[key] = tokens
        self._place_len = max((len(k) for k in self._places), default=1)
        self._place_starts = frozenset(k[0] for k in self._places)  # a place's first word: where to look
        # What the alias tables spell abbreviations out as ("wipo" -> world intellectual property
        # organization): what "what does WIPO stand for" is answered with (see ``_Expansion``).
        self._expansions: dict[str, tuple[str, ...]] = {
            key.lower(): tuple(re.findall(r"[\w&'-]+", value.lower()))
            for key, value in table.items()
            if len(key) >= 2
        }
        self._alias_terms = frozenset(
            stem(w) for value in self.rules.aliases.values() for w in value.split() if w not in STOP_WORDS
        )
        # Abbreviations that stand for a phrase of two or more content words, by their words.
        self._alias_phrases: dict[tuple[str, ...], frozenset[str]] = {}
        for alias, value in self.rules.aliases.items():
            stems = frozenset(stem(w) for w in self.rules.words(value) if w not in STOP_WORDS)
            if len(stems) >= 2:
                self._alias_phrases[tuple(alias.split())] = stems
        self._alias_phrase_starts = frozenset(k[0] for k in self._alias_phrases if k)
        self._names_seen: dict[str, bool] = {}  # see ``_known_name``
        # Each attribute's words as the index reads them (stems, synonyms folded): see ``_veto``.
        self._evidence = {a.name: frozenset(self.rules.tokenize(" ".join(a.evidence))) for a in ATTRIBUTES}
        self._place_terms = (
            frozenset(t for tokens in self._places.values() for t in tokens) | self.subject_terms
        )
        self._windows = WindowReader(parts.sentences, self._term_kinds(), MAX_ANSWER_CHARS)
        self._window_types: dict[int, frozenset[str]] = {}
        self._fact_traits = [
            self._traits(f"{f.answer} {f.quote}", tokens, f.as_of, ranking=f.unit == "rank")
            for f, tokens in zip(self.facts, self._fact_token_sets, strict=True)
        ]
        # Each fact's citation, made once: offered with every decline it is related to.
        self._fact_source = {f.id: self.articles[f.source].source(quote=f.quote) for f in self.facts}
        self._fact_source_lists = {f.id: self._same_figure_sources(f) for f in self.facts}
        for title in (a.title for a in articles.values()):
            surface.update(self.rules.words(title))
        for fact in self.facts:
            surface.update(self.rules.words(" ".join((fact.answer, *fact.topics))))
        for value in table.values():
            surface.update(value.split())
        place_words = {w for phrase in gaz.places for w in phrase.split()} | set(gaz.demonyms)
        self.speller = Speller(
            surface, protected=STOP_WORDS | NOISE_WORDS | place_words, same=stem, known=english_words()
        )

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

    def _term_kinds(self) -> np.ndarray:
        """Each passage term's kinds (``knowledge.windows``): number, place, name, rank, edition."""
        vocabulary = self.passage_index.vocabulary
        kinds = np.zeros(len(vocabulary), dtype=KIND_DTYPE)
        groups: tuple[tuple[Iterable[str], int], ...] = (
            ((t for t in vocabulary.terms if t[0].isdigit() or t in _NUMBER_TERMS), NUMBER_KIND),
            (
                (
                    t
                    for t in vocabulary.terms
                    if (t[0].isdigit() or t in _NUMBER_TERMS)
                    and t not in _POSITION_WORDS
                    and not ordinal_terms((t,))
                    and not year_terms((t,))
                ),
                AMOUNT_KIND,
            ),
            (ordinal_terms(vocabulary.terms), ORDINAL_KIND),
            (self._place_terms, PLACE_KIND),
            (self._place_terms - self.subject_terms, NEW_PLACE_KIND),
            (self.names - self.subject_terms, NEW_NAME_KIND),
            ((RANK_TERM,), RANK_KIND),
            (SHARE_TERMS, SHARE_KIND),
        )
        for terms, kind in groups:
            for term in terms:
                term_id = vocabulary.get_id(term)
                if term_id >= 0:
                    kinds[term_id] |= kind
        return kinds

    def _traits(
        self,
        text: str,
        tokens: frozenset[str],
        as_of: int | None = None,
        length: int | None = None,
        ranking: bool = False,
    ) -> _Traits:
        """What ``text`` (a fact's, with its ``tokens``) can answer: years, editions, types of answer."""
        years = set(_YEAR_RE.findall(text)) | ({str(as_of)} if as_of else set())
        traits = self._traits_of(
            text_flags(text) | (YEAR if as_of else 0),
            tokens,
            frozenset(years),
            frozenset(_ORDINAL_RE.findall(text)),
            len(text) if length is None else length,
            ranking,
        )
        if ranking and _COUNTED_RE.search(text):
            # "for the second consecutive year" is a position that counts: it answers "how many years in a
            # row" (``Question.repeats``), not "how many clusters".
            traits = dataclasses.replace(traits, types=traits.types | {"count"})
        return traits

    def _traits_of(
        self,
        flags: int,
        tokens: frozenset[str],
        years: frozenset[str],
        ordinals: frozenset[str],
        length: int,
        ranking: bool = False,
    ) -> _Traits:
        """The traits of a text from its flags (``knowledge.traits``), terms, years and editions."""
        types = _types(flags, RANK_TERM in tokens, bool(tokens & self._place_terms), ranking)
        return _Traits(tokens, years, ordinals, types, length, tokens)

    def warm(self) -> None:
        """Pay now what the first questions would pay: the lists, the speller's tables, first-use caches.

        Called before a snapshot starts serving (and in the gunicorn master, before workers fork).
        """
        _ = self._lists, self._continuing
        for question in WARM_UP:
            self.answer(question)

    # -- stage 1: normalise and analyse ------------------------------------------------------------

    def analyse(self, question: str) -> Question:
        """The question cleaned, spelled against the corpus, and reduced to weighted terms and constraints."""
        raw = whole = normalise(question)
        # "according to the AMNC 23 blog, ...": the article named is where to look, not what is asked
        # (read before the noise words go: "blog", "article" are noise anywhere else).
        reference = self.references.find(raw)
        if reference is not None:
            raw = reference.text
        cleaned = clean(raw) or raw
        if might_hold(cleaned, _RANK_NUMBER_NEEDS):
            cleaned_ranks = _RANK_NUMBER_RE.sub(_ranked, cleaned)
        else:
            cleaned_ranks = cleaned
        spelled, _ = self.speller.correct_text(cleaned_ranks)
        normalised = " ".join(spelled.split()).strip(" ?!.")
        # The answer type is read after aliases ("hw much" -> "how much"); "what year" names the type
        # of answer wanted, not its subject, so "year" is not a term.
        understood = " ".join(self.rules.words(spelled))
        # ``understood`` is tokens of ASCII letters (and digits): a pattern needing a word can only match
        # where that word is a substring, a test in C that skips most of the patterns below for most
        # questions (each tries every position of the question).
        shown = understood
        if "how" in understood:
            shown = _HOW_MEASURE_RE.sub("how", shown)
        if "what" in understood or "which" in understood:
            shown = _TYPE_WORDS_RE.sub(r"\1", shown)
        surface = shown.split()
        asks_amount = holds_any(understood, _AMOUNT_NEEDS) and _ASKS_AMOUNT_RE.search(understood) is not None
        if asks_amount:
            # "what fraction of", "what's the value of": the type of answer wanted (``Question.amount``,
            # ``share``), which the answer states as "two-thirds" or "2.5 billion", not a subject word.
            surface = [w for w in surface if w not in _TYPE_NOUNS]
        asks_name = holds_any(understood, _NAME_NEEDS) and _ASKS_NAME_RE.search(understood) is not None
        if asks_name:
            surface = [w for w in surface if w not in _NAME_WORDS]
        terms = tuple(dict.fromkeys(stem(w) for w in surface if w not in STOP_WORDS and w not in NOISE_WORDS))
        weights: dict[str, float] = {}
        unknown: list[str] = []
        for t in terms:
            # A word of an abbreviation's expansion is subject matter even where the corpus lacks it
            # ("gdp" -> "gross domestic product"): it weighs as a missed content word, so a text with
            # only "domestic production" does not cover the question.
            if t in self.vocabulary or t in self._alias_terms:
                weights[t] = self._idf(t)
            else:
                unknown.append(t)
        entities = self._entities(surface)
        names = {t for t in terms if t in self.names and t not in self.subject_terms}
        # "besides upgrading manufacturing, what else ...": those words are not what is asked (the names
        # and places among them still are), so a text that only restates them does not cover it.
        given = self._given(spelled) - names - {t for e in entities for t in e}
        if given and set(weights) - given:
            terms = tuple(t for t in terms if t not in given)
            weights = {t: w for t, w in weights.items() if t not in given}
            unknown = [t for t in unknown if t not in given]
        unknown_name = False
        understood_words = set(understood.split())
        for word in CAPITALISED_RE.findall(cleaned):
            lowered = _POSSESSIVE_RE.sub("", word.lower().replace("’", "'"))
            fixed = self.speller.correct(lowered)
            if fixed.isalpha() and fixed not in understood_words:
                continue  # part of a phrase the alias file spells out ("MIC 2025"): a known name
            if not self._known_name(fixed):
                unknown_name = True
        # (An amount question is a number question: ``_ASKS_NUMBER_RE`` holds ``_ASKS_AMOUNT_RE``, and
        # without an amount it needs "how" or "number".)
        wants = (
            "reason"
            if holds_any(understood, _REASON_NEEDS) and _ASKS_REASON_RE.search(understood)
            else "number"
            if asks_amount or (holds_any(understood, _NUMBER_NEEDS) and _ASKS_NUMBER_RE.search(understood))
            else "year"
            if holds_any(understood, _YEAR_NEEDS) and _ASKS_YEAR_RE.search(understood)
            else "who"
            if "who" in understood and _ASKS_WHO_RE.search(understood)
            else "name"
            if asks_name
            else "where"
            if holds_any(understood, _WHERE_NEEDS)
            and _ASKS_WHERE_RE.search(understood)
            and RANK_TERM not in terms  # "where does X stand": a rank
            else "list"
            if might_hold(whole, _LIST_NEEDS) and _ASKS_LIST_RE.search(whole)
            else "rank"
            if RANK_TERM in terms
            else None
        )
        years: frozenset[str] = frozenset()
        ordinals: frozenset[str] = frozenset()
        if _DIGIT_RE.search(spelled) is not None:  # years and ordinals are written in digits
            compared = {m.end() for m in _COMPARED_RE.finditer(spelled)}
            years = frozenset(m.group(0) for m in _YEAR_RE.finditer(spelled) if m.start() not in compared)
            # (Positions up to "10th" are words on both sides, "second": terms, not editions to match.)
            ordinals = frozenset(
                m.group(0)
                for m in _ORDINAL_RE.finditer(spelled)
                if m.start() not in compared and m.group(0).lower() not in SYMBOLS
            )
        asked = _expansion_asked(cleaned)
        return Question(
            text=question,
            normalised=normalised.lower(),
            terms=terms,
            weights=weights,
            names=frozenset(names),
            entities=entities,
            unknown=tuple(unknown),
            unknown_name=unknown_name,
            wants=wants,
            years=years,
            ordinals=ordinals,
            yes_no=bool(_YES_NO_RE.match(understood)),
            amount=wants == "number" and asks_amount,
            share=wants == "number"
            and holds_any(understood, _SHARE_NOUNS)
            and _ASKS_SHARE_RE.search(understood) is not None,
            repeats=wants == "number"
            and "how many" in understood
            and _ASKS_REPEATS_RE.search(understood) is not None,
            phrases=self._phrases(spelled),
            article=reference.article if reference is not None else None,
            about_article=(
                None
                if reference is None
                else "publisher"
                if _ASKS_PUBLISHER_RE.search(understood)
                else "published"
                if _ASKS_PUBLISHED_RE.search(understood)
                else None
            ),
            abbreviation=asked if asked is not None and asked.lower() in self._expansions else None,
            expansion_asked=asked,
            # (The cleaned, spelled question reads better to the model than the alias-expanded words: measured
            # on every QA set, the right text ranked first by cosine 338 against 330 of 467 times.)
            meaning=normalised.lower(),
            attribute=attribute_asked(normalised.lower()),
        )

    def _known_name(self, word: str) -> bool:
        """Whether a capitalised word (lowered, spelled) is known: some of its terms are the knowledge
        base's, or it has none (answered once per word: names recur from question to question)."""
        known = self._names_seen.get(word)
        if known is None:
            parts = [stem(p) for p in self.rules.words(word) if p not in STOP_WORDS and p not in NOISE_WORDS]
            known = not parts or any(p in self.vocabulary for p in parts)
            if len(self._names_seen) < NAMES_SEEN:
                self._names_seen[word] = known
        return known

    def _given(self, text: str) -> frozenset[str]:
        """The terms of what the question says it already knows ("besides X", "X and what else")."""
        found: set[str] = set()
        if not might_hold(text, _KNOWN_ALREADY_NEEDS):
            return frozenset()
        for pattern in _KNOWN_ALREADY_RES:
            for match in pattern.finditer(text):
                found.update(self.rules.tokenize(match.group(0)))
        return frozenset(found)

    def _entities(self, surface: Sequence[str]) -> tuple[frozenset[str], ...]:
        """Places the question names (as token sets), the corpus's common subject excepted."""
        found: list[frozenset[str]] = []
        starts = self._place_starts
        free = 0  # the first word not already part of a place found
        # Only the few words that start a place name are looked at (found once, in a comprehension).
        for i in [i for i, word in enumerate(surface) if word in starts]:
            if i < free:
                continue
            for n in range(min(self._place_len, len(surface) - i), 0, -1):
                tokens = self._places.get(tuple(surface[i : i + n]))
                if tokens is not None:
                    if not tokens <= self.subject_terms:
                        found.append(tokens)
                    free = i + n
                    break
        return tuple(dict.fromkeys(found))

    def _phrases(self, text: str) -> tuple[frozenset[str], ...]:
        """The expansions (as stems) of the abbreviations ``text`` uses (see ``Question.phrases``)."""
        words = [w.strip(".,;:!?\"'()") for w in text.split()]
        starts = self._alias_phrase_starts
        # The few words that start an abbreviation, found once for the three lengths.
        firsts = [i for i, w in enumerate(words) if w in starts]
        found = []
        for n in (1, 2, 3):
            for i in firsts:
                if i + n > len(words):
                    break
                stems = self._alias_phrases.get(tuple(words[i : i + n]))
                if stems is not None and stems not in found:
                    found.append(stems)
        return tuple(found)

    def _articles_with(self, term: str) -> list[str]:
        """The ids of the articles whose passages hold ``term`` (from the index's postings)."""
        index = self.passage_index
        tid = index.vocabulary.get_id(term)
        if tid < 0:
            return []
        docs = index.docs[int(index.indptr[tid]) : int(index.indptr[tid + 1])]
        store = self.passages
        return [store.article_ids[int(i)] for i in np.unique(store.article[docs])]

    def _passage_hits(self, q: Question) -> list[Hit]:
        """The best passages for the question, from the article it names when it names one."""
        if q.article is None:
            return self.passage_index.retrieve(q.terms, TOP_PASSAGES)
        store = self.passages
        within = store.article == store.article_ids.index(q.article)
        return self.passage_index.retrieve_within(q.terms, TOP_PASSAGES, within)

    @staticmethod
    def _scored(index: BM25Index, terms: Sequence[str], docs: Sequence[int], found: set[int]) -> list[Hit]:
        """``docs`` not already ``found``, as hits with their BM25 score for ``terms`` (0 when none match)."""
        new = [doc for doc in docs if doc not in found]
        return [Hit(doc, score) for doc, score in zip(new, index.score_of(terms, new), strict=True)]

    def _cos_margin(self, q: Question, best: Candidate) -> float:
        """How clearly the best candidate is what the question means: its cosine over the best cosine of any
        other sentence or fact of the knowledge base (0 when lexical-only)."""
        dense = self._dense_hits(q.meaning, q.article)
        if dense is None or self.dense is None:
            return 0.0
        doc, start, end = best.ref
        own: range | frozenset[int]
        if best.kind == "fact":
            own, facts = self._fact_segments[doc], frozenset((doc,))
        else:
            if start == -1:
                docs = self._lists[doc][0]
                own = range(int(self.dense.seg_ptr[docs[0]]), int(self.dense.seg_ptr[docs[-1] + 1]))
            else:
                own = self.dense.segments_of(doc, start, end)
            facts = frozenset(f for s in own for f in self._segment_facts.get(s, ()))
        return best.features.get("cosine", 0.0) - self.dense.nearest_other(dense, own, facts)

    def _search_dense(self, meaning: str, article: str | None) -> DenseHits | None:
        """The dense channel's cosines for the question's meaning (None when lexical-only)."""
        if self.dense is None or self.embedder is None or not meaning:
            return None
        within = None
        if article is not None:
            within = self.passages.article == self.passages.article_ids.index(article)
        return self.dense.search(self.embedder.encode_one(meaning), within)

    def _retrieve_facts(self, terms: tuple[str, ...]) -> list[Hit]:
        return self.fact_index.retrieve(terms, TOP_FACTS) if self.fact_index is not None else []

    def _idf(self, term: str) -> float:
        # Terms known only to the fact table weigh as much as the rarest passage term.
        return self.passage_index.idf.get(term, self.passage_index.unseen_idf)

    # -- the one call -------------------------------------------------------------------------

    def answer(self, question: str) -> Answer:
        """One to three sentences with their sources, or an honest 'none' with related facts.

        Raises ``QuestionError`` for a question that cannot be taken as it is (see ``check_question``).
        """
        decision = self.decide(check_question(question), judged=False)
        return self.render(decision)

    def decide(self, question: str, *, judged: bool = True) -> Decision:
        """Stages 1-4 for one question: the best candidate, its probability and whether to answer.

        With ``judged`` (for evaluation and explanations), the best candidate carries its text and sources
        even when it is declined; without, only when it is the answer (a decline shows neither).
        """
        q = self.analyse(question)
        if q.article is not None and q.about_article is not None:
            return self._about_article(q, q.article, q.about_article)
        if q.expansion_asked is None:
            return self._ranked(q, judged)
        # The alias file's words for it, if it has them.
        expansion = _Expansion(q.expansion_asked, self._expansions.get(q.expansion_asked.lower(), ()))
        spelled_out = self._spelled_out(q, expansion)
        if spelled_out is not None:
            return spelled_out
        # No article writes it out as such: a fact may ("AMNC 23 stands for ..."); any other text that
        # does not spell it out ("what does Kimi stand for" -> a sentence naming Kimi) is no answer.
        decision = self._ranked(q, judged)
        if decision.answer and decision.best is not None and not expansion.spelled_in(decision.best.text):
            why = f"expansion: no text spells out what {q.expansion_asked} stands for"
            return Decision(q, decision.best, 0.0, False, self.related(q), why)
        return decision

    def _ranked(self, q: Question, judged: bool = True) -> Decision:
        """The best fact, passage window or list for ``q`` and the decision on it (its text and sources
        built when it is the answer or ``judged``)."""
        # A question with no word the knowledge base knows has no candidate, unless meaning can find one.
        asked = q.weights or (self.dense is not None and q.terms)
        candidates = self.candidates(q, prune=True) if asked else []
        if not candidates:
            why = "no candidate: no word of the question is known and no sentence is near it in meaning"
            if asked:
                why = "no candidate agrees with the question's names, places and source"
            return Decision(q, None, 0.0, False, self.related(q), why)
        candidates.sort(key=lambda c: -c.rank_score)
        best = self._fact_for(candidates[0], candidates)
        # The runner-up is the best candidate that does not say the same thing again (a window holding
        # the best sentence, the passage a fact quotes): how clearly the best answer stands out.
        runner_up = next((c for c in candidates[1:] if not self._same_content(c, best)), None)
        margin = best.rank_score - (runner_up.rank_score if runner_up else 0.0)
        best = best.described()
        extra = {
            "margin": margin,
            "missed_max": self._missed_max(q, best),
            "cos_margin": self._cos_margin(q, best),
        }
        best = best._replace(features={**best.features, **extra})
        probability = self.model.probability(best.features)
        reason = self._veto(q, best)
        if not reason and probability < self.model.threshold:
            reason = f"threshold: probability {probability:.2f} is below {self.model.threshold:.2f}"
        answer = not reason
        if answer or judged:
            best = self.materialise(best)
        return Decision(q, best, probability, answer, () if answer else self.related(q), reason)

    def _fact_for(self, best: Candidate, candidates: Sequence[Candidate]) -> Candidate:
        """A fact candidate quoting the best window's sentences, in its place: a curated fact is preferred to
        a passage saying the same thing (its sentence is written to answer, and it carries its as-of year)."""
        if best.kind != "passage" or best.ref[1] == -1 or not self._segment_facts:
            return best
        doc, start, end = best.ref
        first = int(self._sentences.seg_ptr[doc]) + 1
        quoting = {f for s in range(first + start, first + end) for f in self._segment_facts.get(s, ())}
        if not quoting:
            return best
        return next((c for c in candidates if c.kind == "fact" and c.ref[0] in quoting), best)

    def _veto(self, q: Question, best: Candidate) -> str:
        """The hard gate the best candidate fails, whatever its probability ("" when none)."""
        # A share, number, year, person, place or other name is asked and the text states none ("what % of
        # its budget ..." -> "40 billion crowns"; "what's the official name of the US" -> a sentence naming
        # the United States): whatever else it matches, it does not answer (the words naming the type asked
        # are no terms to miss).
        if (q.share or q.wants in _HARD_TYPES) and best.features["type_ok"] == 0.0:
            wanted = (
                "a share"
                if q.share
                else {"who": "a person", "where": "a place"}.get(q.wants or "", f"a {q.wants}")
            )
            return f"type: the question asks for {wanted} and the best candidate states none"
        # "who founded DeepSeek" -> a sentence about DeepSeek that never speaks of founding it.
        if q.attribute is not None:
            evidence = self._evidence[q.attribute.name]
            if self._tokens_of(best, evidence).isdisjoint(evidence):
                return f"attribute: the question asks {q.attribute.name} and the best candidate does not say"
        return ""

    def _spelled_out(self, q: Question, expansion: _Expansion) -> Decision | None:
        """ "WIPO stands for World Intellectual Property Organization.": the alias file's expansion where an
        article writes it out as the abbreviation's ("Zhongguancun (ZGC)", or words whose initials spell
        it), cited with that sentence; None when no article does."""
        words = expansion.words or (expansion.abbreviation.lower(),)
        terms = [stem(w) for w in words if w not in STOP_WORDS]
        for hit in self.passage_index.retrieve(terms, EXPANSION_PASSAGES):
            passage = self.passages[hit.doc]
            for sentence in passage.sentences:
                found = expansion.written_out(sentence)
                if found is not None:
                    text = f"{expansion.abbreviation.upper()} stands for {found}."
                    source = self.articles[passage.article_id].source(quote=_clip(sentence))
                    # No features: a look-up, not a ranking (``evaluate`` leaves it out of fitting).
                    return Decision(q, Candidate("passage", text, (source,), {}, 0.0), 1.0, True)
        return None

    def _about_article(self, q: Question, article_id: str, wanted: str) -> Decision:
        """Who published the article the question names, or when: read from its front matter, so certain
        when the field is there (probability 1) and an honest "none" when it is not."""
        article = self.articles[article_id]
        known = article.publisher if wanted == "publisher" else article.published
        if known is None:
            why = f"front matter: the article does not give its {wanted}"
            return Decision(q, None, 0.0, False, self.related(q), why)
        by = f" by {article.publisher}" if article.publisher else ""
        on = f" on {article.published.isoformat()}" if article.published else ""
        text = f"“{article.title}” was published{by}{on}."
        # No features: nothing was ranked or weighed (``evaluate`` leaves it out of fitting).
        best = Candidate("fact", text, (article.source(),), {}, 0.0)
        return Decision(q, best, 1.0, True)

    def render(self, decision: Decision) -> Answer:
        """Stage 5: the Answer the user sees."""
        q = decision.question
        if not decision.answer or decision.best is None:
            return Answer(
                question=q.text,
                kind="none",
                text=NOT_FOUND,
                score=decision.probability,
                kb_version=self.version,
                normalised=q.normalised,
                related=tuple((f.shown, self.source_of(f)) for f in decision.related),
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

    # -- stages 2 and 3: retrieve and describe ---------------------------------------------------

    def candidates(self, q: Question, *, prune: bool = False) -> list[Candidate]:
        """Facts and passage windows that agree with the question's named things, with their features.

        Candidates are light (no text, no sources): ``materialise`` builds those for the one chosen.
        With ``prune``, a passage none of whose windows can be the best or the runner-up (``decide``
        needs no other) is left out: see ``_Ceiling``.
        """
        dense = self._dense_hits(q.meaning, q.article)
        base = {
            "unknown_share": len(q.unknown) / max(1, len(q.terms)),
            "unknown_name": float(q.unknown_name),
            "content_terms": math.log1p(len(q.weights)),
            "type_asked": float(q.wants is not None),
            "entities": float(len(q.entities) + len(q.names)),
        }
        facts: list[tuple[int, _Traits, float]] = []  # (fact, traits, retrieval score): those agreeing
        if self.fact_index is not None:
            hits = self._fact_hits(q.terms)
            top = hits[0].score if hits else 1.0
            # The facts nearest in meaning join the lexical ones (with their own BM25 score, maybe 0).
            found = {hit.doc for hit in hits}
            near = self._scored(self.fact_index, q.terms, dense.top_facts if dense else (), found)
            for hit in (*hits, *near):
                traits = self._fact_traits[hit.doc]
                if q.article is not None and self.facts[hit.doc].source != q.article:
                    continue
                if self._agrees(q, traits.tokens):
                    facts.append((hit.doc, traits, hit.score / top))
        hits = self._passage_hits(q)
        top = hits[0].score if hits else 1.0
        if dense is not None:
            found = {hit.doc for hit in hits}
            hits = hits + self._scored(self.passage_index, q.terms, dense.top_passages, found)
        out = self._fact_and_window_candidates(q, facts, hits, top, base, _Floor() if prune else None, dense)
        if q.wants == "list":
            terms = frozenset(q.weights)
            scores = {hit.doc: hit.score / top for hit in hits}
            for number, (docs, _, traits) in enumerate(self._lists):
                article_id = self.passages.article_id(docs[0])
                if q.article is not None and article_id != q.article:
                    continue
                title = self._title_tokens.get(article_id, _EMPTY)
                if terms & traits.tokens and self._agrees(q, traits.named | title):
                    bm25 = max((scores.get(d, 0.0) for d in docs), default=0.0)
                    cosine = (
                        max((self.dense.passage_best(dense, d) for d in docs), default=0.0)
                        if dense and self.dense
                        else 0.0
                    )
                    out.append(
                        self._describe(q, "passage", (number, -1, -1), traits, title, bm25, base, cosine)
                    )
        return out

    def _fact_and_window_candidates(
        self,
        q: Question,
        facts: Sequence[tuple[int, _Traits, float]],
        hits: Sequence[Hit],
        top: float,
        base: Mapping[str, float],
        floor: _Floor | None,
        dense: DenseHits | None = None,
    ) -> list[Candidate]:
        """The agreeing ``facts`` and the windows of the retrieved passages that hold a question term (or
        come near it in meaning) and agree with its names, facts first, each in retrieval order.

        With a ``floor`` (empty), a fact or passage whose ``_Ceiling`` is below the floor the candidates
        found so far reach is skipped, and so is a window scoring below it (``_best_first``).
        """
        terms = frozenset(q.weights)
        lookup = self._lookup(q)
        matches: dict[tuple[frozenset[str], frozenset[str], bool], tuple[float, float, float, float]] = {}
        passages = [
            (self._title_tokens.get(self.passages.article_id(hit.doc), _EMPTY), hit.score / top)
            for hit in hits
        ]
        found: list[tuple[int, int, int, Candidate]] = []  # (fact 0 or passage 1, rank, window, candidate)
        named = bool(q.unknown_name or q.names or q.entities)  # (else every window agrees)
        for is_passage, rank in self._best_first(q, facts, hits, lookup, passages, floor):
            if not is_passage:
                fact, traits, bm25 = facts[rank]
                cosine = float(dense.facts[fact]) if dense is not None else 0.0
                stated = self._describe(q, "fact", (fact, 0, 0), traits, _EMPTY, bm25, base, cosine)
                found.append((0, rank, 0, stated))
                if floor is not None:
                    floor.add(stated)
                continue
            doc = hits[rank].doc
            title, bm25 = passages[rank]
            for position, window in enumerate(self._windows.windows(doc, lookup)):
                cosine = (
                    self.dense.window(dense, doc, window.start, window.end) if dense and self.dense else 0.0
                )
                if terms.isdisjoint(window.tokens) and cosine < DENSE_WINDOW_MIN:
                    continue
                if named and not self._agrees(q, window.named | title):
                    continue
                # (Below the floor: neither the best nor the runner-up, and not built.)
                candidate = self._describe_window(
                    q, doc, window, title, bm25, base, matches, floor.second if floor else -math.inf, cosine
                )
                if candidate is not None:
                    found.append((1, rank, position, candidate))
                    if floor is not None:
                        floor.add(candidate)
        # In retrieval order, as they would be without skipping: equal scores rank the same.
        found.sort(key=lambda entry: entry[:3])
        return [candidate for *_, candidate in found]

    def _best_first(
        self,
        q: Question,
        facts: Sequence[tuple[int, _Traits, float]],
        hits: Sequence[Hit],
        lookup: Lookup,
        passages: Sequence[tuple[frozenset[str], float]],
        floor: _Floor | None,
    ) -> Iterator[tuple[bool, int]]:
        """(is a passage, its rank) of the facts to describe and the passages whose windows to read, the
        highest ``_Ceiling`` first, while it reaches the floor (all of them, facts first, without one).

        A fact's ceiling is read from its retrieval score alone. A passage starts at its loose ceiling
        (every question term held: no look-up) and gets its exact one (its terms read) when that comes to
        the top; it is read when its exact ceiling comes to the top, or at once while there is no floor
        yet (fewer than two candidates that cannot say the same thing). The floor rises as candidates are
        found, so what is still below it is never looked up. (Which are read changes nothing decided: a
        candidate below the floor at any time is neither the best nor the runner-up.)
        """
        if floor is None:
            yield from ((False, rank) for rank in range(len(facts)))
            yield from ((True, rank) for rank in range(len(hits)))
            return
        ceiling = self._ceiling
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
                held = self._windows.terms(hits[rank].doc, lookup)
                heapq.heappush(heap, (-ceiling(q, held, title, bm25), 0, 1, rank))
            else:
                yield bool(is_passage), rank

    @cached_property
    def _lists(self) -> tuple[tuple[tuple[int, ...], str, _Traits], ...]:
        """The articles' lists: a heading whose passages each start with a label ("Government Support: ...").

        A list question ("list the challenges ...") is answered with the heading and its labels, which no
        single sentence window holds. Each list is (its passages, the text shown, its traits).
        """
        # Only sections holding a labelled first sentence (a flag read at build time) can be lists: no
        # pass over every passage's text. Each section is the run of passages around them that share
        # their article and heading.
        table = self._sentences
        starts = table.seg_ptr[:-1]
        has_sentence = table.seg_ptr[1:] > starts + 1
        first = np.where(has_sentence, starts + 1, starts)
        candidates = np.flatnonzero(has_sentence & ((table.flags[first] & LABELLED) != 0)).tolist()

        def key(doc: int) -> tuple[str, str]:
            passage = self.passages[doc]
            return passage.article_id, passage.heading or ""

        groups: list[tuple[str, str, list[int]]] = []
        end = -1
        for doc in candidates:
            if doc < end:
                continue  # inside a section already gathered
            section = key(doc)
            start, end = doc, doc + 1
            while start > 0 and key(start - 1) == section:
                start -= 1
            while end < len(self.passages) and key(end) == section:
                end += 1
            groups.append((*section, list(range(start, end))))
        lists = []
        for _, heading, docs in groups:
            labelled = [
                (doc, m.group(1).strip())
                for doc in docs
                if (sentences := self.passages[doc].sentences) and (m := LABEL_RE.match(sentences[0]))
            ]
            if not heading or len(labelled) < 2:
                continue
            title = re.sub(r"^\d+\.\s*", "", heading)
            text = f"{title}: {'; '.join(label for _, label in labelled)}."
            # The section's other passages (its introduction: "... faces a number of challenges:") say
            # what the list is about, so their words count as the list's.
            intro = " ".join(" ".join(self.passages[d].sentences) for d in docs if d not in dict(labelled))
            traits = self._traits(text, frozenset(self.rules.tokenize(f"{text} {intro}")))
            traits = dataclasses.replace(traits, types=traits.types | {"list"})
            lists.append((tuple(doc for doc, _ in labelled), text, traits))
        return tuple(lists)

    def materialise(self, candidate: Candidate) -> Candidate:
        """The candidate with its text and sources (built only for the one shown or judged)."""
        if candidate.text:
            return candidate
        doc, start, end = candidate.ref
        if candidate.kind == "fact":
            fact = self.facts[doc]
            shown = fact.shown
            sources = self._fact_sources(fact)
            fact_id: str | None = fact.id
        elif start == -1:  # a list (see ``_lists``): its heading and item labels
            docs, shown, _ = self._lists[doc]
            shown = _clip(shown)
            sources = (self.articles[self.passages.article_id(docs[0])].source(),)
            fact_id = None
        else:
            passage = self.passages[doc]
            shown = _clip(" ".join(passage.sentences[start:end]))
            sources = (self.articles[passage.article_id].source(quote=shown),)
            fact_id = None
        return candidate._replace(text=shown, sources=sources, fact_id=fact_id)

    def _missed_max(self, q: Question, candidate: Candidate) -> float:
        """The weight share of the question's heaviest known term the candidate lacks (0 when none is).

        One rare word missing ("university" in "which university is X with") says more than several
        common ones: the question asks about something the text does not state.
        """
        tokens = self._tokens_of(candidate, q.weights)
        missing = [w for t, w in q.weights.items() if t not in tokens]
        # Measured against the rarest possible term, not the question's total: a share of the total
        # falls as the question grows and so mostly repeats ``coverage``.
        return max(missing, default=0.0) / self.passage_index.unseen_idf

    def _tokens_of(self, candidate: Candidate, wanted: Iterable[str]) -> frozenset[str]:
        """Which of the ``wanted`` terms the candidate holds (a fact's or list's: all its terms), its article's
        title included."""
        doc, start, end = candidate.ref
        if candidate.kind == "fact":
            return self._fact_traits[doc].tokens
        if start == -1:
            docs, _, traits = self._lists[doc]
            return traits.tokens | self._title_tokens.get(self.passages[docs[0]].article_id, _EMPTY)
        title = self._title_tokens.get(self.passages.article_id(doc), _EMPTY)
        get_id = self.passage_index.vocabulary.get_id
        lookup = Lookup({term_id: t for t in wanted if (term_id := get_id(t)) >= 0})
        return self._windows.window_terms(doc, start, end, lookup) | title

    def _same_content(self, a: Candidate, b: Candidate) -> bool:
        """Whether two candidates say the same thing: the same fact, or windows sharing a sentence.

        (A fact and the passage it quotes stay distinct: tried, and it made the decision worse.)
        """
        if a.kind != b.kind or a.ref[0] != b.ref[0] or (a.ref[1] == -1) != (b.ref[1] == -1):
            return False
        return a.kind == "fact" or (a.ref[1] < b.ref[2] and b.ref[1] < a.ref[2])

    def _agrees(self, q: Question, tokens: frozenset[str]) -> bool:
        """Every name and place the question uses is named by the candidate (or its article's title).

        A capitalised name the knowledge base has never seen ("Freedonia") is named by no candidate.
        """
        return not q.unknown_name and q.names <= tokens and all(e <= tokens for e in q.entities)

    def _describe(
        self,
        q: Question,
        kind: str,
        ref: tuple[int, int, int],
        traits: _Traits,
        partial: frozenset[str],
        bm25: float,
        base: Mapping[str, float],
        cosine: float = 0.0,
    ) -> Candidate:
        """A fact or a list as a candidate for ``q``."""
        types = traits.types | {"number"} if q.repeats and "count" in traits.types else traits.types
        type_ok = _type_fit(q.wants, types) if self._adds(q, traits.tokens) else 0.0
        held = (traits.tokens, traits.years, traits.ordinals, bool(traits.ordinals))
        return self._candidate(q, kind, ref, held, partial, type_ok, traits.log_length, bm25, base, cosine)

    def _describe_window(
        self,
        q: Question,
        doc: int,
        window: Window,
        partial: frozenset[str],
        bm25: float,
        base: Mapping[str, float],
        matches: dict[tuple[frozenset[str], frozenset[str], bool], tuple[float, float, float, float]],
        at_least: float = -math.inf,
        cosine: float = 0.0,
    ) -> Candidate | None:
        """A passage window as a candidate for ``q``, or None when its score is below ``at_least``.

        Its tokens are the question's terms it holds, and so are its years and editions (each question
        year or edition is a term of the window when it has it). ``matches`` remembers, for one question,
        what windows holding the same terms match: coverage, matched share and missing constraints are
        computed once per distinct (tokens, title, any edition). The features are those of ``_candidate``,
        computed here without building a candidate that will not be kept (most windows are not).
        """
        tokens, kinds = window.tokens, window.kinds
        any_ordinal = bool(kinds & ORDINAL_KIND)
        key = (tokens, partial, any_ordinal)
        known = matches.get(key)
        if known is None:
            coverage, matched, missing = self._match(q, (tokens, tokens, tokens, any_ordinal), partial)
            ceiling = self._ceiling
            matching = ceiling.coverage * coverage + ceiling.matched * matched + ceiling.missing * missing
            known = matches[key] = (coverage, matched, missing, matching)
        coverage, matched, missing, matching = known
        # What the matching features give, with the type, two-sentence and length features at their best
        # (the ceiling's ``fixed``): a window that cannot reach ``at_least`` even so is left before they
        # are read.
        if matching + bm25 * self._ceiling.bm25 + self._ceiling.fixed < at_least:
            return None
        if window.adds:
            type_ok = _type_fit(
                q.wants, _types(window.flags, bool(kinds & RANK_KIND), bool(kinds & PLACE_KIND))
            )
        else:
            type_ok = 0.0
        start, end = window.start, window.end
        # ``two_sentences``: 1 for two sentences, which must earn their place, unless the second goes on
        # with the first ("... faces challenges. These include ..."): then they are one statement (0), and
        # the first alone, which stops before what it announces, counts as 1.
        if end - start == 2:
            parts = 0.0 if (doc, start + 1) in self._continuing else 1.0
        else:
            parts = 1.0 if (doc, end) in self._continuing else 0.0
        values = (coverage, matched, type_ok, missing, 0.0, bm25, parts, math.log1p(window.length), cosine)
        score = sum(map(operator.mul, self._rank_weights, values))
        if score < at_least:
            return None
        return Candidate("passage", "", (), base, score, ref=(doc, start, end), values=values)

    @cached_property
    def _continuing(self) -> frozenset[tuple[int, int]]:
        """(passage, sentence) of every sentence that goes on with the one before (few: read once)."""
        table = self._sentences
        segments = np.flatnonzero(table.flags & CONTINUES)
        docs = np.searchsorted(table.seg_ptr, segments, side="right") - 1
        # (The passage's sentence i is segment seg_ptr[doc] + 1 + i; segment seg_ptr[doc] is its heading.)
        sentences = segments - table.seg_ptr[docs] - 1
        return frozenset(zip(docs.tolist(), sentences.tolist(), strict=True))

    def _candidate(
        self,
        q: Question,
        kind: str,
        ref: tuple[int, int, int],
        held: tuple[frozenset[str], frozenset[str], frozenset[str], bool],
        partial: frozenset[str],
        type_ok: float,
        log_length: float,
        bm25: float,
        base: Mapping[str, float],
        cosine: float = 0.0,
    ) -> Candidate:
        """A fact's or list's ranking features and score; ``held`` is (tokens, years, editions, any
        edition). (A window's: ``_describe_window``.)"""
        coverage, matched, missing = self._match(q, held, partial)
        values = (
            coverage,
            matched,
            type_ok,
            missing,
            float(kind == "fact"),
            bm25,
            float(ref[2] - ref[1] == 2),
            log_length,
            cosine,
        )
        score = sum(map(operator.mul, self._rank_weights, values))
        # The feature mapping is built lazily (``Candidate.features``): only the best one is described.
        return Candidate(kind, "", (), base, score, ref=ref, values=values)

    @staticmethod
    def _match(
        q: Question,
        held: tuple[frozenset[str], frozenset[str], frozenset[str], bool],
        partial: frozenset[str],
    ) -> tuple[float, float, float]:
        """Coverage and matched share of the question's terms, and its years, editions and abbreviation
        phrases the text lacks (``constraint_missing``)."""
        tokens, years, ordinals, any_ordinal = held
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

    def _lookup(self, q: Question) -> Lookup:
        """What the windows must report for ``q``: its terms, names, places, years and editions by term
        id, and for "how many", "where" and "who" whether a window adds a number, place or name."""
        get_id = self.passage_index.vocabulary.get_id
        words = {*q.weights, *q.names, *q.years, *q.ordinals}.union(*q.entities, *q.phrases)
        wanted = {term_id: t for t in words if (term_id := get_id(t)) >= 0}
        adds = SHARE_KIND if q.share else AMOUNT_KIND if _counts(q) else _ADDS_KIND.get(q.wants or "", 0)
        # (A share is wanted whether or not the question says "percent" itself.)
        own = (
            frozenset(term_id for t in q.weights if (term_id := get_id(t)) >= 0)
            if adds and not q.share
            else frozenset()
        )
        return Lookup(wanted, adds, own, self._windows.own_adds(own, adds))

    def _adds(self, q: Question, tokens: frozenset[str]) -> bool:
        """Whether the text holds a number, place or name of the kind asked that the question lacks.

        "how many scientists joined Thousand Talents" is not answered by "the Thousand Talents Program"
        (its only number word is the question's own), nor "which city is X based in" by a sentence whose
        only place is the question's.
        """
        if q.share:
            return not tokens.isdisjoint(SHARE_TERMS)
        if q.wants == "number":
            numbers = (t for t in tokens if (t[0].isdigit() or t in _NUMBER_TERMS) and t not in q.weights)
            if _counts(q):
                return any(
                    t not in _POSITION_WORDS and not ordinal_terms((t,)) and not year_terms((t,))
                    for t in numbers
                )
            return any(True for _ in numbers)
        if q.wants == "where":
            return bool((tokens & self._place_terms) - self.subject_terms - set(q.weights))
        if q.wants == "who":
            return bool((tokens & self.names) - self.subject_terms - set(q.weights))
        return True

    def _fact_sources(self, fact: Fact) -> tuple[Source, ...]:
        """The fact's article, and any other article stating the same figure (one line, two sources)."""
        return self._fact_source_lists.get(fact.id) or (self.source_of(fact),)

    def _same_figure_sources(self, fact: Fact) -> tuple[Source, ...]:
        """The fact's article, and any other article stating the same figure (one line, two sources)."""
        sources = [self.source_of(fact)]
        for other in self.facts:
            same = other.value == fact.value and other.unit == fact.unit
            if other.id != fact.id and same and other.source != fact.source:
                sources.append(self.source_of(other))
        return tuple(sources)

    def related(self, q: Question) -> tuple[Fact, ...]:
        """Up to three facts near the question, offered when it is declined (never as the answer); from
        the article the question names, when it names one."""
        if self.fact_index is None or not q.weights:
            return ()
        found: list[Fact] = []
        seen_values: set[str] = set()
        for hit in self._fact_hits(q.terms):
            fact = self.facts[hit.doc]
            if fact.value in seen_values or (q.article is not None and fact.source != q.article):
                continue
            if q.coverage(self._fact_token_sets[hit.doc]) <= 0.0:
                continue
            seen_values.add(fact.value)
            found.append(fact)
            if len(found) == MAX_RELATED:
                break
        return tuple(found)

    # -- fact views ---------------------------------------------------------------------------

    def source_of(self, fact: Fact) -> Source:
        """The fact's article as a citation, with the fact's verbatim quote."""
        known = self._fact_source.get(fact.id)
        if known is not None and known.quote == fact.quote and known.id == fact.source:
            return known
        return self.articles[fact.source].source(quote=fact.quote)

    def find_facts(self, topic: str | None) -> list[Fact]:
        """Facts about ``topic`` (best match first), or every fact when no topic is given.

        The topic is understood like a question: noise, typos, aliases and demonyms are handled. Raises
        ``QuestionError`` for a topic that cannot be taken as it is (see ``check_question``).
        """
        if not topic or not topic.strip():
            return list(self.facts)
        if self.fact_index is None:
            return []
        q = self.analyse(check_question(topic))  # (a topic is held to a question's limits)
        if not q.weights:
            return []
        hits = self.fact_index.retrieve(q.terms, len(self.facts))
        return [
            self.facts[h.doc]
            for h in hits
            if q.coverage(self._fact_token_sets[h.doc]) >= FACTS_MIN_COVERAGE
            and self._agrees(q, self._fact_token_sets[h.doc])
        ]


@lru_cache(maxsize=1)
def _default_model() -> DecisionModel:
    return load_model()


@lru_cache(maxsize=1024)
def _types(flags: int, rank: bool, place: bool, ranking: bool = False) -> frozenset[str]:
    """The kinds of answer a text gives, from its flags (``knowledge.traits``) and whether its terms name
    a rank or a place; ``ranking`` for a fact that states a position."""
    types = set()
    # A ranking ("second in the world") is a position, not the amount "how much" asks for; a
    # question that asks for neither gets a figure rather than a position between equal matches.
    types.add("rank" if ranking or rank else "figure")
    if not ranking:
        types.add("figure")
    if flags & NUMBER and not ranking:
        types.add("number")
    if flags & YEAR:
        types.add("year")
    if flags & ENUMERATION:
        types.add("enumeration")
    if flags & REASON:
        types.add("reason")
    if flags & NAMING:
        types.add("name")
    if flags & CAPITALISED:
        types.update(("who", "where"))
    elif place:
        types.add("where")
    return frozenset(types)


def _ranked(match: re.Match[str]) -> str:
    """ "#1" -> "ranked first", "no. 12" -> "ranked 12th" (see ``_RANK_NUMBER_RE``)."""
    number = _CARDINAL_DIGITS.get(match.group(1).lower(), match.group(1))
    word = _ORDINAL_WORDS.get(number)
    if word is None:
        suffix = (
            "th"
            if number[-2:] in ("11", "12", "13")
            else {"1": "st", "2": "nd", "3": "rd"}.get(number[-1], "th")
        )
        word = number + suffix
    return f"ranked {word}"


def _type_fit(wants: str | None, types: frozenset[str]) -> float:
    """1.0 when the candidate holds the type of answer wanted; a position for an open question is half."""
    if wants is None:
        return 1.0 if "figure" in types else 0.5
    if wants == "list":  # a list answers it best, then a sentence enumerating things, a statement least
        return 1.0 if "list" in types else 0.75 if "enumeration" in types else 0.5
    return float(wants in types)


def _expansion_asked(cleaned: str) -> str | None:
    """The word the question asks the meaning of, and nothing else ("what does WIPO stand for")."""
    text = " ".join(cleaned.split()).strip()
    if not might_hold(text, _EXPANSION_NEEDS):
        return None
    for pattern in _ASKS_EXPANSION_RES:
        match = pattern.search(text)
        if match is not None:
            return match.group("abbr")
    return None


def _counts(q: Question) -> bool:
    """Whether ``q`` asks for an amount or a count ("how much", "how many"), which a year or a position
    ("2024", "11th") does not give; "how many years in a row" is answered by one ("second")."""
    return q.amount or (q.wants == "number" and not q.repeats)


def _initials(words: Sequence[str]) -> list[str]:
    """The letters words' initials spell, as an abbreviation skips "and", "of", "the" ...."""
    return [p[0].lower() for w in words for p in w.split("-") if p and p.lower() not in _SKIPPED_INITIALS]


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


def _clip(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
