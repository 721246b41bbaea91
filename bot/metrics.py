"""Prometheus metrics (DESIGN.md's /metrics contract), on one registry per process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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
    "innov_knowledge_info",
    "The knowledge base version this replica serves (value 1).",
    ["version"],
    registry=REGISTRY,
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


def set_knowledge_version(version: str) -> None:
    """Expose exactly one ``innov_knowledge_info{version}`` series: the version now served."""
    KNOWLEDGE_INFO.clear()
    KNOWLEDGE_INFO.labels(version=version).set(1)


def render() -> bytes:
    """The Prometheus text exposition of every innov metric."""
    return generate_latest(REGISTRY)


BACKGROUND_PENDING = Gauge(
    "innov_background_pending",
    "Background reply jobs (lazy listeners) accepted and not yet finished.",
    registry=REGISTRY,
)
BACKGROUND_REJECTED = Counter(
    "innov_background_rejected",
    "Background reply jobs refused, by reason (full, shutting down); Slack retries those events.",
    ["reason"],
    registry=REGISTRY,
)
