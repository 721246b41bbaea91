"""The curated alias file: ``aliases.yaml`` in the knowledge directory, validated like the facts.

Curators extend matching without code: the abbreviations people type for the corpus's programs, places
and terms ("GBA: Greater Bay Area"), short typos that no edit distance can safely fix ("chna: china")
and number suffixes ("bn: billion"). Both sides of the index use the same table, so either spelling
finds the other.

```yaml
aliases:
  GII: Global Innovation Index
  R&D: research and development
numbers:
  bn: billion
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.entities import Gazetteer
from knowledge.errors import Problem
from knowledge.files import (
    ALIASES_SHAPE,
    YAML_LOADER,
    DecodeProblem,
    compose_yaml,
    decode,
    yaml_problem,
)
from knowledge.text import ALIASES, TextRules, default_rules

ALIASES_FILE = "aliases.yaml"
SECTIONS = ("aliases", "numbers")


@dataclass(frozen=True)
class AliasTable:
    """The validated alias file: phrase -> meaning, number suffix -> word, and each entry's line."""

    aliases: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    path: str | None = None


def _key_lines(node: yaml.Node, section: str) -> list[tuple[str, int]]:
    """(key, 1-based line) of every entry of a top-level mapping section, duplicates included."""
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if getattr(key, "value", None) == section and isinstance(value, yaml.MappingNode):
            return [(str(k.value), k.start_mark.line + 1) for k, _ in value.value]
    return []


def load_aliases(path: Path, raw: bytes | None = None) -> tuple[AliasTable, list[Problem]]:
    """Parse and check ``aliases.yaml`` (``raw``: its bytes, already read safely; else the file is read).

    Returns the good entries and every problem (file:line: message). YAML anchors and aliases are
    refused, as in every knowledge file (``knowledge.files.compose_yaml``).
    """
    file = str(path)
    try:
        text = decode(path, path.read_bytes() if raw is None else raw)
    except DecodeProblem as exc:
        return AliasTable(path=file), [exc.problem]
    try:
        root = compose_yaml(text)
        data: Any = None if root is None else YAML_LOADER(text).construct_document(root)
    except yaml.YAMLError as exc:
        return AliasTable(path=file), [yaml_problem(file, exc, text=text, shape=ALIASES_SHAPE)]
    if data is None:
        return AliasTable(path=file), []
    if not isinstance(data, dict) or set(data) - set(SECTIONS):
        return AliasTable(path=file), [
            Problem(file, 1, "expected top-level 'aliases:' (and optionally 'numbers:') mappings only")
        ]
    problems: list[Problem] = []
    tables: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    for section in SECTIONS:
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            problems.append(Problem(file, 1, f"'{section}:' must be a mapping of 'short: what it means'"))
            continue
        table: dict[str, str] = {}
        seen: dict[str, int] = {}
        key_lines = _key_lines(root, section) if root is not None else []
        for key, line in key_lines:
            folded = key.strip().lower()
            if folded in seen:
                problems.append(
                    Problem(
                        file, line, f"{section}: {key[:80]!r} is listed twice (first at line {seen[folded]})"
                    )
                )
            seen.setdefault(folded, line)
        for key, value in entries.items():
            folded = str(key).strip().lower()
            line = seen.get(folded, 1)
            shown = str(key)[:80]  # messages never echo unbounded text
            if not isinstance(key, str) or not folded:
                problems.append(Problem(file, line, f"{section}: {shown!r} is not a word or phrase"))
            elif not isinstance(value, str) or not value.strip():
                problems.append(
                    Problem(file, line, f"{section}: {shown!r} needs a meaning (a non-empty text)")
                )
            elif value.strip().lower() == folded:
                problems.append(Problem(file, line, f"{section}: {shown!r} stands for itself; remove it"))
            elif section == "numbers" and not folded.isalpha():
                problems.append(
                    Problem(file, line, f"numbers: {shown!r} must be letters (a suffix like 'bn')")
                )
            else:
                table[folded] = " ".join(value.split())
                lines[f"{section}:{folded}"] = line
        tables[section] = table
    return AliasTable(tables.get("aliases", {}), tables.get("numbers", {}), lines, file), problems


def text_rules(aliases: AliasTable | None, places: Gazetteer | None = None) -> TextRules:
    """The tokenizer of a knowledge base: the built-in aliases, its alias file and the gazetteer's demonyms.

    Both sides of the index (the passages at build time, the questions) use the very same rules.
    ``places`` is the gazetteer a saved index was built with (default: this process's).
    """
    if aliases is None or (not aliases.aliases and not aliases.numbers):
        return default_rules() if places is None else TextRules(ALIASES, places.demonyms)
    if places is None:
        from knowledge.entities import gazetteer  # (its data loads on first use)

        places = gazetteer()
    return TextRules({**ALIASES, **aliases.aliases}, places.demonyms, aliases.numbers or None)
