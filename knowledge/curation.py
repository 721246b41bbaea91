"""Curation warnings: things in the knowledge base that load fine but probably claim too much.

``innov check`` prints them after the load result; they never stop a load.

* A fact topic of which half or more of the words are never used by its source article nor explained
  by the alias file: the topic may promise more than the source says (a "little giants" topic on a fact about specialised
  SMEs that the article never calls little giants).
* An alias whose meaning the corpus never uses: it cannot help any question find anything.
* An alias from one place to another ("China: Japan"): every question about the first would be answered
  about the second.
* A fact whose answer names something (a capitalised word: a place, an organisation, a person) that its
  source article never mentions nor the alias file explains: the quote is checked against the article
  and the figures against the quote, but a curator's "Japan ranks 11th" over a quote about China is not.
* A facts file with no facts, or none at all: a truncated file loads, and every question falls to the
  passages.
"""

from __future__ import annotations

import re

from knowledge.aliases import ALIASES_FILE
from knowledge.base import Snapshot
from knowledge.errors import Problem
from knowledge.facts import FACTS_FILE
from knowledge.normalise import english_words

# A capitalised word (with its hyphenated or possessive tail), and where a sentence starts.
_NAME_RE = re.compile(r"\b[A-Z][\w'’-]*")
_SENTENCE_START_RE = re.compile(r"(?:^|[.!?:]\s+)$")


def curation_warnings(snapshot: Snapshot) -> list[Problem]:
    """Warnings (``file:line: message``) about fact topics and aliases, in file order."""
    composer = snapshot.composer
    rules = composer.rules
    # The articles' words: their titles and passages (a snapshot keeps no raw article text).
    article_tokens = {aid: set(rules.tokenize(a.title)) for aid, a in snapshot.articles.items()}
    for passage in snapshot.passages:
        article_tokens.setdefault(passage.article_id, set()).update(
            rules.tokenize(f"{passage.heading or ''} {passage.text}")
        )
    corpus = set().union(*article_tokens.values()) if article_tokens else set()
    alias_words: set[str] = set()
    for key, value in snapshot.aliases.aliases.items():
        alias_words.update(rules.tokenize(key))
        alias_words.update(rules.tokenize(value))
    warnings: list[Problem] = []
    facts_file = str(snapshot.directory / FACTS_FILE)
    for fact in snapshot.facts.values():
        known = article_tokens.get(fact.source, set()) | set(rules.tokenize(fact.answer))
        for topic in fact.topics:
            tokens = rules.tokenize(topic)
            stray = [t for t in tokens if t not in known and t not in alias_words]
            if stray and len(stray) * 2 >= len(tokens):
                warnings.append(
                    Problem(
                        facts_file,
                        fact.line,
                        f"fact {fact.id}: topic {topic!r} uses {', '.join(sorted(set(stray)))!r}, which "
                        f"{fact.source} never uses; check the topic is what the source says, or add an alias",
                    )
                )
        for name in _unsourced_names(fact.answer, article_tokens.get(fact.source, set()), snapshot):
            warnings.append(
                Problem(
                    facts_file,
                    fact.line,
                    f"fact {fact.id}: the answer names {name!r}, which {fact.source} never mentions; check the "
                    "answer says what the source says",
                )
            )
        swapped = _swapped_places(fact.answer, fact.quote, snapshot)
        if swapped is not None:
            said, instead = swapped
            warnings.append(
                Problem(
                    facts_file,
                    fact.line,
                    f"fact {fact.id}: its quote names {said!r} and the answer does not, naming {instead!r} "
                    "instead; check the answer says what the quote says",
                )
            )
    if not snapshot.facts:
        # A missing file has no line 1 to point at: it is named as missing (``unread_near_misses`` names a
        # facts.yml beside it).
        there = (snapshot.directory / FACTS_FILE).exists()
        where, what = (1, "no facts") if there else (0, "missing, so no facts")
        warnings.append(
            Problem(facts_file, where, f"{what}: every question is answered from the articles alone")
        )
    aliases_file = str(snapshot.directory / ALIASES_FILE)
    for key, value in snapshot.aliases.aliases.items():
        tokens = rules.tokenize(value)
        if tokens and not any(t in corpus for t in tokens):
            line = snapshot.aliases.lines.get(f"aliases:{key}", 1)
            warnings.append(
                Problem(
                    aliases_file, line, f"alias {key!r}: the articles never use {value!r}; it matches nothing"
                )
            )
        elif _another_place(composer.places.places, key, value):
            line = snapshot.aliases.lines.get(f"aliases:{key}", 1)
            warnings.append(
                Problem(
                    aliases_file,
                    line,
                    f"alias {key!r}: {key!r} and {value!r} are two places; questions about the first would be "
                    "answered about the second",
                )
            )
    return warnings


def _another_place(places: dict[str, str], key: str, value: str) -> bool:
    """Whether ``key`` and ``value`` name two different places of the gazetteer."""
    a, b = places.get(key.strip().lower()), places.get(value.strip().lower())
    return a is not None and b is not None and a != b


def _swapped_places(answer: str, quote: str, snapshot: Snapshot) -> tuple[str, str] | None:
    """A place the quote names and the answer leaves out, and one the answer names that the quote does
    not, when there are both ("Tokyo" and "Shenzhen"): the answer says it of another place. (An answer
    naming a place where its quote names none, "China" for "the country", is no swap.)"""
    rules = snapshot.composer.rules
    quoted, answered = _places(quote, snapshot), _places(answer, snapshot)
    in_answer, in_quote = set(rules.tokenize(answer)), set(rules.tokenize(quote))
    left_out = [p for p in quoted if not set(rules.tokenize(p)) & in_answer]
    added = [p for p in answered if not set(rules.tokenize(p)) & in_quote]
    return (left_out[0], added[0]) if left_out and added else None


def _places(text: str, snapshot: Snapshot) -> list[str]:
    """The places ``text`` names, in any case, longest first, none inside a longer one ("South Korea")."""
    found = sorted(_gazetteer_phrases(text, snapshot), key=len, reverse=True)
    return [p for i, p in enumerate(found) if not any(p in longer.split() for longer in found[:i])]


def _gazetteer_phrases(text: str, snapshot: Snapshot) -> set[str]:
    """Every run of up to five words of ``text`` (lower case) that the gazetteer knows as a place (the text's
    runs looked up, not the gazetteer scanned per text)."""
    lowered = re.findall(r"[a-z]+", text.lower())
    phrases = {" ".join(lowered[i : i + n]) for n in range(1, 6) for i in range(len(lowered) - n + 1)}
    return phrases & snapshot.composer.places.places.keys()


def _unsourced_names(answer: str, known: set[str], snapshot: Snapshot) -> list[str]:
    """The capitalised words and the places of ``answer`` whose words (an abbreviation's read through the
    alias file: "WIPO" as "World Intellectual Property Organization") are not in ``known``; a sentence's
    first word only when it is no ordinary English word, or a place ("According" is not a name, "Japan"
    is)."""
    rules = snapshot.composer.rules
    places = snapshot.composer.places
    english = english_words()
    found = []
    # A place, in any case ("japan ranks 11th", "South Korea"), is one name, reported as written.
    placed: set[str] = set()
    for place in sorted(_gazetteer_phrases(answer, snapshot)):
        placed.update(place.split())
        if [t for t in rules.tokenize(place) if len(t) > 1 and t not in known]:
            written = re.search(r"\W+".join(map(re.escape, place.split())), answer, re.IGNORECASE)
            found.append(written.group(0) if written else place)
    for match in _NAME_RE.finditer(answer):
        word = match.group(0)
        plain = word.lower().removesuffix("'s").removesuffix("’s")
        if plain in placed:
            continue
        first = bool(_SENTENCE_START_RE.search(answer[: match.start()]))
        if first and plain in english and plain not in places.places and plain not in places.demonyms:
            continue
        stray = [t for t in rules.tokenize(word) if len(t) > 1 and t not in known]
        if stray:
            found.append(word)
    return found
