"""A figure in another currency, or for another span of time, does not answer the one asked about."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.conftest import composer_of

ARTICLES = {
    "money.md": """---
id: money
title: Investment in Ruritania
---
Osra Pharma signed an agreement to invest 400 million crowns (about 50 million U.S. dollars) in Strelsau over the next five years.

Ruritania's research spending reached 40 billion crowns in 2024.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        (
            "how much will osra pharma invest in strelsau in euros",
            "unit: the question asks in euros and the best candidate states other currencies",
        ),
        (
            "how much will osra pharma invest in strelsau over ten years",
            "unit: the question asks about 10 years and the best candidate states another span",
        ),
        (
            "how much will osra pharma invest in strelsau over 3 years",
            "unit: the question asks about 3 years and the best candidate states another span",
        ),
        (
            "how much will osra pharma invest in strelsau per year",
            "unit: the question asks a figure per year and the best candidate states none",
        ),
        (
            "how much did ruritania spend on research per month",
            "unit: the question asks a figure per month and the best candidate states none",
        ),
        (  # (an attack run: the national total answered "per capita")
            "ruritania's research spending per capita",
            "unit: the question asks a figure per person and the best candidate states none",
        ),
    ],
)
def test_another_currency_or_span_is_declined(composer, question: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.answer
    assert decision.reason == reason


@pytest.mark.parametrize(
    "question",
    [
        "how much will osra pharma invest in strelsau in dollars",
        "how much will osra pharma invest in strelsau over 5 years",
        "how much will osra pharma invest in strelsau over five years, in crowns",
    ],
)
def test_the_currency_or_span_stated_is_answered(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert decision.answer, decision.reason
    assert "400 million crowns" in decision.best.text


@pytest.mark.parametrize(
    "question", ["how much does ruritania spend on research a year", "ruritania's annual research spending"]
)
def test_a_figure_of_one_calendar_year_is_a_yearly_one(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.reason.startswith("unit:"), decision.reason
    assert decision.best is not None and "40 billion crowns" in decision.best.text
