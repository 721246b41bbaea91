"""A retrieved passage's sentence windows, read for one question from the build-time sentence arrays.

A passage is a heading (maybe empty) and its sentences; its candidate answers are each sentence (with the
heading's words) and each two neighbouring sentences that fit in an answer. Matching a window against a
question needs only the question's own terms, so each segment is reduced to the question's terms it holds
(compared as term ids; strings only for those), its answer-type flags and its length, all read from the
arrays saved with the index: no tokenizing, no ``Passage`` object, no per-passage cache.

What a window holds beyond the question's terms is read through each term's *kind* (bits of one byte per
vocabulary term, given by the composer): whether the window names a place, a rank or an edition, and
whether it adds a number, place or name that the question lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from knowledge.passages import SentenceTable

# A term's kinds (bits of the composer's term kind array: 16 bits a term, 8 of them used).
NUMBER_KIND, PLACE_KIND, NEW_PLACE_KIND, NEW_NAME_KIND, RANK_KIND, ORDINAL_KIND = 1, 2, 4, 8, 16, 32
AMOUNT_KIND = (
    64  # a number that is no position nor year ("2.5 billion", not "11th" or "2015"): what "how much" wants
)
SHARE_KIND = 128  # a share ("40 percent", "two-thirds"): what "what percentage" wants
KIND_DTYPE = np.uint16  # the kind arrays' type: a new kind is the next bit (256) and needs no other change


class Window(NamedTuple):
    """One or two sentences of a passage, as far as one question is concerned."""

    start: int  # first sentence
    end: int  # one past the last sentence
    tokens: frozenset[str]  # the question's terms in the window and its heading
    named: frozenset[str]  # the question's terms in the window's own sentences (no heading)
    flags: int  # the ``knowledge.traits`` flags of the window and its heading
    kinds: int  # the kinds of all the terms of the window and its heading
    length: int  # characters, as the composer counts a window's length
    adds: bool  # holds a term of the kind asked for (``Lookup.adds``) that the question lacks


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one question looks for in the windows.

    ``wanted`` maps the term ids of the question's terms (and names, places, years...) to the terms;
    ``adds`` is a term kind a window must hold beyond the question's ``own`` term ids (0: none asked).
    """

    wanted: Mapping[int, str]
    adds: int = 0
    own: frozenset[int] = frozenset()
    # Whether one of ``own`` may itself be of kind ``adds``: then a segment holding that kind is read term
    # by term (its kind bits cannot tell the question's own term from another). True unless the caller
    # knows better (``WindowReader.own_adds``): always right, only slower.
    own_adds: bool = True


class WindowReader:
    """The windows of any passage, from its ``SentenceTable`` and the kind of every term."""

    def __init__(self, sentences: SentenceTable, term_kinds: np.ndarray, max_chars: int) -> None:
        self.sentences = sentences
        self.term_kinds = term_kinds  # term id -> kind bits (``KIND_DTYPE``)
        self.max_chars = max_chars  # a two-sentence window longer than this is no candidate
        # Each segment's kinds (all its terms' kinds together), read once: they depend on no question.
        self.segment_kinds = _segment_kinds(sentences, term_kinds)
        # Where each passage's term ids start in ``sentences.terms`` (and, at the end, where they stop).
        self.passage_terms = sentences.term_ptr[sentences.seg_ptr]

    def terms(self, doc: int, lookup: Lookup) -> frozenset[str]:
        """The wanted terms passage ``doc`` holds anywhere (every window holds at most these)."""
        first, last = self.passage_terms[doc : doc + 2].tolist()
        wanted = lookup.wanted
        return frozenset([wanted[i] for i in wanted.keys() & self.sentences.terms[first:last].tolist()])

    def window_terms(self, doc: int, start: int, end: int, lookup: Lookup) -> frozenset[str]:
        """The wanted terms of passage ``doc``'s heading and its sentences ``start`` to ``end`` (exclusive)."""
        table = self.sentences
        lo = int(table.seg_ptr[doc])
        ptr = table.term_ptr[lo : lo + end + 2].tolist()  # the heading, then sentence i at lo + 1 + i
        held = table.terms[ptr[0] : ptr[1]].tolist() + table.terms[ptr[start + 1] : ptr[end + 1]].tolist()
        wanted = lookup.wanted
        return frozenset([wanted[i] for i in wanted.keys() & held])

    def own_adds(self, own: frozenset[int], adds: int) -> bool:
        """Whether one of the term ids ``own`` is of a kind in ``adds`` (``Lookup.own_adds``)."""
        # (Element by element: a question has a few terms, and a numpy gather costs more than reading them.)
        kinds = self.term_kinds
        return bool(adds) and any(kinds.item(term_id) & adds for term_id in own)

    def windows(self, doc: int, lookup: Lookup) -> list[Window]:
        """Passage ``doc``'s windows in order: sentence i alone, then i with i + 1 when short enough."""
        table = self.sentences
        lo, hi = table.seg_ptr[doc : doc + 2].tolist()
        ptr = table.term_ptr[lo : hi + 1].tolist()
        first = ptr[0]
        ids_array = table.terms[first : ptr[-1]]
        ids = ids_array.tolist()
        wanted = lookup.wanted
        found = [
            frozenset([wanted[i] for i in ids[a - first : b - first] if i in wanted])
            for a, b in pairwise(ptr)
        ]
        kinds = self.segment_kinds[lo:hi].tolist()
        asked = lookup.adds
        if not asked:
            adds = [True] * (hi - lo)
        else:
            adds = [(kind & asked) != 0 for kind in kinds]
            own = lookup.own
            if own and lookup.own_adds:
                # A segment's term of that kind may be the question's own: read the segment's terms.
                for segment, holds in enumerate(adds):
                    if holds:
                        a, b = ptr[segment] - first, ptr[segment + 1] - first
                        held = ids_array[a:b][(self.term_kinds[ids_array[a:b]] & asked) != 0]
                        adds[segment] = not lookup.own.issuperset(held.tolist())
        return self._join(found, table.flags[lo:hi].tolist(), kinds, adds, table.chars[lo:hi].tolist())

    def _join(
        self,
        found: list[frozenset[str]],
        flags: list[int],
        kinds: list[int],
        adds: list[bool],
        chars: list[int],
    ) -> list[Window]:
        """The windows over segments (the heading first): its words, flags and kinds count for each window."""
        heading, heading_flags, heading_kinds, heading_adds = found[0], flags[0], kinds[0], adds[0]
        out: list[Window] = []
        last = len(found) - 1
        for segment in range(1, last + 1):
            tokens = found[segment] | heading if heading else found[segment]  # (no copy without a heading)
            one_flags = flags[segment] | heading_flags
            one_kinds = kinds[segment] | heading_kinds
            one_adds = adds[segment] or heading_adds
            length = chars[segment]
            out.append(
                Window(segment - 1, segment, tokens, found[segment], one_flags, one_kinds, length, one_adds)
            )
            if segment < last:
                following = segment + 1
                two_length = length + chars[following] + (1 if chars[following] else 0)
                if two_length <= self.max_chars:
                    out.append(
                        Window(
                            segment - 1,
                            segment + 1,
                            tokens | found[following],
                            found[segment] | found[following],
                            one_flags | flags[following],
                            one_kinds | kinds[following],
                            two_length,
                            one_adds or adds[following],
                        )
                    )
        return out


def _segment_kinds(table: SentenceTable, term_kinds: np.ndarray) -> np.ndarray:
    """Each segment's kind bits: its terms' kinds or-ed together (0 for an empty segment)."""
    starts = table.term_ptr[:-1]
    out = np.zeros(len(starts), dtype=term_kinds.dtype)
    filled = table.term_ptr[1:] > starts
    if filled.any():
        # Empty segments have no extent, so each filled segment runs to the next filled one's start.
        out[filled] = np.bitwise_or.reduceat(term_kinds[table.terms], starts[filled])
    return out
