"""Words and number forms that both sides of matching read: the question's analysis and the texts' traits."""

from __future__ import annotations

import re

from knowledge.text import stem

RANK_TERM = stem("rank")  # "rank", "ranking", "position", "place", ... (synonyms fold onto it)
# Number words as the tokenizer stems them ("nine", "billion", "second", "half").
NUMBER_TERMS = frozenset(
    stem(w)
    for w in """one two three four five six seven eight nine ten twelve twenty thirty forty fifty hundred
    thousand million billion trillion percent dozen first second third half double twice""".split()  # noqa: SIM905
)
# A share of something ("40 percent", "two-thirds", "half"): what "what percentage" is answered by.
SHARE_TERMS = frozenset(stem(w) for w in ("percent", "percentage", "half", "third", "quarter", "fifth"))
# Positions that are also number words: no amount ("first" answers no "how much").
POSITION_WORDS = frozenset(("first", "second", "third"))
YEAR_RE = re.compile(r"\b(?:1[89]|20)\d\d\b")
ORDINAL_RE = re.compile(r"\b\d+(?:st|nd|rd|th)\b")
