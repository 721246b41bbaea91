"""A "how many X" question is answered only by a number that counts X (the count gate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.answering.gates import CountGate
from knowledge.base import load_snapshot
from tests.knowledge.conftest import composer_of

ARTICLES = {
    "provinces.md": """---
id: provinces
title: Provinces of Ruritania
---
12 of Ruritania's 30 provinces have prioritized robotics in their work reports.

The Strelsau cluster holds 4,000 robotics patents.

The number of robots in Zenda reached 900 last year.

Strelsau has 80 robots per 1,000 workers.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


@pytest.mark.parametrize(
    "question",
    [
        "how many engineers does ruritania have",  # the numbers count provinces, patents, robots
        "how many factories does strelsau have",  # ... not factories
        "how many workers does strelsau have",  # "80 robots per 1,000 workers": 80 counts robots, 1,000 none
        "how many reports does ruritania have",  # "12 ... have prioritized robotics in their work reports"
    ],
)
def test_a_number_counting_something_else_is_declined(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert not decision.answer
    assert decision.reason.startswith("count:"), decision.reason


@pytest.mark.parametrize(
    ("question", "figure"),
    [
        (
            "how many provinces does ruritania have",
            "30 provinces",
        ),  # the number is followed by what it counts
        ("how many robotics patents does strelsau hold", "4,000"),
        ("how many robots are in zenda", "900"),  # "the number of robots ... 900"
    ],
)
def test_a_number_counting_what_is_asked_answers(composer, question: str, figure: str) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide(question)
    assert decision.answer, decision.reason
    assert figure in decision.best.text


@pytest.mark.parametrize(
    "question",
    [
        "how much did ruritania spend",  # not a count
        "how many times has ruritania led",  # a repeat: another gate's
        "how many years did it take",  # a duration
        "is ruritania home to 30 provinces",  # yes/no
    ],
)
def test_what_the_gate_does_not_read(composer, question: str) -> None:  # type: ignore[no-untyped-def]
    gate = next(g for g in composer.decider.vetoes if isinstance(g, CountGate))
    assert gate.counted(composer.analyse(question)) == frozenset()
    assert gate.phrase(composer.analyse(question)) == ""


def test_a_number_in_a_sentence_about_another_place_counts_that_place_s(seeds_dir: Path) -> None:
    """A window's first sentence names Beijing, its second gives China's 470 robots per 10,000 workers: that
    number counts China's robots, not Beijing's (an attack run got it as Beijing's)."""
    composer = load_snapshot(seeds_dir).composer
    beijing = composer.decide("how many robots per 10,000 workers does beijing have")
    assert not beijing.answer and beijing.reason.startswith("count:"), beijing.reason
    china = composer.decide("how many robots per 10,000 workers does china have")
    assert china.answer and china.best is not None and "470" in china.best.text
    patents = composer.decide("how many patents does beijing's robotics industry hold")
    assert patents.answer and patents.best is not None and "190,000" in patents.best.text
    # The other way round: China named, and the sentence names Beijing only (the second attack run).
    for question in (
        "how many patents does china's robotics industry hold",
        "how many patents does china hold",
    ):
        china = composer.decide(question)
        assert not china.answer and china.reason.startswith("count:"), (question, china.reason)


def test_what_is_counted_is_read_in_the_alias_file_s_words(seeds_dir: Path) -> None:
    """The counted phrase is read as the rest of the question is understood: "cos" counts companies,
    "medtech/health" is two words, and a fifth word still belongs to it ("'little giant' type niche smes").
    Read from the raw text, "medtech/health cos" counted "medtech" alone and declined the 5,000 companies."""
    composer = load_snapshot(seeds_dir).composer
    gate = next(g for g in composer.decider.vetoes if isinstance(g, CountGate))
    question = composer.analyse("roughly how many medtech/health cos are clustered in the bda")
    assert gate.phrase(question) == "medtech health companies"
    assert (
        gate(question, composer.decide("roughly how many medtech/health cos are clustered in the bda").best)
        == ""
    )
    smes = "how many 'little giant' type niche smes has china got"
    assert gate.phrase(composer.analyse(smes)).split()[:2] == ["little", "giant"]
    assert composer.decide(smes).answer


def test_a_number_followed_by_a_verb_counts_what_was_named_before_it(seeds_dir: Path) -> None:
    """ "Among the 31 provinces, ..., 14 have prioritized robotics": 14 counts provinces; an attack run got
    it for "how many robots does China have" (robotics within four words of the number)."""
    composer = load_snapshot(seeds_dir).composer
    robots = composer.decide("How many robots does China have?")
    assert not robots.answer and robots.reason.startswith("count:"), robots.reason
    provinces = composer.decide("how many provinces prioritized robotics")
    assert provinces.answer and provinces.best is not None and "14" in provinces.best.text


def test_the_largest_number_of_x_is_no_count(seeds_dir: Path) -> None:
    """ "how many clusters does china have" got "China boasts the largest number of clusters worldwide, with
    several clusters ... ranking among the top 10" (an attack run): who has the most, and "several", say
    no number of them."""
    decision = load_snapshot(seeds_dir).composer.decide("how many clusters does china have")
    assert not decision.answer
    assert decision.reason.startswith("count:"), decision.reason
