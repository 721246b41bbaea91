"""Text handling shared by the index and the composer: normalisation, tokenising, sentence splitting.

One tokenizer serves both sides of the index (documents and questions): lower-casing, a curated alias
table (GII = Global Innovation Index, ...), numbers kept whole ("3.6", "463,000", "11th"), stop words
dropped, and Snowball stemming through PyStemmer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

# Curated aliases, applied to documents and questions alike so either spelling finds the other.
# Keys are matched case-insensitively as whole words; values are what they stand for.
ALIASES: dict[str, str] = {
    "gii": "global innovation index",
    "r&d": "research and development",
    "r & d": "research and development",
    "rnd": "research and development",
    "zgc": "zhongguancun",
    "smes": "small and medium-sized enterprises",
    "sme": "small and medium-sized enterprise",
    "ai": "artificial intelligence",
    "wipo": "world intellectual property organization",
    "bda": "beijing economic-technological development area",
    "bri": "belt and road initiative",
    "ipr": "intellectual property rights",
    "ip": "intellectual property",
    "iot": "internet of things",
    "amnc": "amnc asia's most innovative countries",
    "u.s.": "united states",
    "usa": "united states",
    "prc": "china",
    "hi-tech": "high-tech",
    "hitech": "high-tech",
}

# Words that carry no subject matter in a question or a document.
STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can cannot could did didn't do does doesn't doing don't down during each few
    for from further had has have having he her here hers herself him himself his how i if in into is isn't
    it it's its itself just let's me more most my myself no nor not of off on once only or other ought our
    ours ourselves out over own same she should so some such than that that's the their theirs them
    themselves then there there's these they this those through to too under until up very was wasn't we
    were what what's when where which while who whom why will with would you your yours yourself
    yourselves s t will shall may might must tell me please know known say said says give gave given get
    got much many number numbers amount how's who's where's when's whats thing things like really also
    currently current now today actually exactly roughly approximately about around one's anyone someone
    something anything everything kind sort type lot lots
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Words that mean the same thing in questions about this domain. Each group is folded onto its first
# word's stem on both sides of the index, so "When did the plan start?" meets "Launched in 2015".
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("launch", "start", "started", "begin", "began", "begun", "commence", "introduce", "introduced", "kick"),
    ("agreement", "agree", "agreed", "deal", "sign", "signed", "pledge", "pledged", "commit", "committed"),
    ("enterprise", "enterprises", "firm", "firms", "company", "companies", "business", "businesses"),
    ("spend", "spending", "spent", "expenditure", "expenditures", "budget", "outlay"),
    ("rank", "ranks", "ranked", "ranking", "rankings", "position", "place", "placed", "standing"),
    ("worker", "workers", "employee", "employees", "labor", "labour"),
    ("province", "provinces", "region", "regions", "provincial"),
    ("prioritize", "prioritized", "prioritise", "prioritised", "priority", "priorities", "emphasize"),
    ("end", "conclude", "concluded", "concludes", "close", "closes", "finish"),
    ("theme", "themed", "motto", "slogan"),
    ("nickname", "called", "dubbed"),
    ("cluster", "clusters", "hub", "hubs"),
    ("robotics", "robot", "robots", "robotic"),
    ("biggest", "largest", "most", "top"),
    ("money", "funding", "capital", "fund"),
    ("plan", "plans", "blueprint", "programme", "program"),
)

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_ALIAS_RE = re.compile(
    r"(?<![\w&])(" + "|".join(re.escape(k) for k in sorted(ALIASES, key=len, reverse=True)) + r")(?![\w&])",
    re.IGNORECASE,
)
# Numbers stay whole (decimals, thousands separators, ordinals); words may carry inner hyphens or '&'.
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?|[a-z]+(?:'[a-z]+)?")
_POSSESSIVE_RE = re.compile(r"'s?$")
_STEMMER = Stemmer.Stemmer("english")


def normalise(text: str) -> str:
    """Unicode-normalise, straighten quotes and collapse whitespace (used for quote checks and keys)."""
    if text.isascii():  # NFKC and the quote table change nothing in ASCII: skip them (build speed)
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.split())


def expand_aliases(text: str) -> str:
    """Replace every alias with the words it stands for (lower-cased text in, lower-cased text out)."""
    return _ALIAS_RE.sub(lambda m: ALIASES[m.group(1).lower()], text)


_CANONICAL: dict[str, str] = {
    str(_STEMMER.stemWord(word)): str(_STEMMER.stemWord(group[0])) for group in SYNONYMS for word in group
}


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball (Porter2) stem of one lower-case word, folded onto its synonym group; numbers stay whole."""
    if word[0].isdigit():
        return word
    stemmed = str(_STEMMER.stemWord(word))
    return _CANONICAL.get(stemmed, stemmed)


def words(text: str) -> list[str]:
    """Lower-cased, alias-expanded surface words of ``text``, possessives dropped, stop words kept."""
    text = expand_aliases(normalise(text).lower())
    out = []
    for raw in _TOKEN_RE.findall(text):
        word = _POSSESSIVE_RE.sub("", raw) if "'" in raw and not raw[0].isdigit() else raw
        if word:
            out.append(word)
    return out


def tokenize(text: str) -> list[str]:
    """The index's tokens for ``text``: surface words without stop words, stemmed."""
    return [stem(w) for w in words(text) if w not in STOP_WORDS]


def tokenize_many(texts: Iterable[str]) -> list[list[str]]:
    """``tokenize`` over many texts (the corpus side of the index)."""
    return [tokenize(t) for t in texts]


# Sentence boundaries: end punctuation, optional closing quote or bracket, then a capital, digit or quote.
_ABBREVIATIONS = (
    "U.S.",
    "U.K.",
    "e.g.",
    "i.e.",
    "Mr.",
    "Ms.",
    "Dr.",
    "No.",
    "St.",
    "Inc.",
    "Co.",
    "vs.",
    "etc.",
)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9•])")


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences, keeping abbreviations such as "U.S." inside their sentence."""
    text = " ".join(paragraph.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        head = text[start : match.start()]
        if head.endswith(_ABBREVIATIONS):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences
