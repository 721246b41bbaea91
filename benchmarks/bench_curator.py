"""The curator queue of ``/innov stats`` and the admins' Home tab with full ledgers (issue 21, item 10).

10,000 votes and 10,000 declined questions (the caps) in Redis; the queue's top 10 for the serving version
read from the ledgers' rankings (``Feedback.queue``: sorted-set ranges) beside the same queue added up
from the whole ledgers (``Feedback.queue_from_ledgers``: what ``/innov stats`` read before). Target:
<= 50 ms. The keys are written under a prefix of the run's own and deleted afterwards.

    python -m benchmarks curator      # REDIS_URL, INNOV_BENCH_REDIS_URL or 127.0.0.1:6379/9
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis

from bot.feedback import FEEDBACK_CAP, AnswerRef, Feedback
from bot.redis_store import RedisStore
from knowledge import Answer, Source

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
TARGET_MS = 50.0
VERSION = "bench-version"


def fill(feedback: Feedback, size: int = FEEDBACK_CAP, version: str = VERSION) -> None:
    """``size`` votes (7 users over size / 5 answers, two thirds 👎) and ``size`` declined questions, on
    knowledge ``version``."""
    answers = max(size // 5, 1)
    for n in range(size):
        answer = Answer(
            question=f"question number {n % answers}?",
            kind="fact",
            text="t",
            sources=(Source(id="focus", title="Focus"),),
            kb_version=version,
            fact_id=f"fact-{n % answers}",
        )
        down = n % 3 != 0
        feedback.vote(
            AnswerRef.of(answer),
            f"U{n % 7}",
            "down" if down else "up",
            reason="out_of_date" if down else None,
            note=f"note {n}" if n % 5 == 0 else None,
        )
        feedback.declined(f"declined question number {n}?", version)


def _median_ms(work: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 3), round(max(times), 3)


def run(size: int = FEEDBACK_CAP, runs: int = 20, redis_url: str | None = None) -> list[dict[str, Any]]:
    """One row per way of reading the queue's top 10 for the serving version."""
    url = (
        redis_url
        or os.environ.get("INNOV_BENCH_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or DEFAULT_REDIS_URL
    )
    prefix = f"innov-bench-curator-{uuid.uuid4().hex[:8]}:"
    store = RedisStore(url, prefix=prefix, timeout=2.0)
    if not store.ping():
        store.close()
        raise RuntimeError(f"no Redis at {store.where}: start one or set REDIS_URL")
    try:
        feedback = Feedback(store)
        fill(feedback, size)
        rows = []
        for case, read in (
            ("rankings (sorted-set ranges)", lambda: feedback.queue(kb_version=VERSION)),
            ("whole ledgers (before)", lambda: feedback.queue_from_ledgers(kb_version=VERSION)),
        ):
            p50, worst = _median_ms(read, runs)
            rows.append(
                {
                    "case": case,
                    "votes": size,
                    "declined": size,
                    "p50 ms": p50,
                    "max ms": worst,
                    "target": f"p50 <= {TARGET_MS:g} ms",
                    "met": p50 <= TARGET_MS,
                }
            )
        return rows
    finally:
        store.close()
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


if __name__ == "__main__":
    from benchmarks import markdown_table

    print(markdown_table(run()))
