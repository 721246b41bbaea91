"""Pruning is speed only: the QA questions are decided the same with it and without it.

Four are not, a flaw older than the stage modules (kept here, named, so that a fix shows): pruning keeps
the best candidate and the best one of another fact, passage or list, but when a fact quoting the best
window takes its place (``decide.Decider._fact_for``), the runner-up is the best candidate but those
two, which the floor does not keep, and a fact quoting the best window may itself be below the floor.
Their margins (and so their probabilities) differ; their verdicts do not. A fix (facts never skipped, the
floor at the third-best score) changes those answers' scores, which the restructure must not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import Snapshot, load_snapshot

KNOWN = {
    "when did made in china 2025 launch",
    "when was made in china 2025 launched",
    "how do i share my screen in zoom",
    "what chokepoints will crucial resources go after",
}


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
    assert len(questions) > 500 and set(questions) >= KNOWN
    differing = set()
    for question in questions:
        pruned, every = composer.decide(question), composer.decide(question, prune=False)
        if pruned != every:
            differing.add(question)
            assert pruned.answer == every.answer, question  # (the verdict, at least, is the same)
    assert differing == KNOWN
