"""Background reply work (Bolt's lazy listeners): a bounded queue, measured, and drained on shutdown.

Bolt hands every lazy listener (mention replies, automatic replies, shares) to an executor. A plain
``ThreadPoolExecutor`` queues without limit, so a burst or a slow Web API grows memory and a shutdown
loses whatever is queued. :class:`BoundedExecutor` refuses work past ``max_pending`` (the request then
fails with 500 and Slack retries it later, when the retry finds room) and :meth:`BoundedExecutor.drain`
waits, within a grace period, for what was accepted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from bot import metrics

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = 16
"""Threads running lazy listeners per process."""
MAX_PENDING = 256
"""Accepted and not yet finished background jobs (running ones included) per process."""


class BackgroundQueueFull(RuntimeError):
    """Raised by ``submit`` when ``max_pending`` jobs are already waiting or running."""


class BoundedExecutor(ThreadPoolExecutor):
    """A thread pool that holds at most ``max_pending`` jobs and can be drained with a deadline."""

    def __init__(self, max_workers: int = WORKERS, max_pending: int = MAX_PENDING, name: str = "innov-lazy"):
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self.max_pending = max_pending
        self._pending = 0
        self._closed = False
        self._changed = threading.Condition()

    @property
    def pending(self) -> int:
        """Jobs accepted and not yet finished."""
        with self._changed:
            return self._pending

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._changed:
            if self._closed:
                metrics.BACKGROUND_REJECTED.labels(reason="shutting down").inc()
                raise BackgroundQueueFull("shutting down: no new background work")
            if self._pending >= self.max_pending:
                metrics.BACKGROUND_REJECTED.labels(reason="full").inc()
                logger.warning("background queue full (%d jobs): refusing one", self._pending)
                raise BackgroundQueueFull(f"{self._pending} background jobs already pending")
            self._pending += 1
            metrics.BACKGROUND_PENDING.inc()
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: Any) -> None:
        with self._changed:
            self._pending -= 1
            metrics.BACKGROUND_PENDING.dec()
            self._changed.notify_all()

    def drain(self, grace: float) -> bool:
        """Refuse new work, wait up to ``grace`` seconds for accepted jobs; True when all finished."""
        deadline = time.monotonic() + grace
        with self._changed:
            self._closed = True
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    logger.warning(
                        "shutdown: %d background job(s) still running after %.0f s", self._pending, grace
                    )
                    break
                self._changed.wait(left)
            done = self._pending == 0
        self.shutdown(wait=False, cancel_futures=not done)
        return done
