"""The hand-off between the stages: what a candidate answer refers to, and the candidate itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from knowledge.decide import RankFeatures
from knowledge.models import Source


class FactRef(NamedTuple):
    """A curated fact: its number in the composer's facts."""

    fact: int


class WindowRef(NamedTuple):
    """One or two sentences of a passage: the passage's number, its first sentence and one past its last."""

    passage: int
    start: int
    end: int


class ListRef(NamedTuple):
    """An article's list (a heading whose passages start with labels): its number among ``lists.ArticleList``s."""

    number: int


# What a candidate answer is made from. (Named tuples compare as tuples: ``FactRef(3) == ListRef(3)``, so
# code telling them apart asks their type, as ``same_content`` and ``group`` do.)
Ref = FactRef | WindowRef | ListRef


class Candidate(NamedTuple):
    """One possible answer (a fact, a passage window or a list) with its features (stage 2's output).

    (A named tuple: made for every window that may win, it costs a third of a frozen dataclass.)
    """

    kind: str  # the answer's kind: "fact", or "passage" (a window or a list)
    text: str  # empty until ``render.Renderer.materialise`` (only the one shown or judged is built)
    sources: tuple[Source, ...]
    features: Mapping[str, float]  # the question's own features, then (``described``) the decision's
    rank_score: float
    fact_id: str | None = None
    ref: Ref | None = None  # None for a look-up (front matter, the alias file): nothing was ranked
    values: RankFeatures | None = None  # the ranking features (``features.rank_features``)

    def ranking(self) -> dict[str, float]:
        """The ranking features by name (what ``knowledge.decide.fit_ranker`` learns from)."""
        return self.values._asdict() if self.values is not None else {}

    def described(self) -> Candidate:
        """The candidate with the ranking features merged into ``features`` (for the decision)."""
        if self.values is None:
            return self
        return self._replace(features={**self.features, **self.values._asdict()}, values=None)


def group(ref: Ref | None) -> tuple[type, int]:
    """The fact, passage or list a candidate comes from: candidates of two groups never say the same thing."""
    if ref is None:
        return type(None), -1
    return type(ref), ref[0]


def same_content(a: Candidate, b: Candidate) -> bool:
    """Whether two candidates say the same thing: the same fact or list, or windows sharing a sentence.

    (A fact and the passage it quotes stay distinct: tried, and it made the decision worse.)
    """
    x, y = a.ref, b.ref
    if x is None or y is None or type(x) is not type(y) or x[0] != y[0]:
        return False
    if isinstance(x, WindowRef) and isinstance(y, WindowRef):
        return x.start < y.end and y.start < x.end
    return True
