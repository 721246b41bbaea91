"""An open question answered by a passage's lead sentence is shown the sentence after it too."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.answering.render import LEAD_MAX_CHARS, MAX_ANSWER_CHARS
from tests.knowledge.conftest import composer_of

LONG_LEAD = (
    "Ruritania's harbour authority, founded by royal charter after the great storm, has rebuilt the quays, "
    "the lighthouses, the customs houses, the dry docks, the rail sidings, the grain silos and the ferry "
    "terminals of Strelsau, Zenda and Tarlenheim over three decades of patient work."
)
ARTICLES = {
    "ethics.md": f"""---
id: ethics
title: Technology in Ruritania
---
Ethics and Rules: Drones, robotics, gene editing and other emerging technologies pose serious risks to privacy, safety and public trust in Ruritania, as the royal commission on technology warned in its report. Ruritania must address these issues through open governance and clear guidelines, and by asking citizens, universities and companies what they fear most.

Ruritania has 300 robots per 10,000 workers. Most of them weld car bodies.

Ruritania's ministry backs three innovation programmes in shipbuilding. The main ones include:

{LONG_LEAD} Its budget is shared by the three cities.
""",
}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("kb")), ARTICLES)


def test_an_open_question_gets_the_lead_and_the_sentence_after_it(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("what risks do drones and gene editing pose in ruritania")
    assert decision.best is not None
    text = decision.best.text
    assert text.startswith("Ethics and Rules: Drones, robotics, gene editing and other emerging technologies")
    assert "open governance" in text
    assert len(text) <= MAX_ANSWER_CHARS
    assert text.endswith("…")  # (the two are longer than an answer: the second is cut)


def test_a_question_asking_a_type_of_answer_gets_the_sentence_holding_it(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("how many robots per 10,000 workers does ruritania have")
    assert decision.best is not None
    assert "300 robots" in decision.best.text
    assert "weld" not in decision.best.text


def test_a_lead_in_to_a_list_adds_nothing(composer) -> None:  # type: ignore[no-untyped-def]
    decision = composer.decide("what does the ministry of ruritania back in shipbuilding")
    assert decision.best is not None
    assert decision.best.text == "Ruritania's ministry backs three innovation programmes in shipbuilding."


def test_a_long_lead_leaves_no_room(composer) -> None:  # type: ignore[no-untyped-def]
    assert len(LONG_LEAD) > LEAD_MAX_CHARS
    decision = composer.decide("what has the harbour authority of ruritania rebuilt")
    assert decision.best is not None
    assert "quays" in decision.best.text
    assert "budget" not in decision.best.text


CANAL = {
    "canal.md": """---
id: canal
title: The Silk Canal
---
Trade Routes: The Silk Canal is a waterway of 1,200 kilometres joining Strelsau to the northern sea. By linking the ports of partner cities, the canal spreads shipbuilding know-how and engineering talent between them.

Ruritania's Zenda Observatory opened in 1911. Spring in the valley is mild and wet, with apple blossom in April.

Oslo's shipyards employ 4,000 welders on their docks. Meanwhile, Sweden builds the ferries that the welders' shipyards buy.
""",
}
CANAL_FACTS = """facts:
  - id: silk-canal
    answer: The Silk Canal is a waterway of 1,200 kilometres joining Strelsau to the northern sea.
    value: "1,200 kilometres"
    topics: [Silk Canal, waterway]
    source: canal
    quote: The Silk Canal is a waterway of 1,200 kilometres joining Strelsau to the northern sea.
  - id: oslo-shipyards
    answer: Oslo's shipyards employ 4,000 welders on their docks.
    value: "4,000"
    topics: [Oslo shipyards, welders]
    source: canal
    quote: Oslo's shipyards employ 4,000 welders on their docks.
  - id: zenda-observatory
    answer: Ruritania's Zenda Observatory opened in 1911.
    value: "1911"
    topics: [Zenda Observatory, observatory]
    source: canal
    quote: Ruritania's Zenda Observatory opened in 1911.
"""


@pytest.fixture(scope="module")
def canal(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return composer_of(Path(tmp_path_factory.mktemp("canal")), CANAL, CANAL_FACTS)


def test_an_open_question_answered_by_a_fact_gets_the_sentence_after_its_quote(canal) -> None:  # type: ignore[no-untyped-def]
    decision = canal.decide("what is the silk canal")
    assert decision.best is not None and decision.best.kind == "fact"
    text = decision.best.text
    assert text.startswith(
        "The Silk Canal is a waterway of 1,200 kilometres joining Strelsau to the northern sea."
    )
    assert "shipbuilding know-how" in text
    assert len(text) <= MAX_ANSWER_CHARS


def test_a_fact_answering_a_typed_question_stands_alone(canal) -> None:  # type: ignore[no-untyped-def]
    decision = canal.decide("how long is the silk canal waterway")
    assert decision.best is not None and decision.best.kind == "fact"
    assert (
        decision.best.text
        == "The Silk Canal is a waterway of 1,200 kilometres joining Strelsau to the northern sea."
    )


def test_a_next_sentence_far_from_the_question_in_meaning_is_not_shown(canal) -> None:  # type: ignore[no-untyped-def]
    decision = canal.decide("tell me about the zenda observatory")
    assert decision.best is not None and decision.best.kind == "fact"
    assert decision.best.text == "Ruritania's Zenda Observatory opened in 1911."


def test_a_next_sentence_about_another_place_is_not_shown(canal) -> None:  # type: ignore[no-untyped-def]
    # (Near in meaning, but about Sweden: shown after the fact, it would read as if it were about Oslo.)
    decision = canal.decide("tell me about the welders at the oslo shipyards")
    assert decision.best is not None and decision.best.kind == "fact"
    assert decision.best.text == "Oslo's shipyards employ 4,000 welders on their docks."
