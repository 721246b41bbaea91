"""A figure asked of what is not so is not answered by the figure of what is (the negation gate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.conftest import composer_of

ARTICLES = {
    "provinces.md": """---
id: provinces
title: Provinces of Ruritania
---
12 of Ruritania's 30 provinces have prioritized robotics in their work reports.

Of Strelsau's 900 firms, 300 are in the industrial sector.

Zenda has 40 research parks, and 25 parks outside the capital have not opened yet.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


@pytest.mark.parametrize(
    "question",
    [
        "how many provinces have not prioritized robotics",
        "how many provinces haven't prioritized robotics in ruritania",
        "how many provinces havent prioritized robotics",  # (as typed: a new user's run got the 12)
        "how many of strelsau's firms are outside the industrial sector",
    ],
)
def test_a_figure_of_what_is_not_so_is_declined(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.answer
    assert decision.reason.startswith("negation:"), decision.reason


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        ("how many provinces have prioritized robotics", "12"),  # not negated: answered
        ("how many parks have not opened yet in zenda", "25"),  # the text says "not" too
        ("how many firms, not just industrial ones, does strelsau have", "900"),  # the whole, not what is not
        ("how many firms does strelsau have, not counting the industrial ones", "300"),  # (the gate's part)
    ],
)
def test_a_figure_the_text_states_as_asked_answers(composer, question: str, figure: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.reason.startswith("negation:"), decision.reason
    assert decision.best is not None and figure in decision.best.text


def test_a_yes_no_question_is_not_read(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("have 12 provinces not prioritized robotics")
    assert not decision.reason.startswith("negation:")
