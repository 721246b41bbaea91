"""Is a question written in English? innov's knowledge base and matching are English only.

A cheap, dependency-free guess, used only to add a hint to an unanswered question: most letters outside
the Latin alphabet (Chinese, Cyrillic, ...), or several words of which none is a common English word
("¿Cuál es el ranking de China?").
"""

from __future__ import annotations

import re

from knowledge.text import STOP_WORDS

MIN_WORDS = 4
"""Fewer Latin-script words than this are not judged ("China GII rank" is English enough)."""

_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


def looks_english(text: str) -> bool:
    """False when ``text`` is most likely not English; True when it is, or when there is too little to tell."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    foreign = sum(1 for c in letters if not ("a" <= c.lower() <= "z"))
    if foreign / len(letters) >= 0.5:  # (half: "WIPO 代表什么" is a question in Chinese)
        return False
    found = [w.lower() for w in _WORD_RE.findall(text)]
    if len(found) < MIN_WORDS:
        return True
    return any(w in STOP_WORDS for w in found)
