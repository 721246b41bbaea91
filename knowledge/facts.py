"""The curated fact table: ``facts.yaml`` validated with pydantic, every quote checked against its article."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.errors import Problem
from knowledge.files import (
    FACTS_FILE,
    FACTS_SHAPE,
    YAML_LOADER,
    DecodeProblem,
    compose_yaml,
    decode,
    yaml_problem,
)
from knowledge.models import Article, Fact
from knowledge.text import CARDINAL_WORDS, NUMBER_SUFFIXES, SCALE_EXPONENTS, SYMBOLS, currencies, normalise

__all__ = ["FACTS_FILE", "FactEntry", "load_facts"]
LABEL_CHARS = 60  # a fact's id as echoed in a problem: never a whole (possibly huge) value
MIN_QUOTE_WORDS = 4  # a quote is a clause of its article, not a word that happens to be in it

# The figures of a text, read as the rest of innov reads numbers (``knowledge.text``): a scale word or
# suffix multiplies ("2.5bn" is "2.5 billion" is "2,500 million"), a comma separates thousands, and an
# ordinal up to ten is its word ("2nd" is "second"). Numbers written as words count as well ("nine
# cities" is "9 cities"), except "one", which is more often a pronoun ("one of the largest").
_SCALES = {**SCALE_EXPONENTS, **{short: SCALE_EXPONENTS[word] for short, word in NUMBER_SUFFIXES.items()}}
_ORDINAL_WORDS = {word: int(form[:-2]) for form, word in SYMBOLS.items() if form[:1].isdigit()}


def _alternatives(words: Mapping[str, object]) -> str:
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


# A figure is a whole number, never a piece of a word or of another number: "MIC2025" and "5G" are names,
# "463,000" in "1,463,000" is no figure of its own.
_FIGURE_RE = re.compile(
    rf"(?<![\w.,])(?:(?P<number>\d+(?:[.,]\d+)*|{_alternatives(CARDINAL_WORDS)})"
    rf"(?:(?P<ordinal>st|nd|rd|th)|(?P<decade>s)|\s?(?P<scale>{_alternatives(_SCALES)}))?"
    rf"|(?P<ordinal_word>{_alternatives(_ORDINAL_WORDS)}))(?!\w)"
)
YEARS = range(1900, 2101)  # the years an ``as_of`` may be (``FactEntry.as_of``)


class FactEntry(BaseModel):
    """One entry of ``facts.yaml`` as a curator writes it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    answer: str = Field(min_length=1, max_length=300)
    value: str
    unit: str | None = None
    as_of: int | None = Field(default=None, ge=1900, le=2100)
    topics: list[str] = Field(default_factory=list)
    source: str
    quote: str = Field(min_length=1)
    rank: bool = False

    @field_validator("value", mode="before")
    @classmethod
    def _value_text(cls, value: object) -> object:
        # A curator may write `value: 2015`; the fact table keeps every value as text.
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _yaml_mapping_lines(root: yaml.Node | None) -> list[int]:
    """The line number (1-based) of each entry of the top-level ``facts`` list, for error messages."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "facts" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def load_facts(
    path: Path, articles: Mapping[str, Article], data: bytes | None = None
) -> tuple[list[Fact], list[Problem]]:
    """Parse and check ``facts.yaml`` (``data``: its bytes, already read safely; else the file is read).

    Returns the good facts and every problem found (file:line: message).
    """
    file = str(path)
    try:
        text = decode(path, path.read_bytes() if data is None else data)
    except DecodeProblem as exc:
        return [], [exc.problem]
    try:
        root = compose_yaml(text)
        parsed: Any = None if root is None else YAML_LOADER(text).construct_document(root)
    except yaml.YAMLError as exc:
        return [], [yaml_problem(file, exc, text=text, shape=FACTS_SHAPE)]
    if parsed is None:
        return [], []
    if not isinstance(parsed, dict) or not isinstance(parsed.get("facts"), list):
        return [], [Problem(file, 1, "expected a top-level 'facts:' list of fact entries")]
    lines = _yaml_mapping_lines(root)
    # Only the articles facts quote are normalised, each once (a large corpus has thousands of others).
    normalised_articles: dict[str, str] = {}
    facts: list[Fact] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(parsed["facts"]):
        line = lines[index] if index < len(lines) else 1
        label = item.get("id", f"#{index + 1}") if isinstance(item, dict) else f"#{index + 1}"
        label = str(label)[:LABEL_CHARS]
        try:
            entry = FactEntry.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "entry"
            problems.append(Problem(file, line, f"fact {label}: {field}: {first['msg']}"))
            continue
        if entry.id in seen:
            problems.append(
                Problem(file, line, f"fact {entry.id}: duplicate id (first at line {seen[entry.id]})")
            )
            continue
        seen[entry.id] = line
        if entry.source not in articles:
            known = ", ".join(sorted(articles)) or "none"
            problems.append(
                Problem(file, line, f"fact {entry.id}: unknown source {entry.source!r} (articles: {known})")
            )
            continue
        problem = _check_fact(entry, articles[entry.source], normalised_articles)
        if problem is not None:
            problems.append(Problem(file, line, f"fact {entry.id}: {problem}"))
            continue
        facts.append(
            Fact(
                id=entry.id,
                answer=entry.answer,
                value=str(entry.value),
                unit=entry.unit,
                as_of=entry.as_of,
                topics=tuple(entry.topics),
                source=entry.source,
                quote=entry.quote,
                rank=entry.rank,
                line=line,
            )
        )
    return facts, problems


def _check_fact(entry: FactEntry, article: Article, normalised_articles: dict[str, str]) -> str | None:
    """What is wrong with a fact against its article, or None.

    The quote must be a clause of the article's text as innov reads it (not the page furniture the
    cleaner drops: captions, "Must Read", "Leave a reply"), and it must state the value the answer
    gives as a whole figure, and every other figure the answer states: a fact whose answer says "5th",
    "111th" or "1,463,000" over a quote saying "11th" or "463,000" is refused, not served with the quote
    as its source. Where the quote gives no year, a year of the answer may be the fact's ``as_of`` ("last
    year", "now": the curator's reading, shown with the fact anyway) or, with no ``as_of``, one its article
    states (a name's: "Made in China 2025"); a quote giving a year must give the answer's. An answer
    negating ("not", "no longer", "never", "fewer than", "lacks") where its quote does not is refused too,
    and so is one giving its figure in a currency its quote does not ("3.6 trillion U.S. dollars" over a
    quote saying "3.6 trillion yuan").
    """
    if article.id not in normalised_articles:
        normalised_articles[article.id] = normalise(article.text)
    quote = normalise(entry.quote)
    if len(quote.split()) < MIN_QUOTE_WORDS:
        return f"quote too short ({len(quote.split())} words): quote the clause that states the value"
    if quote not in normalised_articles[article.id]:
        return (
            f"quote not found in {article.path}; copy it verbatim from the article's text "
            "(not a caption or the page's links)"
        )
    value = normalise(entry.value).casefold()
    answer = normalise(entry.answer)
    found = _whole(value, answer.casefold())
    if found is not True:
        inside = " (only inside a longer number)" if found is False else ""
        return f"answer does not state the value {entry.value!r}{inside}"
    if _whole(value, quote.casefold()) is not True:
        return f"quote does not state the value {entry.value!r}: quote the words that say it"
    stated = figures(quote)
    quote_years = any(figure.isdigit() and int(figure) in YEARS for figure in stated)
    for figure, written in figures(answer).items():
        if figure in stated:
            continue
        if not quote_years and entry.as_of is not None and figure == str(entry.as_of):
            continue  # the quote says "last year" or "now": the as_of year (shown with the fact) reads it
        if not quote_years and entry.as_of is None and _year_in(figure, normalised_articles[article.id]):
            continue  # a name's year the article gives ("Made in China 2025"), the quote giving none
        return (
            f"quote does not state {written!r}, which the answer states: quote the words that say it, or "
            "take it out of the answer"
        )
    in_quote = currencies(quote)
    other = currencies(answer) - in_quote
    if other and in_quote:
        return (
            f"answer gives its figure in {', '.join(sorted(other))}, which its quote does not (it says "
            f"{', '.join(sorted(in_quote))}): an answer must say what the quote says"
        )
    said = {m.group(0) for m in _NEGATION_RE.finditer(quote.casefold())}
    negation = next(
        (m.group(0) for m in _NEGATION_RE.finditer(answer.casefold()) if m.group(0) not in said), None
    )
    if negation is not None:
        return (
            f"answer says {negation!r}, which its quote does not: an answer must say what the quote says, "
            "not its opposite"
        )
    return None


# Words turning a statement into its opposite or less ("no longer has 463,000 ...", "has fewer than
# 463,000", "lacks"): an answer may use one only where its quote does.
_NEGATION_RE = re.compile(
    r"\b(?:not|no longer|never|no|none|nor|neither|cannot|fewer than|less than|lacks?|lacking|without)\b|n't\b"
)


def _year_in(figure: str, text: str) -> bool:
    """Whether ``figure`` is a year that ``text`` states as a whole word."""
    return (
        figure.isdigit()
        and int(figure) in YEARS
        and re.search(rf"(?<![\d.,]){figure}(?![\d])", text) is not None
    )


def _whole(value: str, text: str) -> bool | None:
    """Whether ``text`` holds ``value`` as a whole figure: True; False when only inside a longer number
    ("463,000" in "1,463,000", "1" in "11th"), touching a digit or a separator and a digit; None when not
    at all."""
    start = text.find(value)
    if start < 0:
        return None
    while start >= 0:
        end = start + len(value)
        before, after = text[max(0, start - 2) : start], text[end : end + 2]
        if not _touches_digit(before[::-1]) and not _touches_digit(after):
            return True
        start = text.find(value, start + 1)
    return False


def _touches_digit(side: str) -> bool:
    """Whether the characters next to a value (nearest first) continue a number: a digit, or a
    separator and a digit."""
    return side[:1].isdigit() or (side[:1] in (".", ",") and side[1:2].isdigit())


def figures(text: str) -> dict[str, str]:
    """The figures ``text`` states: each one's reading (its value, and "st" for an ordinal, "s" for a
    decade: "2nd" and "second" are "2st", "2.5bn" and "2,500 million" are "2500000000") -> how the text
    first writes it."""
    found: dict[str, str] = {}
    for match in _FIGURE_RE.finditer(text.casefold()):
        if match["ordinal_word"]:
            found.setdefault(f"{_ORDINAL_WORDS[match['ordinal_word']]}st", match.group())
            continue
        number = match["number"]
        try:
            value = Decimal(CARDINAL_WORDS.get(number) or number.replace(",", ""))
        except InvalidOperation:  # "1.2.3": not one number; it must be written the same
            found.setdefault(match.group(), match.group())
            continue
        if match["scale"]:
            value = value.scaleb(_SCALES[match["scale"]])
        kind = "st" if match["ordinal"] else "s" if match["decade"] else ""
        found.setdefault(f"{value.normalize():f}{kind}", match.group())
    return found
