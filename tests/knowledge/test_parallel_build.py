"""A large corpus is tokenized on several cores: the parts must be exactly those of one pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge import passages as P
from knowledge.aliases import text_rules
from knowledge.base import parse, read_files

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _parts(monkeypatch: pytest.MonkeyPatch, minimum: int) -> P.PassageParts:
    monkeypatch.setattr(P, "PARALLEL_MIN_PASSAGES", minimum)
    monkeypatch.setattr(P.os, "cpu_count", lambda: 3)  # three runs, whatever this machine has
    articles, passages, _, aliases = parse(read_files(SEEDS))
    return P.build_passage_parts(articles, passages, text_rules(aliases))


def test_parallel_build_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    one = _parts(monkeypatch, 10**9)
    split = _parts(monkeypatch, 1)
    assert list(one.index.vocabulary) == list(split.index.vocabulary)
    for name in ("indptr", "docs", "weights"):
        assert np.array_equal(getattr(one.index, name), getattr(split.index, name)), name
    for name in ("seg_ptr", "term_ptr", "terms", "flags"):
        assert np.array_equal(getattr(one.sentences, name), getattr(split.sentences, name)), name
    for name in ("article", "number", "has_heading", "seg_ptr", "text", "text_ptr"):
        assert np.array_equal(getattr(one.passages, name), getattr(split.passages, name)), name
    assert (one.names, one.subject_terms, one.surface) == (split.names, split.subject_terms, split.surface)
