"""The qualifier gate: a question naming an index or a ranking is answered only by a text naming that one."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import load_snapshot


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("what is china's rank in the global competitiveness index", "competitiveness"),
        ("what is china's rank in the bloomberg innovation index", "bloomberg"),
        ("what is china's rank in the gii innovation outputs sub-index", "outputs"),
    ],
)
def test_another_index_s_rank_is_declined_naming_the_word(
    seeds_dir: Path, question: str, missing: str
) -> None:
    decision = load_snapshot(seeds_dir).composer.decide(question)
    assert not decision.answer
    assert decision.reason.startswith("index:") and repr(missing) in decision.reason


@pytest.mark.parametrize(
    "question",
    [
        "what number is china on the innovation index",
        "china's gii ranking",
        "what's china's rank in the 2024 global innovation index",
        "where does china stand in global rankings",
    ],
)
def test_the_index_the_articles_name_is_answered(seeds_dir: Path, question: str) -> None:
    decision = load_snapshot(seeds_dir).composer.decide(question)
    assert decision.answer and decision.best is not None and "11th" in decision.best.text, decision.reason
