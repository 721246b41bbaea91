"""The one object handlers talk to: cached answers, exactly-once claims, rate limits, fleet-wide reload.

No Slack here. Shared state lives in a ``Store`` (``bot.store``): Redis when ``REDIS_URL`` is set, so
several replicas share one cache, one set of claims and one rate limit per user; otherwise in-process.

Reload across a fleet (one mechanism, STYLE §9): ``reload()`` builds the new knowledge base aside (in
a child process with limits, when the knowledge base is ``isolated``), which saves its index under the
content hash, swaps it in, records the new version as the fleet's newest in the ``kb:version`` record
(content hash and generation, ``bot.store.FleetVersion``) and publishes it on the ``kb:reload``
channel. Each replica's listener thread (``start()``) then maps the saved index of that version when it
can see it (same host or shared ``INNOV_INDEX_DIR``), else builds from its own files; one that reaches
the version a shell ``innov reload`` asked for records it too. A broadcast is not stored, so on
(re)connecting, and every ``heartbeat_seconds``, the listener also compares the record with its own
version (``_catch_up``): it follows a newer generation, never an older one, and a version it built from
its own files that the fleet never recorded becomes the fleet's newest. A broadcast carrying a
``request`` id (``innov reload``) gets each replica's outcome published on ``kb:reload:outcome:<request>``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import hashlib
import json
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot import logs, metrics
from bot.feedback import Feedback, Threads
from bot.memory_store import MemoryStore
from bot.redis_store import RedisStore
from bot.settings import Settings
from bot.store import FleetVersion, Store, StoreUnavailable, Subscription
from knowledge import (
    Answer,
    BuildLimits,
    KnowledgeBase,
    KnowledgeLoadError,
    Limits,
    Problem,
    ReloadReport,
    check_question,
    embedding,
)

logger = logging.getLogger(__name__)

# Store keys (under the store's prefix, ``innov:`` by default) and how long they live.
ANSWER_KEY = "answer:"  # answer:<kb version>:exact:<question> or :sha1:<hex>, settings.innov_cache_ttl
VERSION_KEY = "kb:version"  # what the fleet serves: {"version": <content hash>, "generation": n}; no expiry
VERSIONS_KEY = "kb:versions"  # every version the fleet moved to -> its generation (sorted set, 1,000 newest)
RELOAD_CHANNEL = "kb:reload"  # pub/sub: {"version": str | null, "origin": replica id | "cli", "request"?}
OUTCOME_CHANNEL = "kb:reload:outcome:"  # pub/sub per request id: {"replica", "ok", "version", "problems"}
CLAIM_KEY = "claim:"  # claim:event:<id>, claim:msg:<channel>:<ts>, claim:thread:<channel>:<ts>
RATE_KEY = "rate:"  # rate:<user id>, a token bucket hash expiring once it would be full again
CHANNEL_RATE_KEY = "rate:channel:"  # rate:channel:<channel id>: public posts and automatic-reply work
BACKOFF_KEY = "backoff:"  # backoff:<channel id>: Slack answered 429 for it; expires with its Retry-After
SHEDDABLE_SHARE = 0.5  # automatic replies never take the last half of a user's or a channel's tokens
CLAIM_TTL = 86400  # Slack retries an event for minutes; a day is plenty
THREAD_CLAIM_TTL = 30 * 86400  # threads come back to life; one automatic reply per thread for a month
REPLICA_TTL = 60  # a replica's record outlives three missed heartbeats
MAX_PLAIN_KEY = 64  # longer questions are keyed by their sha1


def question_key(question: str) -> str:
    """The question as the answer cache keys it: its whitespace collapsed, nothing else.

    An answer may depend on anything else in the text, capital letters included ("WHATS THE OFFICIAL
    NAME OF THE 863 PROGRAMME" is understood otherwise than its lower-case form), so the key keeps it all.
    Whitespace is safe to collapse: the composer's first step collapses it too (``knowledge.text.normalise``).
    """
    return " ".join(question.split())


def cache_key(version: str, question: str) -> str:
    """The answer-cache key for ``question`` on knowledge ``version``: a reload always changes it.

    Two texts share a cached answer only when their :func:`question_key` is the same; long questions are
    keyed by its sha1. (The ``exact``/``sha1`` tags replace the case-folded ``q``/``h`` keys of earlier
    releases, so none of those is ever read.)
    """
    text = question_key(question)
    if len(text) > MAX_PLAIN_KEY:
        return f"{ANSWER_KEY}{version}:sha1:{hashlib.sha1(text.encode()).hexdigest()}"
    return f"{ANSWER_KEY}{version}:exact:{text}"


def fleet_version(store: Store) -> FleetVersion | None:
    """What the fleet's version record says to serve (None: nothing recorded, or the store is away)."""
    return FleetVersion.parse(store.get(VERSION_KEY))


def open_knowledge(settings: Settings, *, isolated: bool = False) -> KnowledgeBase:
    """The knowledge base ``settings`` describe: its saved index mapped, or built (in a child process
    with the build limits when ``isolated``), saved and mapped. Raises ``KnowledgeLoadError``."""
    return KnowledgeBase(settings.innov_knowledge_dir, **_knowledge_options(settings, isolated=isolated))


def open_knowledge_or_last_good(
    settings: Settings, *, isolated: bool = False
) -> tuple[KnowledgeBase, KnowledgeLoadError | None]:
    """The files' knowledge base, or when they are broken the last good saved index and why the files
    did not load (its problems are also in ``kb.problems``).

    Raises ``KnowledgeLoadError`` (file:line problems) when the files are broken and nothing was saved.
    """
    try:
        return open_knowledge(settings, isolated=isolated), None
    except KnowledgeLoadError as exc:
        last_good = KnowledgeBase.last_good(
            settings.innov_knowledge_dir,
            problems=exc.problems,
            **_knowledge_options(settings, isolated=isolated),
        )
        if last_good is None:
            raise
        return last_good, exc


def open_serving_knowledge(settings: Settings) -> KnowledgeBase:
    """The knowledge base a server starts with: the files' (built aside with limits), or, when the
    files are broken, the last good saved index with their problems in ``kb.problems``. Its memory is
    settled now and after every reload (``settle_memory``).

    Raises ``KnowledgeLoadError`` (file:line problems) when the files are broken and nothing was saved.
    """
    kb, problems = open_knowledge_or_last_good(settings, isolated=True)
    if problems is not None:
        logger.error(
            "the knowledge files do not load; serving the last good saved index %s:\n%s", kb.version, problems
        )
    kb.after_swap = settle_memory
    settle_memory()
    return kb


def _knowledge_options(settings: Settings, *, isolated: bool) -> dict[str, Any]:
    # How answers use meaning, for this process and the build's child process.
    embedding.configure(
        embedding.SemanticConfig(
            settings.innov_semantic, settings.innov_embedding_model, settings.innov_semantic_max_passages
        )
    )
    return {
        "index_dir": settings.innov_index_dir,
        "limits": Limits(settings.innov_max_file_bytes, settings.innov_max_kb_bytes),
        "isolated": isolated,
        "build_limits": BuildLimits(
            settings.innov_build_memory_mb * 1024 * 1024, settings.innov_build_seconds
        ),
    }


def make_store(settings: Settings) -> Store:
    """Redis when ``REDIS_URL`` is set, else the in-process store."""
    return RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()


def _glibc() -> ctypes.CDLL | None:
    """The C library, when it is glibc (the only one with ``malloc_trim``)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()


def settle_memory() -> None:
    """After the serving knowledge base changed (loaded in the master, or reloaded): free what the old
    one and the load left behind, and keep the new one out of the cyclic collector's reach.

    The knowledge base is hundreds of thousands of long-lived objects at 100k passages: without the
    freeze every full collection walks them all (a pause of milliseconds in some answer) and, before a
    fork, touches pages the workers would otherwise share. The load's temporary buffers, freed, stay in
    the C heap until ``malloc_trim`` hands them back (about 40 MB at 100k passages).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


@dataclass(frozen=True)
class ReloadOutcome:
    """How one replica's reload went, as it publishes it for ``innov reload``."""

    replica: str
    ok: bool
    old_version: str
    version: str
    problems: Sequence[Problem] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "replica": self.replica,
            "ok": self.ok,
            "old_version": self.old_version,
            "version": self.version,
            "problems": [str(p) for p in self.problems][:20],
            "seconds": round(self.seconds, 3),
        }


def _since(started: float) -> float:
    return time.perf_counter() - started


class Services:
    """Answers, claims, rate limits and reloads for one replica, with state shared through ``store``."""

    heartbeat_seconds = 15.0  # replica record refresh and version-key check
    listen_timeout = 0.25  # how long the listener waits for a message before checking for stop
    reconnect_seconds = 0.5  # pause between attempts to reach Redis again

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
        self._reload_lock = threading.Lock()
        self._caught_up_to: str | None = None  # the last announced version this replica reloaded for
        self._unannounced: str | None = None  # a version reloaded here while Redis was away
        # The fleet's generation of the version served here (None: not known yet), and whether this replica
        # loaded it from its own files (at start, or by a reload here) rather than following the fleet.
        self._generation: int | None = None
        self._built_here = not self.kb.problems
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
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
        if answer is not None:
            if answer.question != question:  # cached for another wording of the same question
                answer = answer.model_copy(update={"question": question})
        else:
            answer = snapshot.answer(question)
            if keep and (keep_declines or answer.answered):
                self.store.set(key, answer.model_dump_json(), self.settings.innov_cache_ttl)
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
            return Answer.model_validate_json(raw)
        except ValidationError:
            logger.warning("ignoring an unreadable cached answer under %s", key)
            return None

    # -- exactly once ----------------------------------------------------------------------------------
    def claim(self, key: str, ttl: int = CLAIM_TTL, *, retry: bool = False) -> bool:
        """Claim ``key`` fleet-wide for ``ttl`` seconds (SET NX EX); True means this caller owns it.

        During a Redis outage the claim is made in-process, so duplicates reaching this replica are
        still caught; a delivery Slack marked as a retry (``retry``) is then not claimed at all.
        """
        return self.store.claim(CLAIM_KEY + key, ttl, retry=retry)

    def claim_event(self, event_id: str, *, retry: bool = False) -> bool:
        """Claim a Slack event id: Slack's retries and the other replicas get False."""
        return self.claim(f"event:{event_id}", retry=retry)

    def claim_message(self, channel: str, ts: str, *, retry: bool = False) -> bool:
        """Claim one message: its ``app_mention`` and ``message`` events produce one reply."""
        return self.claim(f"msg:{channel}:{ts}", retry=retry)

    def claim_thread(self, channel: str, thread_ts: str) -> bool:
        """Claim a thread's one automatic reply."""
        return self.claim(f"thread:{channel}:{thread_ts}", THREAD_CLAIM_TTL)

    # -- rate limits -----------------------------------------------------------------------------------
    def check_rate(self, user_id: str, *, sheddable: bool = False) -> float | None:
        """Take one of ``user_id``'s tokens (``settings.innov_rate_limit`` a minute, shared by the fleet).

        None: allowed. Otherwise the seconds to wait before the next question would be allowed.
        ``sheddable`` (an automatic reply's work) never takes the last half of the tokens, which stay
        for what the user asks innov directly.
        """
        rate = self.settings.innov_rate_limit
        wait = self.store.take_token(
            RATE_KEY + user_id, rate, 60.0, rate * SHEDDABLE_SHARE if sheddable else 0.0
        )
        if wait is not None:
            metrics.RATE_LIMITED.inc()
            logger.debug("rate limit: %s must wait %.1f s", user_id, wait)
        return wait

    def check_channel(self, channel: str, *, sheddable: bool = False) -> float | None:
        """Take one of ``channel``'s tokens (``settings.innov_channel_rate_limit`` public posts a minute,
        shared by the fleet): None, or the seconds to wait. ``sheddable`` as for :meth:`check_rate`."""
        rate = self.settings.innov_channel_rate_limit
        wait = self.store.take_token(
            CHANNEL_RATE_KEY + channel, rate, 60.0, rate * SHEDDABLE_SHARE if sheddable else 0.0
        )
        if wait is not None:
            metrics.RATE_LIMITED.inc()
            logger.debug("channel rate limit: %s must wait %.1f s", channel, wait)
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
        """Reload this replica's knowledge files, then broadcast the new version to the fleet.

        Raises ``KnowledgeLoadError`` (naming file and line) when the files are broken; the old
        knowledge keeps serving and nothing is broadcast.
        """
        who = user_id or "an operator"
        logger.info("knowledge reload requested by %s on %s", who, self.replica_id)
        try:
            report = self._reload_local()
        except KnowledgeLoadError as exc:
            logger.warning("knowledge reload by %s failed; still serving %s:\n%s", who, self.kb.version, exc)
            raise
        reached = self._announce(report.new_version)
        if self._unannounced is not None:
            logger.warning(
                "Redis is unreachable: the reload by %s applies to this replica only, and will be announced "
                "to the fleet when Redis is back",
                who,
            )
        if self._listening.is_set():
            self.store.register_replica(self.replica_id, report.new_version, REPLICA_TTL)
        logger.info(
            "knowledge reloaded by %s: %s -> %s (%d articles, %d facts, %.2f s); broadcast reached %d listener(s)",
            who,
            report.old_version,
            report.new_version,
            report.articles,
            report.facts,
            report.seconds,
            reached,
        )
        return report

    def _announce(self, version: str, *, broadcast: bool = True) -> int:
        """Record ``version`` as the fleet's newest (a reload here reached it; and broadcast it); the number
        of listeners reached.

        If Redis is away the version is kept and announced by the listener once it reconnects.
        """
        record = self.store.advance_version(
            VERSION_KEY, VERSIONS_KEY, version, force=True, known=self._generation or 0, built_here=True
        )
        self._built_here = True
        if record is None:
            self._unannounced = version
            return 0
        self._unannounced = None
        self._generation = record.generation
        if not broadcast:
            return 0
        return self.store.publish(RELOAD_CHANNEL, json.dumps({"version": version, "origin": self.replica_id}))

    def _reload_local(self) -> ReloadReport:
        with self._reload_lock:
            started = time.perf_counter()
            try:
                report = self.kb.reload()
            except KnowledgeLoadError as exc:
                metrics.RELOADS.labels(outcome="error").inc()
                metrics.set_knowledge_problems(len(exc.problems))
                raise
            metrics.RELOADS.labels(outcome="ok").inc()
            metrics.set_knowledge_problems(0)
            metrics.RELOAD_SECONDS.observe(time.perf_counter() - started)
            metrics.set_knowledge_version(report.new_version)
        return report

    def _reload_for_fleet(
        self, announced: str | None, why: str, *, explicit: bool = False, generation: int | None = None
    ) -> ReloadOutcome:
        """Reload because the fleet moved to ``announced`` (None: reload whatever the files say).

        The saved index of ``announced`` is mapped when this replica can see it (the replica that
        announced it built and validated it); otherwise this replica builds from its own files. An
        ``explicit`` reload (a broadcast: ``/innov reload`` elsewhere, ``innov reload``) records the version
        it reached as the fleet's newest; catching up with the version key takes that record's
        ``generation``.
        """
        logger.info(
            "reloading knowledge (%s): serving %s, fleet announced %s", why, self.kb.version, announced
        )
        if announced is not None:
            self._caught_up_to = announced  # files that give another version are not reloaded in a loop
        started = time.perf_counter()
        old = self.kb.version
        try:
            report = self._adopt(announced) if announced is not None else None
            if report is None:
                report = self._reload_local()
        except KnowledgeLoadError as exc:
            logger.error("knowledge reload (%s) failed; still serving %s:\n%s", why, self.kb.version, exc)
            return ReloadOutcome(self.replica_id, False, old, self.kb.version, exc.problems, _since(started))
        if announced is None or (explicit and report.new_version == announced):
            # Every reload records what it reached, so no later look at the version key undoes it.
            self._announce(report.new_version, broadcast=False)
        elif report.new_version == announced:
            self._generation, self._built_here = generation, False
        else:
            self._generation, self._built_here = None, False
            logger.warning(
                "knowledge files here give version %s, not the fleet's %s: are this replica's files current?",
                report.new_version,
                announced,
            )
        logger.info("knowledge reloaded (%s): %s -> %s", why, report.old_version, report.new_version)
        return ReloadOutcome(self.replica_id, True, old, report.new_version, [], _since(started))

    def _adopt(self, version: str) -> ReloadReport | None:
        """Map the saved index of ``version`` if this replica can see one (no files read)."""
        with self._reload_lock:
            report = self.kb.adopt(version)
            if report is not None and report.changed_anything:
                metrics.RELOADS.labels(outcome="ok").inc()
                metrics.RELOAD_SECONDS.observe(report.seconds)
                metrics.set_knowledge_version(report.new_version)
        return report

    def _adopt_last_good(self) -> None:
        with self._reload_lock:
            report = self.kb.adopt_last_good()
        if report is not None and report.changed_anything:
            metrics.set_knowledge_version(report.new_version)
            logger.info(
                "knowledge: mapped the last good index %s (was %s)", report.new_version, report.old_version
            )
            self._announce(report.new_version, broadcast=False)  # a reload on this host made it

    def _on_broadcast(self, message: str) -> None:
        try:
            data = json.loads(message)
            announced, origin, request = data.get("version"), data.get("origin"), data.get("request")
        except (ValueError, AttributeError):
            logger.warning("ignoring a malformed reload broadcast: %.200r", message)
            return
        outcome: ReloadOutcome | None = None
        if origin != self.replica_id and (announced is None or announced != self.kb.version):
            outcome = self._reload_for_fleet(announced, f"broadcast from {origin}", explicit=True)
        self.store.register_replica(self.replica_id, self.kb.version, REPLICA_TTL)
        if isinstance(request, str) and request:
            if outcome is None:
                outcome = ReloadOutcome(self.replica_id, True, self.kb.version, self.kb.version, [], 0.0)
            self.publish_outcome(request, outcome)

    def publish_outcome(self, request: str, outcome: ReloadOutcome) -> None:
        """Tell whoever asked (``innov reload``) how this replica's reload went."""
        self.store.publish(OUTCOME_CHANNEL + request[:64], json.dumps(outcome.to_json()))

    def reload_in_background(
        self, user_id: str | None, done: Callable[[ReloadReport | KnowledgeLoadError], None]
    ) -> threading.Thread:
        """``reload(user_id)`` off the request path; ``done`` gets the report or the load error."""

        def run() -> None:
            try:
                result: ReloadReport | KnowledgeLoadError = self.reload(user_id)
            except KnowledgeLoadError as exc:
                result = exc
            except Exception as exc:  # never lose the admin's answer: say it failed, log the rest
                logger.exception("knowledge reload by %s failed unexpectedly", user_id)
                result = KnowledgeLoadError([Problem(str(self.kb.directory), 0, f"reload failed: {exc}")])
            try:
                done(result)
            except Exception:
                logger.exception("could not report the reload to %s", user_id)

        thread = threading.Thread(target=run, name="innov-reload-request", daemon=True)
        thread.start()
        return thread

    def _catch_up(self) -> None:
        """Compare the fleet's version record with what this replica serves (reloading once per announced
        version), offering its own when it is newer; heartbeat.

        The newest good files win: a version this replica built from its own files that the fleet never
        recorded (files edited since the last reload, then a restart) becomes the fleet's newest; so does
        the version it serves when the record fell behind it (Redis lost its data). Otherwise it follows
        the record, and only forward: a record of a generation no newer than its own is not followed.
        """
        if self._unannounced is not None and self._unannounced == self.kb.version:
            self._announce(self._unannounced)  # reloaded here while Redis was away
        if isinstance(self.store, MemoryStore):
            # No Redis: the other workers on this host reach this one through the saved index instead.
            self._adopt_last_good()
        fleet = self.store.advance_version(
            VERSION_KEY,
            VERSIONS_KEY,
            self.kb.version,
            force=False,
            known=self._generation or 0,
            built_here=self._built_here,
        )
        if fleet is not None and fleet.version == self.kb.version:
            self._generation = fleet.generation
        elif (
            fleet is not None
            and (self._generation is None or fleet.generation > self._generation)
            and fleet.version != self._caught_up_to
        ):
            if self._built_here and self._generation is None:  # started over files the fleet moved past
                logger.warning(
                    "the knowledge files here give %s, a version the fleet has since replaced with %s "
                    "(generation %d): serving the fleet's; `innov reload` makes these files the fleet's",
                    self.kb.version,
                    fleet.version,
                    fleet.generation,
                )
            self._reload_for_fleet(
                fleet.version, "catching up with the version key", generation=fleet.generation
            )
        self.store.register_replica(self.replica_id, self.kb.version, REPLICA_TTL)

    # -- listener --------------------------------------------------------------------------------------
    def start(self, wait: float = 1.0) -> None:
        """Start the reload listener thread (idempotent); wait up to ``wait`` s for it to be listening."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._listen, name=f"innov-reload-{self.replica_id}", daemon=True
        )
        self._thread.start()
        self._listening.wait(wait)

    def _listen(self) -> None:
        subscription: Subscription | None = None
        next_beat = 0.0
        while not self._stop.is_set():
            try:
                if subscription is None:
                    subscription = self.store.subscribe(RELOAD_CHANNEL)
                    self._caught_up_to = None  # after a gap, give the version key a fresh look
                    self._catch_up()
                    self._listening.set()
                    next_beat = time.monotonic() + self.heartbeat_seconds
                message = subscription.get_message(timeout=self.listen_timeout)
                if message is not None:
                    self._on_broadcast(message)
                if time.monotonic() >= next_beat:
                    self._catch_up()
                    next_beat = time.monotonic() + self.heartbeat_seconds
            except StoreUnavailable:
                # Already logged by the store, once per outage.
                self._listening.clear()
                if subscription is not None:
                    subscription.close()
                    subscription = None
                self._stop.wait(self.reconnect_seconds)
            except Exception:
                logger.exception("reload listener error; carrying on")
                self._stop.wait(self.reconnect_seconds)
        if subscription is not None:
            subscription.close()
        self._listening.clear()

    def close(self) -> None:
        """Stop the listener, drop this replica's record, and close the store if this object opened it."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2.0)
            self.store.unregister_replica(self.replica_id)
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


def broadcast_reload(
    settings: Settings,
    store: Store | None = None,
    *,
    version: str | None = None,
    timeout: float = 60.0,
) -> tuple[int, list[dict[str, Any]]]:
    """Ask every running replica to reload (``innov reload``) and wait for each one's outcome.

    ``version`` is what the caller validated (replicas that can see its saved index map it). Returns
    the number of replicas the broadcast reached and the outcomes that came back within ``timeout``
    (one dict per replica, see ``ReloadOutcome.to_json``). Returns ``(0, [])`` when ``REDIS_URL`` is
    unset; raises ``StoreUnavailable`` when Redis is configured but unreachable.
    """
    owns = store is None
    if store is None:
        if not settings.redis_url:
            logger.warning("REDIS_URL is not set: there is no fleet to broadcast a reload to")
            return 0, []
        store = RedisStore(settings.redis_url)
    try:
        if isinstance(store, RedisStore) and not store.ping():
            raise StoreUnavailable(f"Redis at {store.where} is unreachable; no reload was broadcast")
        request = uuid.uuid4().hex
        # Listen for the answers before asking, so a fast replica's outcome is not missed.
        answers = store.subscribe(OUTCOME_CHANNEL + request)
        try:
            message = {"version": version, "origin": "cli", "request": request}
            reached = store.publish(RELOAD_CHANNEL, json.dumps(message))
            logger.info(
                "reload broadcast by %s from the CLI reached %d replica(s)",
                os.environ.get("USER", "?"),
                reached,
            )
            outcomes: dict[str, dict[str, Any]] = {}
            deadline = time.monotonic() + timeout
            while len(outcomes) < reached and (left := deadline - time.monotonic()) > 0:
                raw = answers.get_message(timeout=min(left, 0.5))
                if raw is None:
                    continue
                try:
                    outcome = json.loads(raw)
                    outcomes[str(outcome["replica"])] = outcome
                except (ValueError, KeyError, TypeError):
                    logger.warning("ignoring a malformed reload outcome: %.200r", raw)
        finally:
            answers.close()
        return reached, list(outcomes.values())
    finally:
        if owns:
            store.close()
