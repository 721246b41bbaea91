"""The index gate: a question naming an index or a ranking ("the global competitiveness index", "the
bloomberg innovation index", "the us innovation ranking") is answered only by a text naming that one.

China's rank in the Global Innovation Index is no answer to its rank in the Global Competitiveness Index,
though the two share most of their words and nearly all of their meaning: the words that tell one index
from another are the few before "index", and each of them must be in the answer (read as the index reads
text: "gii" is the Global Innovation Index, stems and synonyms folded).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.answering.candidate import Candidate
from knowledge.answering.question import Question
from knowledge.text import TextRules

# Up to three words before an index or ranking's own noun name it ("in the global competitiveness index",
# "china's gii ranking"); "report" and "survey" are left out, as they are verbs too ("what did the blog
# post report").
_NAMED_INDEX_RE = re.compile(
    r"((?:[\w&'’.-]+ ){1,3})(?:index|indices|indexes|sub-index|subindex|sub-indices|ranking|rankings"
    r"|league table|league tables|scoreboard)\b",
    re.IGNORECASE,
)
_INDEX_NOUNS = ("index", "indices", "indexes", "ranking", "league table", "scoreboard")


class NamedIndexGate:
    """Declines a best candidate that lacks a word naming the index or ranking the question asks about."""

    def __init__(self, rules: TextRules, text_of: Callable[[Candidate], str]) -> None:
        self._rules = rules
        self._text_of = text_of

    def missing(self, q: Question, best: Candidate) -> list[str]:
        """The words naming the question's index that the candidate lacks, as the question writes them."""
        lowered = q.normalised.lower()
        if not any(noun in lowered for noun in _INDEX_NOUNS):
            return []
        held: set[str] | None = None
        out: list[str] = []
        for match in _NAMED_INDEX_RE.finditer(lowered):
            for word in match.group(1).split():
                tokens = self._rules.tokenize(word)
                if not tokens:
                    continue  # a stop word ("the", "in", "what")
                if held is None:
                    held = set(self._rules.tokenize(self._text_of(best)))
                if not held.issuperset(tokens):
                    out.append(word)
        return out

    def __call__(self, q: Question, best: Candidate) -> str:
        missing = self.missing(q, best)
        if not missing:
            return ""
        return f"index: the question names an index by {' '.join(missing)!r} and the best candidate does not"
