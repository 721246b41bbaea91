"""The answer composer: ``knowledge.answering`` (its stages as modules), under the name the rest of innov
imports it by."""

from knowledge.answering.candidate import Candidate
from knowledge.answering.composer import WARM_UP, Composer
from knowledge.answering.decision import Decision
from knowledge.answering.question import MAX_QUESTION_CHARS, Question, check_question
from knowledge.answering.render import MAX_ANSWER_CHARS, NOT_FOUND

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_QUESTION_CHARS",
    "NOT_FOUND",
    "WARM_UP",
    "Candidate",
    "Composer",
    "Decision",
    "Question",
    "check_question",
]
