"""Answer-cache benchmark: a cache hit through ``Services.answer`` against a raw redis-py GET.

Both read the same cached value over the same connection (one client, one thread), in the same run,
interleaved in blocks so drift affects both alike. Target (issue 4): the hit's p50 within 2x of the
raw GET's. Computing the answer without any cache is measured too, for scale.

    python -m benchmarks.bench_cache      # from the repository root; REDIS_URL or 127.0.0.1:6379/9
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.redis_store import RedisStore
from bot.services import Services, cache_key
from bot.settings import Settings

QUESTION = "What is China's GII rank?"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
SEEDS = Path(__file__).resolve().parents[1] / "seeds"
TARGET = 2.0
BLOCK = 100


def _percentiles(samples_ns: list[int]) -> dict[str, float]:
    cuts = statistics.quantiles(samples_ns, n=100, method="inclusive")
    return {"p50_us": cuts[49] / 1000, "p90_us": cuts[89] / 1000, "p99_us": cuts[98] / 1000}


def _time_block(call: Callable[[], object], count: int, into: list[int]) -> None:
    clock = time.perf_counter_ns
    for _ in range(count):
        started = clock()
        call()
        into.append(clock() - started)


def run(
    iterations: int = 5000, redis_url: str | None = None, knowledge_dir: Path = SEEDS
) -> list[dict[str, Any]]:
    """Measure and return one row per case: ``case``, ``iterations``, ``p50_us``, ``p90_us``, ``p99_us``,
    ``vs_raw_get`` (p50 ratio) and, on the cache-hit row, ``within_target``."""
    url = (
        redis_url
        or os.environ.get("INNOV_BENCH_REDIS_URL")
        or os.environ.get("REDIS_URL")
        or DEFAULT_REDIS_URL
    )
    store = RedisStore(url, prefix=f"innov-bench-{uuid.uuid4().hex[:8]}:", timeout=1.0)
    if not store.ping():
        store.close()
        raise RuntimeError(f"no Redis at {store.where}: start one or set REDIS_URL")
    settings = Settings(_env_file=None, redis_url=url, innov_knowledge_dir=knowledge_dir)  # type: ignore[call-arg]
    services = Services(settings, store=store)
    try:
        services.answer(QUESTION)  # fills the cache
        key = store.key(cache_key(services.kb.version, QUESTION))
        client = store.client  # the same client and pooled connection Services uses
        snapshot = services.kb.snapshot
        cases: dict[str, Callable[[], object]] = {
            "raw redis-py GET": lambda: client.get(key),
            "Services.answer, cache hit": lambda: services.answer(QUESTION),
            "answer computed, no cache": lambda: snapshot.answer(QUESTION),
        }
        samples: dict[str, list[int]] = {name: [] for name in cases}
        for call in cases.values():  # warm-up
            _time_block(call, BLOCK, [])
        hits_before = services.stats()["cache_hits"]
        for _ in range(max(iterations // BLOCK, 1)):
            for name, call in cases.items():
                _time_block(call, BLOCK, samples[name])
        hits = services.stats()["cache_hits"] - hits_before
        if hits != len(samples["Services.answer, cache hit"]):
            raise RuntimeError(f"only {hits} of the timed answers were cache hits")
    finally:
        for stale in store.client.scan_iter(match=store.prefix + "*"):
            store.client.delete(stale)
        services.close()
        store.close()
    raw_p50 = _percentiles(samples["raw redis-py GET"])["p50_us"]
    rows: list[dict[str, Any]] = []
    for name, found in samples.items():
        figures = _percentiles(found)
        rows.append(
            {
                "case": name,
                "iterations": len(found),
                **figures,
                "vs_raw_get": round(figures["p50_us"] / raw_p50, 2),
            }
        )
    rows[1]["within_target"] = rows[1]["vs_raw_get"] <= TARGET
    return rows


def main() -> None:
    """Print the table."""
    rows = run()
    print(f"{'case':<28} {'n':>6} {'p50 µs':>9} {'p90 µs':>9} {'p99 µs':>9} {'p50 vs GET':>11}")
    for row in rows:
        print(
            f"{row['case']:<28} {row['iterations']:>6} {row['p50_us']:>9.1f} {row['p90_us']:>9.1f} "
            f"{row['p99_us']:>9.1f} {row['vs_raw_get']:>10.2f}x"
        )
    verdict = "met" if rows[1]["within_target"] else "MISSED"
    print(f"target: cache hit p50 within {TARGET:g}x of a raw GET: {verdict}")


if __name__ == "__main__":
    main()
