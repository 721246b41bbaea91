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


PLANS = {
    "plans.md": """---
id: plans
title: Ruritania's science plans
---
Ruritania's National High-Tech Development Plan is also known as the 912 Program.

Strelsau has prioritized humanoid robots and other emerging industries in its work report.
""",
}
PLAN_FACTS = """facts:
  - id: program-912
    answer: Ruritania's National High-Tech Development Plan is also known as the 912 Program.
    value: "912 Program"
    source: plans
    quote: "National High-Tech Development Plan is also known as the 912 Program"
  - id: strelsau-priorities
    answer: Strelsau has prioritized humanoid robots and other emerging industries.
    value: "humanoid robots and other emerging industries"
    source: plans
    quote: "Strelsau has prioritized humanoid robots and other emerging industries"
"""


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), PLANS, facts=PLAN_FACTS)


@pytest.mark.parametrize(
    "question",
    [
        "name a national high-tech plan other than 912",
        "besides 912, what other national high-tech plans are there",
    ],
)
def test_a_fact_whose_value_is_what_the_question_sets_aside_does_not_answer(plans, question: str) -> None:  # type: ignore[no-untyped-def]
    decision = plans.decide(question)
    assert decision.best is not None and "912 Program" in decision.best.text  # (what it would have said)
    assert not decision.answer
    assert decision.reason == "restates: the best fact's answer is what the question sets aside"


def test_a_fact_saying_more_than_what_is_set_aside_may_answer(plans) -> None:  # type: ignore[no-untyped-def]
    decision = plans.decide("apart from robots, what has strelsau prioritized in its work report")
    assert not decision.reason.startswith("restates:"), decision.reason


def test_a_fact_naming_another_besides_what_is_set_aside_answers(seeds_dir: Path) -> None:
    """ "Zhipu AI and Kimi" says one word beyond "zhipu ai", and that word is the answer, a name: a second
    attack run found it declined as a restatement."""
    from knowledge.base import load_snapshot

    decision = load_snapshot(seeds_dir).composer.decide(
        "other than zhipu ai, which llm firm emerged from zhongguancun"
    )
    assert decision.answer, decision.reason
    assert decision.best is not None and "Kimi" in decision.best.text
