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
from array import array
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import overload

import numpy as np

from knowledge.forked import in_slices
from knowledge.index import BM25Index, Vocabulary
from knowledge.models import Article, Passage
from knowledge.text import _CANONICAL, STOP_WORDS, TextRules, default_rules, stem
from knowledge.traits import FLAGS_TYPECODE, text_flags

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
        lo, hi = self.seg_ptr[index : index + 2].tolist()
        # One slice of the text for the whole passage, then split in Python: few numpy calls per passage.
        ptr = self.text_ptr[lo : hi + 1].tolist()
        data = self.text[ptr[0] : ptr[-1]].tobytes()
        base = ptr[0]
        segments = [data[a - base : b - base].decode("utf-8") for a, b in zip(ptr, ptr[1:], strict=False)]
        article_id = self.article_ids[int(self.article[index])]
        # (pydantic's validating constructor is faster than ``model_construct``: 1.5 against 2.5 us.)
        return Passage(
            id=f"{article_id}#{int(self.number[index])}",
            article_id=article_id,
            sentences=tuple(segments[1:]),
            heading=segments[0] if self.has_heading[index] else None,
        )

    def __iter__(self) -> Iterator[Passage]:
        for i in range(len(self)):
            yield self[i]

    def article_id(self, index: int) -> str:
        """The id of passage ``index``'s article (without building the passage)."""
        return self.article_ids[self.article.item(index)]


class SentenceTable:
    """Each segment's distinct term ids, computed at build time: no tokenizing per question."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        seg_ptr: np.ndarray,
        term_ptr: np.ndarray,
        terms: np.ndarray,
        flags: np.ndarray,
        chars: np.ndarray,
    ) -> None:
        self.vocabulary = vocabulary
        self.seg_ptr = seg_ptr  # passage -> segments (shared with the PassageStore)
        self.term_ptr = term_ptr  # segment -> its term ids term_ptr[s]:term_ptr[s+1] (int64, S+1)
        self.terms = terms  # int32
        self.flags = flags  # segment -> the kinds of answer it can give (``knowledge.traits``, uint16)
        self.chars = chars  # segment -> its length in characters (int32)

    def flags_of(self, doc: int) -> list[int]:
        """The flags of passage ``doc``'s heading and of each of its sentences."""
        lo, hi = self.seg_ptr[doc : doc + 2].tolist()
        return self.flags[lo:hi].tolist()

    def tokens(
        self, doc: int, only: frozenset[str] | None = None
    ) -> tuple[frozenset[str], tuple[frozenset[str], ...]]:
        """The heading's terms and each sentence's terms of passage ``doc``; with ``only``, just those
        of its terms (a question's: all that matching needs, and far fewer strings to gather)."""
        names = self.vocabulary.terms
        lo, hi = self.seg_ptr[doc : doc + 2].tolist()
        ptr = self.term_ptr[lo : hi + 1].tolist()
        ids = self.terms[ptr[0] : ptr[-1]].tolist()
        base = ptr[0]
        if only is None:
            term = names.__getitem__
            sets = [
                frozenset(map(term, ids[a - base : b - base])) for a, b in zip(ptr, ptr[1:], strict=False)
            ]
        else:
            wanted = {i: t for t in only if (i := self.vocabulary.get_id(t)) >= 0}
            sets = [
                frozenset(wanted[i] for i in ids[a - base : b - base] if i in wanted)
                for a, b in zip(ptr, ptr[1:], strict=False)
            ]
        return sets[0], tuple(sets[1:])


@dataclass(frozen=True)
class PassageParts:
    """Everything the composer needs about the passages, built once (or mapped from a saved index)."""

    passages: PassageStore
    index: BM25Index
    sentences: SentenceTable
    names: frozenset[str]
    subject_terms: frozenset[str]
    surface: Mapping[str, int]  # every surface word of the passages and how often: the speller's vocabulary


# Segments of a passage are tokenized in one call, joined by a word that no text uses: per-call overhead
# dominates sentence-sized calls. A passage whose text holds the word anyway is tokenized segment by segment.
_BREAK = "qqsegmentbreakqq"


def segment_words(segments: Sequence[str], rules: TextRules) -> list[list[str]]:
    """``[rules.words(s) for s in segments]`` (surface words, stop words kept), in one tokenizer call."""
    if len(segments) == 1:
        return [rules.words(segments[0])]
    found = rules.words(f" {_BREAK} ".join(segments))
    if found.count(_BREAK) != len(segments) - 1:
        return [rules.words(s) for s in segments]
    out: list[list[str]] = []
    start = 0
    for _ in range(len(segments) - 1):
        end = found.index(_BREAK, start)
        out.append(found[start:end])
        start = end + 1
    out.append(found[start:])
    return out


# From this many passages the tokenizing is split over the machine's cores (a 100k-passage cold build is
# mostly this pure-Python loop); smaller knowledge bases are built in this process, in one pass.
PARALLEL_MIN_PASSAGES = 20_000


@dataclass
class _Tokenized:
    """One run of passages tokenized: term ids local to ``vocabulary`` (first-seen order)."""

    vocabulary: list[str]
    doc_terms: array[int]  # every token's term id, passage after passage
    doc_lengths: array[int]
    seg_terms: array[int]  # each segment's distinct term ids
    seg_lengths: array[int]
    seg_flags: array[int]
    seg_chars: array[int]  # each segment's length in characters
    seg_counts: array[int]
    texts: bytes  # every segment's UTF-8 bytes, one after another
    text_lengths: array[int]
    article_terms: dict[str, set[int]]
    surface: Counter[str]
    cased: Counter[str]  # words as written, less each sentence's first (``cased_words``)


def _empty() -> _Tokenized:
    return _Tokenized(
        [],
        array("i"),
        array("q"),
        array("i"),
        array("q"),
        array(FLAGS_TYPECODE),
        array("i"),
        array("q"),
        b"",
        array("q"),
        {},
        Counter(),
        Counter(),
    )


def _tokenize(passages: Sequence[Passage], rules: TextRules) -> _Tokenized:
    """Tokenize every heading and sentence of ``passages`` once: term ids, flags, text, surface words."""
    word_terms = _WordTerms()
    term_of = word_terms.__getitem__
    out = _empty()
    texts: list[bytes] = []
    for passage in passages:
        segments = (passage.heading or "", *passage.sentences)
        out.seg_counts.append(len(segments))
        terms_here = out.article_terms.setdefault(passage.article_id, set())
        length = 0
        words = segment_words(segments, rules)
        out.surface.update(chain.from_iterable(words))
        for segment, seg_words in zip(segments, words, strict=True):
            texts.append(segment.encode("utf-8"))
            out.seg_flags.append(text_flags(segment))
            out.seg_chars.append(len(segment))
            seg_ids = [i for i in map(term_of, seg_words) if i >= 0]
            out.doc_terms.extend(seg_ids)
            length += len(seg_ids)
            distinct = dict.fromkeys(seg_ids)
            out.seg_terms.extend(distinct)
            out.seg_lengths.append(len(distinct))
            terms_here.update(distinct)
        out.doc_lengths.append(length)
    out.vocabulary = list(word_terms.ids)
    out.texts = b"".join(texts)
    out.text_lengths = array("q", map(len, texts))
    out.cased = cased_words(passages)
    return out


def _merged(runs: Sequence[_Tokenized]) -> tuple[Vocabulary, _Tokenized]:
    """The runs as one, their local term ids mapped onto one vocabulary in first-seen order (the
    ids a single pass would have given)."""
    if len(runs) == 1:
        return Vocabulary(runs[0].vocabulary), runs[0]
    ids: dict[str, int] = {}
    out = _empty()
    texts = []
    for run in runs:
        to_global = np.array([ids.setdefault(t, len(ids)) for t in run.vocabulary], dtype=np.int32)
        out.doc_terms.frombytes(to_global[np.frombuffer(run.doc_terms, dtype=np.int32)].tobytes())
        out.seg_terms.frombytes(to_global[np.frombuffer(run.seg_terms, dtype=np.int32)].tobytes())
        for name in ("doc_lengths", "seg_lengths", "seg_flags", "seg_chars", "seg_counts", "text_lengths"):
            getattr(out, name).extend(getattr(run, name))
        texts.append(run.texts)
        for aid, terms in run.article_terms.items():
            mapped = to_global[np.fromiter(terms, dtype=np.int64, count=len(terms))].tolist()
            out.article_terms.setdefault(aid, set()).update(mapped)
        out.surface.update(run.surface)
        out.cased.update(run.cased)
    out.vocabulary = list(ids)
    out.texts = b"".join(texts)
    return Vocabulary(out.vocabulary), out


def build_passage_parts(
    articles: Mapping[str, Article], passages: Sequence[Passage], rules: TextRules | None = None
) -> PassageParts:
    """Tokenize every heading and sentence once (with the knowledge base's ``rules``); build the text
    store, the sentence table, the index and the surface vocabulary."""
    rules = rules or default_rules()
    article_index = {aid: i for i, aid in enumerate(articles)}
    for passage in passages:
        article_index.setdefault(passage.article_id, len(article_index))
    n = len(passages)
    runs = in_slices(partial(_tokenize, rules=rules), passages, minimum=PARALLEL_MIN_PASSAGES)
    vocabulary, run = _merged(runs)
    index = BM25Index(
        (),
        vocabulary=vocabulary,
        doc_terms=np.frombuffer(run.doc_terms, dtype=np.int32),
        doc_ptr=_pointers(run.doc_lengths),
    )
    seg_ptr = _pointers(run.seg_counts)
    store = PassageStore(
        list(article_index),
        np.fromiter((article_index[p.article_id] for p in passages), dtype=np.int32, count=n),
        np.fromiter((_number(p) for p in passages), dtype=np.int32, count=n),
        np.fromiter((p.heading is not None for p in passages), dtype=np.uint8, count=n),
        seg_ptr,
        np.frombuffer(run.texts, dtype=np.uint8),
        _pointers(run.text_lengths),
    )
    sentences = SentenceTable(
        vocabulary,
        seg_ptr,
        _pointers(run.seg_lengths),
        np.frombuffer(run.seg_terms, dtype=np.int32),
        np.frombuffer(run.seg_flags, dtype=FLAGS_TYPECODE),
        np.frombuffer(run.seg_chars, dtype=np.int32),
    )
    names_of = vocabulary.terms
    per_article = {aid: {names_of[t] for t in run.article_terms.get(aid, ())} for aid in article_index}
    for aid, article in articles.items():
        per_article[aid].update(rules.tokenize(article.title))
    names, subject = corpus_names(run.cased, per_article, rules)
    return PassageParts(store, index, sentences, names, subject, dict(run.surface))


class _WordTerms(dict[str, int]):
    """Surface word -> its term's id (-1 for a stop word), stemmed once per distinct word.

    Term ids are given in first-seen order: ``ids`` (term -> id) is the vocabulary.
    """

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, int] = {}

    def __missing__(self, word: str) -> int:
        term_id = -1 if word in STOP_WORDS else self.ids.setdefault(stem(word), len(self.ids))
        self[word] = term_id
        return term_id


def _pointers(lengths: array[int]) -> np.ndarray:
    """CSR pointers (int64, n + 1) from per-item lengths."""
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=out[1:])
    return out


def _number(passage: Passage) -> int:
    """The passage's number within its article (``<article id>#<number>``)."""
    return int(passage.id.rsplit("#", 1)[1])


def cased_words(passages: Sequence[Passage]) -> Counter[str]:
    """How often the passages' sentences use each word as written, less its uses as a sentence's first
    word (capitalised there by grammar only). Counted with the tokenizing, on every core for a large
    corpus; the counts of several runs add up to one pass's."""
    words: Counter[str] = Counter()
    firsts: Counter[str] = Counter()
    find = _WORD_RE.findall
    for passage in passages:
        words.update(find(" ".join(passage.sentences)))
        for sentence in passage.sentences:
            first = _WORD_RE.search(sentence)
            if first:
                firsts[first.group()] += 1
    words.subtract(firsts)
    return words


def corpus_names(
    words: Counter[str], article_terms: Mapping[str, set[str]], rules: TextRules | None = None
) -> tuple[frozenset[str], frozenset[str]]:
    """Terms the corpus writes as names (capitalised mid-sentence) and the subject every article shares.

    A name in a question must be matched by the answer. The corpus's common subject (a term that
    every article mentions, such as "China") is exempt: an answer may say "the country" instead.
    ``words`` are the passages' ``cased_words``; ``article_terms`` maps each article id to the terms of
    its passages and title. Words are folded to terms once per distinct word, so a 100k-passage corpus
    stems each word once. A demonym counts as its country's name ("Chinese" -> "china"), as the
    tokenizer folds it; generic words folded by the synonym table ("Plan", "Park" in names) are not
    names of their own.
    """
    folds = (rules or default_rules()).aliases
    capital: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for word, count in words.items():
        if count <= 0:
            continue
        lowered = _POSSESSIVE_RE.sub("", word.lower().replace("’", "'"))
        if not lowered or lowered in STOP_WORDS:
            continue
        term = folds.get(lowered, lowered)
        if " " in term or "'" in term:
            continue
        (capital if word[0].isupper() else lower)[stem(term)] += count
    generic = frozenset(_CANONICAL.values())
    names = frozenset(t for t, n in capital.items() if n > lower[t] and t not in generic)
    subject = (
        frozenset.intersection(*map(frozenset, article_terms.values())) & names
        if len(article_terms) > 1
        else frozenset()
    )
    return names, subject
