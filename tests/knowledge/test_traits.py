"""Answer-type flags read once per heading and sentence (``knowledge.traits``), and saved with the index."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge import load_snapshot, saved
from knowledge.passages import build_passage_parts
from knowledge.traits import (
    _HAS_LIST_RE,
    _HAS_NUMBER_RE,
    _HAS_REASON_RE,
    _HAS_YEAR_RE,
    CAPITALISED,
    CAPITALISED_RE,
    ENUMERATION,
    FLAGS_BITS,
    NUMBER,
    REASON,
    TRAITS,
    YEAR,
    _Folded,
    has_capitalised,
    has_list,
    has_year,
    ordinal_terms,
    own_bits,
    text_flags,
    year_terms,
)


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("the plan was launched in 2015", NUMBER | YEAR),
        ("growth driven by national policy support", REASON),
        ("sectors such as robotics and aerospace", ENUMERATION),
        ("it works closely with Tsinghua University", CAPITALISED),
        ("Nine cities take part", NUMBER),  # a capital at the start of a sentence is grammar, not a name
        ("nothing of the kind here", 0),
    ],
)
def test_text_flags(text: str, flags: int) -> None:
    assert text_flags(text) == flags


def test_years_and_editions_come_from_the_terms() -> None:
    terms = ["2024", "11th", "463,000", "1990s", "3.6", "launch"]
    assert year_terms(terms) == {"2024"}
    assert ordinal_terms(terms) == {"11th"}


def test_a_saved_index_keeps_every_segments_flags_and_length(tmp_path: Path, seeds_dir: Path) -> None:
    built = load_snapshot(seeds_dir, index_dir=tmp_path / "index")
    fresh = build_passage_parts(built.articles, list(built.passages), built.composer.rules).sentences
    restored = saved.load(tmp_path / "index", built.version).parts.sentences
    for doc in range(len(built.passages)):
        passage = built.passages[doc]
        texts = [passage.heading or "", *passage.sentences]
        assert restored.flags_of(doc) == fresh.flags_of(doc) == [text_flags(t) for t in texts]
        lo, hi = restored.seg_ptr[doc : doc + 2]
        assert restored.chars[lo:hi].tolist() == [len(t) for t in texts]


def test_every_trait_has_a_bit_of_its_own_and_the_saved_flags_have_room_for_it(
    tmp_path: Path, seeds_dir: Path
) -> None:
    assert own_bits((t.flag for t in TRAITS), FLAGS_BITS)
    assert not own_bits((1, 1), FLAGS_BITS) and not own_bits((3,), FLAGS_BITS)
    assert not own_bits((1 << FLAGS_BITS,), FLAGS_BITS)
    version = load_snapshot(seeds_dir, index_dir=tmp_path / "index").version
    flags = saved.load(tmp_path / "index", version).parts.sentences.flags
    assert flags.dtype.itemsize * 8 == FLAGS_BITS


@given(
    st.lists(
        st.sampled_from(
            [
                "Because",
                "DUE TO",
                "due",
                "to",
                "Twelve",
                "3",
                "x",
                "İ",
                "ı",
                "ſ",
                " ",
                ",",
                "K",
                "\u212a",
                "’",
                "é",
                "É",
            ]
        ),
        max_size=8,
    ).map("".join)
)
def test_case_insensitive_flags_read_lower_cased_ascii_alike(text: str) -> None:
    for pattern in (_HAS_NUMBER_RE, _HAS_REASON_RE):
        assert _Folded(pattern)(text) == (pattern.search(text) is not None)


@given(
    st.lists(
        st.sampled_from(
            ["China", "x", "A", "a", ".", "!", " ", "\n", "_", "9", "é", "É", "'", "-", "Ab", "?"]
        ),
        max_size=10,
    ).map("".join)
)
def test_capitalised_check_equals_its_pattern(text: str) -> None:
    assert has_capitalised(text) == (CAPITALISED_RE.search(text) is not None)


@given(
    st.lists(
        st.sampled_from(
            [
                "2024",
                "1999",
                "12",
                "year",
                "last",
                "this",
                " ",
                ",",
                ";",
                "such",
                "as",
                "including",
                "x",
                "Year",
            ]
        ),
        max_size=10,
    ).map("".join)
)
def test_year_and_list_checks_equal_their_patterns(text: str) -> None:
    assert has_year(text) == (_HAS_YEAR_RE.search(text) is not None)
    assert has_list(text) == (_HAS_LIST_RE.search(text) is not None)
