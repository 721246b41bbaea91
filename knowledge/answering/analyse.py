"""Stage 1: a question's text -> a ``Question`` (cleaned, spelled, reduced to weighted terms and constraints).

Slack noise goes (``knowledge.normalise.clean``), long-word typos are corrected against the knowledge base's
own words, aliases, number forms and demonyms are folded by the tokenizer the index uses, and the type of
answer asked for is read from the intents table (``knowledge.answering.intents``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from knowledge.answering import intents
from knowledge.answering.question import Question
from knowledge.answering.words import ORDINAL_RE, YEAR_RE
from knowledge.attributes import attribute_asked
from knowledge.entities import Gazetteer
from knowledge.models import Article, Fact
from knowledge.normalise import NOISE_WORDS, Speller, afterthought, clean, english_words
from knowledge.passages import PassageParts
from knowledge.references import ArticleReferences, Reference
from knowledge.text import STOP_WORDS, SYMBOLS, TextRules, normalise, stem
from knowledge.traits import CAPITALISED_RE

NAMES_SEEN = 65536  # capitalised words whose knownness is remembered (``Analyser.known_name``)
_POSSESSIVE_RE = re.compile(r"'s?$")
# Any digit: a question without one writes no year and no ordinal ("2024", "11th").
_DIGIT_RE = re.compile(r"\d")


class Phrasing(NamedTuple):
    """A question's text in the forms analysis reads."""

    whole: str  # as asked, its quotes and spaces normalised (what the list intent reads)
    reference: Reference | None  # the article it names ("according to the AMNC 23 blog")
    cleaned: str  # Slack noise and the article's naming out
    spelled: str  # ranks as words ("#1" -> "ranked first"), typos corrected
    normalised: str  # ``spelled`` without surrounding punctuation
    understood: str  # the words as the tokenizer reads them (aliases spelled out), lower-case ASCII


class Terms(NamedTuple):
    """The question's content words: weighted where the knowledge base knows them."""

    terms: tuple[str, ...]
    weights: dict[str, float]
    unknown: list[str]
    names: set[str]
    entities: tuple[frozenset[str], ...]


class Analyser:
    """Reads questions against one knowledge base: its words, names, places, aliases and articles."""

    def __init__(
        self,
        articles: Mapping[str, Article],
        facts: Sequence[Fact],
        fact_tokens: Sequence[Sequence[str]],
        parts: PassageParts,
        rules: TextRules,
        table: Mapping[str, str],
        places: Gazetteer,
    ) -> None:
        """``table`` is every alias (built in and the alias file's); ``fact_tokens`` each fact's terms."""
        self.rules = rules
        self._index = parts.index
        self._passages = parts.passages
        self.vocabulary = frozenset(parts.index.vocabulary).union(*fact_tokens)
        self.names, self.subject_terms = parts.names, parts.subject_terms
        # (Which articles hold a term is asked per reference word: cached, as postings can be long.)
        self.references = ArticleReferences(
            articles, rules.tokenize, lru_cache(maxsize=4096)(self.articles_with)
        )
        # Places: the gazetteer's, as token tuples, except those the corpus uses as ordinary words.
        self.places: dict[tuple[str, ...], frozenset[str]] = {}
        for phrase in places.places:
            key = tuple(rules.words(phrase))
            tokens = frozenset(stem(w) for w in key if w not in STOP_WORDS)
            if key and tokens and (len(key) > 1 or tokens <= self.names or not tokens <= self.vocabulary):
                self.places[key] = tokens
        self._place_len = max((len(k) for k in self.places), default=1)
        self._place_starts = frozenset(k[0] for k in self.places)  # a place's first word: where to look
        # Every place's terms, and the corpus's common subject: what "where" is answered by.
        self.place_terms = (
            frozenset(t for tokens in self.places.values() for t in tokens) | self.subject_terms
        )
        # What the alias tables spell abbreviations out as ("wipo" -> world intellectual property
        # organization): what "what does WIPO stand for" is answered with (see ``expansion.Expansion``).
        self.expansions: dict[str, tuple[str, ...]] = {
            key.lower(): tuple(re.findall(r"[\w&'-]+", value.lower()))
            for key, value in table.items()
            if len(key) >= 2
        }
        self._alias_terms = frozenset(
            stem(w) for value in rules.aliases.values() for w in value.split() if w not in STOP_WORDS
        )
        # Abbreviations that stand for a phrase of two or more content words, by their words.
        self._alias_phrases: dict[tuple[str, ...], frozenset[str]] = {}
        for alias, value in rules.aliases.items():
            stems = frozenset(stem(w) for w in rules.words(value) if w not in STOP_WORDS)
            if len(stems) >= 2:
                self._alias_phrases[tuple(alias.split())] = stems
        self._alias_phrase_starts = frozenset(k[0] for k in self._alias_phrases if k)
        self._names_seen: dict[str, bool] = {}  # see ``known_name``
        self.speller = _speller(articles, facts, parts, rules, table, places)

    def analyse(self, question: str) -> Question:
        """The question cleaned, spelled against the corpus, and reduced to weighted terms and constraints."""
        said = self.phrasing(question)
        understood, spelled = said.understood, said.spelled
        asks_amount = intents.ASKS_AMOUNT.search(understood) is not None
        asks_name = intents.ASKS_NAME.search(understood) is not None
        found = self._terms(said, asks_amount, asks_name)
        known = {intents.ASKS_AMOUNT: asks_amount, intents.ASKS_NAME: asks_name}
        intent = intents.wanted(understood, said.whole, found.terms, known)
        wants = intent.wants if intent is not None else None
        years, ordinals = _years_and_ordinals(spelled)
        reference = said.reference
        asked = intents.expansion_asked(said.cleaned, self.expansions)
        return Question(
            text=question,
            normalised=said.normalised.lower(),
            terms=found.terms,
            weights=found.weights,
            names=frozenset(found.names),
            entities=found.entities,
            unknown=tuple(found.unknown),
            unknown_name=self._unknown_name(said),
            wants=wants,
            years=years,
            ordinals=ordinals,
            yes_no=bool(intents.YES_NO_RE.match(understood)),
            amount=wants == "number" and asks_amount,
            share=wants == "number" and intents.ASKS_SHARE.search(understood) is not None,
            repeats=wants == "number" and intents.ASKS_REPEATS.search(understood) is not None,
            phrases=self._phrases(spelled),
            article=reference.article if reference is not None else None,
            about_article=intents.about_article(understood) if reference is not None else None,
            abbreviation=asked if asked is not None and asked.lower() in self.expansions else None,
            expansion_asked=asked,
            # (The cleaned, spelled question reads better to the model than the alias-expanded words: measured
            # on every QA set, the right text ranked first by cosine 338 against 330 of 467 times.)
            meaning=said.normalised.lower(),
            understood=understood,
            attribute=attribute_asked(said.normalised.lower()),
        )

    def phrasing(self, question: str) -> Phrasing:
        """The question's text in the forms analysis reads (see ``Phrasing``)."""
        raw = whole = normalise(question)
        # "according to the AMNC 23 blog, ...": the article named is where to look, not what is asked
        # (read before the noise words go: "blog", "article" are noise anywhere else).
        reference = self.references.find(raw)
        if reference is not None:
            raw = reference.text
        cleaned = clean(raw) or raw
        remark = afterthought(cleaned)
        if remark is not None and self._says_nothing(remark[1]):
            cleaned = remark[0]  # ("china's gii rank? asking for a deck": it read as 0.47, the question 0.86)
        spelled, _ = self.speller.correct_text(intents.ranks_as_words(cleaned))
        normalised = " ".join(spelled.split()).strip(" ?!.")
        # The answer type is read after aliases ("hw much" -> "how much").
        understood = " ".join(self.rules.words(spelled))
        return Phrasing(whole, reference, cleaned, spelled, normalised, understood)

    def _says_nothing(self, remark: str) -> bool:
        """Whether words after a question add nothing to it: no number, place, name or word of the
        knowledge base ("asking for a deck", "in a hurry sorry"), unlike "germany", "2019" or "pfizer"."""
        if any(c.isdigit() for c in remark):
            return False
        surface = self.rules.words(remark)
        if self._entities(surface):
            return False
        return not any(
            stem(w) in self.vocabulary or stem(w) in self._alias_terms
            for w in surface
            if w not in STOP_WORDS and w not in NOISE_WORDS
        )

    def _terms(self, said: Phrasing, asks_amount: bool, asks_name: bool) -> Terms:
        """The question's content words: "what year" names the type of answer wanted, not its subject, so
        "year" is no term; nor is what the question says it already knows ("besides X, what else")."""
        understood = said.understood
        shown = understood
        if intents.HOW_MEASURE.tried(understood):
            shown = intents.HOW_MEASURE.pattern.sub("how", shown)
        if intents.TYPE_WORDS.tried(understood):
            shown = intents.TYPE_WORDS.pattern.sub(r"\1", shown)
        surface = shown.split()
        if asks_amount:
            # "what fraction of", "what's the value of": the type of answer wanted (``Question.amount``,
            # ``share``), which the answer states as "two-thirds" or "2.5 billion", not a subject word.
            surface = [w for w in surface if w not in intents.TYPE_NOUNS]
        if asks_name:
            # "what's the official name of X": the type of answer wanted, not words the answer holds.
            surface = [w for w in surface if w not in intents.NAME_WORDS]
        terms = tuple(dict.fromkeys(stem(w) for w in surface if w not in STOP_WORDS and w not in NOISE_WORDS))
        weights: dict[str, float] = {}
        unknown: list[str] = []
        for t in terms:
            # A word of an abbreviation's expansion is subject matter even where the corpus lacks it
            # ("gdp" -> "gross domestic product"): it weighs as a missed content word, so a text with
            # only "domestic production" does not cover the question.
            if t in self.vocabulary or t in self._alias_terms:
                weights[t] = self.idf(t)
            else:
                unknown.append(t)
        entities = self._entities(surface)
        names = {t for t in terms if t in self.names and t not in self.subject_terms}
        # "besides upgrading manufacturing, what else ...": those words are not what is asked (the names
        # and places among them still are), so a text that only restates them does not cover it.
        given = self._given(said.spelled) - names - {t for e in entities for t in e}
        if given and set(weights) - given:
            terms = tuple(t for t in terms if t not in given)
            weights = {t: w for t, w in weights.items() if t not in given}
            unknown = [t for t in unknown if t not in given]
        return Terms(terms, weights, unknown, names, entities)

    def _unknown_name(self, said: Phrasing) -> bool:
        """Whether the question uses a capitalised name the knowledge base has never seen ("Freedonia")."""
        unknown_name = False
        understood_words = set(said.understood.split())
        for word in CAPITALISED_RE.findall(said.cleaned):
            lowered = _POSSESSIVE_RE.sub("", word.lower().replace("’", "'"))
            fixed = self.speller.correct(lowered)
            if fixed.isalpha() and fixed not in understood_words:
                continue  # part of a phrase the alias file spells out ("MIC 2025"): a known name
            if not self.known_name(fixed):
                unknown_name = True
        return unknown_name

    def known_name(self, word: str) -> bool:
        """Whether a capitalised word (lowered, spelled) is known: some of its terms are the knowledge
        base's, or it has none (answered once per word: names recur from question to question)."""
        known = self._names_seen.get(word)
        if known is None:
            parts = [stem(p) for p in self.rules.words(word) if p not in STOP_WORDS and p not in NOISE_WORDS]
            known = not parts or any(p in self.vocabulary for p in parts)
            if len(self._names_seen) < NAMES_SEEN:
                self._names_seen[word] = known
        return known

    def _given(self, text: str) -> frozenset[str]:
        """The terms of what the question says it already knows ("besides X", "X and what else")."""
        found: set[str] = set()
        for rule in intents.KNOWN_ALREADY:
            for match in rule.finditer(text):
                found.update(self.rules.tokenize(match.group(0)))
        return frozenset(found)

    def _entities(self, surface: Sequence[str]) -> tuple[frozenset[str], ...]:
        """Places the question names (as token sets), the corpus's common subject excepted."""
        found: list[frozenset[str]] = []
        starts = self._place_starts
        free = 0  # the first word not already part of a place found
        # Only the few words that start a place name are looked at (found once, in a comprehension).
        for i in [i for i, word in enumerate(surface) if word in starts]:
            if i < free:
                continue
            for n in range(min(self._place_len, len(surface) - i), 0, -1):
                tokens = self.places.get(tuple(surface[i : i + n]))
                if tokens is not None:
                    if not tokens <= self.subject_terms:
                        found.append(tokens)
                    free = i + n
                    break
        return tuple(dict.fromkeys(found))

    def _phrases(self, text: str) -> tuple[frozenset[str], ...]:
        """The expansions (as stems) of the abbreviations ``text`` uses (see ``Question.phrases``)."""
        words = [w.strip(".,;:!?\"'()") for w in text.split()]
        starts = self._alias_phrase_starts
        # The few words that start an abbreviation, found once for the three lengths.
        firsts = [i for i, w in enumerate(words) if w in starts]
        found = []
        for n in (1, 2, 3):
            for i in firsts:
                if i + n > len(words):
                    break
                stems = self._alias_phrases.get(tuple(words[i : i + n]))
                if stems is not None and stems not in found:
                    found.append(stems)
        return tuple(found)

    def articles_with(self, term: str) -> list[str]:
        """The ids of the articles whose passages hold ``term`` (from the index's postings)."""
        index = self._index
        tid = index.vocabulary.get_id(term)
        if tid < 0:
            return []
        docs = index.docs[int(index.indptr[tid]) : int(index.indptr[tid + 1])]
        store = self._passages
        return [store.article_ids[int(i)] for i in np.unique(store.article[docs])]

    def idf(self, term: str) -> float:
        """A term's weight: its passage IDF; terms known only to the fact table weigh as much as the rarest
        passage term."""
        return self._index.idf.get(term, self._index.unseen_idf)


def _years_and_ordinals(spelled: str) -> tuple[frozenset[str], frozenset[str]]:
    """The years and editions the question names ("2024", "11th"), thresholds compared with excepted."""
    if _DIGIT_RE.search(spelled) is None:  # years and ordinals are written in digits
        return frozenset(), frozenset()
    compared = {m.end() for m in intents.COMPARED_RE.finditer(spelled)}
    years = frozenset(m.group(0) for m in YEAR_RE.finditer(spelled) if m.start() not in compared)
    # (Positions up to "10th" are words on both sides, "second": terms, not editions to match.)
    ordinals = frozenset(
        m.group(0)
        for m in ORDINAL_RE.finditer(spelled)
        if m.start() not in compared and m.group(0).lower() not in SYMBOLS
    )
    return years, ordinals


def _speller(
    articles: Mapping[str, Article],
    facts: Sequence[Fact],
    parts: PassageParts,
    rules: TextRules,
    table: Mapping[str, str],
    places: Gazetteer,
) -> Speller:
    """The speller over every word the knowledge base writes (passages, titles, facts, aliases)."""
    surface: Counter[str] = Counter(list(table))
    surface.update(parts.surface)
    for title in (a.title for a in articles.values()):
        surface.update(rules.words(title))
    for fact in facts:
        surface.update(rules.words(" ".join((fact.answer, *fact.topics))))
    for value in table.values():
        surface.update(value.split())
    place_words = {w for phrase in places.places for w in phrase.split()} | set(places.demonyms)
    return Speller(
        surface, protected=STOP_WORDS | NOISE_WORDS | place_words, same=stem, known=english_words()
    )
