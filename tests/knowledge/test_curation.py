"""Curation: warnings for topics the source does not support, facts views with as-of years and one line per ranking."""

from __future__ import annotations

from pathlib import Path

from knowledge import load_snapshot
from knowledge.curation import curation_warnings
from tests.knowledge.conftest import FACTS, write_kb

STRAY_TOPIC = FACTS.replace(
    "topics: [robot density, robots per worker]", "topics: [robot density, little giants]"
)


def test_a_topic_the_source_never_mentions_is_a_warning(tmp_path: Path) -> None:
    snapshot = load_snapshot(write_kb(tmp_path / "kb", facts=STRAY_TOPIC))
    warnings = curation_warnings(snapshot)
    assert [w.message for w in warnings if "little giants" in w.message]
    assert all(w.file.endswith("facts.yaml") and w.line > 0 for w in warnings)


def test_an_alias_the_source_explains_silences_the_warning(tmp_path: Path) -> None:
    directory = write_kb(tmp_path / "kb", facts=STRAY_TOPIC)
    (directory / "aliases.yaml").write_text("aliases:\n  little giants: robot makers\n", encoding="utf-8")
    assert not [w for w in curation_warnings(load_snapshot(directory)) if "little giants" in w.message]


def test_an_alias_that_matches_nothing_is_a_warning(tmp_path: Path) -> None:
    directory = write_kb(tmp_path / "kb")
    (directory / "aliases.yaml").write_text("aliases:\n  Q: quantum entanglement\n", encoding="utf-8")
    [warning] = [w for w in curation_warnings(load_snapshot(directory)) if w.file.endswith("aliases.yaml")]
    assert (
        warning.file.endswith("aliases.yaml") and warning.line == 2 and "matches nothing" in warning.message
    )


def test_an_alias_from_one_place_to_another_is_a_warning(tmp_path: Path) -> None:
    directory = write_kb(tmp_path / "kb")
    (directory / "trade.md").write_text(
        "---\ntitle: Trade\n---\nJapan sells robots to Germany.\n", encoding="utf-8"
    )
    (directory / "aliases.yaml").write_text("aliases:\n  China: Japan\n", encoding="utf-8")
    [warning] = [w for w in curation_warnings(load_snapshot(directory)) if w.file.endswith("aliases.yaml")]
    assert warning.line == 2 and "are two places" in warning.message


def test_an_answer_naming_what_its_source_never_mentions_is_a_warning(tmp_path: Path) -> None:
    """The quote is checked against the article and the figures against the quote; a curator's answer
    about another country than its quote's is not, so it is a warning (found by an attack run)."""
    swapped = FACTS.replace(
        "answer: Ruritania ranks 7th in the Global Innovation Index.",
        "answer: According to WIPO, Japan ranks 7th in the Global Innovation Index.",
    )
    warnings = curation_warnings(load_snapshot(write_kb(tmp_path / "kb", facts=swapped)))
    named = [w.message for w in warnings if "the answer names" in w.message]
    assert any("'Japan'" in m for m in named) and any("'WIPO'" in m for m in named), named
    # A place in lower case, or of two words, is one name (the second attack run: "japan" and "South
    # Korea" passed, the latter because the alias file uses "korea").
    lowered = FACTS.replace(
        "answer: Ruritania ranks 7th in the Global Innovation Index.",
        "answer: japan and South Korea rank 7th in the Global Innovation Index.",
    )
    directory = write_kb(tmp_path / "kb2", facts=lowered)
    (directory / "aliases.yaml").write_text("aliases:\n  rok: south korea\n", encoding="utf-8")
    named = [
        w.message for w in curation_warnings(load_snapshot(directory)) if "the answer names" in w.message
    ]
    assert sorted(m.split("'")[1] for m in named) == ["South Korea", "japan"], named
    assert not any("'According'" in m or "'Global'" in m for m in named), (
        named
    )  # ordinary words, the article's


def test_a_facts_file_with_no_facts_is_a_warning(tmp_path: Path) -> None:
    warnings = curation_warnings(load_snapshot(write_kb(tmp_path / "kb", facts="facts: []\n")))
    assert [w for w in warnings if w.file.endswith("facts.yaml") and "no facts" in w.message]


def test_the_seed_knowledge_base_has_no_curation_warnings(seeds_dir: Path) -> None:
    assert curation_warnings(load_snapshot(seeds_dir)) == []


def test_each_ranking_is_shown_once_with_every_source(seeds_dir: Path) -> None:
    snapshot = load_snapshot(seeds_dir)
    rankings = snapshot.ranking_facts()
    figures = [(f.value, f.unit) for f in rankings]
    assert len(figures) == len(set(figures))
    gii = next(f for f in rankings if f.value == "11th")
    assert gii.shown == "China ranks 11th in the Global Innovation Index (2024)."
    assert len({s.id for s in snapshot.sources_for(gii)}) == 2


def test_find_facts_understands_typos_aliases_and_demonyms(seeds_dir: Path) -> None:
    snapshot = load_snapshot(seeds_dir)
    assert any("11th" in f.answer for f in snapshot.find_facts("global inovation index"))
    assert any("3.6 trillion" in f.answer for f in snapshot.find_facts("r and d spending"))
    assert snapshot.find_facts("little giants") == []


def test_a_missing_facts_file_is_named_as_missing_not_at_a_line(tmp_path: Path) -> None:
    # (It read "facts.yaml:1: no facts" of a file that is not there.)
    kb = write_kb(tmp_path / "kb", facts=None)
    warnings = [w for w in curation_warnings(load_snapshot(kb)) if "facts" in w.message]
    assert [str(w) for w in warnings] == [
        f"{kb / 'facts.yaml'}: missing, so no facts: every question is answered from the articles alone"
    ]


def test_an_answer_naming_another_place_than_its_quote_is_a_warning(tmp_path: Path, seeds_dir: Path) -> None:
    """An answer moving its quote's figure to another place the article also mentions ("Beijing's
    robotics industry holds 190,000 patents" answered as China's) passed `innov check` (an attack run)."""
    directory = tmp_path / "kb"
    directory.mkdir()
    for path in seeds_dir.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    facts = directory / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    assert "answer: Beijing's robotics industry holds 190,000 patents" in text
    facts.write_text(
        text.replace(
            "answer: Beijing's robotics industry holds 190,000 patents", "answer: China holds 190,000 patents"
        ),
        encoding="utf-8",
    )
    messages = [w.message for w in curation_warnings(load_snapshot(directory))]
    assert any(
        m.startswith("fact beijing-robotics-patents: its quote names 'beijing'") and "'china' instead" in m
        for m in messages
    ), messages
