"""The list-size gate: a question asking for several things by number is not answered by a text naming one.

"name the other five of hangzhou's six little dragons" (or "list all six of them") was answered with
"DeepSeek is part of Hangzhou's "six little dragons".": the one member the articles name, which is what
the question sets aside or a sixth of what it asks. A question that asks, by number, for two or more
things ("name three hubs", "list all six", "the other five") needs a text naming as many, or at least
three: things named are counted by what stands between them (a comma, a semicolon, "and", "or", "as well
as"), which counts generously, so only a text naming clearly fewer is declined ("list the 20 other
emerging industries beijing highlighted" is not answered by "Beijing has highlighted the development of
humanoid robots and 20 other emerging industries"). Three or more answer any larger number: the articles
may name fewer than asked, and the answer says which.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.answering.candidate import Candidate
from knowledge.answering.question import Question
from knowledge.text import CARDINAL_WORDS

_NUMBER = "|".join((*CARDINAL_WORDS, r"\d{1,2}"))  # (two and more: "one" is not in it)
# The number of things asked: after "list", "name", "give me" or "tell me" ("name three", "list all six",
# "name the other five", "give me the top 3"), or "the other N" / "the remaining N" anywhere.
_ASKED_RE = re.compile(
    rf"\b(?:(?:list|name|give me|tell me)\s+(?:(?:all|the|any|some)\s+)?(?:(?:other|remaining|top)\s+)?"
    rf"|the (?:other|remaining)\s+)(?P<n>{_NUMBER})\b(?!\s*(?:%|percent|years?|times)\b)",
    re.IGNORECASE,
)
# Between two things a text names.
_SEPARATOR_RE = re.compile(r"[,;]|\b(?:and|or|as well as|plus)\b|&", re.IGNORECASE)


def asked_number(text: str) -> int:
    """How many things the question asks for by number (0 when it asks for no number of things)."""
    match = _ASKED_RE.search(text)
    if match is None:
        return 0
    n = match.group("n").lower()
    return int(n) if n.isdigit() else CARDINAL_WORDS[n]


class ListSizeGate:
    """Declines a text naming fewer things than a question asks for by number (see the module)."""

    def __init__(self, text_of: Callable[[Candidate], str]) -> None:
        self._text_of = text_of

    def __call__(self, q: Question, best: Candidate) -> str:
        if q.yes_no:
            return ""
        asked = asked_number(q.text)
        if asked < 2:
            return ""
        named = len(_SEPARATOR_RE.findall(self._text_of(best))) + 1
        if named >= min(asked, 3):
            return ""
        return f"list: the question asks for {asked} things and the best candidate names fewer"
