"""What the answer path made of one question (the hand-off from deciding to rendering)."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.answering.candidate import Candidate
from knowledge.answering.question import Question
from knowledge.models import Fact


@dataclass(frozen=True, slots=True)
class Decision:
    """The best candidate, its probability and the verdict."""

    question: Question
    best: Candidate | None  # with its text and sources unless declined by ``decide(judged=False)``
    probability: float
    answer: bool
    related: tuple[Fact, ...] = field(default=())
    # Why it was declined: the gate or threshold that said no (``gates``); empty when answered.
    reason: str = ""
