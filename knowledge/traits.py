"""What a piece of text can answer, read once: whether it holds a number, a year, a list, a reason or a name.

Every heading and sentence of the passages is read with these patterns at build time
(``knowledge.passages``) and its flags are saved with the index, so answering a question never scans a
retrieved passage's text again. Facts (a few dozen) are read when the composer is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NUMBER, YEAR, ENUMERATION, REASON, CAPITALISED = 1, 2, 4, 8, 16

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


class _Folded:
    """A case-insensitive pattern, searched faster: ASCII text is lower-cased and searched without
    IGNORECASE (the same matches when the pattern's own letters are lower-case), other text as it is."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        source = pattern.pattern
        self._lower = (
            re.compile(source, pattern.flags & ~re.IGNORECASE) if source == source.lower() else pattern
        )

    def __call__(self, text: str) -> bool:
        """Whether the pattern occurs in ``text``."""
        if text.isascii():
            return self._lower.search(text.lower()) is not None
        return self.pattern.search(text) is not None


_HAS_NUMBER = _Folded(_HAS_NUMBER_RE)
_HAS_REASON = _Folded(_HAS_REASON_RE)
_HAS_LIST_RE = re.compile(r"\bsuch as\b|\bincluding\b|,[^,]+,|;")
_YEAR_TERM_RE = re.compile(r"(?:1[89]|20)\d\d")
_ORDINAL_TERM_RE = re.compile(r"\d+(?:st|nd|rd|th)")


def text_flags(text: str) -> int:
    """The kinds of answer ``text`` can give, as bits (``NUMBER | YEAR | ...``)."""
    return (
        (NUMBER if _HAS_NUMBER(text) else 0)
        | (YEAR if _HAS_YEAR_RE.search(text) else 0)
        | (ENUMERATION if _HAS_LIST_RE.search(text) else 0)
        | (REASON if _HAS_REASON(text) else 0)
        | (CAPITALISED if CAPITALISED_RE.search(text) else 0)
    )


def year_terms(terms: Iterable[str]) -> frozenset[str]:
    """The years among a text's terms (numbers are kept whole by the tokenizer: "2024")."""
    return frozenset(t for t in terms if t[0].isdigit() and _YEAR_TERM_RE.fullmatch(t))


def ordinal_terms(terms: Iterable[str]) -> frozenset[str]:
    """The editions and positions among a text's terms ("11th")."""
    return frozenset(t for t in terms if t[0].isdigit() and _ORDINAL_TERM_RE.fullmatch(t))
