"""The curated fact table: ``facts.yaml`` validated with pydantic, every quote checked against its article."""

from __future__ import annotations

from collections.abc import Mapping
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
from knowledge.text import normalise

__all__ = ["FACTS_FILE", "FactEntry", "load_facts"]
LABEL_CHARS = 60  # a fact's id as echoed in a problem: never a whole (possibly huge) value
MIN_QUOTE_WORDS = 4  # a quote is a clause of its article, not a word that happens to be in it


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
    gives: a fact whose answer says "5th" over a quote saying "11th" is refused, not served.
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
    if value not in normalise(entry.answer).casefold():
        return f"answer does not state the value {entry.value!r}"
    if value not in quote.casefold():
        return f"quote does not state the value {entry.value!r}: quote the words that say it"
    return None
