"""The curated fact table: ``facts.yaml`` validated with pydantic, every quote checked against its article."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from knowledge.errors import Problem
from knowledge.files import FACTS_FILE, YAML_LOADER, DecodeProblem, compose_yaml, decode
from knowledge.models import Article, Fact
from knowledge.text import normalise

__all__ = ["FACTS_FILE", "FactEntry", "load_facts"]
LABEL_CHARS = 60  # a fact's id as echoed in a problem: never a whole (possibly huge) value


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
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        return [], [
            Problem(file, (mark.line + 1) if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}")
        ]
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
        if entry.source not in normalised_articles:
            normalised_articles[entry.source] = normalise(articles[entry.source].raw)
        if normalise(entry.quote) not in normalised_articles[entry.source]:
            problems.append(
                Problem(
                    file,
                    line,
                    f"fact {entry.id}: quote not found in {articles[entry.source].path}; "
                    "copy it verbatim from the article",
                )
            )
            continue
        if normalise(entry.value).casefold() not in normalise(entry.answer).casefold():
            problems.append(
                Problem(file, line, f"fact {entry.id}: answer does not state the value {entry.value!r}")
            )
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
