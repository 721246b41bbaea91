"""The in-process store: the whole state of one process without ``REDIS_URL``, and ``RedisStore``'s
fallback while Redis is away. The same contract as Redis (``bot.store.Store``), ledgers included.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.store import (
    VERSION_HISTORY,
    FleetVersion,
    LedgerEntry,
    Ranked,
    Subscription,
    Tally,
    next_fleet_version,
)


@dataclass
class _Item:
    """One ranked item of the in-process store (the JSON record of LEDGER_PUT_LUA)."""

    rank: str
    members: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    value: str = ""
    at: float = 0.0
    note: str | None = None
    note_member: str | None = None


class _MemorySubscription:
    def __init__(self, store: MemoryStore, channel: str) -> None:
        self._store = store
        self.channel = channel
        self.messages: queue.SimpleQueue[str] = queue.SimpleQueue()

    def get_message(self, timeout: float) -> str | None:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self._store._unsubscribe(self)


class MemoryStore:
    """The in-process store: thread-safe, TTLs honoured, bounded in size. Used without ``REDIS_URL``
    and as ``RedisStore``'s fallback during outages."""

    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._data: dict[str, tuple[str, float | None]] = {}  # key -> (value, expiry on the clock)
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last update)
        self._subscribers: dict[str, list[_MemorySubscription]] = {}
        self._replicas: dict[str, tuple[str, float]] = {}  # replica id -> (version, expiry)
        self._ledgers: dict[str, dict[str, tuple[str, int, float]]] = {}  # name -> member -> (value, n, at)
        self._parts: dict[str, dict[str, Tally]] = {}  # ledger -> member -> its tally (count filled in)
        self._ranked: dict[tuple[str, str], dict[str, _Item]] = {}  # (ledger, scope) -> item -> record
        self._versions: dict[str, dict[str, int]] = {}  # version history -> version -> generation
        # Claims ("already answered" records) live apart from cached values: trimmed only when they
        # expire, never evicted by cache pressure, or Slack's retry of an old event would be answered again.
        self._claims: dict[str, float] = {}  # key -> expiry on the clock
        self._claims_sweep_at = 1024  # sweep expired claims when the map grows past this

    # -- keys (callers hold the lock) --------------------------------------------------------------
    def _live(self, key: str, now: float) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= now:
            del self._data[key]
            return None
        return value

    def _put(self, key: str, value: str, ttl: float | None, now: float) -> None:
        self._data.pop(key, None)  # re-inserted last: dict order is then oldest-written first
        self._data[key] = (value, None if ttl is None else now + ttl)
        if len(self._data) > self.max_entries:
            self._shrink(now)

    def _shrink(self, now: float) -> None:
        for key in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[key]
        # Still too big: drop the oldest writes (cached answers are cheap to recompute).
        excess = len(self._data) - self.max_entries * 9 // 10
        for key in list(self._data)[: max(excess, 0)]:
            del self._data[key]

    # -- Store ---------------------------------------------------------------------------------------
    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key, self._clock())

    def set(self, key: str, value: str, ttl: int | None = None, *, nx: bool = False) -> bool:
        with self._lock:
            now = self._clock()
            if nx and self._live(key, now) is not None:
                return False
            self._put(key, value, ttl, now)
            return True

    def add(self, key: str, ttl: int) -> bool:
        return self.set(key, "1", ttl, nx=True)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)
            self._claims.pop(key, None)

    def claim(self, key: str, ttl: int) -> bool:
        with self._lock:
            now = self._clock()
            expires = self._claims.get(key)
            if expires is not None and expires > now:
                return False
            self._claims[key] = now + ttl
            if len(self._claims) > self._claims_sweep_at:
                self._claims = {k: exp for k, exp in self._claims.items() if exp > now}
                # Amortised: the next sweep waits until the live set has doubled.
                self._claims_sweep_at = max(1024, 2 * len(self._claims))
            return True

    def entries(self) -> int:
        """How many values are held (expired ones not yet dropped included)."""
        with self._lock:
            return len(self._data)

    def claims(self) -> int:
        """How many claims are held (expired ones not yet swept included)."""
        with self._lock:
            return len(self._claims)

    def take_token(self, key: str, rate: int, per: float = 60.0, reserve: float = 0.0) -> float | None:
        per_second = rate / per
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get(key, (float(rate), now))
            tokens = min(float(rate), tokens + max(0.0, now - updated) * per_second)
            wait = None
            if tokens >= 1 + reserve:
                tokens -= 1
            else:
                wait = (1 + reserve - tokens) / per_second
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self.max_entries:
                # A bucket idle for ``per`` seconds is full again, the same as no bucket at all.
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < per}
            return wait

    def advance_version(
        self, key: str, history: str, version: str, *, force: bool, known: int = 0, built_here: bool = False
    ) -> FleetVersion | None:
        with self._lock:
            current = FleetVersion.parse(self._live(key, self._clock()))
            seen = self._versions.setdefault(history, {})
            record = next_fleet_version(
                current,
                seen.get(version),
                max(seen.values(), default=0),
                version,
                force=force,
                known=known,
                built_here=built_here,
            )
            if record is None:
                return current
            self._put(key, record.to_json(), None, self._clock())
            seen[version] = record.generation
            for old in sorted(seen, key=seen.__getitem__)[: max(len(seen) - VERSION_HISTORY, 0)]:
                del seen[old]
            return record

    def publish(self, channel: str, message: str) -> int:
        with self._lock:
            subscribers = list(self._subscribers.get(channel, ()))
        for subscription in subscribers:
            subscription.messages.put(message)
        return len(subscribers)

    def subscribe(self, channel: str) -> Subscription:
        subscription = _MemorySubscription(self, channel)
        with self._lock:
            self._subscribers.setdefault(channel, []).append(subscription)
        return subscription

    def _unsubscribe(self, subscription: _MemorySubscription) -> None:
        with self._lock:
            listeners = self._subscribers.get(subscription.channel, [])
            if subscription in listeners:
                listeners.remove(subscription)

    def register_replica(self, replica_id: str, version: str, ttl: int) -> None:
        with self._lock:
            self._replicas[replica_id] = (version, self._clock() + ttl)

    def unregister_replica(self, replica_id: str) -> None:
        with self._lock:
            self._replicas.pop(replica_id, None)

    def replicas(self) -> dict[str, str]:
        with self._lock:
            now = self._clock()
            self._replicas = {k: v for k, v in self._replicas.items() if v[1] > now}
            return {k: version for k, (version, _) in self._replicas.items()}

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()

    # -- ledgers (the same rules as LEDGER_PUT_LUA) ---------------------------------------------------
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
        with self._lock:
            ledger = self._ledgers.setdefault(name, {})
            self._untally(name, member)
            _, n, _ = ledger.pop(member, ("", 0, 0.0))  # re-inserted last: dict order is write order
            n = n + 1 if count else max(n, 1)
            ledger[member] = (value, n, at)
            if tally is not None:
                if count:
                    tally = replace(tally, counts={**tally.counts, "count": n})
                self._tally(name, member, tally, value, at)
            gone = [m for m, (_, _, t) in ledger.items() if t < at - retention]
            if len(ledger) - len(gone) > cap:
                gone = list(ledger)[: len(ledger) - cap]
            for old in gone:
                self._untally(name, old)
                del ledger[old]
            return n

    def _untally(self, name: str, member: str) -> None:
        part = self._parts.get(name, {}).pop(member, None)
        if part is None:
            return
        items = self._ranked.get((name, part.scope), {})
        item = items.get(part.item)
        if item is None:
            return
        item.members -= 1
        if item.members <= 0:
            del items[part.item]
            return
        for counter, n in part.counts.items():
            item.counts[counter] = item.counts.get(counter, 0) - n
        if item.note_member == member:
            item.note, item.note_member = None, None

    def _tally(self, name: str, member: str, part: Tally, value: str, at: float) -> None:
        item = self._ranked.setdefault((name, part.scope), {}).setdefault(part.item, _Item(part.rank))
        item.members += 1
        for counter, n in part.counts.items():
            item.counts[counter] = item.counts.get(counter, 0) + n
        item.value, item.at, item.rank = value, at, part.rank
        if part.note:
            item.note, item.note_member = part.note, member
        self._parts.setdefault(name, {})[member] = part

    def ledger_read(self, name: str, since: float, limit: int) -> list[LedgerEntry]:
        with self._lock:
            items = list((self._ledgers.get(name) or {}).items())
        found = [LedgerEntry(m, v, n, t) for m, (v, n, t) in items if t >= since]
        found.sort(key=lambda e: e.at, reverse=True)
        return found[:limit]

    def ledger_top(self, name: str, scope: str, limit: int) -> list[Ranked]:
        with self._lock:
            found = [
                (record.counts.get(record.rank, 0), record.at, item, record)
                for item, record in (self._ranked.get((name, scope)) or {}).items()
            ]
            ranked = [
                Ranked(item, dict(record.counts), record.value, record.at, record.note)
                for total, _, item, record in sorted(found, key=lambda f: (f[0], f[1]), reverse=True)
                if total > 0
            ]
        return ranked[:limit]
