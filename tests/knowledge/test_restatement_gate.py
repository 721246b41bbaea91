"""Asked for something besides what it names, a question is not answered by its own words back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.conftest import composer_of

ARTICLES = {
    "dragons.md": """---
id: dragons
title: Strelsau's little dragons
---
Zenda Robotics is one of Strelsau's "four little dragons".

Zenda Robotics makes warehouse robots and delivery drones.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


def test_the_question_s_own_words_back_do_not_answer_besides(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(
        "name the other three of strelsau's four little dragons besides zenda robotics"
    )
    assert not decision.answer
    assert decision.reason.startswith("restates:"), decision.reason


@pytest.mark.parametrize(
    "question",
    [
        "is zenda robotics one of strelsau's four little dragons",  # yes/no: its own words are the answer
        "what is zenda robotics one of",  # no "besides": the text answers it
    ],
)
def test_a_question_not_asking_besides_may_be_answered_in_its_words(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.reason.startswith("restates:")
