"""Questions that name their article: "according to the AMNC 23 blog, ...", "per the tech innovations piece".

People quote the source they read: "what does the clusters article say about Japan", "acc to the MK sport
article". The words before "article", "blog", "post", ... name an article, not the subject: matched
against every article's title, id and publisher (and, at half weight, the words of its text), they pick
one article, the question is answered from that article alone, and those words stop counting as content
words the answer must hold. A reference that matches no article, or two equally, changes nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from knowledge.models import Article
from knowledge.text import might_hold

# What people call an article ("write-up", "blog post", "news article", ...).
# Not "report", "story" or "outlook": "the GII report", "the economic outlook" are the corpus's subjects.
_NOUN_RE = re.compile(
    r"\b(?:blog\s+post|news\s+article|article|blog|post|piece|write-?up|op-?ed)\b(?!-)", re.IGNORECASE
)
# One of these is in every word ``_NOUN_RE`` matches: most questions hold none, and a substring test (in C)
# then skips the pattern, which tries every position of the question.
_NOUN_NEEDS = ("blog", "article", "post", "piece", "write", "op-ed", "oped")
_WORD_RE = re.compile(r"[\w&'’.\"“”‘-]+")
_DETERMINERS = frozenset({"the", "this", "that"})
# Words before the determiner that belong to the reference ("according to the ...", "per the ...").
_LEAD_RE = re.compile(r"(?:\b(?:according|acc\.?|as)\s+(?:to|per)\s+|\bper\s+)$", re.IGNORECASE)
MAX_REFERENCE_WORDS = 6
# A question names one article: the first few "article"/"blog" words are looked at, no more (a hostile
# question repeating "the x article" hundreds of times costs no more than a real one).
MAX_REFERENCES = 3
# A reference word found only in an article's text counts this much of one found in its title.
BODY_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class Reference:
    """An article the question names, and the question without the words that name it."""

    article: str
    text: str
    words: str


class ArticleReferences:
    """Finds the article a question names (see the module docstring).

    ``tokenize`` is the knowledge base's tokenizer; ``articles_with(term)`` the ids of the articles whose
    text holds ``term`` (the index's postings answer it without a pass over the corpus).
    """

    def __init__(
        self,
        articles: Mapping[str, Article],
        tokenize: Callable[[str], list[str]],
        articles_with: Callable[[str], Iterable[str]],
    ) -> None:
        self._tokenize = tokenize
        self._articles_with = articles_with
        self._ids = tuple(articles)
        self._named = {
            aid: frozenset(tokenize(" ".join((a.title, aid.replace("-", " "), a.publisher or ""))))
            for aid, a in articles.items()
        }

    def find(self, text: str) -> Reference | None:
        """The article ``text`` names, with ``text`` minus the naming words; None when it names none."""
        if not might_hold(text, _NOUN_NEEDS):
            return None
        for number, noun in enumerate(_NOUN_RE.finditer(text)):
            if number == MAX_REFERENCES:
                break
            words = list(_WORD_RE.finditer(text, 0, noun.start()))[-MAX_REFERENCE_WORDS - 1 :]
            for i in range(len(words) - 1, -1, -1):
                if words[i].group(0).lower() not in _DETERMINERS:
                    continue
                named = " ".join(w.group(0).strip("'’\"“”‘") for w in words[i + 1 :])
                article = self.match(named) if named else None
                if article is None:
                    break
                start = words[i].start()
                lead = _LEAD_RE.search(text, 0, start)
                if lead is not None:
                    start = lead.start()
                rest = f"{text[:start]} {text[noun.end() :]}"
                return Reference(article, " ".join(rest.split()), named)
        return None

    def match(self, named: str) -> str | None:
        """The one article best matching the words ``named`` (None when none or several do)."""
        terms = set(self._tokenize(named))
        if not terms or not self._ids:
            return None
        scores = dict.fromkeys(self._ids, 0.0)
        for term in terms:
            body = set(self._articles_with(term))
            holding = [aid for aid in self._ids if term in self._named[aid] or aid in body]
            if not holding:
                continue
            weight = math.log(1.0 + len(self._ids) / len(holding))
            for aid in holding:
                scores[aid] += weight if term in self._named[aid] else weight * BODY_WEIGHT
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        best, score = ranked[0]
        if score <= 0 or (len(ranked) > 1 and ranked[1][1] >= score):
            return None
        return best
