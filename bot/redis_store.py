"""The shared store: redis-py against one Redis, never raising to requests (see ``bot.store``).

While Redis is away each call falls back to an in-process ``MemoryStore``; claims ask Redis on connections
of their own, within ``CLAIM_WINDOW``. :func:`database_problem` says when ``REDIS_URL`` names a database
the server does not have.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.memory_store import MemoryStore
from bot.redis_connection import Health, Once, RedisSubscription, redis_client, what_happened
from bot.redis_scripts import CLAIM_LUA, LEDGER_PUT_LUA, TOKEN_BUCKET_LUA, VERSION_LUA
from bot.store import (
    VERSION_HISTORY,
    FleetVersion,
    LedgerEntry,
    Ranked,
    Subscription,
    Tally,
)

# The store's outages and claims are logged under one name, as before the store was split in modules.
logger = logging.getLogger("bot.store")

T = TypeVar("T")

DEFAULT_PREFIX = "innov:"
REPLICAS_KEY = "replicas"
REPLICA_KEY = "replica:"

CLAIM_WINDOW = 5.0
"""Seconds a claim waits for Redis's answer (claims run after the ack, so they can wait). An answer within
it is exact: the owner hears it owns the claim (a late-applied attempt carries its token), the others hear
they do not, so each message gets one reply. Without an answer the outcome is unknown (``RedisStore.claim``).
"""
CLAIM_CONNECT_TIMEOUT = 1.0
"""Seconds a claim waits to connect: a Redis that is not there is not waited for."""


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
        self.client = redis_client(url, timeout, health_check_interval)
        kwargs = self.client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}"
        db = int(kwargs.get("db") or 0)
        self.where = f"{where}/{db}"  # for logs: never the password
        # Pub/sub ignores the database number: two deployments sharing a Redis server in databases 1 and 2
        # under the same prefix would hear each other's reloads. A channel is named by its database too
        # (database 0 keeps the plain names).
        self.channel_prefix = f"{prefix}db{db}:" if db else prefix
        self.timeout = timeout
        self._health = Health(self.where, retry_after)
        self._fallback = MemoryStore()
        self._refusals = Once()
        self._bucket = self.client.register_script(TOKEN_BUCKET_LUA)
        self._ledger_put = self.client.register_script(LEDGER_PUT_LUA)
        self._advance_version = self.client.register_script(VERSION_LUA)
        # Claims wait longer than cache reads, so they use their own connections (socket timeouts are
        # per connection) and their own view of Redis's health: a cache read timing out must not make a
        # claim skip Redis and win in-process while another replica wins in Redis.
        self.claim_window = claim_window
        self.claim_client = redis_client(
            url,
            claim_window if claim_timeout is None else claim_timeout,
            health_check_interval,
            connect_timeout=min(CLAIM_CONNECT_TIMEOUT, claim_window),
        )
        self._claim_health = Health(self.where, retry_after, quiet=True)
        # Replies read as bytes, where one not UTF-8 must not fail the rest: subscriptions'
        # (``RedisSubscription.get_message``) and ledgers' (``_texts``).
        self.bytes_client = redis_client(url, timeout, health_check_interval, decode=False)
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
        except ResponseError as exc:  # the server answered: refused this command, not unreachable
            self._refusals.refused(self.where, operation, exc)
            self._health.succeeded()
            return False, None
        except RedisError as exc:
            self._health.failed(operation, exc)
            return False, None
        self._health.succeeded()
        return True, result

    def get(self, key: str) -> str | None:
        ok, value = self._call("GET", lambda: self._get_text(key))
        if not ok:  # what this replica wrote while Redis was away
            return self._fallback.get(key)
        return value if isinstance(value, str) else None

    def _get_text(self, key: str) -> str | None:
        """GET, with a value that is not UTF-8 (written by something other than innov) read as missing, so
        the caller recomputes it and writes it over; logged once, naming the key."""
        try:
            return self.client.get(self.prefix + key)  # type: ignore[return-value]
        except UnicodeDecodeError:
            self._refusals.warn(
                ("unreadable", key.split(":", 1)[0]),
                "ignoring the value under %s%s: not UTF-8 text (read as missing, and written over)",
                self.prefix,
                key,
            )
            return None

    def set(self, key: str, value: str, ttl: int | None = None, *, nx: bool = False) -> bool:
        ok, stored = self._call("SET", lambda: self.client.set(self.prefix + key, value, ex=ttl, nx=nx))
        if not ok:
            self._fallback.set(key, value, ttl, nx=nx)  # kept here, but the fleet did not get it
        return bool(stored)

    def add(self, key: str, ttl: int) -> bool:
        ok, stored = self._call("SET NX", lambda: self.client.set(self.prefix + key, "1", ex=ttl, nx=True))
        if not ok:  # Redis away: this process's own record decides
            return self._fallback.add(key, ttl)
        return bool(stored)

    def delete(self, key: str) -> None:
        self._call("DEL", lambda: self.client.delete(self.prefix + key))

    def claim(self, key: str, ttl: int) -> bool:
        # Every claim is also recorded in-process: a duplicate that arrives here during an outage is
        # still recognised, and one already claimed here needs no round trip.
        if not self._fallback.claim(key, ttl):
            return False
        won, failure = self._claim_in_redis(key, ttl)
        if won is not None:
            return won
        # Redis did not say who owns it. A lost reply is worse than a duplicate: every delivery, Slack's
        # retries included (their first delivery may never have got through), is answered on the
        # in-process claim. The outage itself is logged once (``Health``); each claim only at debug.
        logger.debug("claim %s decided in-process: Redis %s", key, failure)
        return True

    def _claim_in_redis(self, key: str, ttl: int) -> tuple[bool | None, str]:
        """Whether this caller owns ``key`` in Redis, or None with what went wrong when Redis did not say
        within the claim window (refused, timed out, or refused the command).

        Every attempt carries the same token, so one that Redis applied after we stopped waiting still
        counts as ours when a later attempt reads it back.
        """
        if not self._claim_health.worth_trying():
            return None, "left alone after a failure"
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.claim_window
        error: RedisError
        while True:
            try:
                won = self._claim_script(keys=[self.prefix + key], args=[token, ttl])
            except RedisTimeoutError as exc:  # slow: the attempt may still be applied
                error = exc
                if time.monotonic() < deadline:
                    continue
            except ResponseError as exc:  # answered, but refused the script: not an outage
                self._refusals.refused(self.where, "claim", exc)
                return None, f"refused the claim ({exc})"
            except RedisError as exc:  # refused or broken (redis-py already reconnected once)
                error = exc
            else:
                self._claim_health.succeeded()
                self._health.succeeded()
                return bool(int(str(won))), ""
            break
        # Left alone for ``retry_after`` now: during an outage, claims do not each wait out the window.
        self._claim_health.failed("claim", error)
        self._health.failed("claim", error)
        return None, what_happened(error)

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
        if not ok or not isinstance(reply, list) or len(reply) != 3:
            return None
        generation, bad = str(reply[1]), str(reply[2])
        if bad:  # not innov's writing: read as generation 0, so a newer version or a reload writes over it
            self._refusals.warn(
                ("generation", key, bad),
                "the fleet's version record %s%s holds generation %.40r, not a whole number: read as 0 "
                "(the next reload, or a replica with a newer version, writes a good record)",
                self.prefix,
                key,
                bad,
            )
        return FleetVersion(str(reply[0]), int(generation))

    def publish(self, channel: str, message: str) -> int:
        _, reached = self._call(
            "PUBLISH", lambda: self.client.publish(self.channel_prefix + channel, message)
        )
        return int(str(reached)) if reached is not None else 0

    def subscribe(self, channel: str) -> Subscription:
        # Always tried, even while requests leave Redis alone: the listener is what notices recovery.
        return RedisSubscription(
            self.bytes_client, self.channel_prefix + channel, self._health, confirm_timeout=1.0
        )

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
        self.bytes_client.close()

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
            key = f"{scoped}rank:{scope}"
            items = [
                i for i in self._texts(key, lambda client: client.zrevrange(key, 0, max(limit, 1) - 1)) if i
            ]
            if not items:
                return []
            records = self._texts(
                f"{scoped}items:{scope}", lambda client: client.hmget(f"{scoped}items:{scope}", items)
            )
            ranked = []
            for item, raw in zip(items, records, strict=True):
                if raw is None:
                    continue
                try:
                    record = json.loads(raw)
                    counts = {str(k): int(v) for k, v in (record.get("c") or {}).items()}
                    at, value, note = float(record["at"]), str(record.get("v", "")), record.get("note")
                except (ValueError, TypeError, KeyError, AttributeError):
                    self._unreadable(f"{scoped}items:{scope}")
                    continue
                ranked.append(Ranked(str(item), counts, value, at, note))
            return ranked

        ok, found = self._call("ledger top", read)
        if not ok or found is None:
            return self._fallback.ledger_top(name, scope, limit)
        return found

    def _texts(self, key: str, read: Callable[[redis.Redis], Any]) -> list[Any]:
        """``read``'s reply (HMGET's values, a sorted set's members, with their scores if it asks for them),
        each value that is not UTF-8 (written by something other than innov) read as None, and logged once,
        naming the key: the reply is read again as bytes then, so the others are not lost."""
        try:
            return list(read(self.client) or [])
        except UnicodeDecodeError:
            self._unreadable(key)
        return [
            (_text(row[0]), row[1]) if isinstance(row, tuple) else _text(row)
            for row in read(self.bytes_client) or []
        ]

    def _unreadable(self, key: str) -> None:
        self._refusals.warn(
            ("unreadable", key), "ignoring a value under %s: not innov's (not UTF-8 or not its JSON)", key
        )

    def ledger_read(self, name: str, since: float, limit: int) -> list[LedgerEntry]:
        at_key, val_key, n_key, _ = self._ledger_keys(name)

        def read() -> list[LedgerEntry]:
            raw = self._texts(
                at_key,
                lambda client: client.zrevrangebyscore(
                    at_key, "+inf", since, start=0, num=limit, withscores=True
                ),
            )
            pairs = [(m, float(t)) for m, t in raw if m is not None]
            if not pairs:
                return []
            members = [m for m, _ in pairs]
            values = self._texts(val_key, lambda client: client.hmget(val_key, members))
            counts = self._texts(n_key, lambda client: client.hmget(n_key, members))
            counts = [n if n is not None and n.isdigit() else None for n in counts]
            return [
                LedgerEntry(m, str(v), int(n or 1), t)
                for (m, t), v, n in zip(pairs, values, counts, strict=True)
                if v is not None
            ]

        ok, entries = self._call("ledger read", read)
        if not ok or entries is None:
            return self._fallback.ledger_read(name, since, limit)
        return entries


def _text(value: bytes | None) -> str | None:
    """A reply's bytes as text; None for none, or for bytes that are not UTF-8."""
    try:
        return value.decode("utf-8") if value is not None else None
    except UnicodeDecodeError:
        return None


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
