"""Shared state behind one small protocol: Redis for a fleet, an in-process store for one process.

``Services`` talks to a ``Store``; it never sees redis-py. This module is the protocol and the values that
cross it; the two stores are ``bot.redis_store.RedisStore`` (with the scripts Redis runs,
``bot.redis_scripts``) and ``bot.memory_store.MemoryStore``. Keys are given without a prefix and the store
namespaces them (``innov:`` by default), so one Redis can be shared with other applications.

``RedisStore`` never lets a Redis problem reach a request: while Redis is away, values (cached
answers, a thread's last question), claims, rate limits and ledgers are kept in an in-process
``MemoryStore`` instead, so this replica carries on alone (``set`` still reports False, so callers
that must reach the fleet know they did not). Every call
is bounded by short socket timeouts, and after a failure Redis is left alone for ``retry_after``
seconds so requests during an outage do not each wait on it. The outage is logged once when it
starts and once when it ends. Only ``subscribe`` (used by the reload listener, not by requests)
raises, with ``StoreUnavailable``, so the listener knows to reconnect.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Tally:
    """How one ledger member counts towards a ranking, so the top of it is read without the whole ledger.

    Members add up under their ``item`` within a ``scope`` (a vote under its answer's id, within the
    answer's knowledge version; a declined question is its own item). Rewriting a member replaces its
    part; dropping it (retention, cap) takes its part out.
    """

    scope: str
    item: str
    counts: Mapping[str, int]
    """This member's part of its item's counters; written with ``count``, its count is counter "count"."""
    rank: str
    """The counter whose total orders the items (items whose total is 0 or less are not ranked)."""
    note: str | None = None
    """A note shown with the item: the newest note whose member still stands."""

    def to_json(self) -> str:
        data: dict[str, Any] = {"s": self.scope, "i": self.item, "c": dict(self.counts), "r": self.rank}
        if self.note:
            data["note"] = self.note
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Ranked:
    """One item at the top of a ledger's ranking (``Store.ledger_top``)."""

    item: str
    counts: dict[str, int]
    """Its counters' totals."""
    value: str
    """The value its latest member was written with."""
    at: float
    """When that was (wall-clock seconds)."""
    note: str | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One member of a ledger: its latest value, how often it was counted, and when it was last written."""

    member: str
    value: str
    count: int
    at: float
    """Wall-clock seconds (``time.time()``) of the member's last write."""


@dataclass(frozen=True, slots=True)
class FleetVersion:
    """What the fleet's version record says to serve: a knowledge version (content hash) and its generation,
    a number that grows each time the fleet moves to a version, so "newer" means a higher generation."""

    version: str
    generation: int

    def to_json(self) -> str:
        return json.dumps({"version": self.version, "generation": self.generation})

    @classmethod
    def parse(cls, raw: str | None) -> FleetVersion | None:
        """The record stored as JSON; a bare version (written by an older innov) is generation 0."""
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("version"), str):
            generation = data.get("generation")
            return cls(data["version"], generation if isinstance(generation, int) else 0)
        return cls(raw, 0)


def next_fleet_version(
    current: FleetVersion | None,
    recorded: int | None,
    newest: int,
    version: str,
    *,
    force: bool,
    known: int,
    built_here: bool,
) -> FleetVersion | None:
    """The fleet's new version record when ``version`` should take it, else None (``Store.advance_version``).

    ``current`` is the record, ``recorded`` the generation the fleet once gave ``version`` (None: never),
    ``newest`` the highest generation ever recorded. ``bot.redis_scripts.VERSION_LUA`` is the same rule inside Redis.
    """
    if current is not None and current.version == version:
        return None
    generation = current.generation if current is not None else 0
    takes = (
        force
        or current is None
        or (built_here and recorded is None)  # files edited since the last reload: a newer build
        or known > generation  # the record went back (Redis lost its data): what we knew was newer
    )
    if not takes:
        return None
    return FleetVersion(version, max(generation, newest, known) + 1)


VERSION_HISTORY = 1000
"""How many versions the fleet remembers the generation of (``kb:versions``)."""


class StoreUnavailable(Exception):
    """The shared store cannot be reached; raised only by ``subscribe`` and its subscription."""


class Subscription(Protocol):
    """Messages published on one channel, read by a single listener thread."""

    def get_message(self, timeout: float) -> str | None:
        """The next message, or None after ``timeout`` seconds; ``StoreUnavailable`` if the link is lost."""
        ...

    def close(self) -> None:
        """Stop listening and release the connection."""
        ...


class Store(Protocol):
    """What innov keeps outside the process: answers, claims, rate-limit buckets, versions, broadcasts."""

    def get(self, key: str) -> str | None:
        """The value under ``key``, or None when it is missing or expired (or the store is down)."""
        ...

    def set(self, key: str, value: str, ttl: int | None = None, *, nx: bool = False) -> bool:
        """Store ``value`` (expiring after ``ttl`` s; only if absent with ``nx``); True when stored."""
        ...

    def add(self, key: str, ttl: int) -> bool:
        """Record ``key`` for ``ttl`` s if it is absent (SET NX EX, with the request path's short timeouts,
        unlike :meth:`claim`); True when it was absent. While a shared store is down, this process's own
        record decides."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        ...

    def claim(self, key: str, ttl: int) -> bool:
        """Claim ``key`` for ``ttl`` seconds (SET NX EX); True for exactly one caller while the shared store
        answers. While it cannot say, this process's own record decides (at least once: a duplicate reached
        by another replica is answered there too)."""
        ...

    def take_token(self, key: str, rate: int, per: float = 60.0, reserve: float = 0.0) -> float | None:
        """Take a token from the bucket ``key`` (``rate`` per ``per`` s); None, or seconds to wait.

        ``reserve``: take one only while more than this many would be left (else wait for them)."""
        ...

    def advance_version(
        self, key: str, history: str, version: str, *, force: bool, known: int = 0, built_here: bool = False
    ) -> FleetVersion | None:
        """Move the fleet's version record ``key`` to ``version`` if it should (``next_fleet_version``),
        atomically, keeping each version's generation in ``history``; the record afterwards, or None when
        the store cannot be reached.

        ``force``: an explicit reload reached ``version``. ``known``: the generation the caller had for it
        (0: none). ``built_here``: the caller loaded it from its own files (not from the record).
        """
        ...

    def publish(self, channel: str, message: str) -> int:
        """Send ``message`` to the channel's subscribers; the number that received it."""
        ...

    def subscribe(self, channel: str) -> Subscription:
        """Listen on ``channel``; raises ``StoreUnavailable`` when the store cannot be reached."""
        ...

    def register_replica(self, replica_id: str, version: str, ttl: int) -> None:
        """Record that ``replica_id`` serves ``version``; the record expires after ``ttl`` s."""
        ...

    def unregister_replica(self, replica_id: str) -> None:
        """Forget a replica that is shutting down."""
        ...

    def replicas(self) -> dict[str, str]:
        """Live replica ids and the knowledge version each serves."""
        ...

    def ping(self) -> bool:
        """True when the store answers now."""
        ...

    # -- ledgers: feedback and declined questions (bot.feedback) ---------------------------------------
    def ledger_put(
        self,
        name: str,
        member: str,
        value: str,
        at: float,
        *,
        retention: int,
        cap: int,
        count: bool = False,
        tally: Tally | None = None,
    ) -> int:
        """Write ``value`` for ``member`` of ledger ``name`` at wall time ``at``; ``count`` adds one to the
        member's count. Members older than ``retention`` s, then the oldest beyond ``cap``, are dropped.
        ``tally``: how the member counts towards its scope's ranking (``ledger_top``); without one, any
        earlier part of the member is taken out. Returns the member's count (1 for a member never counted)."""
        ...

    def ledger_read(self, name: str, since: float, limit: int) -> list[LedgerEntry]:
        """Up to ``limit`` members written at or after wall time ``since``, newest first."""
        ...

    def ledger_top(self, name: str, scope: str, limit: int) -> list[Ranked]:
        """The ``limit`` items of ``scope`` with the highest totals of their rank counter (the most recent
        first among equal totals), read from the ranking alone, whatever the ledger's size."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
