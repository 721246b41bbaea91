"""Questions that name their article: "according to the AMNC 23 blog, ...", "per the tech innovations piece".

People quote the source they read: "what does the clusters article say about Japan", "acc to the MK sport
article". The words before "article", "blog", "post", ... name an article, not the subject: matched
against every article's title, id and publisher (and, at half weight, the words of its text), they pick
one article, the question is answered from that article alone, and those words stop counting as content
words the answer must hold. A reference that matches no article, or two equally, changes nothing.

Two shorter forms name an article only by what its title, id or publisher says (never by its text: "per
10,000 workers" names nothing): a lead with no noun at the end or the start of the question ("..., per
AMNC", "according to amnc 23, ..."), and a noun with no determiner ("... amnc post").
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
_CLAUSE_ENDS = ("?", "!", ",", ";", ":")
# Words before the determiner that belong to the reference ("according to the ...", "per the ...").
_LEAD_RE = re.compile(r"(?:\b(?:according|acc\.?|as)\s+(?:to|per)\s+|\bper\s+)$", re.IGNORECASE)
# A lead with no noun: "..., per amnc?" at the end, "according to amnc 23, ..." at the start.
_BARE_LEAD = r"(?:\b(?:according|acc\.?)\s+to|\bas\s+per|\bper)\s+(?:the\s+)?"
_BARE_END_RE = re.compile(_BARE_LEAD + r"((?:[\w&'’.-]+\s*){1,4}?)\s*[?!.]*\s*$", re.IGNORECASE)
_BARE_NEEDS = ("per", "acc")  # one is in every match of the two patterns below
_BARE_START_RE = re.compile(r"^\s*" + _BARE_LEAD + r"((?:[\w&'’.-]+\s*){1,4}?)\s*,", re.IGNORECASE)
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
        if might_hold(text, _NOUN_NEEDS):
            for number, noun in enumerate(_NOUN_RE.finditer(text)):
                if number == MAX_REFERENCES:
                    break
                found = self._before_noun(text, noun)
                if found is not None:
                    return found
        return self._bare_lead(text)

    def _before_noun(self, text: str, noun: re.Match[str]) -> Reference | None:
        """The article named by the words between a determiner and ``noun`` ("the amnc blog"), or with no
        determiner by the title words just before it ("amnc post")."""
        # (A reference does not reach back over the end of a clause: "what is the challenge? mines post".)
        clause = max(text.rfind(mark, 0, noun.start()) for mark in _CLAUSE_ENDS) + 1
        words = list(_WORD_RE.finditer(text, clause, noun.start()))[-MAX_REFERENCE_WORDS - 1 :]
        for i in range(len(words) - 1, -1, -1):
            if words[i].group(0).lower() not in _DETERMINERS:
                continue
            named = _named(words[i + 1 :])
            article = self.match(named) if named else None
            if article is None:
                return None
            return self._reference(text, article, named, words[i].start(), noun.end())
        # No determiner: the longest run of title words ending at the noun.
        for i in range(len(words)):
            named = _named(words[i:])
            article = self.match(named, titles_only=True) if named else None
            if article is not None:
                return self._reference(text, article, named, words[i].start(), noun.end())
        return None

    def _bare_lead(self, text: str) -> Reference | None:
        """The article named by title words after "per" / "according to" with no noun, at the question's end
        or before its first comma."""
        if not might_hold(text, _BARE_NEEDS):
            return None  # (most questions: the patterns, which try every position, are not tried)
        for pattern in (_BARE_END_RE, _BARE_START_RE):
            m = pattern.search(text)
            if m is None:
                continue
            named = " ".join(m.group(1).split()).strip("'’\"“”‘.")
            article = self.match(named, titles_only=True) if named else None
            if article is not None:
                rest = f"{text[: m.start()]} {text[m.end() :]}"
                return Reference(article, " ".join(rest.split()).strip(" ,"), named)
        return None

    def _reference(self, text: str, article: str, named: str, start: int, end: int) -> Reference:
        lead = _LEAD_RE.search(text, 0, start)
        if lead is not None:
            start = lead.start()
        rest = f"{text[:start]} {text[end:]}"
        return Reference(article, " ".join(rest.split()), named)

    def match(self, named: str, *, titles_only: bool = False) -> str | None:
        """The one article best matching the words ``named`` (None when none or several do). With
        ``titles_only`` every word must be in that article's title, id or publisher."""
        terms = set(self._tokenize(named))
        if not terms or not self._ids:
            return None
        if titles_only:
            holding = [aid for aid in self._ids if terms <= self._named[aid]]
            return holding[0] if len(holding) == 1 else None
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


def _named(words: Iterable[re.Match[str]]) -> str:
    return " ".join(w.group(0).strip("'’\"“”‘") for w in words)
