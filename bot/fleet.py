"""Reload across a fleet (one mechanism, STYLE §9): one replica's part in what the fleet serves.

``Fleet.reload()`` builds the new knowledge base aside (in a child process with limits, when the
knowledge base is ``isolated``), which saves its index under the content hash, swaps it in, records the
new version as the fleet's newest in the ``kb:version`` record (content hash and generation,
``bot.store.FleetVersion``) and publishes it on the ``kb:reload`` channel. Each replica's listener thread
(``start()``) then maps the saved index of that version when it can see it (same host or shared
``INNOV_INDEX_DIR``), else builds from its own files; one that reaches the version a shell ``innov reload``
asked for records it too. A broadcast is not stored, so on (re)connecting, and every
``heartbeat_seconds``, the listener also compares the record with its own version (``catch_up``): it
follows a newer generation, never an older one, and a version it built from its own files that the fleet
never recorded becomes the fleet's newest. A broadcast carrying a ``request`` id (``innov reload``) gets
each replica's outcome published on ``kb:reload:outcome:<request>``; :func:`broadcast_reload` is that
shell side.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import metrics
from bot.memory_store import MemoryStore
from bot.redis_store import RedisStore
from bot.settings import Settings
from bot.store import FleetVersion, Store, StoreUnavailable, Subscription
from knowledge import KnowledgeBase, KnowledgeLoadError, Problem, ReloadReport
from knowledge.files import is_version

# Logged under the services' name, as before this module was split from bot.services.
logger = logging.getLogger("bot.services")

# Store keys (under the store's prefix, ``innov:`` by default) and how long they live.
VERSION_KEY = "kb:version"  # what the fleet serves: {"version": <content hash>, "generation": n}; no expiry
VERSIONS_KEY = "kb:versions"  # every version the fleet moved to -> its generation (sorted set, 1,000 newest)
RELOAD_CHANNEL = "kb:reload"  # pub/sub: {"version": str | null, "origin": replica id | "cli", "request"?}
OUTCOME_CHANNEL = "kb:reload:outcome:"  # pub/sub per request id: {"replica", "ok", "version", "problems"}
REPLICA_TTL = 60  # a replica's record outlives three missed heartbeats
RELOAD_STOP_SECONDS = 30.0  # stopping waits this long for a reload in progress (a build at 10k takes minutes)


def fleet_version(store: Store) -> FleetVersion | None:
    """What the fleet's version record says to serve (None: nothing recorded, or the store is away)."""
    return FleetVersion.parse(store.get(VERSION_KEY))


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


class Fleet:
    """One replica's knowledge version within the fleet: its reloads recorded and broadcast, the others'
    followed by a listener thread, through ``store``."""

    heartbeat_seconds = 15.0  # replica record refresh and version-key check
    listen_timeout = 0.25  # how long the listener waits for a message before checking for stop
    reconnect_seconds = 0.5  # pause between attempts to reach Redis again

    def __init__(self, kb: KnowledgeBase, store: Store, replica_id: str) -> None:
        self.kb = kb
        self.store = store
        self.replica_id = replica_id
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
        self._reloads: set[threading.Thread] = set()  # reloads running off the request path

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
            report = dataclasses.replace(
                report,
                notice="Redis is unreachable: this replica reloaded, and the others will follow once it is back "
                "(until then they may answer from the old version).",
            )
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
            metrics.set_knowledge_problems(len(self.kb.problems))  # (cleared if these files gave it)
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
            if not all(value is None or isinstance(value, str) for value in (announced, origin, request)):
                raise ValueError("a field that is not a string")
            if announced is not None and not is_version(announced):
                raise ValueError("not a knowledge version")  # (one names a saved index's directory)
        except (ValueError, AttributeError):
            logger.warning("ignoring a malformed reload broadcast: %.200r", message)
            return
        outcome: ReloadOutcome | None = None
        if origin != self.replica_id and (announced is None or announced != self.kb.version):
            outcome = self._reload_for_fleet(announced, f"broadcast from {origin}", explicit=True)
        elif origin != self.replica_id and announced is not None:
            # The version served already: its files, broken here since, may be mended (`innov reload` after
            # putting the old file back): adopting it clears the problems when they loaded as it again.
            self._adopt(announced)
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
            finally:
                self._reloads.discard(threading.current_thread())

        thread = threading.Thread(target=run, name="innov-reload-request", daemon=True)
        self._reloads.add(thread)
        thread.start()
        return thread

    def catch_up(self) -> None:
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
                    self.catch_up()
                    self._listening.set()
                    next_beat = time.monotonic() + self.heartbeat_seconds
                message = subscription.get_message(timeout=self.listen_timeout)
                if message is not None:
                    self._on_broadcast(message)
                if time.monotonic() >= next_beat:
                    self.catch_up()
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

    def stop(self) -> None:
        """Finish the reloads in progress (``RELOAD_STOP_SECONDS`` at most), stop the listener and drop this
        replica's record (if the listener ran). A reload left running wrote the fleet's version record
        after the store's owner had moved on."""
        for reload in list(self._reloads):
            reload.join(timeout=RELOAD_STOP_SECONDS)
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=2.0)
            self.store.unregister_replica(self.replica_id)


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
