"""The articles' lists, and the sentences that go on with the one before: read once, when first needed.

A list question ("list the challenges ...") is answered with a heading and its labels, which no single
sentence window holds: a list is a heading whose passages each start with a label ("Government Support:
...").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from knowledge.answering.answer_types import TermKinds, TextTraits, as_list, text_traits
from knowledge.passages import PassageStore, SentenceTable
from knowledge.traits import CONTINUES, LABEL_RE, LABELLED


class ArticleList(NamedTuple):
    """One list: its passages (each starting with a label), the text shown, and its traits."""

    docs: tuple[int, ...]
    text: str
    traits: TextTraits


def find_lists(
    passages: PassageStore,
    table: SentenceTable,
    tokenize: Callable[[str], list[str]],
    kinds: TermKinds,
) -> tuple[ArticleList, ...]:
    """The articles' lists, in passage order (see the module docstring)."""
    lists = []
    for heading, docs in _sections(passages, table):
        labelled = [
            (doc, m.group(1).strip())
            for doc in docs
            if (sentences := passages[doc].sentences) and (m := LABEL_RE.match(sentences[0]))
        ]
        if not heading or len(labelled) < 2:
            continue
        title = re.sub(r"^\d+\.\s*", "", heading)
        text = f"{title}: {'; '.join(label for _, label in labelled)}."
        # The section's other passages (its introduction: "... faces a number of challenges:") say
        # what the list is about, so their words count as the list's.
        intro = " ".join(" ".join(passages[d].sentences) for d in docs if d not in dict(labelled))
        traits = as_list(text_traits(text, frozenset(tokenize(f"{text} {intro}")), kinds))
        lists.append(ArticleList(tuple(doc for doc, _ in labelled), text, traits))
    return tuple(lists)


def _sections(passages: PassageStore, table: SentenceTable) -> list[tuple[str, list[int]]]:
    """(heading, passages) of each section holding a labelled first sentence.

    Only sections holding one (a flag read at build time) can be lists: no pass over every passage's
    text. Each section is the run of passages around them that share their article and heading.
    """
    starts = table.seg_ptr[:-1]
    has_sentence = table.seg_ptr[1:] > starts + 1
    first = np.where(has_sentence, starts + 1, starts)
    labelled = np.flatnonzero(has_sentence & ((table.flags[first] & LABELLED) != 0)).tolist()

    def key(doc: int) -> tuple[str, str]:
        passage = passages[doc]
        return passage.article_id, passage.heading or ""

    groups: list[tuple[str, list[int]]] = []
    end = -1
    for doc in labelled:
        if doc < end:
            continue  # inside a section already gathered
        section = key(doc)
        start, end = doc, doc + 1
        while start > 0 and key(start - 1) == section:
            start -= 1
        while end < len(passages) and key(end) == section:
            end += 1
        groups.append((section[1], list(range(start, end))))
    return groups


def continuing_sentences(table: SentenceTable) -> frozenset[tuple[int, int]]:
    """(passage, sentence) of every sentence that goes on with the one before (few: read once)."""
    segments = np.flatnonzero(table.flags & CONTINUES)
    docs = np.searchsorted(table.seg_ptr, segments, side="right") - 1
    # (The passage's sentence i is segment seg_ptr[doc] + 1 + i; segment seg_ptr[doc] is its heading.)
    sentences = segments - table.seg_ptr[docs] - 1
    return frozenset(zip(docs.tolist(), sentences.tolist(), strict=True))


def announcing_sentences(store: PassageStore, table: SentenceTable) -> frozenset[tuple[int, int]]:
    """(passage, sentence) of every sentence ending in a colon: it announces what follows (few)."""
    ends = store.text_ptr[1:] - 1
    filled = store.text_ptr[1:] > store.text_ptr[:-1]
    segments = np.flatnonzero(filled & (store.text[np.maximum(ends, 0)] == ord(":")))
    docs = np.searchsorted(table.seg_ptr, segments, side="right") - 1
    sentences = segments - table.seg_ptr[docs] - 1
    # (A heading, sentence -1, announces nothing a window holds.)
    return frozenset((d, i) for d, i in zip(docs.tolist(), sentences.tolist(), strict=True) if i >= 0)
