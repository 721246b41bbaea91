"""Prometheus metrics (DESIGN.md's /metrics contract).

One process (Socket Mode, the console, tests) exposes its own registry. Under gunicorn a scrape reaches
one worker, so ``innov serve`` in HTTP mode runs prometheus-client's multiprocess mode
(``bot.runner.share_metrics_between_workers``, before this module is imported): every worker writes its values to
files in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds them all up, whichever worker it reaches.
Counters and histograms are summed; each gauge says how it combines (``multiprocess_mode``).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
KNOWLEDGE_INFO_NAME = "innov_knowledge_info"
KNOWLEDGE_PROBLEMS_NAME = "innov_knowledge_problems"

REGISTRY = CollectorRegistry(auto_describe=True)

ANSWERS = Counter(
    "innov_answers", "Answers given, by kind (fact, passage, none).", ["kind"], registry=REGISTRY
)
ANSWER_SECONDS = Histogram(
    "innov_answer_seconds",
    "Time to answer one question, cache included.",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
    registry=REGISTRY,
)
CACHE_HITS = Counter("innov_cache_hits", "Answer cache hits.", registry=REGISTRY)
CACHE_MISSES = Counter("innov_cache_misses", "Answer cache misses.", registry=REGISTRY)
KNOWLEDGE_INFO = Gauge(
    KNOWLEDGE_INFO_NAME,
    "The knowledge base versions the workers serve (value 1).",
    ["version"],
    registry=REGISTRY,
    multiprocess_mode="livemax",
)
KNOWLEDGE_PROBLEMS = Gauge(
    KNOWLEDGE_PROBLEMS_NAME,
    "Problems in the knowledge files on disk as the last load or reload found them (0: they serve).",
    registry=REGISTRY,
    multiprocess_mode="livemostrecent",
)
REQUESTS = Counter(
    "innov_http_requests", "HTTP requests by route and status.", ["route", "status"], registry=REGISTRY
)
SLACK_API_ERRORS = Counter(
    "innov_slack_api_errors", "Failed Slack Web API calls, by method.", ["method"], registry=REGISTRY
)
RATE_LIMITED = Counter(
    "innov_rate_limited", "Questions refused by the per-user rate limit.", registry=REGISTRY
)
RELOADS = Counter(
    "innov_reloads", "Knowledge base reloads, by outcome (ok, error).", ["outcome"], registry=REGISTRY
)
RELOAD_SECONDS = Histogram(
    "innov_reload_seconds", "Time to load and swap a knowledge base.", registry=REGISTRY
)
BACKGROUND_PENDING = Gauge(
    "innov_background_pending",
    "Background reply jobs (lazy listeners) accepted and not yet finished.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
BACKGROUND_REJECTED = Counter(
    "innov_background_rejected",
    "Background reply jobs refused, by reason (full, shutting down); Slack retries those events.",
    ["reason"],
    registry=REGISTRY,
)

_served_version: str | None = None


def set_knowledge_version(version: str) -> None:
    """Expose ``innov_knowledge_info{version}`` = 1 for the version now served (the one before goes)."""
    global _served_version
    previous, _served_version = _served_version, version
    if previous is not None and previous != version:
        KNOWLEDGE_INFO.labels(version=previous).set(0)  # a worker's file keeps it: 0, not served
        if not multiprocess():  # (prometheus-client cannot remove labels there, and warns on every reload)
            KNOWLEDGE_INFO.remove(previous)
    KNOWLEDGE_INFO.labels(version=version).set(1)


def set_knowledge_problems(count: int) -> None:
    """How many problems the knowledge files on disk have now (after a load or reload)."""
    KNOWLEDGE_PROBLEMS.set(count)


def multiprocess() -> bool:
    """Whether this process writes its metrics for a server's workers to add up."""
    return bool(os.environ.get(MULTIPROC_ENV))


def knowledge_problems(local: int) -> int:
    """The knowledge files' problems as the server reports them: the most recent count any worker found
    (multiprocess mode), else ``local``, this process's own."""
    if not multiprocess():
        return local
    for family in _workers_collector().collect():
        for found in family.samples:
            if found.name == KNOWLEDGE_PROBLEMS_NAME:
                return int(found.value)
    return local


def render() -> bytes:
    """The Prometheus text exposition of every innov metric (every worker's, in multiprocess mode)."""
    if not multiprocess():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    registry.register(_workers_collector())
    return generate_latest(registry)


class _Workers:
    """Every worker's metrics from the multiprocess directory, without the versions no worker serves
    any more (their files keep them, at 0)."""

    def __init__(self, directory: str) -> None:
        self._directory = directory

    def collect(self) -> Iterable[Metric]:
        from prometheus_client.multiprocess import MultiProcessCollector

        # ``MultiProcessCollector.collect`` reads every file; one a worker has created and not yet sized is
        # empty, and reading it raised struct.error for all of them (prometheus/client_python#1199): the
        # scrape, and /healthz, failed while a worker started. An empty file holds nothing yet.
        files = [f for f in glob.glob(os.path.join(self._directory, "*.db")) if _has_data(f)]
        for family in MultiProcessCollector.merge(files, accumulate=True):
            if family.name == KNOWLEDGE_INFO_NAME:
                family.samples = [s for s in family.samples if s.value != 0]
            yield family


def _has_data(path: str) -> bool:
    try:
        return os.path.getsize(path) > 0
    except OSError:  # (gone since the glob: a worker's file removed when it exited)
        return False


def _workers_collector() -> _Workers:
    return _Workers(os.environ[MULTIPROC_ENV])
