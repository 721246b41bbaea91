"""What an abbreviation stands for ("what does WIPO stand for"): a look-up, not a ranking.

Where an article writes the abbreviation out as such ("Zhongguancun (ZGC)", or words whose initials spell
it), the answer is that expansion, cited with the sentence (``spelled_out``). Where none does, the ranked
answer stands only if its text spells it out (``Expansion.spelled_in``); a text merely naming it does not
say what it stands for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from knowledge.answering.candidate import Candidate
from knowledge.answering.decision import Decision
from knowledge.answering.question import Question
from knowledge.answering.render import clip
from knowledge.index import BM25Index
from knowledge.models import Article
from knowledge.passages import PassageStore
from knowledge.text import STOP_WORDS, stem

# How far down the passages an abbreviation's spelled-out form is looked for.
EXPANSION_PASSAGES = 50
# Words an abbreviation's letters skip ("R&D": research AND development; "BRI": belt AND road initiative).
_SKIPPED_INITIALS = frozenset(("and", "of", "the", "for", "in", "on", "&"))


class Expansion:
    """What an abbreviation stands for, and how to tell a text that writes it out.

    With the alias file's words for it, an article writes it out where it pairs them with the letters
    ("Zhongguancun (ZGC)") or, when their initials spell it, where it uses them; without (letters the
    alias file does not know), where it brackets the letters after words whose initials spell them
    ("the Strelsau Robotics Board (SRB)").
    """

    def __init__(self, abbreviation: str, words: tuple[str, ...] = ()) -> None:
        self.abbreviation = abbreviation
        own = abbreviation.lower()
        self._letters = [c for c in own if c.isalpha()]
        # "AMNC: AMNC Asia's Most Innovative Countries": the abbreviation itself is no part of what it means.
        self.words = tuple(w for w in words if w != own) or words
        abbr = re.escape(abbreviation)
        self._named = re.compile(rf"(?<![\w&]){abbr}(?![\w&])", re.IGNORECASE)
        joined = r"[\s,;-]+".join(map(re.escape, self.words))
        self._plain = re.compile(rf"\b{joined}s?\b", re.IGNORECASE)
        # "Zhongguancun (ZGC)", "ZGC (Zhongguancun)": the article says which abbreviation it is; so does
        # "Zhongguancun Forum (ZGC Forum)", the same words after each.
        self._paired = re.compile(
            rf"\b(?P<x>{joined})\s*\(\s*{abbr}\s*\)|\b{abbr}\s*\(\s*(?P<y>{joined})\s*\)"
            rf"|\b(?P<z>{joined})(?P<after>(?:\s+[\w'’-]+){{1,2}})\s*\(\s*{abbr}(?P=after)\s*\)",
            re.IGNORECASE,
        )
        self._bracketed = re.compile(rf"((?:[A-Z][\w'’&-]*\s+)+)\(\s*(?i:{abbr})\s*\)")
        # A text saying what the letters stand for, the alias file's words unknown: "... Board (SRB)",
        # "SRB (...)", "SRB stands for / is short for / means ...".
        self._said = re.compile(
            rf"\(\s*{abbr}\s*\)|(?<![\w&]){abbr}\s*\(|(?<![\w&]){abbr}\W+(?:\w+\W+)?(?:stands for|short for|means)\b",
            re.IGNORECASE,
        )
        # Words whose initials spell the abbreviation ("World Intellectual Property Organization"), not a
        # paraphrase the alias file gives for matching ("NPC: top legislature", "PV: solar panels").
        spelled = _initials(self.words)
        remaining = iter(spelled)
        self._initials_fit = (
            len(self.words) >= 2
            and bool(self._letters)
            and bool(spelled)
            and self._letters[0] == spelled[0]
            and all(c in remaining for c in self._letters)
        )

    def written_out(self, sentence: str) -> str | None:
        """The expansion as ``sentence`` writes it, when it does so as this abbreviation's."""
        if not self.words:
            for match in self._bracketed.finditer(sentence) if len(self._letters) >= 2 else ():
                words = match.group(1).split()
                found = next(
                    (words[i:] for i in range(len(words)) if _initials(words[i:]) == self._letters), None
                )
                if found is not None:
                    return " ".join(found)
            return None
        paired = self._paired.search(sentence)
        if paired is not None:
            return paired.group("x") or paired.group("y") or paired.group("z")
        found_plain = self._plain.search(sentence) if self._initials_fit else None
        return found_plain.group(0) if found_plain is not None else None

    def spelled_in(self, text: str) -> bool:
        """Whether ``text`` says what the abbreviation stands for: names it and holds the alias file's words
        for it ("AMNC 23 stands for Asia's Most Innovative Countries"; a sentence on "solar panels" does
        not say what "PV" stands for), or, those unknown, pairs or equates it with words ("Kimi and ..."
        does not say what Kimi stands for)."""
        if not self.words:
            return self._said.search(text) is not None
        return self._plain.search(text) is not None and self._named.search(text) is not None


def spelled_out(
    q: Question,
    expansion: Expansion,
    index: BM25Index,
    passages: PassageStore,
    articles: Mapping[str, Article],
) -> Decision | None:
    """ "WIPO stands for World Intellectual Property Organization.": the alias file's expansion where an
    article writes it out as the abbreviation's ("Zhongguancun (ZGC)", or words whose initials spell
    it), cited with that sentence; None when no article does."""
    words = expansion.words or (expansion.abbreviation.lower(),)
    terms = [stem(w) for w in words if w not in STOP_WORDS]
    for hit in index.retrieve(terms, EXPANSION_PASSAGES):
        passage = passages[hit.doc]
        for sentence in passage.sentences:
            found = expansion.written_out(sentence)
            if found is not None:
                text = f"{expansion.abbreviation.upper()} stands for {found}."
                source = articles[passage.article_id].source(quote=clip(sentence))
                # No features: a look-up, not a ranking (``evaluate`` leaves it out of fitting).
                return Decision(q, Candidate("passage", text, (source,), {}, 0.0), 1.0, True)
    return None


def _initials(words: Sequence[str]) -> list[str]:
    """The letters words' initials spell, as an abbreviation skips "and", "of", "the" ...."""
    return [p[0].lower() for w in words for p in w.split("-") if p and p.lower() not in _SKIPPED_INITIALS]
