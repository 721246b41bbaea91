"""A figure the question names that the knowledge base never states means it asks about something else."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import load_snapshot
from tests.knowledge.conftest import composer_of

ARTICLES = {
    "plans.md": """---
id: plans
title: Plans of Ruritania
---
Ruritania's 863 Program funds high technology.

Ruritania has 300 robots per 10,000 workers.

Ruritania names three innovation hubs: Strelsau, Zenda and Tarlenheim.

The animated film Rassendyll 2 was cited by the minister as an example of Ruritanian culture.

Ruritania's Strelsau cluster ranks among the top 10 globally.

The Zenda cluster ranks first in the world, for the second consecutive year.

Ruritania ranks fourth in research spending.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("what is ruritania's 864 program", "864"),
        ("how many robots per 12,000 workers in ruritania", "12,000"),
    ],
)
def test_a_figure_no_text_states_is_declined(composer, question: str, figure: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.answer
    assert decision.reason == f"figure: the knowledge base never states {figure}"


@pytest.mark.parametrize(
    "question",
    [
        "what is ruritania's 863 program",  # stated
        "name 3 innovation hubs in ruritania",  # a small count of things asked for
        "does ruritania have over 400 robots per 10,000 workers",  # a yes/no question compares figures
    ],
)
def test_what_the_figure_gate_lets_through(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    assert not composer.decide(question).reason.startswith("figure:")


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        (
            "what is rassendyll 3",
            "figure: the question asks about rassendyll 3 and the best candidate states rassendyll 2",
        ),
        ("is the strelsau cluster in the top 5", ""),  # a yes/no question may compare
        (
            "which cluster of ruritania ranks among the top 5 globally",
            "figure: the question asks about top 5 and the best candidate states top 10",
        ),
    ],
)
def test_a_name_numbered_otherwise_is_declined(composer, question: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    if reason:
        assert not decision.answer
        assert decision.reason == reason
    else:
        assert not decision.reason.startswith("figure:"), decision.reason


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("what is rassendyll 2", "Rassendyll 2"),
        ("which cluster of ruritania ranks among the top 10 globally", "top 10"),
    ],
)
def test_a_name_numbered_as_the_text_numbers_it_is_answered(composer, question: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.reason.startswith("figure:"), decision.reason
    assert decision.best is not None and answer in decision.best.text


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        # (found by an attack run: "which cluster ranks third" was answered with the cluster at the top)
        ("which ruritanian cluster ranks third in the world", "figure: the question asks about the third"),
        # "the second consecutive year" is how often, not a position
        ("which ruritanian cluster ranks second in the world", "figure: the question asks about the second"),
        ("where does ruritania rank in research spending, 4th?", ""),  # stated ("fourth")
        ("is ruritania third in research spending", ""),  # a yes/no question may be corrected
    ],
)
def test_a_position_the_text_never_states_is_declined(composer, question: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    if reason:
        assert not decision.answer
        assert decision.reason.startswith(reason), decision.reason
    else:
        assert not decision.reason.startswith("figure:"), decision.reason


def test_first_place_is_answered_only_by_a_text_saying_first_or_top(seeds_dir: Path) -> None:
    """ "which country ranks first in the global innovation index" got "China now ranks 11th ..." (a second
    attack run): "first" was no position the gate read, as "the first time" is none."""
    composer = load_snapshot(seeds_dir).composer
    first = composer.decide("which country ranks first in the global innovation index")
    assert not first.answer
    assert (
        first.reason
        == "figure: the question asks about the first place and the best candidate does not state it"
    )
    top = composer.decide("which cluster ranks first in the cluster ranking")
    assert top.answer and top.best is not None and "Tokyo-Yokohama" in top.best.text  # ("ranks at the top")
