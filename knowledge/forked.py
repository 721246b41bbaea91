"""A large build's pure-Python loops on every core: one slice of the work per forked worker process.

The work and its items are left in a module global before the fork, so the workers inherit them and
nothing but each slice's bounds and its result crosses a pipe (closures need no pickling). Used where a
cold build of a 100k-passage knowledge base spends its time: parsing the articles and tokenizing them.
Below ``minimum`` items, on one core, or where processes cannot fork, the work runs here in one slice.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MAX_WORKERS = 8

_WORK: tuple[Callable[[Sequence[Any]], Any], Sequence[Any]] | None = None  # inherited by the workers


def _run_slice(bounds: tuple[int, int]) -> Any:
    assert _WORK is not None
    work, items = _WORK
    return work(items[bounds[0] : bounds[1]])


def in_slices(work: Callable[[Sequence[T]], R], items: Sequence[T], *, minimum: int) -> list[R]:
    """``[work(items)]``, or from ``minimum`` items ``work`` of one contiguous slice per core, in order."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(items) < minimum or workers < 2 or "fork" not in mp.get_all_start_methods():
        return [work(items)]
    global _WORK
    step = -(-len(items) // workers)
    bounds = [(lo, min(lo + step, len(items))) for lo in range(0, len(items), step)]
    _WORK = (work, items)
    try:
        with ProcessPoolExecutor(len(bounds), mp_context=mp.get_context("fork")) as pool:
            return list(pool.map(_run_slice, bounds))
    finally:
        _WORK = None
