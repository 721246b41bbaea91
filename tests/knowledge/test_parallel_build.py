"""A large corpus is parsed and tokenized on several cores: the result must be exactly one pass's."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from knowledge import base, forked
from knowledge import passages as P
from knowledge.aliases import text_rules
from knowledge.base import parse, read_files
from knowledge.errors import KnowledgeLoadError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(autouse=True)
def three_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked.os, "cpu_count", lambda: 3)  # three slices, whatever this machine has


def _parts(monkeypatch: pytest.MonkeyPatch, minimum: int) -> P.PassageParts:
    monkeypatch.setattr(P, "PARALLEL_MIN_PASSAGES", minimum)
    monkeypatch.setattr(base, "PARALLEL_MIN_FILES", minimum)
    articles, passages, _, aliases = parse(read_files(SEEDS))
    return P.build_passage_parts(articles, passages, text_rules(aliases))


def test_parallel_build_equals_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    one = _parts(monkeypatch, 10**9)
    split = _parts(monkeypatch, 1)
    assert list(one.index.vocabulary) == list(split.index.vocabulary)
    for name in ("indptr", "docs", "weights"):
        assert np.array_equal(getattr(one.index, name), getattr(split.index, name)), name
    for name in ("seg_ptr", "term_ptr", "terms", "flags", "chars"):
        assert np.array_equal(getattr(one.sentences, name), getattr(split.sentences, name)), name
    for name in ("article", "number", "has_heading", "seg_ptr", "text", "text_ptr"):
        assert np.array_equal(getattr(one.passages, name), getattr(split.passages, name)), name
    assert (one.names, one.subject_terms, one.surface) == (split.names, split.subject_terms, split.surface)
    assert {"zhongguancun", "huawei"} <= one.names and "china" in one.subject_terms


def test_parallel_parse_reports_the_same_problems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(SEEDS, kb)
    (kb / "broken.md").write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    found = []
    for minimum in (10**9, 1):
        monkeypatch.setattr(base, "PARALLEL_MIN_FILES", minimum)
        with pytest.raises(KnowledgeLoadError) as error:
            parse(read_files(kb))
        found.append(error.value.problems)
    assert found[0] == found[1] and any("broken.md" in p.file for p in found[0])
