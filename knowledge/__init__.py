"""innov's knowledge layer: corpus, facts, BM25 index and answer composer. Pure: no Slack, no Redis."""

from knowledge.base import BuildLimits, KnowledgeBase, ReloadReport, Snapshot, check_directory, load_snapshot
from knowledge.composer import MAX_QUESTION_CHARS, check_question
from knowledge.errors import KnowledgeError, KnowledgeLoadError, Problem, QuestionError
from knowledge.files import Limits
from knowledge.models import Answer, Article, Fact, Passage, Source

__all__ = [
    "Answer",
    "BuildLimits",
    "Article",
    "Fact",
    "KnowledgeBase",
    "KnowledgeError",
    "KnowledgeLoadError",
    "Limits",
    "MAX_QUESTION_CHARS",
    "Passage",
    "Problem",
    "QuestionError",
    "ReloadReport",
    "Snapshot",
    "Source",
    "check_directory",
    "check_question",
    "load_snapshot",
]
