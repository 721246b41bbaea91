"""The year gate: a text giving its figure for another year does not answer a question about one year, or
about the years before or after one."""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.answering.candidate import Candidate
from knowledge.answering.question import Question
from knowledge.answering.words import YEAR_RE

# A span of years a text states ("2016-2020", "2021 to 2025"): each year in it is stated.
_YEAR_SPAN_RE = re.compile(r"\b((?:1[89]|20)\d\d)\s*(?:-|–|—|to|through|until)\s*((?:1[89]|20)\d\d)\b")
# A year the question asks about the time before or after ("china's gii rank before 2024"): that year
# itself is not what it asks ("since" and "until" take the year in, and are left to the plain reading).
_RELATIVE_YEAR_RE = re.compile(
    r"\b(before|prior to|earlier than|pre|after|later than|post)[\s-]+((?:1[89]|20)\d\d)\b", re.IGNORECASE
)
_BEFORE = ("before", "prior to", "earlier than", "pre")


class YearGate:
    """ "china's r&d spending in 2022" -> "... reached 3.6 trillion yuan in 2024": the text gives its figure
    for another year, so it does not answer; nor does "... ranks 11th (2024)" answer "its rank before 2024".
    Only a text stating years, none of them (nor a span holding one) the question's, is declined; a text
    stating no year may well be of the year asked (its article's)."""

    def __init__(self, text_of: Callable[[Candidate], str]) -> None:
        self._text_of = text_of

    def __call__(self, q: Question, best: Candidate) -> str:
        if not q.years:
            return ""
        text = self._text_of(best)
        stated = set(YEAR_RE.findall(text))
        if not stated:
            return ""
        for m in _YEAR_SPAN_RE.finditer(text):
            stated.update(str(y) for y in range(int(m.group(1)), int(m.group(2)) + 1))
        relative = {m.group(2): m.group(1).lower() for m in _RELATIVE_YEAR_RE.finditer(q.normalised)}
        if stated & (q.years - relative.keys()):
            return ""
        for year, word in relative.items():
            if any((int(y) < int(year)) == (word in _BEFORE) and y != year for y in stated):
                return ""
        asked = ", ".join(f"{relative[y]} {y}" if y in relative else y for y in sorted(q.years))
        return f"year: the question asks about {asked} and the best candidate is about another year"
