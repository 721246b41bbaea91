"""A tiny knowledge base with known answers, written to real files per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import load_snapshot
from knowledge.composer import Composer

ARTICLES = {
    "robots.md": """---
id: robots
title: Robots in Ruritania
publisher: Example Gazette
published: 2025-01-02
---
Robots in Ruritania

Ruritania has 300 robots per 10,000 workers. Its robot makers hold 5,000 patents.

The capital, Strelsau, is the robotics hub of the country.
""",
    "rivers.md": """---
id: rivers
title: Rivers of Ruritania
---
The longest river in Ruritania is the Zenda, which is 800 kilometres long.

Ruritania's rivers carry barges and feed the farms of the plain.
""",
    "budget.md": """---
id: budget
title: Ruritania's research budget
---
Ruritania spent 12 billion crowns on research and development (R&D) in 2024.

Ruritania ranks 7th in the Global Innovation Index.
""",
}

FACTS = """facts:
  - id: ruritania-gii-rank
    answer: Ruritania ranks 7th in the Global Innovation Index.
    value: "7th"
    unit: rank
    topics: [GII rank, innovation ranking]
    source: budget
    quote: Ruritania ranks 7th in the Global Innovation Index.
    rank: true
  - id: robot-density
    answer: Ruritania has 300 robots per 10,000 workers.
    value: "300"
    unit: robots per 10,000 workers
    topics: [robot density, robots per worker]
    source: robots
    quote: Ruritania has 300 robots per 10,000 workers.
"""


def write_kb(directory: Path, articles: dict[str, str] | None = None, facts: str | None = FACTS) -> Path:
    """Write a knowledge directory: the tiny articles and (unless None) a facts.yaml."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in (ARTICLES if articles is None else articles).items():
        (directory / name).write_text(text, encoding="utf-8")
    if facts is not None:
        (directory / "facts.yaml").write_text(facts, encoding="utf-8")
    return directory


def composer_of(directory: Path, articles: dict[str, str], facts: str | None = None) -> Composer:
    """The composer of a knowledge directory written from ``articles`` (and ``facts``)."""
    return load_snapshot(write_kb(directory, articles, facts=facts)).composer


@pytest.fixture
def tiny_kb(tmp_path: Path) -> Path:
    return write_kb(tmp_path / "kb")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "seeds"
