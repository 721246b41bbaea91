"""Ranking features are built in one place and named: a candidate's features say which is which."""

from __future__ import annotations

from pathlib import Path

from knowledge import load_snapshot
from knowledge.answering.features import rank_features
from knowledge.answering.pruning import BOUNDED_FEATURES, unbounded
from knowledge.decide import RANK_FEATURES, RankFeatures


def test_rank_features_are_built_by_name() -> None:
    values = rank_features(
        (0.1, 0.2, 0.3), 0.4, is_fact=True, bm25=0.5, two_sentences=0.6, log_length=0.7, cosine=0.8
    )
    assert isinstance(values, RankFeatures)
    assert values._asdict() == {
        "coverage": 0.1,
        "matched_share": 0.2,
        "type_ok": 0.4,
        "constraint_missing": 0.3,
        "is_fact": 1.0,
        "bm25": 0.5,
        "two_sentences": 0.6,
        "length": 0.7,
        "cosine": 0.8,
    }
    assert tuple(values._asdict()) == RANK_FEATURES


def test_every_ranking_feature_is_bounded_so_pruning_stays_on() -> None:
    # A ranking feature the ceiling does not bound makes it infinite: pruning would skip nothing.
    assert set(RANK_FEATURES) == BOUNDED_FEATURES
    assert not unbounded(RankFeatures(*([1.0] * len(RANK_FEATURES))))


def test_each_candidate_carries_its_ranking_features_by_name(seeds_dir: Path) -> None:
    composer = load_snapshot(seeds_dir).composer
    q = composer.analyse("how many high-tech enterprises does china have")
    candidates = composer.candidates(q)
    assert candidates
    for candidate in candidates:
        ranking = candidate.ranking()
        assert tuple(ranking) == RANK_FEATURES
        weights = composer.model.ranker.weights
        assert abs(sum(weights.get(f, 0.0) * v for f, v in ranking.items()) - candidate.rank_score) < 1e-9
        described = candidate.described()
        assert described.values is None and {**candidate.features, **ranking} == described.features
