"""An attribute of a named thing ("who founded X", "how old is X") is answered only by a text saying it."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.attributes import ATTRIBUTES, attribute_asked
from tests.knowledge.conftest import composer_of

ARTICLES = {
    "studios.md": """---
id: studios
title: Game studios of Ruritania
---
Zenda Games released the hit game Crown of Strelsau in 2024, selling 10 million copies.

Hentzau Labs was founded by Rupert Hentzau in 2019.

Rudolf Elphberg, vice minister of robotics, opened the fair.

Tarlenheim Motors chairman Fritz von Tarlenheim recently toured carmakers in the south, including the young firm Sapt Automotive and its rivals.

Osra Pharma signed an agreement last week to invest 400 million crowns in Strelsau over the next five years.

Ruritania's large population of skilled workers gives its carmakers an edge.

Sapt Automotive opened a research base with 300 engineers in Zenda, its first in the south.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("who founded deepseek", "who founded or made it"),
        ("which studio made black myth wukong", "who founded or made it"),
        ("who is the ceo of tencent", "who heads it"),
        ("who is the minister of science and technology", "who heads it"),
        ("which university did he attend", "which university or school"),
        ("when does the forum end", "when it ends"),
        ("when was the plan completed", "when it ends"),
        ("when does the zgc forum wrap", "when it ends"),
        ("what day does the zgc forum wrap", "when it ends"),
        ("what date does the zgc forum open", "when it opens"),
        ("when did the fair kick off", "when it opens"),
        ("how old is daren tang", "age"),
        ("where was daren tang born", "birth"),
        ("what nationality is daren tang", "nationality"),
        ("how much did osra pharma invest", "an amount of money"),
        ("how much cash is the company putting in", "an amount of money"),
        ("how much did it cost", "an amount of money"),
        ("osra pharma's investment amount?", "an amount of money"),
        ("amount invested by osra pharma", "an amount of money"),
        ("what is the budget of the program", "a budget"),
        ("how many gigawatts of solar", "a figure in energy units"),
        ("what's the population of shenzhen", "population"),
        ("what's hangzhou's gdp", "the size of an economy"),
        ("what is tencent's revenue", "revenue or value"),
        ("what is the value of china's ai industry", "a value in money"),
        ("what was china's r&d spending growth in 2024", "a growth or change"),
        ("what is the growth rate of high-tech enterprises", "a growth or change"),
        ("how many high-tech enterprises did china add last year", "a growth or change"),
        ("how fast is china's r&d spending growing", "a growth or change"),
        ("how much did exports grow", "a growth or change"),
        ("how much is the ai industry worth", "a value in money"),
        ("what's the ticket price", "salary or price"),
        ("what is china's score in the gii", "a score"),
        ("china's gii score?", "a score"),
        ("how many points did china get", "a score"),
    ],
)
def test_each_row_reads_its_questions(question: str, attribute: str) -> None:
    asked = attribute_asked(question)
    assert asked is not None and asked.name == attribute
    assert {a.name for a in ATTRIBUTES} >= {attribute}


@pytest.mark.parametrize(
    "question",
    [
        "what does china rank in the gii",
        "which studio is the biggest",
        "how much did exports matter",  # (not an amount of money; "how much did exports grow" asks a growth)
        "how do they score the clusters",
        "in which fields has chinese tech scored notable wins",
    ],
)
def test_a_question_asking_no_attribute(question: str) -> None:
    assert attribute_asked(question) is None


def test_a_text_about_the_thing_that_never_says_it_does_not_answer(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("which studio made crown of strelsau")
    assert decision.best is not None and "Crown of Strelsau" in composer.materialise(decision.best).text
    assert not decision.answer
    assert decision.reason.startswith("attribute:"), decision.reason


def test_a_text_saying_it_answers(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("who founded hentzau labs")
    assert decision.answer, decision.reason
    assert "Rupert Hentzau" in decision.best.text


def test_the_attribute_must_be_said_of_the_thing_named(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("who is the chairman of sapt automotive")
    assert not decision.answer
    assert decision.reason == "attribute: the best candidate says who heads it of something else"
    decision = composer.decide("who is the tarlenheim motors chairman")
    assert decision.answer, decision.reason
    assert "Fritz von Tarlenheim" in decision.best.text


def test_a_deputy_does_not_answer_who_heads_it(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("who is the minister of robotics")
    assert not decision.answer
    assert decision.reason == "attribute: the best candidate names a deputy, not who heads it"
    decision = composer.decide("who is the vice minister of robotics")  # asked for the deputy
    assert decision.answer, decision.reason
    assert "Rudolf Elphberg" in decision.best.text


def test_an_amount_of_money_is_answered_only_by_a_text_stating_one(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("how much did sapt automotive invest in its research base")
    assert decision.best is not None and "Sapt Automotive opened" in composer.materialise(decision.best).text
    assert not decision.answer
    assert (
        decision.reason
        == "attribute: the question asks an amount of money and the best candidate does not say"
    )
    # The amount may sit further from whose it is than a role from its holder (the row's reach).
    decision = composer.decide("how much did osra pharma invest")
    assert decision.answer, decision.reason
    assert "400 million crowns" in decision.best.text
    # Asked as typed, without "how much": the amount named.
    decision = composer.decide("sapt automotive research base investment amount?")
    assert not decision.answer
    assert decision.reason.startswith("attribute: the question asks an amount of money")
    decision = composer.decide("osra pharma investment amount?")
    assert decision.answer, decision.reason
    assert "400 million crowns" in decision.best.text


def test_a_quantity_is_answered_only_by_a_text_stating_a_figure(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("what is ruritania's population")
    assert decision.best is not None and "large population" in composer.materialise(decision.best).text
    assert not decision.answer
    assert (
        decision.reason == "attribute: the question asks population and the best candidate states no figure"
    )


def test_whose_attribute_is_read_in_the_alias_file_s_words(seeds_dir: Path) -> None:
    """ "the vice minister of sci and tech" asks science and technology's: read from the raw words, it
    asked "sci"'s, and the vice minister of science and technology was declined as someone else's."""
    from knowledge.base import load_snapshot

    decision = load_snapshot(seeds_dir).composer.decide("whos the vice minister of sci and tech")
    assert decision.answer, decision.reason
    assert decision.best is not None and "Chen Jiachang" in decision.best.text


@pytest.mark.parametrize(
    "question",
    [
        "what was china's r&d spending growth in 2024",
        "how many high-tech enterprises did china add last year",
        "what is the growth rate of china's high-tech enterprises",
    ],
)
def test_a_level_does_not_answer_a_growth_question(seeds_dir: Path, question: str) -> None:
    """An attack run got "... reached 3.6 trillion yuan in 2024" and "China has 463,000 high-tech
    enterprises" for these: levels, where a change was asked."""
    from knowledge.base import load_snapshot

    decision = load_snapshot(seeds_dir).composer.decide(question)
    assert not decision.answer
    assert (
        decision.reason
        == "attribute: the question asks a growth or change and the best candidate does not say"
    )


def test_when_it_opens_is_not_answered_by_when_it_ends(seeds_dir: Path) -> None:
    """ "what date does the zgc forum open" got "... concludes on March 31" (an attack run)."""
    from knowledge.base import load_snapshot

    decision = load_snapshot(seeds_dir).composer.decide("what date does the zgc forum open")
    assert not decision.answer
    assert decision.reason.startswith("attribute: the question asks when it opens"), decision.reason
