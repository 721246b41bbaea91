"""A question naming only a year, a small number or a letter asks about nothing: no text answers it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.knowledge.conftest import composer_of

ARTICLES = {
    "networks.md": """---
id: networks
title: Networks of Ruritania
---
Ruritania leads the deployment of 5G networks and plans 6G for 2030.

Ruritania's 863 Program has funded high technology since 2016.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


@pytest.mark.parametrize("question", ["g", "what about g", "2016", "and in 2030?"])
def test_a_bare_year_number_or_letter_is_declined(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.answer
    assert (
        decision.reason
        == "bare: the question names nothing to ask about, only years, small numbers or letters"
    )


@pytest.mark.parametrize(
    ("question", "answer"),
    [("5g", "5G networks"), ("what about 6g?", "6G"), ("863", "863 Program"), ("ruritania 2030", "6G")],
)
def test_a_named_figure_or_a_word_is_asked_about(composer, question: str, answer: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.reason.startswith("bare:"), decision.reason
    assert decision.best is not None and answer in decision.best.text
