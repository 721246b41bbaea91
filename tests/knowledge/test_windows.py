"""Sentence windows read from the saved arrays hold what the passage's own text does; passages skipped
by their score ceiling change no decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import load_snapshot
from knowledge.answering.candidate import Candidate, FactRef, same_content
from knowledge.answering.words import NUMBER_TERMS, RANK_TERM
from knowledge.composer import Composer
from knowledge.decide import RankFeatures
from knowledge.traits import ordinal_terms
from knowledge.windows import NUMBER_KIND, ORDINAL_KIND, RANK_KIND, Lookup


@pytest.mark.parametrize("own_every", [0, 3])  # none of the terms is the question's own, or every third
def test_windows_hold_the_passage_s_terms_flags_and_lengths(
    seeds_dir: Path, tmp_path: Path, own_every: int
) -> None:
    composer = load_snapshot(seeds_dir, index_dir=tmp_path / "index").composer
    reader = composer.windows
    table = reader.sentences
    vocabulary = composer.passage_index.vocabulary
    own = frozenset(range(0, len(vocabulary), own_every)) if own_every else frozenset()
    every_term = Lookup(dict(enumerate(vocabulary.terms)), NUMBER_KIND, own)
    checked = 0
    for doc, passage in enumerate(composer.passages):
        heading, sentences = table.tokens(doc)
        heading_flags, *flags = table.flags_of(doc)
        expected = []
        for start, terms in enumerate(sentences):
            pairs = [(start + 1, terms, flags[start], len(passage.sentences[start]))]
            if start + 1 < len(sentences):
                length = pairs[0][3] + 1 + len(passage.sentences[start + 1])
                if length <= reader.max_chars:
                    pairs.append(
                        (start + 2, terms | sentences[start + 1], flags[start] | flags[start + 1], length)
                    )
            expected += [
                (start, end, held | heading, held, bits | heading_flags, n) for end, held, bits, n in pairs
            ]
        windows = reader.windows(doc, every_term)
        assert reader.terms(doc, every_term) == heading.union(*sentences)
        assert [(w.start, w.end, w.tokens, w.named, w.flags, w.length) for w in windows] == expected
        for window in windows:
            assert reader.window_terms(doc, window.start, window.end, every_term) == window.tokens
            assert bool(window.kinds & RANK_KIND) == (RANK_TERM in window.tokens)
            assert bool(window.kinds & ORDINAL_KIND) == bool(ordinal_terms(window.tokens))
            # A number the question itself holds adds nothing.
            assert window.adds == any(
                (t[0].isdigit() or t in NUMBER_TERMS) and vocabulary[t] not in own for t in window.tokens
            )
            checked += 1
    assert checked > 100


def test_windows_report_only_the_question_s_terms(seeds_dir: Path, tmp_path: Path) -> None:
    composer = load_snapshot(seeds_dir, index_dir=tmp_path / "index").composer
    vocabulary = composer.passage_index.vocabulary
    lookup = Lookup({vocabulary["china"]: "china", vocabulary["2024"]: "2024"})
    seen = set()
    for doc in range(len(composer.passages)):
        for window in composer.windows.windows(doc, lookup):
            assert window.tokens <= {"china", "2024"}
            assert window.adds  # nothing asked beyond the question's words
            seen |= window.tokens
    assert seen == {"china", "2024"}


def _best_two(candidates: list[Candidate]) -> tuple[Candidate | None, Candidate | None]:
    ranked = sorted(candidates, key=lambda c: -c.rank_score)
    if not ranked:
        return None, None
    runner_up = next((c for c in ranked[1:] if not same_content(c, ranked[0])), None)
    return ranked[0], runner_up


def test_passages_left_out_by_their_ceiling_change_neither_the_best_nor_the_runner_up(
    seeds_dir: Path, tmp_path: Path
) -> None:
    composer = load_snapshot(seeds_dir, index_dir=tmp_path / "index").composer
    items = json.loads((seeds_dir.parent / "eval" / "natural_qa.json").read_text(encoding="utf-8"))["items"]
    left_out = facts_left_out = 0
    for item in items:
        q = composer.analyse(str(item["q"]))
        every, pruned = composer.candidates(q), composer.candidates(q, prune=True)
        assert _best_two(pruned) == _best_two(every)
        left_out += len(every) - len(pruned)
        facts_left_out += sum(c.kind == "fact" for c in every) - sum(c.kind == "fact" for c in pruned)
    assert facts_left_out > 0
    assert left_out > facts_left_out  # windows too


def _reweighed(composer: Composer, sign: float) -> RankFeatures:
    """The ranker's weights with every feature weighing, either way."""
    return RankFeatures(*(sign * (w or 0.25) for w in composer.describer.weights))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_fact_ceiling_is_at_least_the_fact_s_score(seeds_dir: Path, tmp_path: Path, sign: float) -> None:
    composer = load_snapshot(seeds_dir, index_dir=tmp_path / "index").composer
    # (A fact's length is its own: bounded whatever its weight's sign.)
    describer = composer.describer.with_weights(_reweighed(composer, sign))
    items = json.loads((seeds_dir.parent / "eval" / "dev_qa2.json").read_text(encoding="utf-8"))["items"]
    checked = 0
    for item in items:
        q = composer.analyse(str(item["q"]))
        hits = composer.fact_table.hits(q.terms)
        for hit in hits:
            traits = composer.fact_table.traits[hit.doc]
            bm25 = hit.score / hits[0].score
            fact = describer.fact(q, FactRef(hit.doc), traits, bm25, {}, 0.0)
            assert fact.rank_score <= describer.ceiling.fact(q, bm25, traits.log_length)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_passage_ceiling_is_at_least_each_of_its_windows_scores(
    seeds_dir: Path, tmp_path: Path, sign: float
) -> None:
    composer = load_snapshot(seeds_dir, index_dir=tmp_path / "index").composer
    weights = _reweighed(composer, sign)
    # (A positive length weight has no ceiling: nothing to test.)
    describer = composer.describer.with_weights(weights._replace(length=-abs(weights.length)))
    ceiling = describer.ceiling
    items = json.loads((seeds_dir.parent / "eval" / "dev_qa2.json").read_text(encoding="utf-8"))["items"]
    checked = 0
    for item in items:
        q = composer.analyse(str(item["q"]))
        hits = composer.passage_index.retrieve(q.terms, 8)
        lookup = describer.lookup(q)
        for hit in hits:
            title = composer.titles.get(composer.passages.article_id(hit.doc), frozenset())
            bm25 = hit.score / hits[0].score
            bound = ceiling(q, composer.windows.terms(hit.doc, lookup), title, bm25)
            # The bound read before the passage's terms is no lower (but for rounding: the window scores
            # below both keep the ceiling's slack).
            assert ceiling.loose(q, bm25) >= bound - 1e-12
            for window in composer.windows.windows(hit.doc, lookup):
                candidate = describer.window(q, hit.doc, window, title, bm25, {}, {})
                assert candidate is not None
                assert candidate.rank_score <= bound
                checked += 1
    assert checked > 100
