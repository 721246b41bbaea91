"""``python -m benchmarks [knowledge|serve|cache|...|worst|curator|all] [--quick]``: run benchmarks, print Markdown tables.

Each benchmark measures innov beside the baseline its issue names, in the same run:

* knowledge: answer latency, load time and memory vs a naive rank-bm25 scan, bm25s and scipy.sparse
  (seeds, synthetic and Zipf corpora of 10k and 100k passages, distinct questions);
* serve: over signed HTTP through gunicorn: start-up (cold, saved index), latency, RSS per worker,
  reload under load, throughput by workers (Zipf 10k and 100k);
* cache: a cache hit through ``Services.answer`` vs a raw redis-py GET (needs Redis: ``REDIS_URL``);
* slack: a signed slash-command round trip over HTTP vs a do-nothing Bolt app;
* load: mixed signed requests from 8 concurrent clients against the HTTP server with Redis;
* worst: the costliest question (2,000 characters of never-seen words) with the speller's bound and
  without it (Zipf 10k);
* curator: the curator queue of ``/innov stats`` with full ledgers, from the rankings and from the
  whole ledgers (needs Redis).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import markdown_table

QUICK: dict[str, dict[str, Any]] = {
    "knowledge": {"sizes": (2_000,), "kinds": ("zipf",)},
    "serve": {"sizes": (2_000,), "workers": (1,), "seconds": 1.0},
    "cache": {"iterations": 500},
    "slack": {"requests": 300, "warmup": 50},
    "load": {"requests": 400},
    "worst": {"size": 2_000, "count": 3, "unbounded_count": 2},
    "curator": {"size": 500, "runs": 3},
}
MODULES = {
    "knowledge": "bench_knowledge",
    "serve": "bench_serve",
    "cache": "bench_cache",
    "slack": "bench_slack",
    "load": "load",
    "worst": "bench_worst",
    "curator": "bench_curator",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    # No `choices=`: argparse rejects an empty `nargs="*"` list against them on Python 3.11.
    parser.add_argument("which", nargs="*", help=f"any of {', '.join(MODULES)}, all (the default)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not figures to quote")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.which) - {*MODULES, "all"})
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose from {', '.join(MODULES)}, all")
    names = list(MODULES) if not args.which or "all" in args.which else args.which
    failed = False
    for name in names:
        try:
            module = importlib.import_module(f"benchmarks.{MODULES[name]}")
        except ImportError as exc:
            print(f"## {name}\n\nskipped: {exc}\n")
            continue
        run: Callable[..., list[dict[str, Any]]] = module.run
        started = time.perf_counter()
        try:
            rows = run(**(QUICK[name] if args.quick else {}))
        except Exception as exc:  # e.g. no Redis for the cache benchmark: say so, run the rest
            print(f"## {name}\n\nskipped: {type(exc).__name__}: {exc}\n")
            failed = True
            continue
        print(f"## {name} ({time.perf_counter() - started:.0f} s)\n\n{markdown_table(rows)}\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
