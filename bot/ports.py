"""What the Slack listeners (``handlers/``) may use of the bot: the one module of ``bot`` they import.

The services are reached through the :class:`Services` protocol (with its :class:`Settings`,
:class:`Feedback` and :class:`Threads` parts), which ``bot.services.Services`` satisfies: ``bot.app`` hands
one to :func:`handlers.register`, and the console calls the listeners' functions with the same object.
The background queue the ``message`` listener feeds is a :class:`Background` (``bot.background``'s
``BoundedExecutor``). Beside them, the values that cross the boundary (the answer reference a 👍 / 👎
button carries, the curator queue admins see) and the request log line and Slack error counter each
listener writes. ``tests/test_layers.py`` checks that ``handlers/`` imports nothing else of ``bot``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, ParamSpec, Protocol, TypeVar

from bot import logs, metrics
from bot.background import BackgroundQueueFull
from bot.feedback import REASONS, AnswerRef, CuratorQueue, Reason, Vote, VoteKind, one_line
from bot.rate_limits import retry_after, volunteered
from knowledge import Answer, KnowledgeBase, KnowledgeLoadError, ReloadReport

P = ParamSpec("P")
T = TypeVar("T")


class Settings(Protocol):
    """The settings a listener reads: who the admins are, where innov replies unasked."""

    @property
    def innov_admins(self) -> frozenset[str]: ...

    def is_admin(self, user_id: str) -> bool: ...

    def auto_replies_in(self, channel_id: str) -> bool: ...


class Feedback(Protocol):
    """Votes and declined questions (``bot.feedback.Feedback``)."""

    @property
    def enabled(self) -> bool: ...

    def vote(
        self,
        answer: AnswerRef,
        user: str,
        vote: VoteKind,
        *,
        reason: Reason | None = None,
        note: str | None = None,
    ) -> Vote | None: ...

    def declined(self, question: str, kb_version: str, *, private: bool = False) -> int: ...

    def queue(
        self, *, kb_version: str | None = None, since: float | None = None, limit: int = 10
    ) -> CuratorQueue: ...


class Threads(Protocol):
    """Each thread's last question, for follow-ups (``bot.feedback.Threads``)."""

    def remember(self, channel: str, thread_ts: str, question: str) -> None: ...

    def remember_ambient(self, channel: str, thread_ts: str, understood: str) -> None: ...

    def recall(self, channel: str, thread_ts: str) -> str | None: ...


class Services(Protocol):
    """Answers, exactly-once claims, rate limits, reloads and status for one replica
    (``bot.services.Services``, where each is described)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def kb(self) -> KnowledgeBase: ...

    @property
    def feedback(self) -> Feedback: ...

    @property
    def threads(self) -> Threads: ...

    def answer(self, question: str, *, keep: bool = True, keep_declines: bool = True) -> Answer: ...

    def claim(self, key: str, ttl: int = ...) -> bool: ...

    def claim_event(self, event_id: str) -> bool: ...

    def claim_message(self, channel: str, ts: str) -> bool: ...

    def claim_thread(self, channel: str, thread_ts: str) -> bool: ...

    def check_rate(self, user_id: str, *, sheddable: bool = False) -> float | None: ...

    def check_channel(self, channel: str, *, sheddable: bool = False) -> float | None: ...

    def back_off(self, channel: str, seconds: float) -> None: ...

    def backing_off(self, channel: str) -> bool: ...

    def admit_auto_reply(self, user_id: str, channel: str) -> str | None: ...

    def reload(self, user_id: str | None = None) -> ReloadReport: ...

    def reload_in_background(
        self, user_id: str | None, done: Callable[[ReloadReport | KnowledgeLoadError], None]
    ) -> threading.Thread: ...

    def stats(self) -> dict[str, Any]: ...


class Background(Protocol):
    """The queue that runs listeners' work after the request (``bot.background.BoundedExecutor``);
    ``submit`` raises :class:`BackgroundQueueFull` when it holds all it may."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]: ...

    def submit_sheddable(
        self, fn: Callable[[], Any], on_shed: Callable[[], None] | None = None
    ) -> Future[Any] | None: ...


def log_request(kind: str, **fields: Any) -> AbstractContextManager[dict[str, Any]]:
    """One listener run as one request log line (``bot.logs.request``): its facts and its outcome."""
    return logs.request(kind, **fields)


def log_note(**fields: Any) -> None:
    """Add facts to the request log line being written (``bot.logs.note``)."""
    logs.note(**fields)


def slack_api_error(method: str) -> None:
    """Count a Web API call that failed (the ``innov_slack_api_errors`` metric)."""
    metrics.SLACK_API_ERRORS.labels(method=method).inc()


__all__ = [
    "REASONS",
    "AnswerRef",
    "Background",
    "BackgroundQueueFull",
    "CuratorQueue",
    "Feedback",
    "Reason",
    "Services",
    "Settings",
    "Threads",
    "VoteKind",
    "log_note",
    "log_request",
    "one_line",
    "retry_after",
    "slack_api_error",
    "volunteered",
]
