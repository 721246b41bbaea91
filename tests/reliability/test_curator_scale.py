"""``/innov stats`` and the admins' Home tab stay fast with full feedback ledgers (issue 21, item 10).

10,000 votes and 10,000 declined questions in a real Redis (the caps); the curator queue's top is read
from the ledgers' rankings, so a signed ``/innov stats`` and the Home tab take milliseconds, not a second.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from benchmarks.bench_curator import fill as fill_ledgers
from bot.feedback import FEEDBACK_CAP, Feedback
from bot.redis_store import RedisStore
from bot.settings import Settings
from tests.e2e.conftest import ADMIN, Running
from tests.e2e.helpers import all_text

LIMIT_MS = 50.0


def fill(feedback: Feedback, version: str) -> None:
    """The ledgers at their caps: 10,000 votes (7 users, 2,000 answers) and 10,000 declined questions."""
    fill_ledgers(feedback, FEEDBACK_CAP, version)
    for _ in range(4):
        feedback.declined("Where does Freedonia rank?", version)  # the most asked


def median_ms(work: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def test_stats_and_the_home_tab_read_the_top_of_full_ledgers_quickly(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    bot = start_app(settings_factory(redis_url=redis_url), RedisStore(redis_url, prefix=redis_prefix))
    fill(bot.services.feedback, bot.services.kb.version)
    stats = bot.slack.slash("stats", user=ADMIN)
    text = all_text(stats.json())
    assert stats.status == 200 and "*4×*\nWhere does Freedonia rank?" in text and "👎 4" in text
    assert median_ms(lambda: bot.slack.slash("stats", user=ADMIN)) <= LIMIT_MS

    def home() -> None:
        before = len(bot.stub.calls("views.publish"))
        bot.slack.event({"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME", "tab": "home"})
        bot.stub.wait_for("views.publish", before + 1)

    assert median_ms(home) <= LIMIT_MS
    [*_, published] = bot.stub.calls("views.publish")
    assert "Where does Freedonia rank?" in published.text
