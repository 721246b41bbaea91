"""The dense channel: every passage sentence and fact embedded once, searched by cosine per question.

Units are the passages' segments (each sentence, and each heading) and, per fact, its answer sentence and
its topics. A two-sentence window's vector is the normalised sum of its sentences' vectors, so its cosine
is ``(c1 + c2) / |v1 + v2|`` with the norm kept per segment (``pair_norms``): no second embedding per
window. The vectors are built with the index (``knowledge.base``), saved with it and memory-mapped, so
workers share them. The segments, most of the memory at scale, are kept as int8 with a scale per row
(``quantized``: a quarter of float32's pages, cosines within about 1e-3); vectors are also kept on disk by the text's hash
(``VectorStore``), so a rebuild embeds only the sentences it has not seen (a reload that changes one
article embeds that article).

Search is exact (one matrix-vector product) up to ``EXACT_MAX_UNITS`` units. Above that the segments are
grouped by k-means into about ``sqrt(n)`` lists at build time and a question scores the ``PROBES`` lists
whose centroids are nearest (an inverted-file search): recall of the true top units is measured by
``benchmarks.bench_knowledge``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.embedding import DIMENSION, MODEL_ID, Embedder, Progress, config
from knowledge.files import write_whole
from knowledge.models import Fact
from knowledge.passages import PassageStore

logger = logging.getLogger("innov.knowledge.semantic")

EXACT_MAX_UNITS = 20_000
UNREAD = -2.0  # a segment's cosine not computed yet (outside the probed lists)
PROBES = 12
COSINE_BLOCK = 1024  # segments widened to float32 at a time
KMEANS_ROUNDS = 8
STORE_MAX = 400_000  # vectors kept on disk by text hash (about 600 MB at the most)


@dataclass(frozen=True)
class UnitVectors:
    """The embedded units of one knowledge base (arrays saved and mapped with its index)."""

    segments: np.ndarray  # (S, D) int8: each segment (heading or sentence); zeros for an empty heading
    segment_scale: np.ndarray  # (S,) float32: a segment's vector is ``segments[s] * segment_scale[s]``
    pair_norms: np.ndarray  # (S,) float32: |v_s + v_s+1| (the two-sentence window starting at s)
    facts: np.ndarray  # (F, D) float32: each fact's answer sentence
    topics: np.ndarray  # (F, D) float32: each fact's topics, joined
    # The inverted file (empty below ``EXACT_MAX_UNITS``): centroids and each list's segments.
    centroids: np.ndarray  # (L, D) float32
    list_ptr: np.ndarray  # (L + 1,) int64
    list_segments: np.ndarray  # (S,) int32

    ARRAYS = (
        "segments",
        "segment_scale",
        "pair_norms",
        "facts",
        "topics",
        "centroids",
        "list_ptr",
        "list_segments",
    )

    def cosines(self, question: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """The cosines of ``question`` (a unit vector) with segments ``rows`` (all when None).

        Rows are widened to float32 a block at a time into one small buffer: widening them all at once
        allocates (and faults in) a fresh array per question, which cost more than the products."""
        count = len(self.segments) if rows is None else len(rows)
        out = np.empty(count, dtype=np.float32)
        buffer = np.empty((min(COSINE_BLOCK, count), self.segments.shape[1]), dtype=np.float32)
        for start in range(0, count, COSINE_BLOCK):
            stop = min(start + COSINE_BLOCK, count)
            widened = buffer[: stop - start]
            widened[...] = self.segments[start:stop] if rows is None else self.segments[rows[start:stop]]
            np.matmul(widened, question, out=out[start:stop])
        return out * (self.segment_scale if rows is None else self.segment_scale[rows])


@dataclass(frozen=True, slots=True)
class DenseHits:
    """One question's cosines: every segment's (in an inverted-file search the probed ones', the others
    ``UNREAD`` until a window asks: ``DenseIndex.window``) and every fact's."""

    question: np.ndarray  # (D,) the question's unit vector
    segments: np.ndarray  # (S,) float32
    facts: np.ndarray  # (F,) float32: max of the answer's and the topics' cosine
    top_passages: tuple[int, ...]  # passages holding the best segments, best first
    top_facts: tuple[int, ...]  # best facts first
    top_segments: tuple[int, ...]  # the best segments, best first


def dense_fits(passages: int) -> bool:
    """Whether a knowledge base of this many passages gets the dense channel (``INNOV_SEMANTIC_MAX_PASSAGES``:
    embedding costs about 9 ms a sentence on two cores, so 100k passages would take hours to build)."""
    return passages <= config().max_passages


def semantic_state(vectors: UnitVectors | None, embedder: Embedder | None, passages: int) -> str:
    """What ``/healthz``, ``innov check`` and the console say about meaning for one knowledge base."""
    from knowledge.embedding import semantic_status

    if vectors is not None and embedder is not None:
        return f"on ({MODEL_ID})"
    status = semantic_status()
    if not status.enabled and status.detail.startswith("INNOV_SEMANTIC=off"):
        return f"off ({status.detail})"
    if not status.enabled:
        # (The reason, which names the model file's path, is in the log and `innov check`: /healthz is for
        # anyone who can reach the port.)
        return "off (lexical-only: the embedding model could not be loaded; see the log or `innov check`)"
    if not dense_fits(passages):
        return (
            f"off (lexical-only: {passages} passages > INNOV_SEMANTIC_MAX_PASSAGES={config().max_passages})"
        )
    return "off (lexical-only: the saved index holds no embeddings)"


def segment_texts(store: PassageStore) -> list[str]:
    """The text of every segment, in segment order."""
    data = store.text.tobytes() if not isinstance(store.text, bytes) else store.text
    ptr = store.text_ptr.tolist()
    return [data[a:b].decode("utf-8") for a, b in zip(ptr, ptr[1:], strict=False)]


def fact_texts(facts: Sequence[Fact]) -> tuple[list[str], list[str]]:
    """Each fact's answer, and its topics joined (what people ask it as)."""
    return [f.answer for f in facts], ["; ".join(f.topics) for f in facts]


def build_vectors(
    store: PassageStore,
    facts: Sequence[Fact],
    embedder: Embedder,
    cache: VectorStore | None = None,
    progress: Progress | None = None,
) -> UnitVectors:
    """Embed every unit (reusing ``cache``) and group the segments for search when there are many."""
    segments = segment_texts(store)
    answers, topics = fact_texts(facts)
    texts = segments + answers + topics
    vectors = cache.encode(embedder, texts, progress) if cache else embedder.encode(texts, progress)
    seg = vectors[: len(segments)]
    pair = np.zeros(len(segments), dtype=np.float32)
    if len(segments) > 1:
        pair[:-1] = np.linalg.norm(seg[:-1] + seg[1:], axis=1)
    centroids, list_ptr, list_segments = _inverted_file(seg)
    quantized, scale = quantized_rows(seg)
    return UnitVectors(
        segments=quantized,
        segment_scale=scale,
        pair_norms=pair,
        facts=vectors[len(segments) : len(segments) + len(answers)],
        topics=vectors[len(segments) + len(answers) :],
        centroids=centroids,
        list_ptr=list_ptr,
        list_segments=list_segments,
    )


def quantized_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row as int8 times a float32 scale (its largest component maps to 127; a zero row stays zero, its
    scale 0)."""
    peak = np.abs(vectors).max(axis=1) if vectors.size else np.zeros(len(vectors), np.float32)
    scale = (peak / 127.0).astype(np.float32)
    divisor = np.where(scale > 0, scale, 1.0)[:, None]
    quantized = np.rint(vectors / divisor).astype(np.int8) if vectors.size else vectors.astype(np.int8)
    return quantized, scale


def _inverted_file(seg: np.ndarray, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spherical k-means lists over the segments (empty arrays when search stays exact)."""
    empty = (np.zeros((0, DIMENSION), np.float32), np.zeros(1, np.int64), np.zeros(0, np.int32))
    if len(seg) <= EXACT_MAX_UNITS:
        return empty
    rng = np.random.default_rng(seed)
    count = int(np.sqrt(len(seg)))
    centroids = seg[rng.choice(len(seg), count, replace=False)].copy()
    for _ in range(KMEANS_ROUNDS):
        assign = _nearest(seg, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assign, seg)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        filled = norms[:, 0] > 0
        centroids[filled] = sums[filled] / norms[filled]
    assign = _nearest(seg, centroids)
    order = np.argsort(assign, kind="stable").astype(np.int32)
    counts = np.bincount(assign, minlength=count)
    list_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return centroids.astype(np.float32), list_ptr, order


def _nearest(seg: np.ndarray, centroids: np.ndarray, block: int = 8192) -> np.ndarray:
    out = np.empty(len(seg), dtype=np.int64)
    for start in range(0, len(seg), block):
        out[start : start + block] = np.argmax(seg[start : start + block] @ centroids.T, axis=1)
    return out


class DenseIndex:
    """Cosine search over one knowledge base's ``UnitVectors``."""

    def __init__(self, vectors: UnitVectors, seg_ptr: np.ndarray, top_segments: int, top_facts: int) -> None:
        self.vectors = vectors
        self.seg_ptr = seg_ptr  # passage -> its segments
        self.top_segments = top_segments
        self.top_facts = top_facts

    def search(self, question: np.ndarray, within: np.ndarray | None = None) -> DenseHits:
        """Cosines of ``question`` (a unit vector); ``within`` restricts passages (a boolean mask)."""
        v = self.vectors
        if len(v.centroids):
            # Only the probed lists are scored; a segment outside them is read when a window asks for it
            # (a passage BM25 found), so no candidate gets a cosine it does not have.
            cos = np.full(len(v.segments), UNREAD, dtype=np.float32)
            lists = np.argpartition(-(v.centroids @ question), min(PROBES, len(v.centroids) - 1))[:PROBES]
            probed = np.concatenate([v.list_segments[v.list_ptr[i] : v.list_ptr[i + 1]] for i in lists])
            probed_cos = v.cosines(question, probed)
            cos[probed] = probed_cos
            if within is not None:
                allowed = np.repeat(within, np.diff(self.seg_ptr))[probed]
                probed, probed_cos = probed[allowed], probed_cos[allowed]
            k = min(self.top_segments * 3, len(probed))
            order = np.argpartition(-probed_cos, k - 1)[:k] if k else np.zeros(0, dtype=np.int64)
            best = probed[order[np.argsort(-probed_cos[order], kind="stable")]]
            ranked = cos
        else:
            cos = v.cosines(question)
            ranked = cos
            if within is not None:
                allowed = np.repeat(within, np.diff(self.seg_ptr))
                ranked = np.where(allowed, cos, -1.0)
            k = min(self.top_segments * 3, len(ranked))
            best = np.argpartition(-ranked, k - 1)[:k] if k else np.zeros(0, dtype=np.int64)
            best = best[np.argsort(-ranked[best], kind="stable")]
        fact_cos = np.maximum(v.facts @ question, v.topics @ question) if len(v.facts) else np.zeros(0)
        passages: list[int] = []
        for segment in best.tolist():
            if ranked[segment] <= 0:
                break
            doc = int(np.searchsorted(self.seg_ptr, segment, side="right")) - 1
            if doc not in passages:
                passages.append(doc)
                if len(passages) == self.top_segments:
                    break
        kf = min(self.top_facts, len(fact_cos))
        top_facts = np.argsort(-fact_cos, kind="stable")[:kf].tolist() if kf else []
        return DenseHits(question, cos, fact_cos, tuple(passages), tuple(top_facts), tuple(best.tolist()))

    def _read(self, hits: DenseHits, lo: int, hi: int) -> np.ndarray:
        """The cosines of segments ``lo`` to ``hi``, computing those an inverted-file search left unread."""
        part = hits.segments[lo:hi]
        unread = part == UNREAD
        if unread.any():
            rows = np.flatnonzero(unread) + lo
            part[unread] = self.vectors.cosines(hits.question, rows)
        return part

    def nearest_other(
        self, hits: DenseHits, segments: range | frozenset[int], facts: frozenset[int] = frozenset()
    ) -> float:
        """The best cosine of a sentence outside ``segments`` or a fact not in ``facts``: what else comes near."""
        best = max((float(hits.segments[s]) for s in hits.top_segments if s not in segments), default=0.0)
        other_facts = (float(hits.facts[f]) for f in hits.top_facts if f not in facts)
        return max(best, max(other_facts, default=0.0))

    def segments_of(self, doc: int, start: int, end: int) -> range:
        """The segment numbers of passage ``doc``'s sentences ``start`` to ``end``."""
        first = int(self.seg_ptr[doc]) + 1
        return range(first + start, first + end)

    def window(self, hits: DenseHits, doc: int, start: int, end: int) -> float:
        """The cosine of passage ``doc``'s sentences ``start`` to ``end`` (one or two)."""
        first = int(self.seg_ptr[doc]) + 1 + start  # (segment seg_ptr[doc] is the heading)
        cos = self._read(hits, first, first + end - start)
        if end - start == 1:
            return float(cos[0])
        norm = float(self.vectors.pair_norms[first])
        if norm <= 0:
            return float(max(cos[0], cos[1]))
        return float((cos[0] + cos[1]) / norm)

    def passage_best(self, hits: DenseHits, doc: int) -> float:
        """The highest cosine any window of passage ``doc`` can have (a bound for pruning)."""
        lo, hi = int(self.seg_ptr[doc]) + 1, int(self.seg_ptr[doc + 1])
        if hi <= lo:
            return 0.0
        cos = self._read(hits, lo, hi)
        best = float(cos.max())
        if hi - lo > 1:
            pair = (cos[:-1] + cos[1:]) / np.maximum(self.vectors.pair_norms[lo : hi - 1], 1e-6)
            best = max(best, float(pair.max()))
        return best


def quoted_segments(store: PassageStore, facts: Sequence[Fact]) -> list[frozenset[int]]:
    """Each fact's sentences: the segments of its source article holding the start of its quote (a fact and
    the sentence it quotes say one thing)."""
    texts: list[str] | None = None
    out: list[frozenset[int]] = []
    for fact in facts:
        if texts is None:
            texts = [_folded(t) for t in segment_texts(store)]
        if fact.source not in store.article_ids:
            out.append(frozenset())
            continue
        article = store.article_ids.index(fact.source)
        docs = np.flatnonzero(store.article == article)
        head = _folded(fact.quote)[:40]
        found = {
            seg
            for doc in docs.tolist()
            for seg in range(int(store.seg_ptr[doc]), int(store.seg_ptr[doc + 1]))
            if head and head in texts[seg]
        }
        out.append(frozenset(found))
    return out


def _folded(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').casefold().split())


class VectorStore:
    """Vectors on disk by the hash of their text, for one model: a rebuild embeds only new texts.

    ``<index dir>/vectors-<model id>/store.npy`` holds one record per text (its 16-byte hash and its
    vector), newest texts first, at most ``STORE_MAX`` of them. Hashes and vectors are one file, written
    aside and put in place with one ``os.replace``: builds running at once (replicas sharing a
    directory, a check beside a serve) each read a whole store, never one build's hashes beside
    another's vectors.
    """

    RECORD = np.dtype([("key", "V16"), ("vector", "<f4", (DIMENSION,))])

    def __init__(self, index_dir: Path) -> None:
        # INNOV_VECTOR_DIR keeps them apart from the saved indexes (the benchmarks share one across runs).
        root = os.environ.get("INNOV_VECTOR_DIR") or str(index_dir)
        self.path = Path(root) / f"vectors-{MODEL_ID}"
        self.file = self.path / "store.npy"

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()

    def _read(self) -> np.ndarray:
        try:
            records = np.load(self.file, mmap_mode="r", allow_pickle=False)
            if records.dtype == self.RECORD and records.ndim == 1:
                return records
        except (OSError, ValueError):
            pass
        return np.zeros(0, dtype=self.RECORD)

    def encode(
        self, embedder: Embedder, texts: Sequence[str], progress: Progress | None = None
    ) -> np.ndarray:
        """Vectors of ``texts``: from disk where known, embedded otherwise; the store is updated."""
        stored = self._read()
        row_of = {k.tobytes(): i for i, k in enumerate(stored["key"])}
        wanted = [self.key(t) for t in texts]
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        missing = [i for i, k in enumerate(wanted) if k not in row_of and texts[i].strip()]
        known = [i for i, k in enumerate(wanted) if k in row_of]
        if known:
            out[known] = stored["vector"][[row_of[wanted[i]] for i in known]]
        if missing:
            out[missing] = embedder.encode([texts[i] for i in missing], progress)
            logger.info("embedded %d new texts (%d reused)", len(missing), len(known))
            self._write(wanted, out, stored)
        return out

    def _write(self, wanted: list[bytes], vectors: np.ndarray, stored: np.ndarray) -> None:
        """This build's vectors first, then the older ones not among them, up to ``STORE_MAX``."""
        seen: set[bytes] = set()
        rows: list[int] = []
        for i, k in enumerate(wanted):
            if k not in seen:
                seen.add(k)
                rows.append(i)
        old = [i for i, k in enumerate(stored["key"]) if k.tobytes() not in seen][
            : max(0, STORE_MAX - len(rows))
        ]
        records = np.zeros(len(rows) + len(old), dtype=self.RECORD)
        records["key"][: len(rows)] = [wanted[i] for i in rows]
        records["vector"][: len(rows)] = vectors[rows]
        records[len(rows) :] = stored[old]
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            write_whole(self.file, lambda out: np.save(out, records, allow_pickle=False))
        except OSError as exc:  # a read-only index dir: the vectors are still in the saved index
            logger.warning("could not keep embedded vectors in %s: %s", self.path, exc)
