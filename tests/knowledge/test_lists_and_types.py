"""List answers, answer types that must add something, and alias phrases that are names (seed corpus)."""

from __future__ import annotations

from pathlib import Path

from knowledge.base import load_snapshot


def test_a_list_question_is_answered_with_the_sections_labels(seeds_dir: Path) -> None:
    composer = load_snapshot(seeds_dir).composer
    decision = composer.decide("list the challenges for china's innovation-based development")
    assert decision.question.wants == "list"
    assert decision.best is not None
    text = decision.best.text
    assert text.startswith("Challenges and Opportunities:")
    assert "Intellectual Property Protection" in text and "Ethical and Regulatory Considerations" in text


def test_lists_come_only_from_headings_whose_passages_start_with_labels(seeds_dir: Path) -> None:
    composer = load_snapshot(seeds_dir).composer
    for docs, text, _ in composer.lists:
        assert len(docs) >= 2
        heading = composer.passages[docs[0]].heading
        assert heading and all(composer.passages[d].heading == heading for d in docs)
        assert ": " in text


def test_a_number_the_question_already_holds_is_no_answer_to_how_many(seeds_dir: Path) -> None:
    composer = load_snapshot(seeds_dir).composer
    q = composer.analyse("how many scientists have been recruited through thousand talents")
    assert q.wants == "number"
    assert not composer.describer.adds(q, frozenset({"thousand", "talent", "program"}))
    assert composer.describer.adds(q, frozenset({"thousand", "talent", "7,000"}))
    # A year is no count ("how many" is not answered by "launched in 2008").
    assert not composer.describer.adds(q, frozenset({"thousand", "talent", "2008"}))


def test_where_needs_a_place_the_question_does_not_name(seeds_dir: Path) -> None:
    composer = load_snapshot(seeds_dir).composer
    q = composer.analyse("which city is the korean innovation center in china based in")
    assert q.wants == "where"
    assert not composer.describer.adds(q, frozenset({"korean", "innov", "center", "china"}))


def test_where_does_x_stand_asks_for_a_rank_not_a_place(seeds_dir: Path) -> None:
    q = load_snapshot(seeds_dir).composer.analyse("where does china stand in the gii")
    assert q.wants == "rank"


def test_an_abbreviation_spelled_out_by_the_alias_file_is_a_known_name(seeds_dir: Path) -> None:
    q = load_snapshot(seeds_dir).composer.analyse("which industires is MIC 2025 going after")
    assert not q.unknown_name
    assert {"made", "china", "2025"} <= set(q.terms)
    assert load_snapshot(seeds_dir).composer.analyse("what is Freedonia's GII rank").unknown_name
