from __future__ import annotations

import math
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from knowledge import index as index_module
from knowledge.index import BM25Index, LuceneBM25

CORPUS = [
    ["china", "rank", "11th", "global", "innov", "index"],
    ["china", "robot", "470", "worker"],
    ["china", "robot", "patent", "beij", "robot"],
    ["japan", "cluster", "top"],
]


def test_known_ranking_on_a_tiny_corpus() -> None:
    index = BM25Index(CORPUS)
    assert [h.doc for h in index.retrieve(["robot"])] == [2, 1]
    assert [h.doc for h in index.retrieve(["robot", "patent"])] == [2, 1]
    assert index.retrieve(["japan", "cluster"])[0].doc == 3


def test_frequent_terms_keep_a_positive_idf() -> None:
    # rank-bm25's BM25Okapi gives a term in half or more of the documents a zero or negative raw IDF
    # (issues #39 and #43); "china" is in 3 of 4 documents here.
    okapi = math.log(len(CORPUS) - 3 + 0.5) - math.log(3 + 0.5)
    assert okapi < 0
    index = BM25Index(CORPUS)
    assert index.idf["china"] == pytest.approx(math.log(1 + (4 - 3 + 0.5) / (3 + 0.5)))
    assert index.idf["china"] > 0
    # Every document with the term is found, shortest (most focused) first.
    assert [h.doc for h in index.retrieve(["china"])] == [1, 2, 0]


def test_no_matching_term_retrieves_nothing() -> None:
    # rank-bm25's get_top_n would still hand back n documents here.
    index = BM25Index(CORPUS)
    assert index.retrieve(["lisbon", "rain"]) == []
    assert len(BM25Okapi(CORPUS).get_top_n(["lisbon"], CORPUS, n=2)) == 2


def test_errors_say_what_to_do() -> None:
    with pytest.raises(ValueError, match="empty corpus"):
        BM25Index([])
    with pytest.raises(ValueError, match="k must be at least 1"):
        BM25Index(CORPUS).retrieve(["china"], k=0)


def ranked(scores: np.ndarray) -> list[int]:
    """Documents with a positive score, best first; scores equal to 9 decimals tie (earlier first)."""
    return [i for i in sorted(range(len(scores)), key=lambda i: (-round(scores[i], 9), i)) if scores[i] > 0]


VOCAB = ["china", "robot", "rank", "index", "cluster", "patent", "beij", "2024", "11th", "worker", "japan"]


@settings(max_examples=60, deadline=None)
@given(
    corpus=st.lists(st.lists(st.sampled_from(VOCAB), min_size=1, max_size=12), min_size=1, max_size=40),
    query=st.lists(st.sampled_from(VOCAB + ["unseen"]), min_size=1, max_size=5),
    k=st.integers(min_value=1, max_value=10),
)
@pytest.mark.parametrize("small", [index_module.SMALL, 0])  # scored densely and sorted whole, or not
def test_scores_and_ranking_equal_rank_bm25(
    corpus: list[list[str]], query: list[str], k: int, small: int
) -> None:
    ours = BM25Index(corpus)
    reference = LuceneBM25(corpus).get_scores(query)
    assert np.allclose(ours.scores(query), reference)
    with patch.object(index_module, "SMALL", small):
        hits = ours.retrieve(query, k)
    expected = ranked(reference)[:k]
    assert [h.doc for h in hits] == expected
    assert all(h.score == pytest.approx(reference[h.doc]) for h in hits)


@settings(max_examples=40, deadline=None)
@given(
    corpus=st.lists(
        st.lists(st.sampled_from(VOCAB[:4]), min_size=1, max_size=6)
        | st.lists(st.sampled_from(VOCAB), min_size=1, max_size=6),
        min_size=20,
        max_size=120,
    ),
    query=st.lists(st.sampled_from(VOCAB), min_size=2, max_size=6),
    k=st.integers(min_value=1, max_value=30),
)
@pytest.mark.parametrize("small", [index_module.SMALL, 0])
@pytest.mark.parametrize("block", [index_module.BLOCK, 3])  # the dense pass's group maxima bound the k-th
def test_one_pass_retrieval_keeps_rank_bm25_order_with_common_terms_and_ties(
    corpus: list[list[str]], query: list[str], k: int, small: int, block: int
) -> None:
    # Common terms in most documents (the dense pass, whose k-th best score is bounded from below by
    # the groups' maxima) and rare ones (the sparse candidates, where a document shows up once per query
    # term it holds): the same top-k and tie order either way.
    with patch.object(index_module, "BLOCK", block):
        ours = BM25Index(corpus)
    reference = LuceneBM25(corpus).get_scores(query)
    expected = ranked(reference)[:k]
    with patch.object(index_module, "SMALL", small), patch.object(index_module, "BLOCK", block):
        assert [h.doc for h in ours.retrieve(query, k)] == expected


def test_an_index_over_saved_arrays_equals_the_built_one() -> None:
    built = BM25Index(CORPUS)
    loaded = BM25Index.from_arrays(
        built.vocabulary, built.idf_array, built.indptr, built.docs, built.weights, built.size
    )
    for query in (["robot"], ["china", "robot"], ["japan", "unseen"]):
        assert loaded.retrieve(query, 3) == built.retrieve(query, 3)
    assert loaded.document_frequency("china") == 3 and "china" in loaded and "unseen" not in loaded


def test_retrieval_within_a_subset_is_the_full_ranking_filtered() -> None:
    corpus = [["robot", "china"], ["robot"], ["china"], ["robot", "robot", "patent"], ["patent"], ["robot"]]
    index = BM25Index(corpus)
    within = np.array([False, True, True, True, False, True])
    full = [hit for hit in index.retrieve(["robot", "patent"], k=len(corpus)) if within[hit.doc]]
    assert index.retrieve_within(["robot", "patent"], 2, within) == full[:2]
    assert index.retrieve_within(["china"], 5, within) == [
        hit for hit in index.retrieve(["china"], 5) if within[hit.doc]
    ]
