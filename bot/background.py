"""Background reply work (Bolt's lazy listeners): a bounded queue, measured, and drained on shutdown.

Bolt hands every lazy listener (mention replies, shares, DMs) to an executor. A plain
``ThreadPoolExecutor`` queues without limit, so a burst or a slow Web API grows memory and a shutdown
loses whatever is queued. :class:`BoundedExecutor` refuses work past ``max_pending``
(``BackgroundQueueFull``: events' listeners drop the event and still answer 200, since Slack retries a 500
and would add to the flood; a button press that Bolt queues gets 500) and :meth:`BoundedExecutor.drain`
waits, within a grace period, for what was accepted.

Automatic replies, which nobody asked for, are sheddable (:meth:`BoundedExecutor.submit_sheddable`):
they are refused once half the queue is taken, and a job that was asked for which finds the queue full
takes the place of a sheddable one still waiting, so a flood of them never makes a direct question wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
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
        self.shed_at = max(1, max_pending // 2)
        """Pending jobs from which sheddable work is refused."""
        self._pending = 0
        self._closed = False
        self._changed = threading.Condition()  # (its lock is reentrant: a cancelled job's callback takes it)
        self._sheddable: deque[Future[Any]] = deque()  # accepted sheddable jobs, oldest first

    @property
    def pending(self) -> int:
        """Jobs accepted and not yet finished."""
        with self._changed:
            return self._pending

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Accept work that was asked for; past ``max_pending`` a sheddable job still waiting makes room
        for it, else ``BackgroundQueueFull``."""
        with self._changed:
            self._check_open()
            if self._pending >= self.max_pending and not self._shed_one():
                metrics.BACKGROUND_REJECTED.labels(reason="full").inc()
                logger.warning("background queue full (%d jobs): refusing one", self._pending)
                raise BackgroundQueueFull(f"{self._pending} background jobs already pending")
            self._pending += 1
            metrics.BACKGROUND_PENDING.inc()
        return self._start(fn, *args, **kwargs)

    def submit_sheddable(
        self, fn: Callable[[], Any], on_shed: Callable[[], None] | None = None
    ) -> Future[Any] | None:
        """Accept work nobody asked for (an automatic reply) while fewer than ``shed_at`` jobs are
        pending: its future, or None when refused. ``on_shed`` runs if the job is refused, or later
        cancelled to make room for work that was asked for."""
        with self._changed:
            self._check_open()
            if self._pending >= self.shed_at:
                metrics.BACKGROUND_REJECTED.labels(reason="shed").inc()
                refused = True
            else:
                refused = False
                self._pending += 1
                metrics.BACKGROUND_PENDING.inc()
        if refused:
            if on_shed is not None:
                on_shed()
            return None
        future = self._start(fn)
        if on_shed is not None:
            future.add_done_callback(lambda f: on_shed() if f.cancelled() else None)
        with self._changed:
            self._sheddable.append(future)
            while self._sheddable and self._sheddable[0].done():
                self._sheddable.popleft()
        return future

    def _check_open(self) -> None:
        if self._closed:
            metrics.BACKGROUND_REJECTED.labels(reason="shutting down").inc()
            raise BackgroundQueueFull("shutting down: no new background work")

    def _shed_one(self) -> bool:
        """Cancel the newest sheddable job not yet started (the caller holds the lock); True if one was."""
        for future in reversed(self._sheddable):
            if future.cancel():  # False once it runs; the cancel's callback counts it finished
                self._sheddable.remove(future)
                metrics.BACKGROUND_REJECTED.labels(reason="shed").inc()
                logger.warning("background queue full: an automatic reply made room for a direct one")
                return True
        return False

    def _start(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
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
