"""The answer cache never serves an answer that differs from what a fresh computation gives for the same text.

Against a real Redis: the cache is filled by other wordings of the same question first (upper case, title
case, odd capitals, extra spaces), as other users would fill it, and the answer then served for a text
must be exactly the answer a server without a cache computes for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.redis_store import RedisStore
from bot.services import Services
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHOUTED_863 = "WHATS THE OFFICIAL NAME OF THE 863 PROGRAMME"


@lru_cache(maxsize=1)
def questions() -> list[str]:
    """Natural-phrasing evaluation questions (about 30 of them change their answer with their case)."""
    found: list[str] = []
    for name in ("dev_qa2.json", "natural_qa.json"):
        found += [
            str(i["q"]) for i in json.loads((ROOT / "eval" / name).read_text(encoding="utf-8"))["items"]
        ]
    return found


def _random_case(data: st.DataObject) -> Callable[[str], str]:
    flips = data.draw(st.lists(st.booleans(), min_size=1, max_size=64), label="capitals")
    return lambda text: "".join(c.upper() if flips[i % len(flips)] else c.lower() for i, c in enumerate(text))


WORDINGS: list[Callable[[str], str]] = [
    str.upper,
    str.lower,
    str.title,
    str.capitalize,
    str.swapcase,
    lambda text: f"  {text.replace(' ', '   ')}\t",
]


@pytest.fixture
def cached(redis_url: str, redis_prefix: str) -> Iterator[Services]:
    """Services on the seeds whose answer cache is a real Redis (a test's own key prefix)."""
    settings = Settings(_env_file=None, innov_knowledge_dir=ROOT / "seeds")  # type: ignore[call-arg]
    services = Services(settings, store=RedisStore(redis_url, prefix=redis_prefix))
    yield services
    services.close()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@example(base=SHOUTED_863.lower(), first=str.upper, second=str.lower, data=None)
@example(base=SHOUTED_863.lower(), first=str.lower, second=str.upper, data=None)
@given(
    base=st.sampled_from(questions()),
    first=st.sampled_from(WORDINGS),
    second=st.sampled_from(WORDINGS),
    data=st.none() | st.data(),
)
def test_a_cached_answer_equals_the_uncached_answer_for_the_same_text(
    cached: Services,
    base: str,
    first: Callable[[str], str],
    second: Callable[[str], str],
    data: st.DataObject | None,
) -> None:
    asked = [first(base), second(base)]
    if data is not None:
        asked.append(_random_case(data)(base))
    for text in asked:  # other users fill the cache with their wordings first
        cached.answer(text)
    for text in asked:
        served = cached.answer(text)
        fresh = cached.kb.snapshot.answer(text.strip())  # what a server without a cache computes
        assert served.model_dump() == fresh.model_dump(), text
