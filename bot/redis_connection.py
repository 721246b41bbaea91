"""Connections to Redis: clients with bounded waits, the health of one Redis (an outage logged once), and
pub/sub subscriptions that read bytes (``bot.redis_store`` builds the store on them)."""

from __future__ import annotations

import logging
import threading
import time

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from bot.store import StoreUnavailable

# Logged under the store's name, as before the store was split in modules.
logger = logging.getLogger("bot.store")


def what_happened(error: Exception) -> str:
    """What a failed Redis call met, in a few words: refused, timed out, or another connection failure."""
    if isinstance(error, RedisTimeoutError):
        return "timed out"
    text = str(error)
    if isinstance(error, RedisConnectionError) and ("refused" in text.lower() or "111" in text):
        return "connection refused"
    return f"{type(error).__name__}: {text}"


class Once:
    """Warnings worth one line each, not one a request: Redis refusing a command (a ``ResponseError``: a
    key of the wrong type, a value out of range: the server answered, so not an outage), or a value that
    cannot be read. Each distinct one is a warning once, later ones are debug lines."""

    LIMIT = 256

    def __init__(self) -> None:
        self._seen: set[tuple[str, ...]] = set()
        self._lock = threading.Lock()

    def warn(self, what: tuple[str, ...], message: str, *args: object) -> None:
        with self._lock:
            first = what not in self._seen and len(self._seen) < self.LIMIT
            if first:
                self._seen.add(what)
        (logger.warning if first else logger.debug)(message, *args)

    def refused(self, where: str, operation: str, error: ResponseError) -> None:
        self.warn(
            ("refused", operation, str(error)[:200]),
            "Redis at %s refused %s: %s (the command is skipped; Redis is still in use)",
            where,
            operation,
            error,
        )


class Health:
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
            "Redis at %s unreachable (%s: %s); serving uncached, with in-process claims and rate limits, "
            "until it is back (a Slack retry reaching another replica meanwhile may be answered twice)",
            self.where,
            operation,
            what_happened(error),
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


class RedisSubscription:
    def __init__(self, client: redis.Redis, channel: str, health: Health, confirm_timeout: float) -> None:
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
        # (Read as bytes and decoded here: a message that is not UTF-8, published by something other than
        # innov, failed inside redis-py's reader, which then lost every message after it.)
        data = reply["data"]
        try:
            return data.decode("utf-8") if isinstance(data, bytes) else str(data)
        except UnicodeDecodeError:
            logger.warning("ignoring a message on a pub/sub channel that is not UTF-8 text")
            return None

    def close(self) -> None:
        try:
            self._pubsub.close()
        except RedisError:
            logger.debug("error closing a Redis subscription", exc_info=True)


def redis_client(
    url: str,
    timeout: float,
    health_check_interval: float,
    connect_timeout: float | None = None,
    decode: bool = True,
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
        decode_responses=decode,
    )
