"""The gazetteer and the rules built on it: demonyms fold onto countries, places must agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import load_snapshot
from knowledge.entities import gazetteer
from tests.knowledge.conftest import write_kb


def test_the_gazetteer_has_countries_demonyms_cities_and_provinces() -> None:
    gaz = gazetteer()
    assert {"japan", "france", "canada", "south korea", "china"} <= gaz.names()
    assert gaz.demonyms["chinese"] == "china"
    assert gaz.demonyms["french"] == "france"
    assert gaz.demonyms["japanese"] == "japan"
    assert {"shanghai", "shenzhen", "guangdong", "tokyo"} <= gaz.names()


@pytest.mark.parametrize("word", ["Chinese", "chinese", "CHINESE"])
def test_demonyms_fold_onto_their_country_in_any_case(seeds_dir: Path, word: str) -> None:
    rules = load_snapshot(seeds_dir).composer.rules
    assert rules.tokenize(f"{word} robots") == rules.tokenize("China robots")
    assert rules.tokenize("Huawei's chips") == rules.tokenize("huawei chips")


# Ruritania's robots are the subject; Japan and France are named in one sentence each.
PLACES = {
    "robots.md": """---
title: Robots in Ruritania
---
Ruritania has 300 robots per 10,000 workers.

Japan has 400 robots per 10,000 workers, more than Ruritania.
""",
    "rivers.md": """---
title: Rivers of Ruritania
---
The longest river in Ruritania is the Zenda, which is 800 kilometres long.
""",
}


@pytest.mark.parametrize(
    "question",
    [
        "how many robots per 10,000 workers does france have",
        "How many robots per 10,000 workers does France have?",
        "French robot density per 10,000 workers",
        "how many robots per 10,000 workers in canada",
    ],
)
def test_a_place_the_answer_does_not_name_is_not_answered(tmp_path: Path, question: str) -> None:
    snapshot = load_snapshot(write_kb(tmp_path / "kb", PLACES, facts=None))
    assert snapshot.answer(question).kind == "none"


def test_a_place_the_answer_names_is_answered_in_lower_case(tmp_path: Path) -> None:
    snapshot = load_snapshot(write_kb(tmp_path / "kb", PLACES, facts=None))
    answer = snapshot.answer("how many robots per 10,000 workers does japan have")
    assert answer.answered and "400" in answer.text
    answer = snapshot.answer("how many robots do japanese firms have per 10,000 workers")
    assert answer.answered and "400" in answer.text
