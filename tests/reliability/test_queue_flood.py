"""One user's flood of questions must not fill the background queue, and a full queue must never answer
Slack 500 (Slack retries a 500, adding to the flood): signed HTTP, a slow Web API stand-in, a small queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from bot.background import BoundedExecutor
from bot.settings import Settings
from tests.e2e.conftest import CHANNEL, Running
from tests.e2e.slack_api_stub import BOT_USER_ID

FLOOD = 40
QUEUE = 8
RATE = 3


@pytest.fixture
def background() -> Iterator[BoundedExecutor]:
    executor = BoundedExecutor(max_workers=2, max_pending=QUEUE)
    yield executor
    executor.drain(10)


def mention_from(bot: Running, user: str, text: str = "What is China's GII rank?") -> tuple[str, int]:
    event = bot.slack.message(f"<@{BOT_USER_ID}> {text}", channel=CHANNEL, user=user) | {
        "type": "app_mention"
    }
    event_id, result = bot.slack.event(event)
    return event_id, result.status


def test_one_users_flood_of_mentions_is_limited_before_it_is_queued(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    background: BoundedExecutor,
) -> None:
    bot = start_app(settings_factory(innov_rate_limit=RATE), background=background)
    bot.stub.delay = 0.2  # a slow Web API: queued work piles up
    sent = [mention_from(bot, "U0FLOOD") for _ in range(FLOOD)]
    assert {status for _, status in sent} == {200}
    assert background.pending <= RATE + 1  # the answers within the limit and one notice, nothing more
    outcomes = [bot.outcomes.wait(event_id, timeout=15) for event_id, _ in sent]
    assert sum(o == "replied" for o in outcomes) == RATE
    assert outcomes.count("rate limited: told to slow down") == 1
    assert outcomes.count("rate limited: already told to slow down") == FLOOD - RATE - 1
    # Another user is answered at once, queue or no queue.
    event_id, status = mention_from(bot, "U0OTHER")
    assert status == 200 and bot.outcomes.wait(event_id, timeout=15) == "replied"
    notices = [c for c in bot.stub.calls("chat.postEphemeral") if "Slow down" in c.text]
    assert len(notices) == 1 and notices[0].args["user"] == "U0FLOOD"


def test_one_users_flood_of_direct_messages_is_limited_before_it_is_queued(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    background: BoundedExecutor,
) -> None:
    bot = start_app(settings_factory(innov_rate_limit=RATE), background=background)
    bot.stub.delay = 0.2
    sent = []
    for _ in range(FLOOD):
        dm = bot.slack.message(
            "What is China's GII rank?", channel="D0FLOOD", user="U0FLOOD", channel_type="im"
        )
        event_id, result = bot.slack.event(dm)
        sent.append((event_id, result.status))
    assert {status for _, status in sent} == {200}
    outcomes = [bot.outcomes.wait(event_id, timeout=15) for event_id, _ in sent]
    assert sum(o == "replied" for o in outcomes) == RATE
    assert outcomes.count("rate limited: told to slow down") == 1


def test_a_full_queue_drops_an_event_with_200_not_500(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    background: BoundedExecutor,
) -> None:
    bot = start_app(settings_factory(), background=background)
    bot.stub.delay = 1.0
    started = time.monotonic()
    sent = [mention_from(bot, f"U0USER{i}") for i in range(QUEUE + 6)]
    assert time.monotonic() - started < 5.0  # acknowledged at once, full or not
    assert {status for _, status in sent} == {200}
    outcomes = [bot.outcomes.wait(event_id, timeout=15) for event_id, _ in sent]
    assert outcomes.count("dropped: background queue full") == 6
    assert outcomes.count("replied") == QUEUE


def test_slacks_retries_of_a_question_cost_no_token(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    background: BoundedExecutor,
) -> None:
    # Found by an attack run: three retries of one slow mention took three more tokens, the last was told
    # to slow down in the thread, and the asker's next real question was dropped.
    bot = start_app(settings_factory(innov_rate_limit=RATE), background=background)
    event = bot.slack.message(
        f"<@{BOT_USER_ID}> What is China's GII rank?", channel=CHANNEL, user="U0RETRY"
    ) | {"type": "app_mention"}
    event_id, first = bot.slack.event(event)
    retries = [bot.slack.event(event, event_id=event_id, retry_num=n)[1] for n in (1, 2, 3)]
    assert first.status == 200 and {r.status for r in retries} == {200}
    outcomes = bot.outcomes.wait_all(event_id, 4)
    assert outcomes.count("replied") == 1 and not any(o.startswith("rate limited") for o in outcomes)
    # The asker still has the rest of the limit: RATE - 1 more questions are answered.
    later = [mention_from(bot, "U0RETRY", f"What is China's GII rank? ({n})") for n in range(RATE - 1)]
    assert [bot.outcomes.wait(event_id, timeout=15) for event_id, _ in later] == ["replied"] * (RATE - 1)
    assert not [c for c in bot.stub.calls("chat.postEphemeral") if "Slow down" in c.text]
