"""Pruning is speed only: the QA questions are decided the same with it and without it.

(Four were not before main's decision changes were merged: when a fact quoting the best window took its
place, the runner-up was sought against the fact, and the fact among the candidates pruning kept. Now the
runner-up is the best window's, the fact is read from the retrieved facts (``decide.Decider._fact_for``),
and pruning is off where a type of answer is required: none differs.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import Snapshot, load_snapshot

KNOWN: set[str] = set()  # (questions pruning decides differently, named here so that a fix shows)


@pytest.fixture(scope="module")
def seeds() -> Snapshot:
    return load_snapshot(Path(__file__).resolve().parents[2] / "seeds")


def _questions(seeds_dir: Path) -> list[str]:
    found: list[str] = []
    for path in sorted((seeds_dir.parent / "eval").glob("*.json")):
        found += [str(item["q"]) for item in json.loads(path.read_text(encoding="utf-8"))["items"]]
    return list(dict.fromkeys(found))


def test_pruning_on_and_off_gives_identical_decisions(seeds: Snapshot, seeds_dir: Path) -> None:
    composer = seeds.composer
    questions = _questions(seeds_dir)
    assert len(questions) > 500
    differing = set()
    for question in questions:
        pruned, every = composer.decide(question), composer.decide(question, prune=False)
        if pruned != every:
            differing.add(question)
            assert pruned.answer == every.answer, question  # (the verdict, at least, is the same)
    assert differing == KNOWN
