"""The qualifier gate: words that say *which* thing is asked about must be in the answer (rules as data).

China's rank in the Global Innovation Index is no answer to its rank in the Global Competitiveness Index,
though the two share most of their words and nearly all of their meaning. The words that tell one from
the other sit in a known place in the question (the few before "index"); each row below finds them, and
an answer must hold every one of them, read as the index reads text ("gii" is the Global Innovation
Index, stems and synonyms folded). Adding a kind of qualifier is one row and its test.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from knowledge.answering.candidate import Candidate
from knowledge.answering.question import Question
from knowledge.text import TextRules


@dataclass(frozen=True, slots=True)
class Qualifier:
    """One place in a question where the words naming what is asked about are."""

    name: str  # how a decline names it: "index" -> "index: the question names an index by ..."
    what: str  # what the words name, in the decline's words
    pattern: re.Pattern[str]  # group 1: the naming words
    reads_as: str = ""  # the naming words as the index should read them, when it drops them ("most")


QUALIFIERS: tuple[Qualifier, ...] = (
    # Up to three words before an index or ranking's own noun name it ("in the global competitiveness
    # index", "china's gii ranking"); "report" and "survey" are left out, as they are verbs too ("what did
    # the blog post report").
    Qualifier(
        "index",
        "an index",
        re.compile(
            r"((?:[\w&'’.-]+ ){1,3})(?:index|indices|indexes|sub-index|subindex|sub-indices|ranking|rankings"
            r"|league table|league tables|scoreboard)\b"
        ),
    ),
    # The word or two before "sector" name which one ("in the service sector" is not "the industrial
    # sector"; "in what sector" names none: "what" is a stop word).
    Qualifier("sector", "a sector", re.compile(r"((?:[\w&'’.-]+ ){1,2})(?:sector|sectors)\b")),
    # "who makes the most X", "which country has the most robots per worker": the one with the most, which a
    # text about one maker that compares it with none ("China has 470 robots per 10,000 workers") does not
    # say ("most", "largest" and "biggest" are one word as the index reads them).
    Qualifier(
        "most",
        "the one with the most",
        re.compile(
            r"^(?:who|whom|which (?:country|countries|nation|nations|city|cities|province|provinces|company"
            r"|companies|firm|firms))\b.*?\b(most|largest|biggest)\b"
        ),
        reads_as="largest",  # ("most" is a stop word; "largest" folds with it, "biggest" and "top")
    ),
    # "the first" of a kind ("when was the first zgc forum held", "china's first five-year plan") is one of
    # them, which a text about another ("the 2025 forum", "the 13th plan") does not answer; "the first time"
    # asks how often, and first place is the position gate's.
    Qualifier(
        "first",
        "the first of its kind",
        re.compile(
            r"\b(?:the|its|their|a|[\w-]+'s|[\w-]+’s) (first|1st)\b(?! (?:time|times|year|place|half|quarter)\b)"
        ),
    ),
)


class QualifierGate:
    """Declines a best candidate that lacks a word naming which thing the question asks about."""

    def __init__(
        self, rules: TextRules, tokens_of: Callable[[Candidate, Iterable[str]], frozenset[str]]
    ) -> None:
        """``tokens_of(candidate, wanted)``: which of the ``wanted`` terms a candidate holds (the finder's)."""
        self._rules = rules
        self._tokens_of = tokens_of

    def missing(self, q: Question, best: Candidate) -> tuple[Qualifier, list[str]] | None:
        """The first row whose naming words the candidate lacks, with those words as the question writes them."""
        lowered = q.normalised.lower()
        for row in QUALIFIERS:
            # The naming words' terms, read as a phrase ("high tech" is one term, "high-tech", as the alias
            # file says), and which of the words hold a term the candidate lacks (a stop word has none).
            for match in row.pattern.finditer(lowered):
                terms = self._rules.tokenize(row.reads_as or match.group(1))
                if not terms:
                    continue
                held = self._tokens_of(best, set(terms))
                lacking = {t for t in terms if t not in held}
                if lacking:
                    words = match.group(1).split()
                    out = (
                        words
                        if row.reads_as
                        else [w for w in words if lacking & set(self._rules.tokenize(w))] or sorted(lacking)
                    )
                    return row, out
        return None

    def __call__(self, q: Question, best: Candidate) -> str:
        found = self.missing(q, best)
        if found is None:
            return ""
        row, words = found
        return f"{row.name}: the question names {row.what} by {' '.join(words)!r} and the best candidate does not"
