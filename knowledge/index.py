"""BM25 retrieval: rank-bm25's statistics and formula, with Lucene's IDF and sparse scoring.

rank-bm25 is the definition: ``BM25Okapi`` computes document lengths, term frequencies and document
frequencies, and its ``get_scores`` formula is the score. Two things change:

* IDF. ``BM25Okapi`` gives a term found in half or more of the documents a zero or negative IDF
  (rank_bm25 issues #39 and #43), which on a small corpus silences its most common subject ("China").
  ``LuceneBM25`` uses Lucene's always-positive ``log(1 + (N - n + 0.5) / (n + 0.5))``.
* Speed. ``get_scores`` walks every document for every query term in Python. ``BM25Index`` keeps, per
  term, the documents that hold it and the term's precomputed BM25 weight in each (one CSR matrix:
  ``indptr``, ``docs``, ``weights``); a query adds its terms' weights into one score array (a term in a
  third of the documents or more as one dense row) and takes an exact top-k. The arrays can be saved and
  memory-mapped (``knowledge.saved``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np
from rank_bm25 import BM25Okapi

K1 = 1.5
B = 0.75
TIE_DECIMALS = 9  # scores equal to this many decimals are ties
TIE = 10.0**-TIE_DECIMALS
SMALL = 4096  # documents: a corpus this small is scored densely and sorted whole
# A term held by at least this share of the documents also keeps its weights as one dense row: adding the
# row (one vectorised pass) is faster than scattering that many postings (see ``retrieve``).
DENSE_SHARE = 1 / 3
# Documents per group of the dense score array whose maxima bound the k-th best score (``_at_floor``).
BLOCK = 64


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


class Vocabulary(Mapping[str, int]):
    """Term -> term id, and back (``terms[id]``); ids are in first-seen order."""

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms: list[str] = list(terms)
        self._ids: dict[str, int] = {t: i for i, t in enumerate(self.terms)}

    def __getitem__(self, term: str) -> int:
        return self._ids[term]

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, term: object) -> bool:
        return term in self._ids

    def get_id(self, term: str) -> int:
        """The term's id, or -1 for a term the corpus does not use."""
        return self._ids.get(term, -1)

    def ids(self, tokens: Sequence[str]) -> np.ndarray:
        """Term ids of ``tokens`` in order, adding unseen ones (build time only)."""
        ids = self._ids
        terms = self.terms
        out = np.empty(len(tokens), dtype=np.int32)
        for i, token in enumerate(tokens):
            tid = ids.get(token)
            if tid is None:
                tid = ids[token] = len(terms)
                terms.append(token)
            out[i] = tid
        return out


class _IdfView(Mapping[str, float]):
    """``index.idf[term]``: the IDF of every term the corpus uses, read from the IDF array."""

    def __init__(self, vocabulary: Vocabulary, idf: np.ndarray) -> None:
        self._vocabulary = vocabulary
        self._idf = idf

    def __getitem__(self, term: str) -> float:
        return float(self._idf[self._vocabulary[term]])

    def get(self, term: str, default: float | None = None) -> float | None:  # type: ignore[override]
        tid = self._vocabulary.get_id(term)
        return default if tid < 0 else self._idf.item(tid)  # (a Python float, without a numpy scalar)

    def __iter__(self) -> Iterator[str]:
        return iter(self._vocabulary)

    def __len__(self) -> int:
        return len(self._vocabulary)

    def __contains__(self, term: object) -> bool:
        return term in self._vocabulary


class BM25Index:
    """Tokenised documents in, ``retrieve(query_tokens, k)`` out; documents with no query term never match."""

    def __init__(
        self,
        corpus: Sequence[Sequence[str]],
        k1: float = K1,
        b: float = B,
        *,
        vocabulary: Vocabulary | None = None,
        doc_terms: np.ndarray | None = None,
        doc_ptr: np.ndarray | None = None,
    ) -> None:
        """Index ``corpus`` (token lists). ``vocabulary``/``doc_terms``/``doc_ptr`` may give the same
        corpus already as term ids (the build does, to tokenize once); ``corpus`` is then not read."""
        if doc_terms is None or doc_ptr is None or vocabulary is None:
            if not corpus:
                raise ValueError("cannot index an empty corpus: add at least one document")
            vocabulary = Vocabulary([])
            lengths = np.fromiter((len(d) for d in corpus), dtype=np.int64, count=len(corpus))
            doc_ptr = np.zeros(len(corpus) + 1, dtype=np.int64)
            np.cumsum(lengths, out=doc_ptr[1:])
            doc_terms = (
                np.concatenate([vocabulary.ids(d) for d in corpus]) if doc_ptr[-1] else np.zeros(0, np.int32)
            )
        size = len(doc_ptr) - 1
        if size < 1:
            raise ValueError("cannot index an empty corpus: add at least one document")
        doc_len = np.diff(doc_ptr).astype(np.float64)
        avgdl = float(doc_len.sum()) / size  # rank-bm25's avgdl
        docs_of_token = np.repeat(np.arange(size, dtype=np.int64), np.diff(doc_ptr))
        # One (term, document) key per token; counting equal keys gives the term frequencies, grouped by
        # term and, within a term, by ascending document: the CSR layout, in one vectorised pass.
        keys, tf = np.unique(doc_terms.astype(np.int64) * size + docs_of_token, return_counts=True)
        del docs_of_token
        post_terms = keys // size
        post_docs = keys - post_terms * size  # int64 (numpy's index width): see ``retrieve``
        del keys
        n_terms = len(vocabulary)
        df = np.bincount(post_terms, minlength=n_terms)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        idf = np.log(1.0 + (size - df + 0.5) / (df + 0.5))  # Lucene's IDF, as ``lucene_idf``
        norm = k1 * (1.0 - b + b * doc_len / avgdl) if avgdl > 0 else np.full(size, k1)
        tf = tf.astype(np.float64)
        weights = idf[post_terms] * tf * (k1 + 1.0) / (tf + norm[post_docs])
        self._setup(vocabulary, idf, indptr, post_docs, weights, size)

    @classmethod
    def from_arrays(
        cls,
        vocabulary: Vocabulary,
        idf: np.ndarray,
        indptr: np.ndarray,
        docs: np.ndarray,
        weights: np.ndarray,
        size: int,
    ) -> BM25Index:
        """An index over saved arrays (memory-mapped or not) without building anything."""
        index = cls.__new__(cls)
        index._setup(vocabulary, idf, indptr, docs, weights, size)
        return index

    def _setup(
        self,
        vocabulary: Vocabulary,
        idf: np.ndarray,
        indptr: np.ndarray,
        docs: np.ndarray,
        weights: np.ndarray,
        size: int,
    ) -> None:
        self.size = size
        self.vocabulary = vocabulary
        self.idf_array = idf
        self.indptr = indptr
        self.docs = docs
        self.weights = weights
        self.idf: Mapping[str, float] = _IdfView(vocabulary, idf)
        self.unseen_idf = lucene_idf(size, 0)
        self._padded = -(-size // BLOCK) * BLOCK
        # The common terms' weights as dense rows (zero where a document lacks the term), padded as the
        # score array is. A row's term has a posting (16 bytes) in a third of the documents or more, so
        # the rows (8 bytes a document) take at most 1.5 times those terms' postings (8-11 MB of the
        # 100k benchmark corpora). Built in the process that loads the index: forked workers share them.
        common = np.flatnonzero(np.diff(indptr) >= DENSE_SHARE * size).tolist()
        self._dense: dict[int, np.ndarray] = {}
        for tid in common:
            row = np.zeros(self._padded)
            lo, hi = indptr.item(tid), indptr.item(tid + 1)
            row[docs[lo:hi]] = weights[lo:hi]
            self._dense[tid] = row

    def __contains__(self, term: str) -> bool:
        return term in self.vocabulary

    def document_frequency(self, term: str) -> int:
        tid = self.vocabulary.get_id(term)
        return 0 if tid < 0 else int(self.indptr[tid + 1] - self.indptr[tid])

    def _postings(self, query: Sequence[str]) -> list[tuple[int, int, int]]:
        """(first, end, term id) of each known query term's postings, in the query's order."""
        get_id, indptr = self.vocabulary.get_id, self.indptr
        spans = []
        for term in query:
            tid = get_id(term)
            if tid >= 0:
                spans.append((indptr.item(tid), indptr.item(tid + 1), tid))
        return spans

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """Scores of every document, equal to ``LuceneBM25.get_scores`` (zero where no term matches)."""
        return self._accumulate(self._postings(query))[: self.size]

    def score_of(self, query: Sequence[str], docs: Sequence[int]) -> list[float]:
        """The scores of a few documents (postings are sorted by document: one binary search per term)."""
        totals = [0.0] * len(docs)
        wanted = np.asarray(docs, dtype=self.docs.dtype)
        for lo, hi, _ in self._postings(query):
            postings = self.docs[lo:hi]
            at = np.searchsorted(postings, wanted)
            for i, (pos, doc) in enumerate(zip(at.tolist(), docs, strict=True)):
                if pos < hi - lo and postings.item(pos) == doc:
                    totals[i] += self.weights.item(lo + pos)
        return totals

    def _accumulate(self, spans: Sequence[tuple[int, int, int]]) -> np.ndarray:
        """The query terms' weights added into one score array, padded with zeros to whole groups (see
        ``_at_floor``), term by term in the query's order.

        Postings are added with ``np.add.at`` (numpy 2's unbuffered scatter-add: measured faster than
        fancy-index addition, np.bincount and scipy.sparse's row sum on the Zipf 100k benchmark), with no
        sort of the postings; a common term's dense row is added whole instead (its zeros add nothing:
        the same sums, in the same order, to the last bit).
        """
        docs, weights, dense = self.docs, self.weights, self._dense
        scores = np.zeros(self._padded)
        for lo, hi, tid in spans:
            row = dense.get(tid)
            if row is None:
                np.add.at(scores, docs[lo:hi], weights[lo:hi])
            else:
                np.add(scores, row, out=scores)
        return scores

    def retrieve(self, query: Sequence[str], k: int = 10) -> list[Hit]:
        """The ``k`` best documents with a positive score, best first (ties: earlier document first)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        spans = self._postings(query)
        if not spans:
            return []
        if self.size <= SMALL:
            return self._retrieve_small(spans, k)
        docs, weights = self.docs, self.weights
        repeats = 1  # how often one document may appear among the candidates
        if len(spans) == 1:
            lo, hi, _ = spans[0]
            candidates, values = docs[lo:hi], weights[lo:hi]
        else:
            scores = self._accumulate(spans)  # (one pass over the postings, no sort)
            if sum(hi - lo for lo, hi, _ in spans) < self.size // 2:
                # Few postings: the candidates are the touched documents (some twice: deduplicated below).
                candidates = np.concatenate([docs[lo:hi] for lo, hi, _ in spans])
                values = scores[candidates]
                repeats = len(spans)
            else:
                # Most documents touched: only the documents scoring at least a floor under the k-th best
                # score (ties included) go on, a few dozen at most.
                candidates = _at_floor(scores, k)
                values = scores[candidates]
        # A document appears once per query term that it holds among the sparse candidates, so the
        # best ``k * repeats`` entries hold at least ``k`` distinct documents.
        cut = k * repeats
        if len(candidates) > cut:
            # Keep everything scoring at least the cut's value, so ties at the cut go to earlier documents.
            kth = np.partition(values, len(values) - cut)[len(values) - cut]
            keep = values >= kth - TIE
            candidates, values = candidates[keep], values[keep]
        if repeats > 1:
            candidates, first = np.unique(candidates, return_index=True)  # a few dozen: cheap
            values = values[first]
        return _best(candidates, values, k)

    def _retrieve_small(self, spans: list[tuple[int, int, int]], k: int) -> list[Hit]:
        """``retrieve`` over a small corpus: every scored document sorted at once (fewer numpy calls)."""
        # Every posting in one ``np.bincount``: it adds each document's weights in the query's term order,
        # as the per-term additions of ``scores`` do, so the sums are the same to the last bit.
        docs = np.concatenate([self.docs[lo:hi] for lo, hi, _ in spans])
        weights = np.concatenate([self.weights[lo:hi] for lo, hi, _ in spans])
        scores = np.bincount(docs, weights, minlength=self.size)
        candidates = (scores > 0).nonzero()[0]  # (methods: no numpy wrapper calls)
        return _best(candidates, scores[candidates], k)

    def retrieve_within(self, query: Sequence[str], k: int, within: np.ndarray) -> list[Hit]:
        """``retrieve`` among the documents where the boolean array ``within`` is true (one article's)."""
        scores = self.scores(query)
        candidates = np.flatnonzero(within & (scores > 0))
        return _best(candidates, scores[candidates], k)


def _at_floor(scores: np.ndarray, k: int) -> np.ndarray:
    """The documents (ascending) scoring at least a floor under the ``k``-th best of ``scores`` (ties
    included), whose length is a multiple of ``BLOCK``: a few dozen, found without a pass over them all.

    The documents are split into groups of ``BLOCK``. The ``k`` groups with the highest maxima each hold
    a score at least the ``k``-th highest group maximum, so at least ``k`` scores reach it: a lower bound
    of the ``k``-th best score, far cheaper than partitioning the whole array, which few scores beyond
    the ``k`` best reach. Only groups whose maximum reaches it can hold such a score.

    A group is a column of the scores laid out as ``BLOCK`` rows (documents c, c + n, c + 2n, ...): its
    maxima are one vectorised pass over whole rows (several times faster than the maxima of short
    rows), and a group spans the corpus, so the best documents, which often sit together in one
    article, fall in different groups and the floor is close to the ``k``-th best score.
    """
    # (ufunc and array methods rather than numpy's Python-level wrappers: this runs once a question.)
    groups = scores.reshape(BLOCK, -1)
    columns = groups.shape[1]
    maxima = np.maximum.reduce(groups, axis=0)
    if columns <= k:
        return scores.nonzero()[0]
    floor = float(np.partition(maxima, columns - k)[columns - k])
    if floor <= TIE:
        return scores.nonzero()[0]
    reaching = (maxima >= floor - TIE).nonzero()[0]
    rows, found = (groups[:, reaching] >= floor - TIE).nonzero()
    # (Row by row, and within a row by column: ascending documents.)
    return rows * columns + reaching[found]


def _best(candidates: np.ndarray, values: np.ndarray, k: int) -> list[Hit]:
    """The ``k`` best of ``candidates`` (ascending) by their ``values``, best first, those above zero.

    Scores within rounding of each other are ties (a sum's last bit depends on the order of its terms),
    and ties go to the earlier document.
    """
    order = np.lexsort((candidates, -values.round(TIE_DECIMALS)))[:k]
    hits = map(Hit, candidates[order].tolist(), values[order].tolist())
    return [hit for hit in hits if hit.score > 0]
