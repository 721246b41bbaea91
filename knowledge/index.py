"""BM25 retrieval: rank-bm25's statistics and formula, with Lucene's IDF and sparse scoring.

rank-bm25 is the definition: ``BM25Okapi`` computes document lengths, term frequencies and document
frequencies, and its ``get_scores`` formula is the score. Two things change:

* IDF. ``BM25Okapi`` gives a term found in half or more of the documents a zero or negative IDF
  (rank_bm25 issues #39 and #43), which on a small corpus silences its most common subject ("China").
  ``LuceneBM25`` uses Lucene's always-positive ``log(1 + (N - n + 0.5) / (n + 0.5))``.
* Speed. ``get_scores`` walks every document for every query term in Python. ``BM25Index`` keeps a
  posting list per term and scores only the documents that contain a query term, with the same numbers.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from rank_bm25 import BM25Okapi

K1 = 1.5
B = 0.75


class LuceneBM25(BM25Okapi):
    """``BM25Okapi`` with Lucene's IDF, so frequent terms still count a little instead of nothing."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        for word, freq in nd.items():
            self.idf[word] = lucene_idf(self.corpus_size, freq)


def lucene_idf(corpus_size: int, document_frequency: int) -> float:
    """Lucene's BM25 IDF; positive for every document frequency, highest for unseen terms."""
    return math.log(1.0 + (corpus_size - document_frequency + 0.5) / (document_frequency + 0.5))


class Hit(NamedTuple):
    """One retrieved document: its position in the indexed corpus and its BM25 score (> 0)."""

    doc: int
    score: float


class BM25Index:
    """Tokenised documents in, ``retrieve(query_tokens, k)`` out; documents with no query term never match."""

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = K1, b: float = B) -> None:
        if not corpus:
            raise ValueError("cannot index an empty corpus: add at least one document")
        stats = LuceneBM25(corpus, k1=k1, b=b)  # rank-bm25 only iterates and measures the documents
        self.size: int = stats.corpus_size
        self.idf: dict[str, float] = dict(stats.idf)
        self.unseen_idf = lucene_idf(self.size, 0)
        doc_len = np.asarray(stats.doc_len, dtype=np.float64)
        # The length part of the denominator depends only on the document: compute it once.
        self._norm = k1 * (1.0 - b + b * doc_len / stats.avgdl)
        self._k1 = k1
        # Posting lists, built in compact C arrays (not lists of Python ints: at 100k passages those
        # would triple the index's peak memory), then grouped by term with one stable sort.
        term_ids: dict[str, int] = {}
        terms, docs, tfs = array("i"), array("i"), array("i")
        for doc, freqs in enumerate(stats.doc_freqs):
            for term, tf in freqs.items():
                terms.append(term_ids.setdefault(term, len(term_ids)))
                docs.append(doc)
                tfs.append(tf)
        del stats
        term_arr = np.frombuffer(terms, dtype=np.int32)
        order = np.argsort(term_arr, kind="stable")  # stable: documents stay in ascending order per term
        doc_arr = np.frombuffer(docs, dtype=np.int32)[order]
        tf_arr = np.frombuffer(tfs, dtype=np.int32)[order].astype(np.float64)
        sorted_terms = term_arr[order]
        del order, terms, docs, tfs, term_arr
        starts = np.searchsorted(sorted_terms, np.arange(len(term_ids) + 1))
        idf = np.array([self.idf[t] for t in term_ids])
        # Each posting holds its documents and the term's precomputed BM25 weight in each of them.
        weights = idf[sorted_terms] * tf_arr * (k1 + 1.0) / (tf_arr + self._norm[doc_arr])
        del sorted_terms, tf_arr
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {
            term: (doc_arr[starts[i] : starts[i + 1]], weights[starts[i] : starts[i + 1]])
            for term, i in term_ids.items()
        }

    def __contains__(self, term: str) -> bool:
        return term in self._postings

    def document_frequency(self, term: str) -> int:
        posting = self._postings.get(term)
        return 0 if posting is None else len(posting[0])

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """Scores of every document, equal to ``LuceneBM25.get_scores`` (zero where no term matches)."""
        out = np.zeros(self.size)
        for term in query:
            posting = self._postings.get(term)
            if posting is not None:
                out[posting[0]] += posting[1]
        return out

    def retrieve(self, query: Sequence[str], k: int = 10) -> list[Hit]:
        """The ``k`` best documents with a positive score, best first (ties: earlier document first)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        postings = [self._postings[t] for t in query if t in self._postings]
        if not postings:
            return []
        if len(postings) == 1:
            ids, weights = postings[0]
            candidates, values = ids, weights
        else:
            candidates = np.unique(np.concatenate([p[0] for p in postings]))
            if len(candidates) * 4 > self.size:
                dense = self.scores(query)
                values = dense[candidates]
            else:
                # Few candidates: accumulate into a small array indexed by candidate position.
                values = np.zeros(len(candidates))
                for ids, weights in postings:
                    values[np.searchsorted(candidates, ids)] += weights
        if len(candidates) > k:
            # Keep everything scoring at least the k-th best, so ties at the cut go to earlier documents.
            kth = np.partition(values, len(values) - k)[len(values) - k]
            keep = values >= kth
            candidates, values = candidates[keep], values[keep]
        order = np.lexsort((candidates, -values))[:k]
        return [Hit(int(candidates[i]), float(values[i])) for i in order if values[i] > 0]
