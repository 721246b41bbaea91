"""A question asking for several things by number is not answered by a text naming one."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.answering.list_size import asked_number
from tests.knowledge.conftest import composer_of

ARTICLES = {
    "tigers.md": """---
id: tigers
title: Strelsau's young companies
---
Zenda Games is part of Strelsau's "five tigers" of technology.

Strelsau's technology hubs include Zenda Park, Hentzau Yard and Osra Quay.

Strelsau's shipyards lead the country's ten largest exporters of ferries and barges.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("name the other four of strelsau's five tigers", 4),
        ("list all five of strelsau's five tigers pls", 5),
        ("name 3 technology hubs in strelsau", 3),
        ("give me the top 10 clusters", 10),
        ("what about the remaining four", 4),
        ("name a technology hub in strelsau", 0),  # one thing
        ("name the 2024 winner", 0),  # a year, not a number of things
        ("what are strelsau's five tigers", 0),  # what they are, not a list of five asked by number
        ("list the 11th plan's goals", 0),
    ],
)
def test_the_number_of_things_asked(question: str, asked: int) -> None:
    assert asked_number(question) == asked


def test_a_text_naming_one_does_not_answer_a_question_asking_several(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("name the other four of strelsau's five tigers")
    assert decision.best is not None and "Zenda Games" in composer.materialise(decision.best).text
    assert not decision.answer
    assert decision.reason == "list: the question asks for 4 things and the best candidate names fewer"


def test_a_text_naming_several_answers(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("name 3 technology hubs in strelsau")
    assert decision.best is not None
    assert not decision.reason.startswith("list"), decision.reason
    assert "Hentzau Yard" in composer.materialise(decision.best).text


def test_a_text_naming_clearly_fewer_does_not_answer(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("list the ten largest ferry exporters of the country")
    assert decision.best is not None and "shipyards" in composer.materialise(decision.best).text
    assert not decision.answer
    assert decision.reason == "list: the question asks for 10 things and the best candidate names fewer"
