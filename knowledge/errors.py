"""The knowledge layer's exceptions: each problem names a file and a line, and says what to fix."""

from __future__ import annotations

from dataclasses import dataclass

MAX_MESSAGE_CHARS = 400


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a knowledge file, printed as ``file:line: message``."""

    file: str
    line: int
    message: str

    def __post_init__(self) -> None:
        # Bounded: a message never echoes an unbounded value (a 10 MB line, an expanded YAML bomb).
        if len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", self.message[: MAX_MESSAGE_CHARS - 1] + "…")
        if len(self.file) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "file", "…" + self.file[-(MAX_MESSAGE_CHARS - 1) :])

    def __str__(self) -> str:
        # Line 0: the whole file or directory ("too big", "no articles"), printed without a line.
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class KnowledgeError(Exception):
    """Base class of every error raised by ``knowledge``."""


class KnowledgeLoadError(KnowledgeError):
    """The knowledge directory could not be loaded; ``problems`` lists every file:line at fault."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "knowledge base failed to load")


class QuestionError(KnowledgeError):
    """A question the knowledge base cannot take as it is (empty, binary, far too long); says what to do."""
