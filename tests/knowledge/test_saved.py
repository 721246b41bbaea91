"""The saved index: written atomically under the content hash, mapped instead of rebuilt, never trusted blindly."""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge import KnowledgeBase, load_snapshot, saved
from knowledge.composer import Composer
from knowledge.passages import build_passage_parts, segment_words
from knowledge.text import default_rules

QUESTIONS = [
    "What is Ruritania's GII rank?",
    "How many robots per 10,000 workers in Ruritania?",
    "Who is the CEO of Apple?",
]


def test_a_second_load_maps_the_saved_index_and_answers_the_same(tiny_kb: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    built = load_snapshot(tiny_kb, index_dir=index_dir)
    assert (saved.saved_path(index_dir, built.version) / "meta.json").is_file()
    assert saved.last_good(index_dir, tiny_kb) == built.version
    mapped = load_snapshot(tiny_kb, index_dir=index_dir)
    assert mapped.version == built.version
    for question in QUESTIONS:
        assert mapped.answer(question) == built.answer(question)
    assert list(mapped.passages) == list(built.passages)
    assert mapped.facts == built.facts


def test_the_seed_answers_are_the_same_from_a_fresh_build_and_from_the_saved_index(
    seeds_dir: Path, tmp_path: Path
) -> None:
    snapshot = load_snapshot(seeds_dir, index_dir=tmp_path / "index")
    fresh = Composer(
        snapshot.articles, list(snapshot.passages), list(snapshot.facts.values()), snapshot.version
    )
    for question in QUESTIONS:
        assert snapshot.answer(question) == fresh.answer(question)


def test_a_saved_index_keeps_the_gazetteer_it_was_built_with(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    built = load_snapshot(tiny_kb, index_dir=index_dir)
    assert built.composer.places.places and built.composer.places.demonyms

    def no_package_data() -> None:
        raise AssertionError("a saved index loaded the gazetteer's package data")

    # Mapping it again reads the places and demonyms it was tokenized with from the index, not the
    # packages' data (0.6 s of a start-up): the same understanding, however those packages change.
    for module in ("knowledge.entities", "knowledge.answering.composer", "knowledge.saved"):
        monkeypatch.setattr(f"{module}.gazetteer", no_package_data)
    mapped = load_snapshot(tiny_kb, index_dir=index_dir)
    assert mapped.composer.places == built.composer.places
    assert mapped.composer.rules.aliases == built.composer.rules.aliases
    for question in (*QUESTIONS, "what do french robot makers hold"):
        assert mapped.answer(question) == built.answer(question)


def test_large_arrays_are_memory_mapped(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saved, "MMAP_MIN_BYTES", 0)
    index_dir = tmp_path / "index"
    version = load_snapshot(tiny_kb, index_dir=index_dir).version
    knowledge = saved.load(index_dir, version)
    assert knowledge.mapped
    weights = knowledge.parts.index.weights
    assert not weights.flags.owndata and not weights.flags.writeable  # a read-only view of the file's pages
    assert isinstance(weights.base, np.memmap) or isinstance(getattr(weights.base, "base", None), np.memmap)


def test_a_damaged_saved_index_is_ignored_with_one_log_line_and_rebuilt(
    tiny_kb: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index_dir = tmp_path / "index"
    first = load_snapshot(tiny_kb, index_dir=index_dir)
    docs = saved.saved_path(index_dir, first.version) / "docs.npy"
    docs.write_bytes(docs.read_bytes()[:-8])  # truncated
    with caplog.at_level(logging.WARNING, logger="innov.knowledge"):
        snapshot = load_snapshot(tiny_kb, index_dir=index_dir)
    assert len([r for r in caplog.records if "ignoring a saved knowledge index" in r.getMessage()]) == 1
    for question in QUESTIONS:
        assert snapshot.answer(question) == first.answer(question)
    saved.load(index_dir, first.version)  # the rebuild saved a good one in its place


def _emptied(path: Path) -> None:
    path.write_bytes(b"")


def _narrowed(path: Path) -> None:
    np.save(path, np.zeros((len(np.load(path)), 100), dtype=np.int8))


def _scaled_up(path: Path) -> None:
    np.save(path, np.full(len(np.load(path)), 1e30, dtype=np.float32))


# Found by an attack run: an emptied .npy file (numpy's EOFError) crashed every load path, and vectors of
# the wrong width or an absurd scale were accepted (then a matmul error at warm-up, or silent declines).
@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("docs", _emptied),
        ("vec_segments", _emptied),
        ("vec_segments", _narrowed),
        ("vec_segment_scale", _scaled_up),
    ],
)
def test_a_damaged_array_is_refused_and_the_index_rebuilt(
    tiny_kb: Path, tmp_path: Path, name: str, damage: Callable[[Path], None]
) -> None:
    index_dir = tmp_path / "index"
    first = load_snapshot(tiny_kb, index_dir=index_dir)
    if name.startswith("vec_") and first.composer.vectors is None:
        pytest.skip("embedding model not installed: the index holds no vectors")
    damage(saved.saved_path(index_dir, first.version) / f"{name}.npy")
    with pytest.raises(saved.SavedIndexError, match="damaged|inconsistent"):
        saved.load(index_dir, first.version)
    snapshot = load_snapshot(tiny_kb, index_dir=index_dir)
    for question in QUESTIONS:
        assert snapshot.answer(question) == first.answer(question)
    saved.load(index_dir, first.version)  # the rebuild saved a good one in its place


def test_out_of_range_ids_are_refused(tiny_kb: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    version = load_snapshot(tiny_kb, index_dir=index_dir).version
    docs = saved.saved_path(index_dir, version) / "docs.npy"
    array = np.load(docs)
    array[0] = 10**6
    np.save(docs, array)
    with pytest.raises(saved.SavedIndexError, match="posting ids"):
        saved.load(index_dir, version)


def test_an_index_saved_by_other_code_is_not_mapped(
    tiny_kb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_dir = tmp_path / "index"
    version = load_snapshot(tiny_kb, index_dir=index_dir).version
    meta = saved.saved_path(index_dir, version) / "meta.json"
    meta.write_text(meta.read_text().replace(f'"format": {saved.FORMAT}', '"format": 0'))
    with pytest.raises(saved.SavedIndexError, match="other code"):
        saved.load(index_dir, version)


def test_workers_adopt_a_version_another_one_built(tiny_kb: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    worker_a, worker_b = (
        KnowledgeBase(tiny_kb, index_dir=index_dir),
        KnowledgeBase(tiny_kb, index_dir=index_dir),
    )
    (tiny_kb / "facts.yaml").write_text((tiny_kb / "facts.yaml").read_text() + "\n# edited\n")
    report = worker_a.reload()
    assert report.changed_anything
    # Worker b maps what a built and validated, without reading the files (they may be broken since).
    (tiny_kb / "facts.yaml").write_text("facts: [unclosed\n")
    adopted = worker_b.adopt(report.new_version)
    assert adopted is not None and worker_b.version == report.new_version
    assert worker_b.adopt("000000000000") is None


def test_the_passage_text_store_returns_the_passages(seeds_dir: Path, tmp_path: Path) -> None:
    snapshot = load_snapshot(seeds_dir, index_dir=tmp_path / "index")
    passages = list(snapshot.passages)
    parts = build_passage_parts(snapshot.articles, passages)
    assert list(parts.passages) == passages
    assert parts.passages[-1] == passages[-1]
    with pytest.raises(IndexError):
        parts.passages[len(passages)]


def test_sentence_terms_are_the_tokenizer_s_computed_once(seeds_dir: Path, tmp_path: Path) -> None:
    from knowledge.text import tokenize

    snapshot = load_snapshot(seeds_dir, index_dir=tmp_path / "index")
    parts = build_passage_parts(snapshot.articles, list(snapshot.passages))
    for doc, passage in enumerate(snapshot.passages):
        heading, sentences = parts.sentences.tokens(doc)
        assert heading == frozenset(tokenize(passage.heading or ""))
        assert sentences == tuple(frozenset(tokenize(s)) for s in passage.sentences)

    for term in ("china", "robot", "innov"):
        expected = sum(term in tokenize(f"{p.heading or ''} {p.text}") for p in snapshot.passages)
        assert parts.index.document_frequency(term) == expected


def test_id_bounds_are_read_from_the_file_chunk_by_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saved, "_CHECK_CHUNK_BYTES", 16)  # two int64 values a chunk
    file = tmp_path / "ids.npy"
    np.save(file, np.array([5, 3, 9, 4, -2, 7, 1], dtype=np.int64))
    assert saved._bounds(file) == (-2, 9)
    np.save(file, np.zeros(0, dtype=np.int32))
    assert saved._bounds(file) == (0, -1)


@given(
    st.lists(
        st.lists(
            st.sampled_from(["China's", "R&D", "GII", "qqsegmentbreakqq", "", "2.5bn", "robots."]), max_size=4
        ).map(" ".join),
        min_size=1,
        max_size=4,
    )
)
def test_segments_tokenized_in_one_call_read_as_one_call_each(segments: list[str]) -> None:
    rules = default_rules()
    assert segment_words(segments, rules) == [rules.words(s) for s in segments]


def test_every_knowledge_module_a_signed_module_imports_is_signed() -> None:
    # A module split out of a signed one (or newly imported by one) shapes what is saved: the
    # fingerprint must cover it, or it is named as shaping nothing saved.
    here = Path(saved.__file__).resolve().parent
    covered = set(saved.SIGNED_MODULES) | saved.UNSIGNED_IMPORTS
    for name in saved.SIGNED_MODULES:
        tree = ast.parse((here / f"{name.replace('.', '/')}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "knowledge":
                imported = {a.name for a in node.names if (here / f"{a.name}.py").is_file()}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("knowledge."):
                imported = {(node.module or "").removeprefix("knowledge.")}
            else:
                continue
            assert imported <= covered, (name, imported - covered)


@pytest.mark.parametrize("version", ["../../etc", "a" * 100_000, "zzz", "ABCDEF012345"])
def test_what_is_no_version_names_no_saved_index(tiny_kb: Path, tmp_path: Path, version: str) -> None:
    """A version names a saved index's directory: one read from a broadcast or from Redis that is no
    content hash ("../../etc", 100,000 characters: "File name too long") is no index, and nothing is
    adopted (the second attack run)."""
    with pytest.raises(saved.SavedIndexError, match="not a knowledge version"):
        saved.load(tmp_path / "index", version)
    kb = KnowledgeBase(tiny_kb, index_dir=tmp_path / "index")
    before = kb.version
    assert kb.adopt(version) is None and kb.version == before
