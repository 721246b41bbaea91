"""Shared state behind one small protocol: Redis for a fleet, an in-process store for one process.

``Services`` talks to a ``Store``; it never sees redis-py. Keys are given without a prefix and the
store namespaces them (``innov:`` by default), so one Redis can be shared with other applications.

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
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_PREFIX = "innov:"
REPLICAS_KEY = "replicas"
REPLICA_KEY = "replica:"

# Token bucket, atomic because Redis runs a script alone. Redis's own clock is used so replicas with
# drifting clocks share one bucket fairly. A take with a reserve (ARGV[3]) only succeeds while more than
# that many tokens are left: work that may be shed (automatic replies) never spends the last ones. The wait is returned as a string: Lua numbers would be
# truncated to integers on the way out. An idle bucket refills completely within ``per`` seconds,
# after which it is indistinguishable from a missing one, so it expires then.
TOKEN_BUCKET_LUA = """
local capacity = tonumber(ARGV[1])
local per_second = capacity / tonumber(ARGV[2])
local reserve = tonumber(ARGV[3] or '0')
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_second)
local wait = 0
if tokens >= 1 + reserve then
  tokens = tokens - 1
else
  wait = (1 + reserve - tokens) / per_second
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
return tostring(wait)
"""


# Ledger (feedback, declined questions): four keys per ledger, written together by one script so a
# reader never sees a member's time without its value. <name>:at is a sorted set (member -> wall-clock
# time of its last write), <name>:val and <name>:n hashes (member -> value, member -> count). Members
# older than the retention are dropped, then the oldest beyond the cap; every key expires with the
# retention, so an idle ledger disappears by itself.
#
# Rankings (what /innov stats and the Home tab show) are kept beside, so that reading the top of one
# never reads the whole ledger. A member written with a tally (ARGV[7], JSON {s: scope, i: item, c:
# {counter: n}, r: rank counter, note?}) adds its counts to its item's record in <name>:items:<scope>
# (item -> JSON {v: latest value, at, m: members, c: {counter: total}, note, nm: the note's member}), and
# the item's total of its rank counter (plus at / 1e10, so the most recent of equal totals comes first)
# is its score in the sorted set <name>:rank:<scope> (only items whose total is above 0). <name>:t keeps
# each member's tally, so rewriting, replacing or dropping a member first takes its counts back out. In
# count mode the member's count is its counter "count". (The scoped keys are named from ARGV[8], the
# ledger's key prefix, because a member's earlier scope is only known once its tally is read: this
# needs a single Redis, as innov uses, not Redis Cluster.)
LEDGER_PUT_LUA = """
local member, at = ARGV[1], tonumber(ARGV[3])
local retention, cap = tonumber(ARGV[4]), tonumber(ARGV[5])
local scoped = ARGV[8]

local function rescore(scope, item, it, rank)
  local total = it.c[rank] or 0
  if total > 0 then
    redis.call('ZADD', scoped .. 'rank:' .. scope, total + it.at / 1e10, item)
  else
    redis.call('ZREM', scoped .. 'rank:' .. scope, item)
  end
end

local function untally(m)
  local raw = redis.call('HGET', KEYS[4], m)
  if not raw then return end
  redis.call('HDEL', KEYS[4], m)
  local part = cjson.decode(raw)
  local items = scoped .. 'items:' .. part.s
  local found = redis.call('HGET', items, part.i)
  if not found then return end
  local it = cjson.decode(found)
  it.m = it.m - 1
  if it.m <= 0 then
    redis.call('HDEL', items, part.i)
    redis.call('ZREM', scoped .. 'rank:' .. part.s, part.i)
    return
  end
  for name, n in pairs(part.c) do it.c[name] = (it.c[name] or 0) - n end
  if it.nm == m then
    it.note = nil
    it.nm = nil
  end
  redis.call('HSET', items, part.i, cjson.encode(it))
  rescore(part.s, part.i, it, part.r)
end

local function tally(m, part, value)
  local items = scoped .. 'items:' .. part.s
  local found = redis.call('HGET', items, part.i)
  local it = found and cjson.decode(found) or {m = 0, c = {}}
  it.m = it.m + 1
  for name, n in pairs(part.c) do it.c[name] = (it.c[name] or 0) + n end
  it.v = value
  it.at = at
  if part.note then
    it.note = part.note
    it.nm = m
  end
  redis.call('HSET', items, part.i, cjson.encode(it))
  rescore(part.s, part.i, it, part.r)
  redis.call('HSET', KEYS[4], m, cjson.encode(part))
  redis.call('EXPIRE', items, retention)
  redis.call('EXPIRE', scoped .. 'rank:' .. part.s, retention)
end

untally(member)
redis.call('ZADD', KEYS[1], at, member)
redis.call('HSET', KEYS[2], member, ARGV[2])
local n
if ARGV[6] == '1' then
  n = redis.call('HINCRBY', KEYS[3], member, 1)
else
  redis.call('HSETNX', KEYS[3], member, 1)
  n = tonumber(redis.call('HGET', KEYS[3], member))
end
if ARGV[7] ~= '' then
  local part = cjson.decode(ARGV[7])
  if ARGV[6] == '1' then part.c['count'] = n end
  tally(member, part, ARGV[2])
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. tostring(at - retention))
local size = redis.call('ZCARD', KEYS[1]) - #gone
if size > cap then
  local over = redis.call('ZRANGE', KEYS[1], 0, size - cap - 1 + #gone)
  gone = over
end
for _, old in ipairs(gone) do
  untally(old)
  redis.call('ZREM', KEYS[1], old)
  redis.call('HDEL', KEYS[2], old)
  redis.call('HDEL', KEYS[3], old)
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], retention) end
return n
"""


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
    ``newest`` the highest generation ever recorded. ``VERSION_LUA`` is the same rule inside Redis.
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


# ``next_fleet_version`` in Redis, atomic: KEYS[1] the record (JSON), KEYS[2] the history (sorted set:
# version -> the generation it was recorded at). ARGV: version, force, known, built here, history cap.
VERSION_LUA = """
local raw = redis.call('GET', KEYS[1])
local current, generation = false, 0
if raw then
  local ok, record = pcall(cjson.decode, raw)
  if ok and type(record) == 'table' and type(record.version) == 'string' then
    current = record.version
    generation = tonumber(record.generation) or 0
  else
    current = raw
  end
end
local version, known = ARGV[1], tonumber(ARGV[3])
if current == version then
  return {current, tostring(generation)}
end
local takes = ARGV[2] == '1' or not current or known > generation
if not takes and ARGV[4] == '1' then
  takes = not redis.call('ZSCORE', KEYS[2], version)
end
if not takes then
  return {current, tostring(generation)}
end
local top = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local newest = tonumber(top[2]) or 0
generation = math.max(generation, newest, known) + 1
redis.call('SET', KEYS[1], cjson.encode({version = version, generation = generation}))
redis.call('ZADD', KEYS[2], generation, version)
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -1 - tonumber(ARGV[5]))
return {version, tostring(generation)}
"""

VERSION_HISTORY = 1000
"""How many versions the fleet remembers the generation of (``kb:versions``)."""


# A claim that can be retried safely: the first attempt may have been applied by Redis after our read
# timed out, so a retry that finds our own token there has still won. Returns 1 when ``token`` owns the key.
CLAIM_LUA = """
local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
if owner == ARGV[1] then
  return 1
end
return 0
"""

CLAIM_WINDOW = 5.0
"""Seconds a claim waits for Redis's answer (claims run after the ack, so they can wait). An answer within
it is exact: the owner hears it owns the claim (a late-applied attempt carries its token), the others hear
they do not, so each message gets one reply. Without an answer the outcome is unknown (``RedisStore.claim``).
"""
CLAIM_CONNECT_TIMEOUT = 1.0
"""Seconds a claim waits to connect: a Redis that is not there is not waited for."""


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

    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""
        ...

    def claim(self, key: str, ttl: int, *, retry: bool = False) -> bool:
        """Claim ``key`` for ``ttl`` seconds (SET NX EX); True for exactly one caller.

        ``retry``: the delivery is Slack's retry of one already sent, so when the shared store cannot
        have recorded anyone's claim, it is not claimed (the first delivery was answered).
        """
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

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)
            self._claims.pop(key, None)

    def claim(self, key: str, ttl: int, *, retry: bool = False) -> bool:
        # ``retry`` changes nothing here: this map is the whole truth for one process.
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


class _Health:
    """Whether Redis is believed reachable; logs each outage once, when it starts and when it ends."""

    def __init__(self, where: str, retry_after: float, *, quiet: bool = False) -> None:
        self.quiet = quiet  # a second view of the same Redis (claims) leaves the logging to the first
        self.where = where
        self.retry_after = retry_after
        self.up = True
        self._retry_at = 0.0
        self._down_since = 0.0
        self._lock = threading.Lock()

    def worth_trying(self) -> bool:
        """Up, or down long enough that one more attempt may find it back."""
        return self.up or time.monotonic() >= self._retry_at

    def failed(self, operation: str, error: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            self._retry_at = now + self.retry_after
            if not self.up:
                return
            self.up = False
            self._down_since = now
        if self.quiet:
            return
        logger.warning(
            "Redis at %s unreachable (%s: %s: %s); serving uncached, with in-process claims and rate "
            "limits, until it is back",
            self.where,
            operation,
            type(error).__name__,
            error,
        )

    def succeeded(self) -> None:
        if self.up:
            return
        with self._lock:
            if self.up:
                return
            self.up = True
            seconds = time.monotonic() - self._down_since
        if self.quiet:
            return
        logger.warning("Redis at %s reachable again after %.1f s", self.where, seconds)


class _RedisSubscription:
    def __init__(self, client: redis.Redis, channel: str, health: _Health, confirm_timeout: float) -> None:
        self._health = health
        self._pubsub = client.pubsub()
        try:
            self._pubsub.subscribe(channel)
            # Wait for Redis to confirm, so that anything the caller reads next (the version key)
            # was written no earlier than the moment it started hearing broadcasts.
            deadline = time.monotonic() + confirm_timeout
            while True:
                reply = self._pubsub.get_message(timeout=max(deadline - time.monotonic(), 0.0))
                if reply is not None and reply["type"] == "subscribe":
                    break
                if time.monotonic() >= deadline:
                    raise StoreUnavailable(f"Redis at {health.where} did not confirm the subscription")
        except RedisError as exc:
            self._pubsub.close()
            health.failed("SUBSCRIBE", exc)
            raise StoreUnavailable(str(exc)) from exc
        except StoreUnavailable:
            self._pubsub.close()
            raise
        health.succeeded()

    def get_message(self, timeout: float) -> str | None:
        try:
            reply = self._pubsub.get_message(timeout=timeout)
        except RedisError as exc:
            self._health.failed("pub/sub", exc)
            raise StoreUnavailable(str(exc)) from exc
        if reply is None or reply["type"] != "message":
            return None
        data = reply["data"]
        return data if isinstance(data, str) else str(data)

    def close(self) -> None:
        try:
            self._pubsub.close()
        except RedisError:
            logger.debug("error closing a Redis subscription", exc_info=True)


def _redis_client(
    url: str, timeout: float, health_check_interval: float, connect_timeout: float | None = None
) -> redis.Redis:
    """A redis-py client whose every reply is bounded by ``timeout``, and every connect by
    ``connect_timeout`` (``timeout`` unless given)."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout if connect_timeout is None else connect_timeout,
        health_check_interval=health_check_interval,
        # One immediate retry on a broken connection (a pooled socket Redis closed while restarting)
        # reconnects; no retry on a timeout, which would only double the wait.
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        decode_responses=True,
    )


class RedisStore:
    """The shared store: redis-py against one Redis, keys under ``prefix``, never raising to requests."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 0.1,
        health_check_interval: int = 10,
        retry_after: float = 1.0,
        claim_window: float = CLAIM_WINDOW,
        claim_timeout: float | None = None,
    ) -> None:
        """Connect lazily to ``url``.

        ``timeout`` bounds every connect and every reply; ``health_check_interval`` makes a connection
        idle that long PING before use, so a dead socket is noticed and replaced; ``retry_after`` is how
        long Redis is left alone after a failure before a request tries it again. A claim asks Redis for
        up to ``claim_window`` seconds, on a connection pool of its own, each attempt waiting up to
        ``claim_timeout`` (the whole window unless given).
        """
        self.prefix = prefix
        self.client = _redis_client(url, timeout, health_check_interval)
        kwargs = self.client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
        self.where = f"{where}/{kwargs.get('db', 0)}"  # for logs: never the password
        self.timeout = timeout
        self._health = _Health(self.where, retry_after)
        self._fallback = MemoryStore()
        self._bucket = self.client.register_script(TOKEN_BUCKET_LUA)
        self._ledger_put = self.client.register_script(LEDGER_PUT_LUA)
        self._advance_version = self.client.register_script(VERSION_LUA)
        # Claims wait longer than cache reads, so they use their own connections (socket timeouts are
        # per connection) and their own view of Redis's health: a cache read timing out must not make a
        # claim skip Redis and win in-process while another replica wins in Redis.
        self.claim_window = claim_window
        self.claim_client = _redis_client(
            url,
            claim_window if claim_timeout is None else claim_timeout,
            health_check_interval,
            connect_timeout=min(CLAIM_CONNECT_TIMEOUT, claim_window),
        )
        self._claim_health = _Health(self.where, retry_after, quiet=True)
        self._claim_script = self.claim_client.register_script(CLAIM_LUA)

    def key(self, name: str) -> str:
        """The full Redis key for ``name``."""
        return self.prefix + name

    @property
    def available(self) -> bool:
        """Whether Redis answered the last time it was asked."""
        return self._health.up

    def _call(self, operation: str, command: Callable[[], T]) -> tuple[bool, T | None]:
        """Run one command: ``(True, result)``, or ``(False, None)`` if Redis is down or just failed."""
        if not self._health.worth_trying():
            return False, None
        try:
            result = command()
        except RedisError as exc:
            self._health.failed(operation, exc)
            return False, None
        self._health.succeeded()
        return True, result

    def get(self, key: str) -> str | None:
        ok, value = self._call("GET", lambda: self.client.get(self.prefix + key))
        if not ok:  # what this replica wrote while Redis was away
            return self._fallback.get(key)
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str, ttl: int | None = None, *, nx: bool = False) -> bool:
        ok, stored = self._call("SET", lambda: self.client.set(self.prefix + key, value, ex=ttl, nx=nx))
        if not ok:
            self._fallback.set(key, value, ttl, nx=nx)  # kept here, but the fleet did not get it
        return bool(stored)

    def delete(self, key: str) -> None:
        self._call("DEL", lambda: self.client.delete(self.prefix + key))

    def claim(self, key: str, ttl: int, *, retry: bool = False) -> bool:
        # Every claim is also recorded in-process: a duplicate that arrives here during an outage is
        # still recognised, and one already claimed here needs no round trip.
        if not self._fallback.claim(key, ttl):
            return False
        won, maybe_ours = self._claim_in_redis(key, ttl)
        if won is not None:
            return won
        # Redis did not say who owns it within the window. A lost reply is worse than a duplicate: a first
        # delivery is answered on the in-process claim, and so is Slack's retry when our claim may have
        # reached Redis (it timed out), since the first delivery may then have found it ours and stayed
        # quiet. A retry whose claim never reached Redis (refused) is not: the first delivery, wherever it
        # went, was answered on its own in-process claim.
        if retry and not maybe_ours:
            logger.warning("Redis unreachable: a retried delivery (%s) is not answered again", key)
            return False
        logger.warning(
            "Redis did not answer a claim (%s) within %.0f s: answering, a duplicate reply is possible",
            key,
            self.claim_window,
        )
        return True

    def _claim_in_redis(self, key: str, ttl: int) -> tuple[bool | None, bool]:
        """Whether this caller owns ``key`` in Redis (None if Redis did not answer within the claim window),
        and whether Redis may have recorded it as ours all the same (an attempt timed out).

        Every attempt carries the same token, so one that Redis applied after we stopped waiting still
        counts as ours when a later attempt reads it back.
        """
        if not self._claim_health.worth_trying():
            return None, False
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.claim_window
        maybe_ours = False
        error: RedisError
        while True:
            try:
                won = self._claim_script(keys=[self.prefix + key], args=[token, ttl])
            except RedisTimeoutError as exc:  # slow: the attempt may still be applied
                maybe_ours, error = True, exc
                if time.monotonic() < deadline:
                    continue
            except RedisError as exc:  # refused or broken (redis-py already reconnected once)
                error = exc
            else:
                self._claim_health.succeeded()
                self._health.succeeded()
                return bool(int(str(won))), True
            break
        # Left alone for ``retry_after`` now: during an outage, claims do not each wait out the window.
        self._claim_health.failed("claim", error)
        self._health.failed("claim", error)
        return None, maybe_ours

    def take_token(self, key: str, rate: int, per: float = 60.0, reserve: float = 0.0) -> float | None:
        ok, reply = self._call(
            "token bucket", lambda: self._bucket(keys=[self.prefix + key], args=[rate, per, reserve])
        )
        if not ok:
            return self._fallback.take_token(key, rate, per, reserve)
        wait = float(str(reply))
        return wait if wait > 0 else None

    def advance_version(
        self, key: str, history: str, version: str, *, force: bool, known: int = 0, built_here: bool = False
    ) -> FleetVersion | None:
        ok, reply = self._call(
            "version",
            lambda: self._advance_version(
                keys=[self.prefix + key, self.prefix + history],
                args=[version, int(force), known, int(built_here), VERSION_HISTORY],
            ),
        )
        if not ok or not isinstance(reply, list) or len(reply) != 2:
            return None
        return FleetVersion(str(reply[0]), int(reply[1]))

    def publish(self, channel: str, message: str) -> int:
        _, reached = self._call("PUBLISH", lambda: self.client.publish(self.prefix + channel, message))
        return int(str(reached)) if reached is not None else 0

    def subscribe(self, channel: str) -> Subscription:
        # Always tried, even while requests leave Redis alone: the listener is what notices recovery.
        return _RedisSubscription(self.client, self.prefix + channel, self._health, confirm_timeout=1.0)

    def register_replica(self, replica_id: str, version: str, ttl: int) -> None:
        def register() -> None:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.set(self.prefix + REPLICA_KEY + replica_id, version, ex=ttl)
                pipe.sadd(self.prefix + REPLICAS_KEY, replica_id)
                pipe.expire(self.prefix + REPLICAS_KEY, 86400)
                pipe.execute()

        self._call("register replica", register)

    def unregister_replica(self, replica_id: str) -> None:
        def unregister() -> None:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.delete(self.prefix + REPLICA_KEY + replica_id)
                pipe.srem(self.prefix + REPLICAS_KEY, replica_id)
                pipe.execute()

        self._call("unregister replica", unregister)

    def replicas(self) -> dict[str, str]:
        def live() -> dict[str, str]:
            ids = sorted(str(i) for i in self.client.smembers(self.prefix + REPLICAS_KEY))
            if not ids:
                return {}
            versions = self.client.mget([self.prefix + REPLICA_KEY + i for i in ids])
            found = dict(zip(ids, versions, strict=True))
            gone = [i for i, v in found.items() if v is None]
            if gone:  # their records expired: replicas that stopped without saying so
                self.client.srem(self.prefix + REPLICAS_KEY, *gone)
            return {i: str(v) for i, v in found.items() if v is not None}

        _, result = self._call("replicas", live)
        return result or {}

    def ping(self) -> bool:
        try:
            self.client.ping()
        except RedisError as exc:
            self._health.failed("PING", exc)
            return False
        self._health.succeeded()
        return True

    def close(self) -> None:
        self.client.close()
        self.claim_client.close()

    # -- ledgers -------------------------------------------------------------------------------------
    def _ledger_keys(self, name: str) -> list[str]:
        return [f"{self.prefix}{name}:{part}" for part in ("at", "val", "n", "t")]

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
        args: list[str | int] = [member, value, repr(at), retention, cap, int(count)]
        args += [tally.to_json() if tally else "", f"{self.prefix}{name}:"]
        ok, reply = self._call(
            "ledger put", lambda: self._ledger_put(keys=self._ledger_keys(name), args=args)
        )
        if not ok:  # kept in-process until Redis is back, so the click is not lost for this replica
            return self._fallback.ledger_put(
                name, member, value, at, retention=retention, cap=cap, count=count, tally=tally
            )
        return int(str(reply))

    def ledger_top(self, name: str, scope: str, limit: int) -> list[Ranked]:
        scoped = f"{self.prefix}{name}:"

        def read() -> list[Ranked]:
            items: Any = self.client.zrevrange(f"{scoped}rank:{scope}", 0, max(limit, 1) - 1)
            if not items:
                return []
            records: Any = self.client.hmget(f"{scoped}items:{scope}", items)
            ranked = []
            for item, raw in zip(items, records, strict=True):
                if raw is None:
                    continue
                record = json.loads(raw)
                counts = {str(k): int(v) for k, v in (record.get("c") or {}).items()}
                ranked.append(
                    Ranked(
                        str(item), counts, str(record.get("v", "")), float(record["at"]), record.get("note")
                    )
                )
            return ranked

        ok, found = self._call("ledger top", read)
        if not ok or found is None:
            return self._fallback.ledger_top(name, scope, limit)
        return found

    def ledger_read(self, name: str, since: float, limit: int) -> list[LedgerEntry]:
        at_key, val_key, n_key, _ = self._ledger_keys(name)

        def read() -> list[LedgerEntry]:
            raw: Any = self.client.zrevrangebyscore(
                at_key, "+inf", since, start=0, num=limit, withscores=True
            )
            pairs = [(str(m), float(t)) for m, t in raw or []]
            if not pairs:
                return []
            members = [m for m, _ in pairs]
            values: Any = self.client.hmget(val_key, members)
            counts: Any = self.client.hmget(n_key, members)
            return [
                LedgerEntry(m, str(v), int(n or 1), t)
                for (m, t), v, n in zip(pairs, values, counts, strict=True)
                if v is not None
            ]

        ok, entries = self._call("ledger read", read)
        if not ok or entries is None:
            return self._fallback.ledger_read(name, since, limit)
        return entries


def database_problem(url: str, timeout: float = 2.0) -> str | None:
    """Whether the Redis at ``url`` has the database the URL names: a line naming ``REDIS_URL`` when it
    does not, None when it does or when Redis cannot be reached (an outage is reported elsewhere).

    ``bot.settings`` checks the URL's shape; only the server knows how many databases it has (its
    ``databases`` setting, 16 by default), and redis-py then fails every command with "DB index is out of
    range", which would otherwise read as Redis being unreachable.
    """
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    pool = client.connection_pool
    kwargs = pool.connection_kwargs
    database = kwargs.get("db", 0)
    where = kwargs.get("path") or f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
    try:
        client.ping()
        return None
    except redis.ResponseError as exc:
        if "db index" not in str(exc).lower():
            return None
    except RedisError:
        return None
    finally:
        client.close()
    has = ""
    other = redis.Redis(connection_pool=redis.ConnectionPool(pool.connection_class, **{**kwargs, "db": 0}))
    try:
        count = int(str(other.config_get("databases").get("databases", 0)))
        has = f" (it has {count}: 0 to {count - 1})" if count > 0 else ""
    except (RedisError, ValueError):
        pass  # CONFIG may be refused (managed Redis): say what the server said instead
    finally:
        other.close()
    has = has or " (it answered: DB index is out of range)"
    return f"REDIS_URL names database {database}, which the Redis at {where} does not have{has}"
