"""The one object handlers talk to (as ``bot.ports.Services``): cached answers, exactly-once claims, rate
limits, fleet-wide reload.

No Slack here. Shared state lives in a ``Store`` (``bot.store``): Redis when ``REDIS_URL`` is set, so
several replicas share one cache, one set of claims and one rate limit per user; otherwise in-process.
How a reload reaches the fleet, and how a replica follows the fleet's version, is ``bot.fleet``; how the
knowledge base is opened, ``bot.knowledge_loading``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from bot import logs, metrics
from bot.feedback import Feedback, Threads
from bot.fleet import Fleet
from bot.knowledge_loading import open_knowledge
from bot.memory_store import MemoryStore
from bot.redis_store import RedisStore
from bot.settings import Settings
from bot.store import Store
from knowledge import Answer, KnowledgeBase, KnowledgeLoadError, ReloadReport, check_question

logger = logging.getLogger(__name__)

# Store keys (under the store's prefix, ``innov:`` by default) and how long they live; the fleet's are
# in ``bot.fleet``.
ANSWER_KEY = "answer:"  # answer:<kb version>:sha256:<hex of the question>, settings.innov_cache_ttl
CLAIM_KEY = "claim:"  # claim:event:<id>, claim:msg:<channel>:<ts>, claim:thread:<channel>:<ts>, and the
# listeners' own: claim:share:<channel>:<message ts> (handlers.actions), claim:slowdown:<user> (handlers.events)
RATE_KEY = "rate:"  # rate:<user id>, a token bucket hash expiring once it would be full again
CHANNEL_RATE_KEY = "rate:channel:"  # rate:channel:<channel id>: public posts and automatic-reply work
BACKOFF_KEY = "backoff:"  # backoff:<channel id>: Slack answered 429 for it; expires with its Retry-After
REQUEST_KEY = "request:"  # request:<sha256 of a signed request's timestamp and signature>: accepted once
REQUEST_TTL = 601  # a signature is fresh 300 s either side of its timestamp (bot.web.MAX_CLOCK_SKEW)
SHEDDABLE_SHARE = 0.5  # automatic replies never take the last half of a user's or a channel's tokens
CLAIM_TTL = 86400  # Slack retries an event for minutes; a day is plenty
THREAD_CLAIM_TTL = 30 * 86400  # threads come back to life; one automatic reply per thread for a month


def question_key(question: str) -> str:
    """The question as the answer cache keys it: its whitespace collapsed, nothing else.

    An answer may depend on anything else in the text, capital letters included ("WHATS THE OFFICIAL
    NAME OF THE 863 PROGRAMME" is understood otherwise than its lower-case form), so the key keeps it all.
    Whitespace is safe to collapse: the composer's first step collapses it too (``knowledge.text.normalise``).
    """
    return " ".join(question.split())


def cache_key(version: str, question: str) -> str:
    """The answer-cache key for ``question`` on knowledge ``version``: a reload always changes it.

    Two texts share a cached answer only when their :func:`question_key` is the same. The key is its
    sha256, never the text: what people ask does not show in Redis's key names (``SCAN``, ``MONITOR``,
    memory reports). (The ``sha256`` tag replaces the ``exact``/``sha1`` and ``q``/``h`` keys of earlier
    releases, so none of those is ever read.)
    """
    digest = hashlib.sha256(question_key(question).encode()).hexdigest()
    return f"{ANSWER_KEY}{version}:sha256:{digest}"


def make_store(settings: Settings) -> Store:
    """Redis when ``REDIS_URL`` is set, else the in-process store."""
    return RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()


class Services:
    """Answers, claims, rate limits and reloads for one replica, with state shared through ``store``."""

    def __init__(
        self, settings: Settings, kb: KnowledgeBase | None = None, store: Store | None = None
    ) -> None:
        """Load the knowledge base from ``settings.innov_knowledge_dir`` unless one is given (raises
        ``KnowledgeLoadError``), and use ``store`` or the one ``settings.redis_url`` calls for."""
        self.settings = settings
        self.kb = kb if kb is not None else open_knowledge(settings)
        self._owns_store = store is None
        self.store: Store = store if store is not None else make_store(settings)
        self.feedback = Feedback(self.store, enabled=settings.innov_feedback)  # votes, declined questions
        self.threads = Threads(self.store)  # each thread's last question, for follow-ups
        self.replica_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._started_at = time.monotonic()
        self._counts_lock = threading.Lock()
        self._answers_by_kind: Counter[str] = Counter()
        self._cache_hits = 0
        self._cache_misses = 0
        self.fleet = Fleet(self.kb, self.store, self.replica_id)  # reloads here; the fleet's followed
        metrics.set_knowledge_version(self.kb.version)
        metrics.set_knowledge_problems(len(self.kb.problems))

    # -- answers ---------------------------------------------------------------------------------------
    def answer(self, question: str, *, keep: bool = True, keep_declines: bool = True) -> Answer:
        """One answer, from the cache when this knowledge version already answered the same question.

        A computed answer is cached unless ``keep`` is False (text that is not the asker's own, such as
        a message "Find sources" was used on: its text is not stored) or it is a decline and
        ``keep_declines`` is False (automatic replies, which volunteer nothing when declining).

        Raises ``QuestionError`` for an empty, binary or far too long question; never fails on Redis.
        """
        started = time.perf_counter()
        question = check_question(question)
        snapshot = self.kb.snapshot  # one version for the key and the answer, even mid-reload
        # A replica answering without meaning (its model missing, or INNOV_SEMANTIC=off) answers otherwise:
        # it keeps its own cache entries, so it never decides what the others serve, nor they for it.
        mode = snapshot.version if snapshot.composer.dense is not None else f"{snapshot.version}-lexical"
        key = cache_key(mode, question)
        answer = self._cached(key)
        hit = answer is not None
        if answer is not None:  # kept without the question: the asker's wording is put back
            answer = answer.model_copy(
                update={"question": question, "normalised": snapshot.understood(question)}
            )
        else:
            answer = snapshot.answer(question)
            if keep and (keep_declines or answer.answered):
                # No question text is kept (the key holds only its hash), neither as typed nor as understood.
                kept = answer.model_copy(update={"question": "", "normalised": None})
                self.store.set(key, kept.model_dump_json(), self.settings.innov_cache_ttl)
        logs.note(
            kind=answer.kind,
            answered=answer.answered,
            score=round(answer.score, 3),
            cache_hit=hit,
            question_chars=len(question),
        )
        (metrics.CACHE_HITS if hit else metrics.CACHE_MISSES).inc()
        metrics.ANSWERS.labels(kind=answer.kind).inc()
        metrics.ANSWER_SECONDS.observe(time.perf_counter() - started)
        with self._counts_lock:
            self._answers_by_kind[answer.kind] += 1
            if hit:
                self._cache_hits += 1
            else:
                self._cache_misses += 1
        return answer

    def _cached(self, key: str) -> Answer | None:
        raw = self.store.get(key)
        if raw is None:
            return None
        try:
            answer = Answer.model_validate_json(raw)
        except ValidationError:
            logger.warning("ignoring an unreadable cached answer under %s", key)
            return None
        if not answer.text.strip():  # (innov never caches an empty answer: an empty post was the result)
            logger.warning("ignoring a cached answer with no text under %s", key)
            return None
        return answer

    # -- exactly once ----------------------------------------------------------------------------------
    def claim(self, key: str, ttl: int = CLAIM_TTL) -> bool:
        """Claim ``key`` fleet-wide for ``ttl`` seconds (SET NX EX); True means this caller owns it.

        During a Redis outage the claim is made in-process: duplicates reaching this replica are still
        caught, and every delivery (Slack's retries too) is answered somewhere, at least once.
        """
        return self.store.claim(CLAIM_KEY + key, ttl)

    def claim_event(self, event_id: str) -> bool:
        """Claim a Slack event id: Slack's retries and the other replicas get False."""
        return self.claim(f"event:{event_id}")

    def claim_message(self, channel: str, ts: str) -> bool:
        """Claim one message: its ``app_mention`` and ``message`` events produce one reply."""
        return self.claim(f"msg:{channel}:{ts}")

    def claim_thread(self, channel: str, thread_ts: str) -> bool:
        """Claim a thread's one automatic reply."""
        return self.claim(f"thread:{channel}:{thread_ts}", THREAD_CLAIM_TTL)

    def first_request(self, timestamp: str, signature: str) -> bool:
        """Whether a signed request (its timestamp and signature) is seen for the first time, fleet-wide:
        SET NX of the pair's hash for as long as the signature is fresh, with the request path's short
        Redis timeouts (in-process while Redis is away). False: a replay, which ``bot.web`` refuses."""
        digest = hashlib.sha256(f"{timestamp}:{signature}".encode()).hexdigest()
        return self.store.add(REQUEST_KEY + digest, REQUEST_TTL)

    # -- rate limits -----------------------------------------------------------------------------------
    def check_rate(self, user_id: str, *, sheddable: bool = False) -> float | None:
        """Take one of ``user_id``'s tokens (``settings.innov_rate_limit`` a minute, shared by the fleet).

        None: allowed. Otherwise the seconds to wait before the next question would be allowed.
        ``sheddable`` (an automatic reply's work) never takes the last half of the tokens, which stay
        for what the user asks innov directly.
        """
        return self._take_token(RATE_KEY + user_id, self.settings.innov_rate_limit, sheddable)

    def check_channel(self, channel: str, *, sheddable: bool = False) -> float | None:
        """Take one of ``channel``'s tokens (``settings.innov_channel_rate_limit`` public posts a minute,
        shared by the fleet): None, or the seconds to wait. ``sheddable`` as for :meth:`check_rate`."""
        return self._take_token(CHANNEL_RATE_KEY + channel, self.settings.innov_channel_rate_limit, sheddable)

    def _take_token(self, key: str, rate: int, sheddable: bool) -> float | None:
        """One token of bucket ``key`` (``rate`` a minute); sheddable work leaves the last half."""
        wait = self.store.take_token(key, rate, 60.0, rate * SHEDDABLE_SHARE if sheddable else 0.0)
        if wait is not None:
            metrics.RATE_LIMITED.inc()
            logger.debug("rate limit: %s must wait %.1f s", key, wait)
        return wait

    def back_off(self, channel: str, seconds: float) -> None:
        """Slack answered 429 for a post to ``channel``: the fleet posts nothing volunteered there for
        ``seconds`` (its ``Retry-After``)."""
        logger.warning("Slack rate-limits posts to %s: backing off for %.0f s", channel, seconds)
        self.store.set(BACKOFF_KEY + channel, "1", max(1, math.ceil(seconds)))

    def backing_off(self, channel: str) -> bool:
        """Whether posts to ``channel`` are in a 429 back-off (see :meth:`back_off`)."""
        return self.store.get(BACKOFF_KEY + channel) is not None

    def admit_auto_reply(self, user_id: str, channel: str) -> str | None:
        """Whether a message in an auto-reply channel may become work (checked before it is queued):
        None, or why not. The channel must not be in a 429 back-off, and the work takes a token of the
        author's and one of the channel's, never their last half (:meth:`check_rate`)."""
        if self.backing_off(channel):
            return "quiet: Slack is rate-limiting this channel"
        if self.check_rate(user_id, sheddable=True) is not None:
            return "quiet: rate limited (user)"
        if self.check_channel(channel, sheddable=True) is not None:
            return "quiet: rate limited (channel)"
        return None

    # -- reload ----------------------------------------------------------------------------------------
    def reload(self, user_id: str | None = None) -> ReloadReport:
        """Reload this replica's knowledge files, then broadcast the new version to the fleet
        (``Fleet.reload``).

        Raises ``KnowledgeLoadError`` (naming file and line) when the files are broken; the old
        knowledge keeps serving and nothing is broadcast.
        """
        return self.fleet.reload(user_id)

    def reload_in_background(
        self, user_id: str | None, done: Callable[[ReloadReport | KnowledgeLoadError], None]
    ) -> threading.Thread:
        """``reload(user_id)`` off the request path; ``done`` gets the report or the load error."""
        return self.fleet.reload_in_background(user_id, done)

    def start(self, wait: float = 1.0) -> None:
        """Start the reload listener thread (idempotent); wait up to ``wait`` s for it to be listening."""
        self.fleet.start(wait)

    def close(self) -> None:
        """Stop the listener, drop this replica's record, and close the store if this object opened it."""
        self.fleet.stop()
        if self._owns_store:
            self.store.close()

    # -- status ----------------------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """What ``/innov stats`` shows: knowledge size and version, uptime, answers and cache use."""
        snapshot = self.kb.snapshot
        with self._counts_lock:
            by_kind = dict(self._answers_by_kind)
            hits, misses = self._cache_hits, self._cache_misses
        return {
            "version": snapshot.version,
            "articles": len(snapshot.articles),
            "passages": len(snapshot.passages),
            "facts": len(snapshot.facts),
            "uptime_s": round(time.monotonic() - self._started_at, 1),
            "answers_by_kind": by_kind,
            "cache_hits": hits,
            "cache_misses": misses,
            "replica": self.replica_id,
            "redis": self.redis_status(),
        }

    def redis_status(self) -> bool | None:
        """None without ``REDIS_URL``; else whether Redis answers now (bounded by the socket timeouts)."""
        if not isinstance(self.store, RedisStore):
            return None
        return self.store.ping()

    def replicas(self) -> dict[str, str]:
        """Replica id -> knowledge version it serves, this replica included (for ``/healthz``)."""
        found = self.store.replicas()
        found[self.replica_id] = self.kb.version
        return found
