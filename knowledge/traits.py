"""What a piece of text can answer, read once: whether it holds a number, a year, a list, a reason or a name.

Every heading and sentence of the passages is read with these patterns at build time
(``knowledge.passages``) and its flags are saved with the index, so answering a question never scans a
retrieved passage's text again. Facts (a few dozen) are read when the composer is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

NUMBER, YEAR, ENUMERATION, REASON, CAPITALISED, LABELLED, NAMING, CONTINUES = 1, 2, 4, 8, 16, 32, 64, 128
DURATION = 256
# The flags are saved as one 16-bit integer per segment (``knowledge.passages``): a new trait takes the next
# free bit (a table whose bits clash or do not fit fails on import: ``own_bits``).
FLAGS_TYPECODE = "H"  # (an ``array`` typecode, and the numpy dtype character of the same width)
FLAGS_BITS = 16

# A list item's label at the start of a sentence: "1. Government Support: ..." or "Shanghai: Innovation
# Hub: ..." (a section whose passages start with one is a list: ``knowledge.answering.lists``).
LABEL_RE = re.compile(r"^(?:\d+\.\s+)?([A-Z0-9][^:.]{2,70}):\s+\S")

CAPITALISED_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z'’&-]+")
_HAS_NUMBER_RE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|trillion|percent|dozen|first|second|third|half|double|twice)\b",
    re.IGNORECASE,
)
_HAS_YEAR_RE = re.compile(r"\b(?:1[89]|20)\d\d\b|\b(?:last|this|next) year\b")
# How the articles give a cause or a purpose ("driven by national policy support", "provide a unique
# advantage", "to address healthcare challenges", "demonstrating confidence in ...").
_HAS_REASON_RE = re.compile(
    r"\b(?:because|due to|thanks to|owing to|as a result|result of|the reasons?|why|"
    r"driven by|drives?|driving|driver|fuel(?:l)?ed by|spurred by|propelled by|powered by|backed by|"
    r"reflects?|reflecting|stems? from|stemming from|underpinned by|attributed to|rooted in|"
    r"advantages?|enables?|enabling|allows?|so as to|in order to|aims? to|aimed at|seeks? to|"
    r"to (?:address|tackle|meet|counter|reduce|boost|ensure|secure)|demonstrating|given that|"
    r"leads? to|led to|leading to)\b",
    re.IGNORECASE,
)

# Where a text gives another name of a thing ("the National High-Tech Development Plan (also known as the
# 863 Program)"): what "what's the official name of X" asks for. A nickname ("known as the Silicon Valley
# of China") is not an official name, nor is a paraphrase.
_HAS_NAMING_RE = re.compile(
    r"\b(?:also|formerly|officially|formally|previously|originally) (?:known as|called|named|titled)\b"
    r"|\bofficially\b|\bformally\b|\bfull name\b|\bshort for\b",
    re.IGNORECASE,
)

# A sentence that goes on with the one before it, giving what that one announced ("... it also faces
# challenges. These include concerns regarding ..."): the two are one statement.
_CONTINUES_RE = re.compile(
    r"^[\"“‘(]?(?:(?:these|they|those|this|such|examples) (?:include|includes|range|are|cover|covers)"
    r"|among (?:them|these|others))\b",
    re.IGNORECASE,
)


_FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


class _Folded:
    """A case-insensitive pattern, searched faster: text is lower-cased and searched without IGNORECASE
    (the same matches when the pattern's own letters are lower-case), unless it holds one of the few
    characters that IGNORECASE equates with an ASCII letter differently from ``str.lower`` ("İ", "ı",
    "ſ", the Kelvin sign): such text is searched as it is."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        source = pattern.pattern
        self._lower = (
            re.compile(source, pattern.flags & ~re.IGNORECASE) if source == source.lower() else pattern
        )

    def __call__(self, text: str) -> bool:
        """Whether the pattern occurs in ``text``."""
        if text.isascii() or _FOLDS_TO_ASCII.search(text) is None:
            return self._lower.search(text.lower()) is not None
        return self.pattern.search(text) is not None


# A span of time ("five years", "18 months", "a ten-year plan"): what "how long did X take" asks for (and
# what the unit gate compares: ``knowledge.answering.gates``).
DURATION_RE = re.compile(
    r"\b(?P<count>\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty|several|a few)[\s-]+(?P<unit>years?|months?|weeks?|days?|hours?|decades?)\b",
    re.IGNORECASE,
)
_HAS_NUMBER = _Folded(_HAS_NUMBER_RE)
_HAS_DURATION = _Folded(DURATION_RE)
_HAS_REASON = _Folded(_HAS_REASON_RE)
_HAS_NAMING = _Folded(_HAS_NAMING_RE)
_HAS_LIST_RE = re.compile(r"\bsuch as\b|\bincluding\b|,[^,]+,|;")
_DIGIT_RE = re.compile(r"\d")


def has_year(text: str) -> bool:
    """``_HAS_YEAR_RE.search(text) is not None``, skipping the search where it cannot match (no digit,
    no "year"): most sentences."""
    return ("year" in text or _DIGIT_RE.search(text) is not None) and _HAS_YEAR_RE.search(text) is not None


def has_list(text: str) -> bool:
    """``_HAS_LIST_RE.search(text) is not None``, skipping the search where it cannot match."""
    if ";" in text:
        return True
    if "," in text or "such as" in text or "including" in text:
        return _HAS_LIST_RE.search(text) is not None
    return False


_YEAR_TERM_RE = re.compile(r"(?:1[89]|20)\d\d")
_ORDINAL_TERM_RE = re.compile(r"\d+(?:st|nd|rd|th)")


# Every capital that could start a match of ``CAPITALISED_RE`` (inside a word too: "China'China").
_CAPITAL_START_RE = re.compile(r"[A-Z](?=[a-zA-Z'’&-])")


def has_capitalised(text: str) -> bool:
    """``CAPITALISED_RE.search(text) is not None``, several times faster: the pattern's look-behinds
    (not the text's start, not just after a sentence's end, at a word boundary) are checked only where
    a capitalised word starts, instead of at every position."""
    for match in _CAPITAL_START_RE.finditer(text):
        start = match.start()
        if start == 0:
            continue
        before = text[start - 1]
        if before.isalnum() or before == "_":  # not at a word boundary
            continue
        if start >= 2 and before.isspace() and text[start - 2] in ".!?":
            continue
        return True
    return False


class Trait(NamedTuple):
    """One thing a text may hold, read once per heading and sentence and saved as one bit of its flags."""

    flag: int
    # The type of answer (``Question.wants``) a text holding it gives; None where other rules read the
    # flag (a number is no count in a ranking: ``knowledge.answering.answer_types``).
    answers: str | None
    test: Callable[[str], object]


# Every trait, in the order of its bit. A new type of answer a text can give is one row here (with a new
# bit) and one row of the question's intents (``knowledge.answering.intents``).
TRAITS: tuple[Trait, ...] = (
    Trait(NUMBER, None, _HAS_NUMBER),
    Trait(YEAR, "year", has_year),
    Trait(ENUMERATION, "enumeration", has_list),
    Trait(REASON, "reason", _HAS_REASON),
    Trait(CAPITALISED, None, has_capitalised),
    Trait(LABELLED, None, LABEL_RE.match),
    Trait(NAMING, "name", _HAS_NAMING),
    Trait(CONTINUES, None, _CONTINUES_RE.match),
    Trait(DURATION, "duration", _HAS_DURATION),
)


def own_bits(flags: Iterable[int], bits: int) -> bool:
    """Whether each of ``flags`` is one bit of its own below ``1 << bits`` (no two rows share one)."""
    seen = list(flags)
    return len(set(seen)) == len(seen) and all(0 < f < 1 << bits and f & (f - 1) == 0 for f in seen)


if not own_bits((t.flag for t in TRAITS), FLAGS_BITS):
    raise ValueError(f"each trait needs a bit of its own below 1 << {FLAGS_BITS}")
_TESTS = tuple((t.flag, t.test) for t in TRAITS)  # (read for every segment of a build: no attribute look-ups)


def text_flags(text: str) -> int:
    """The traits ``text`` holds, as bits (``NUMBER | YEAR | ...``)."""
    flags = 0
    for flag, test in _TESTS:
        if test(text):
            flags |= flag
    return flags


def year_terms(terms: Iterable[str]) -> frozenset[str]:
    """The years among a text's terms (numbers are kept whole by the tokenizer: "2024")."""
    return frozenset(t for t in terms if t[0].isdigit() and _YEAR_TERM_RE.fullmatch(t))


def ordinal_terms(terms: Iterable[str]) -> frozenset[str]:
    """The editions and positions among a text's terms ("11th")."""
    return frozenset(t for t in terms if t[0].isdigit() and _ORDINAL_TERM_RE.fullmatch(t))
