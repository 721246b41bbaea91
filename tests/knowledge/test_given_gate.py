"""The given gate: a fact whose figure the question already states answers something else, unless the
question asks what the fact names besides that figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import load_snapshot


def test_a_rank_the_question_already_gives_does_not_answer_it(seeds_dir: Path) -> None:
    decision = load_snapshot(seeds_dir).composer.decide("what was china's gii rank before it rose to 11th")
    assert not decision.answer
    assert decision.reason == "given: the best fact's figure is the one the question already states"


@pytest.mark.parametrize(
    "question", ["what index does china rank 11th in", "china ranks 11th in which index"]
)
def test_a_question_giving_the_rank_and_asking_the_index_is_answered(seeds_dir: Path, question: str) -> None:
    """The given gate declined these as restating the figure (a second attack run): they ask which index."""
    decision = load_snapshot(seeds_dir).composer.decide(question)
    assert decision.answer, decision.reason
    assert decision.best is not None and "Global Innovation Index" in decision.best.text
