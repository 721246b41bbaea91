"""A text giving its figure for another year does not answer a question about the year it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.conftest import composer_of

ARTICLES = {
    "money.md": """---
id: money
title: Research in Ruritania
---
Ruritania's research spending reached 40 billion crowns in 2024.

Ruritania's Five-Year Plan (2016-2020) put innovation at the heart of the economy.

The Strelsau Forum on robotics opened in Strelsau on Thursday.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


@pytest.mark.parametrize(
    ("question", "year"),
    [
        ("how much did ruritania spend on research in 2022", "2022"),
        ("ruritania research spending 2019 in crowns", "2019"),
        # The years before or after the one the text states are not that year.
        ("how much did ruritania spend on research before 2024", "before 2024"),
        ("what was ruritania's research spending prior to 2024", "prior to 2024"),
        ("how much did ruritania spend on research after 2024", "after 2024"),
    ],
)
def test_another_years_figure_is_declined(composer, question: str, year: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.answer
    assert (
        decision.reason
        == f"year: the question asks about {year} and the best candidate is about another year"
    )


@pytest.mark.parametrize(
    "question",
    [
        "how much did ruritania spend on research in 2024",  # the year the text states
        "what did ruritania's plan put at the heart of the economy in 2018",  # inside the span it states
        "when did the strelsau forum on robotics open in 2025",  # the text states no year: not this gate's
        "what did ruritania's plan put at the heart of the economy after 2015",  # 2016-2020 are after it
        "what did ruritania's plan put at the heart of the economy before 2019",  # 2016-2018 are before it
    ],
)
def test_what_the_year_gate_lets_through(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.reason.startswith("year:"), decision.reason
    assert decision.best is not None


def test_the_year_stated_is_answered(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("how much did ruritania spend on research in 2024")
    assert decision.answer
    assert "40 billion" in decision.best.text
