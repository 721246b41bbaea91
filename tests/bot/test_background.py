"""bot.background: the bounded queue of lazy replies, its metrics and its drain on shutdown."""

from __future__ import annotations

import threading
import time

import pytest

from bot import metrics
from bot.background import BackgroundQueueFull, BoundedExecutor


def test_work_past_the_limit_is_refused_and_counted() -> None:
    executor = BoundedExecutor(max_workers=2, max_pending=3)
    release = threading.Event()
    futures = [executor.submit(release.wait, 5) for _ in range(3)]
    assert executor.pending == 3
    assert metrics.REGISTRY.get_sample_value("innov_background_pending") >= 3
    before = metrics.REGISTRY.get_sample_value("innov_background_rejected_total", {"reason": "full"}) or 0
    with pytest.raises(BackgroundQueueFull):
        executor.submit(release.wait, 5)
    assert (
        metrics.REGISTRY.get_sample_value("innov_background_rejected_total", {"reason": "full"}) == before + 1
    )
    release.set()
    assert all(f.result(timeout=5) for f in futures)
    assert executor.drain(5) and executor.pending == 0


def test_drain_waits_for_accepted_work_then_refuses_more() -> None:
    executor = BoundedExecutor(max_workers=1, max_pending=10)
    done: list[int] = []
    for n in range(3):
        executor.submit(lambda n=n: (time.sleep(0.1), done.append(n)))
    assert executor.drain(5)
    assert done == [0, 1, 2]
    with pytest.raises(BackgroundQueueFull):
        executor.submit(print)


def test_drain_gives_up_after_the_grace_period() -> None:
    executor = BoundedExecutor(max_workers=1, max_pending=10)
    release = threading.Event()
    executor.submit(release.wait, 10)
    started = time.monotonic()
    assert not executor.drain(0.3)
    assert time.monotonic() - started < 2
    release.set()
