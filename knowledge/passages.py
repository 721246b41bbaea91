"""Passages built once: compact text, sentence term arrays and the BM25 index, all as numpy arrays.

At 100k passages, a tuple of ``Passage`` models and per-question sentence tokenizing cost hundreds of MB
and a millisecond a question. Here each passage is a run of *segments* (its heading, empty when it has
none, then its sentences): the text of every segment lives in one UTF-8 byte array, and each segment's
distinct term ids in another. Passage tokens are the heading's plus its sentences' tokens, so one
tokenizing pass gives both the BM25 index and the sentence table. Every array can be saved and
memory-mapped by ``knowledge.saved``; worker processes then share the pages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np

from knowledge.index import BM25Index, Vocabulary
from knowledge.models import Article, Passage
from knowledge.text import STOP_WORDS, stem, tokenize

_WORD_RE = re.compile(r"[A-Za-z][\w'’]*")
_POSSESSIVE_RE = re.compile(r"'s?$")


class PassageStore(Sequence[Passage]):
    """The passages as arrays; ``store[i]`` builds the ``Passage`` on demand (only answers need one)."""

    def __init__(
        self,
        article_ids: Sequence[str],
        article: np.ndarray,
        number: np.ndarray,
        has_heading: np.ndarray,
        seg_ptr: np.ndarray,
        text: np.ndarray,
        text_ptr: np.ndarray,
    ) -> None:
        self.article_ids = list(article_ids)  # article index -> id
        self.article = article  # passage -> article index (int32)
        self.number = number  # passage -> its number within the article (int32)
        self.has_heading = has_heading  # passage -> 1 when its first segment is a heading (uint8)
        self.seg_ptr = seg_ptr  # passage -> its segments seg_ptr[i]:seg_ptr[i+1] (int64, P+1)
        self.text = text  # every segment's UTF-8 bytes, one after another (uint8)
        self.text_ptr = text_ptr  # segment -> its bytes text_ptr[s]:text_ptr[s+1] (int64, S+1)

    def __len__(self) -> int:
        return len(self.article)

    @overload
    def __getitem__(self, index: int) -> Passage: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Passage]: ...
    def __getitem__(self, index: int | slice) -> Passage | Sequence[Passage]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("passage index out of range")
        lo, hi = int(self.seg_ptr[index]), int(self.seg_ptr[index + 1])
        segments = [self._segment(s) for s in range(lo, hi)]
        article_id = self.article_ids[int(self.article[index])]
        return Passage.model_construct(
            id=f"{article_id}#{int(self.number[index])}",
            article_id=article_id,
            sentences=tuple(segments[1:]),
            heading=segments[0] if self.has_heading[index] else None,
        )

    def __iter__(self) -> Iterator[Passage]:
        for i in range(len(self)):
            yield self[i]

    def _segment(self, segment: int) -> str:
        lo, hi = int(self.text_ptr[segment]), int(self.text_ptr[segment + 1])
        return self.text[lo:hi].tobytes().decode("utf-8")


class SentenceTable:
    """Each segment's distinct term ids, computed at build time: no tokenizing per question."""

    def __init__(
        self, vocabulary: Vocabulary, seg_ptr: np.ndarray, term_ptr: np.ndarray, terms: np.ndarray
    ) -> None:
        self.vocabulary = vocabulary
        self.seg_ptr = seg_ptr  # passage -> segments (shared with the PassageStore)
        self.term_ptr = term_ptr  # segment -> its term ids term_ptr[s]:term_ptr[s+1] (int64, S+1)
        self.terms = terms  # int32

    def tokens(self, doc: int) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
        """The heading's terms and each sentence's terms of passage ``doc``."""
        names = self.vocabulary.terms
        lo, hi = int(self.seg_ptr[doc]), int(self.seg_ptr[doc + 1])
        ptr = self.term_ptr[lo : hi + 1].tolist()
        ids = self.terms[ptr[0] : ptr[-1]].tolist()
        base = ptr[0]
        sets = [
            frozenset(names[t] for t in ids[a - base : b - base]) for a, b in zip(ptr, ptr[1:], strict=False)
        ]
        return sets[0], tuple(sets[1:])


@dataclass(frozen=True)
class PassageParts:
    """Everything the composer needs about the passages, built once (or mapped from a saved index)."""

    passages: Sequence[Passage]
    index: BM25Index
    sentences: SentenceTable
    names: frozenset[str]
    subject_terms: frozenset[str]


def build_passage_parts(articles: Mapping[str, Article], passages: Sequence[Passage]) -> PassageParts:
    """Tokenize every heading and sentence once; build the text store, the sentence table and the index."""
    article_index = {aid: i for i, aid in enumerate(articles)}
    for passage in passages:
        article_index.setdefault(passage.article_id, len(article_index))
    vocabulary = Vocabulary([])
    n = len(passages)
    seg_counts = np.fromiter((len(p.sentences) + 1 for p in passages), dtype=np.int64, count=n)
    seg_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(seg_counts, out=seg_ptr[1:])
    texts: list[bytes] = []
    seg_terms: list[np.ndarray] = []  # distinct term ids per segment
    doc_terms: list[np.ndarray] = []  # every token's term id per passage
    tokens_of: dict[str, list[str]] = {}  # a sentence repeated across passages is tokenized once
    article_ids: dict[str, list[np.ndarray]] = {aid: [] for aid in article_index}
    for passage in passages:
        segments = (passage.heading or "", *passage.sentences)
        ids = []
        for segment in segments:
            texts.append(segment.encode("utf-8"))
            tokens = tokens_of.get(segment)
            if tokens is None:
                tokens = tokens_of[segment] = tokenize(segment) if segment else []
                if len(tokens_of) > 50_000:
                    tokens_of.clear()
            seg_ids = vocabulary.ids(tokens)
            ids.append(seg_ids)
            seg_terms.append(np.unique(seg_ids))
        all_ids = np.concatenate(ids)
        doc_terms.append(all_ids)
        article_ids[passage.article_id].append(all_ids)
    lengths = np.fromiter((len(d) for d in doc_terms), dtype=np.int64, count=n)
    doc_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=doc_ptr[1:])
    flat_terms = np.concatenate(doc_terms) if doc_terms else np.zeros(0, np.int32)
    del doc_terms
    index = BM25Index((), vocabulary=vocabulary, doc_terms=flat_terms, doc_ptr=doc_ptr)
    term_ptr = np.zeros(len(seg_terms) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in seg_terms], out=term_ptr[1:])
    sentence_terms = np.concatenate(seg_terms).astype(np.int32) if seg_terms else np.zeros(0, np.int32)
    text_ptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=text_ptr[1:])
    store = PassageStore(
        list(article_index),
        np.fromiter((article_index[p.article_id] for p in passages), dtype=np.int32, count=n),
        np.fromiter((_number(p) for p in passages), dtype=np.int32, count=n),
        np.fromiter((p.heading is not None for p in passages), dtype=np.uint8, count=n),
        seg_ptr,
        np.frombuffer(b"".join(texts), dtype=np.uint8),
        text_ptr,
    )
    terms = vocabulary.terms
    per_article = {
        aid: {terms[t] for t in np.unique(np.concatenate(arrays)).tolist()} if arrays else set()
        for aid, arrays in article_ids.items()
    }
    for aid, article in articles.items():
        per_article[aid].update(tokenize(article.title))
    names, subject = corpus_names(passages, per_article)
    return PassageParts(
        store, index, SentenceTable(vocabulary, seg_ptr, term_ptr, sentence_terms), names, subject
    )


def _number(passage: Passage) -> int:
    """The passage's number within its article (``<article id>#<number>``)."""
    return int(passage.id.rsplit("#", 1)[1])


def corpus_names(
    passages: Sequence[Passage], article_terms: Mapping[str, set[str]]
) -> tuple[frozenset[str], frozenset[str]]:
    """Terms the corpus writes as names (capitalised mid-sentence) and the subject every article shares.

    A name in a question must be matched by the answer. The corpus's common subject (a term that
    every article mentions, such as "China") is exempt: an answer may say "the country" instead.
    ``article_terms`` maps each article id to the terms of its passages and title. Words are counted
    first and folded to terms once per distinct word, so a 100k-passage corpus stems each word once.
    """
    words: Counter[str] = Counter()
    for passage in passages:
        for sentence in passage.sentences:
            words.update(_WORD_RE.findall(sentence)[1:])
    capital: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for word, count in words.items():
        lowered = _POSSESSIVE_RE.sub("", word.lower().replace("’", "'"))
        if not lowered or lowered in STOP_WORDS:
            continue
        (capital if word[0].isupper() else lower)[stem(lowered)] += count
    names = frozenset(t for t, n in capital.items() if n > lower[t])
    subject = (
        frozenset.intersection(*map(frozenset, article_terms.values())) & names
        if len(article_terms) > 1
        else frozenset()
    )
    return names, subject
