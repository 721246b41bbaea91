"""What a text can answer: its traits, the types of answer they give, and the kinds of its terms.

A text's flags (``knowledge.traits``, read once per sentence at build time) give most types of answer
("year", "reason", "name"); its terms' kinds (``knowledge.windows``) say whether it names a rank or a
place, and whether it adds the number, place or name a question asks for beyond the question's own words.
The kinds are classified in one place (``TermKinds``), for the passage vocabulary (an array the windows
read) and for a fact's or list's tokens alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from knowledge.answering.question import Question
from knowledge.answering.words import (
    NUMBER_TERMS,
    ORDINAL_RE,
    POSITION_WORDS,
    RANK_TERM,
    SHARE_TERMS,
    YEAR_RE,
)
from knowledge.index import Vocabulary
from knowledge.traits import CAPITALISED, NUMBER, TRAITS, YEAR, ordinal_terms, text_flags, year_terms
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
)

# A position that counts repetitions ("the second consecutive year", "third straight time", "5th year in
# a row"): how many times, not only where in a ranking.
_COUNTED_RE = re.compile(
    r"\b(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\s+"
    r"(?:(?:consecutive|straight|successive|running)\s+(?:year|time|month|quarter|edition)s?"
    r"|(?:year|time|edition)s?\s+in\s+a\s+row)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class TextTraits:
    """What a fact or list holds, computed once per knowledge base (windows: ``knowledge.windows``)."""

    tokens: frozenset[str]
    years: frozenset[str]
    ordinals: frozenset[str]
    types: frozenset[str]  # "number", "year", "who", "where", "reason": the kinds of answer the text gives
    length: int
    # The tokens that may satisfy a question's names and places: the text's own, never a heading's
    # ("Japan's Challenges" over a sentence about China does not make the sentence about Japan).
    named: frozenset[str] = frozenset()
    # Its tokens' kinds (``TermKinds``), those with any.
    kinds: Mapping[str, int] = field(default_factory=dict)

    @property
    def log_length(self) -> float:
        return math.log1p(self.length)


class TermKinds:
    """Which kinds (``knowledge.windows``) a term is of: a number, an amount (no position nor year), an
    edition, a place, a place or a name other than the corpus's common subject, the rank term, a share."""

    def __init__(
        self, place_terms: frozenset[str], subject_terms: frozenset[str], names: frozenset[str]
    ) -> None:
        self.place_terms = place_terms
        self.subject_terms = subject_terms
        self.new_places = place_terms - subject_terms
        self.new_names = names - subject_terms

    def _groups(self, terms: Iterable[str]) -> tuple[tuple[Iterable[str], int], ...]:
        """Each kind with the terms that are of it: those of ``terms``, or a set to meet them with."""
        numbers = [t for t in terms if t[0].isdigit() or t in NUMBER_TERMS]
        amounts = [
            t for t in numbers if t not in POSITION_WORDS and not ordinal_terms((t,)) and not year_terms((t,))
        ]
        return (
            (numbers, NUMBER_KIND),
            (amounts, AMOUNT_KIND),
            (ordinal_terms(numbers), ORDINAL_KIND),
            (self.place_terms, PLACE_KIND),
            (self.new_places, NEW_PLACE_KIND),
            (self.new_names, NEW_NAME_KIND),
            ((RANK_TERM,), RANK_KIND),
            (SHARE_TERMS, SHARE_KIND),
        )

    def array(self, vocabulary: Vocabulary) -> np.ndarray:
        """Each passage term's kinds, by term id (what ``knowledge.windows`` reads)."""
        kinds = np.zeros(len(vocabulary), dtype=KIND_DTYPE)
        for terms, kind in self._groups(vocabulary.terms):
            for term in terms:
                term_id = vocabulary.get_id(term)
                if term_id >= 0:
                    kinds[term_id] |= kind
        return kinds

    def of(self, tokens: frozenset[str]) -> dict[str, int]:
        """The kinds of each of ``tokens`` that has any."""
        found: dict[str, int] = {}
        for terms, kind in self._groups(tokens):
            for term in tokens.intersection(terms):
                found[term] = found.get(term, 0) | kind
        return found


def adds(q: Question, kinds: Mapping[str, int]) -> bool:
    """Whether a text whose tokens have ``kinds`` holds a term of the kind the question asks for
    (``Question.adds``) that the question lacks (always, when it asks for none).

    "how many scientists joined Thousand Talents" is not answered by "the Thousand Talents Program" (its
    only number word is the question's own), nor "which city is X based in" by a sentence whose only
    place is the question's. (A share is wanted whether or not the question says "percent" itself.)
    """
    wanted = q.adds
    if not wanted:
        return True
    own: Mapping[str, float] = {} if q.share else q.weights
    return any(kind & wanted for term, kind in kinds.items() if term not in own)


@lru_cache(maxsize=1024)
def answer_types(flags: int, rank: bool, place: bool, ranking: bool = False) -> frozenset[str]:
    """The types of answer a text gives, from its flags (``knowledge.traits``) and whether its terms name
    a rank or a place; ``ranking`` for a fact that states a position."""
    # A ranking ("second in the world") is a position, not the amount "how much" asks for; a
    # question that asks for neither gets a figure rather than a position between equal matches.
    types = {"rank" if ranking or rank else "figure"}
    if not ranking:
        types.add("figure")
    if flags & NUMBER and not ranking:
        types.add("number")
    types.update(t.answers for t in TRAITS if t.answers is not None and flags & t.flag)
    if flags & CAPITALISED:
        types.update(("who", "where"))
    elif place:
        types.add("where")
    return frozenset(types)


def text_traits(
    text: str, tokens: frozenset[str], kinds: TermKinds, as_of: int | None = None, ranking: bool = False
) -> TextTraits:
    """What ``text`` (a fact's or list's, with its ``tokens``) can answer: years, editions, types of answer;
    ``as_of`` is a fact's year, ``ranking`` whether it states a position."""
    years = set(YEAR_RE.findall(text)) | ({str(as_of)} if as_of else set())
    held = kinds.of(tokens)
    bits = 0
    for kind in held.values():
        bits |= kind
    types = answer_types(
        text_flags(text) | (YEAR if as_of else 0), bool(bits & RANK_KIND), bool(bits & PLACE_KIND), ranking
    )
    if ranking and _COUNTED_RE.search(text):
        # "for the second consecutive year" is a position that counts: it answers "how many years in a
        # row" (``Question.repeats``), not "how many clusters".
        types = types | {"count"}
    return TextTraits(
        tokens, frozenset(years), frozenset(ORDINAL_RE.findall(text)), types, len(text), tokens, held
    )


def as_list(traits: TextTraits) -> TextTraits:
    """A list's traits: it gives a list, whatever its text does."""
    return replace(traits, types=traits.types | {"list"})
