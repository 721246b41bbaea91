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


def test_a_busy_queue_sheds_automatic_replies_first_never_a_direct_question() -> None:
    executor = BoundedExecutor(max_workers=1, max_pending=4)  # sheddable work only below 2 pending
    release = threading.Event()
    shed: list[str] = []
    ran: list[str] = []
    running = executor.submit(release.wait, 5)  # a direct reply holding the one worker
    waiting = executor.submit_sheddable(lambda: ran.append("auto 1"), on_shed=lambda: shed.append("auto 1"))
    assert waiting is not None and executor.pending == 2
    # Half the queue is taken: more automatic replies are refused at once.
    assert (
        executor.submit_sheddable(lambda: ran.append("auto 2"), on_shed=lambda: shed.append("auto 2")) is None
    )
    assert shed == ["auto 2"]
    direct = [executor.submit(lambda n=n: ran.append(f"direct {n}")) for n in range(2)]
    assert executor.pending == 4  # full...
    direct.append(executor.submit(lambda: ran.append("direct 2")))  # ...but a direct question gets in
    assert waiting.cancelled() and shed == ["auto 2", "auto 1"]
    with pytest.raises(BackgroundQueueFull):  # only direct work is left: that is refused (Slack retries)
        executor.submit(print)
    release.set()
    assert running.result(timeout=5) and all(f.result(timeout=5) is None for f in direct)
    assert ran == ["direct 0", "direct 1", "direct 2"]
    assert executor.drain(5) and executor.pending == 0
