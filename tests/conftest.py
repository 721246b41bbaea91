"""Redis fixtures: a real Redis for the Redis code, and throwaway servers that tests stop and restart.

``redis_url`` is ``INNOV_TEST_REDIS_URL`` when set (CI points it at the machine's Redis, database 9),
else a throwaway ``redis-server`` started for the session. With neither, tests that need Redis fail
under ``CI=true`` and are skipped, loudly, elsewhere. Tests namespace their keys with ``redis_prefix``
and delete only those keys: never FLUSHALL or FLUSHDB on a Redis that may be shared.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from knowledge import settle

# Every test's knowledge build (in-process, or in an `innov serve` it starts) reuses the sentences another
# test already embedded, by content hash, instead of embedding the seeds again (seconds each).
os.environ.setdefault(
    "INNOV_VECTOR_DIR", os.path.join(tempfile.gettempdir(), f"innov-test-vectors-{os.getuid()}")
)

NO_REDIS = (
    "NO REDIS FOR THE REDIS TESTS: set INNOV_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/9) "
    "or install redis-server (apt-get install redis-server)"
)


def _no_redis(reason: str) -> None:
    """Fail under CI (a Redis is required there), skip loudly elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: Redis tests must not be skipped)", pytrace=False)
    pytest.skip(reason)


def pytest_sessionstart(session: pytest.Session) -> None:
    """With ``INNOV_TEST_REDIS_URL`` pointing at a Redis that does not answer, stop at once with one line
    rather than fail every Redis test one by one."""
    url = os.environ.get("INNOV_TEST_REDIS_URL")
    if not url:
        return
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    except ValueError as exc:
        pytest.exit(f"INNOV_TEST_REDIS_URL={url!r} is not a Redis URL ({exc})", returncode=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.exit(
            f"INNOV_TEST_REDIS_URL={url} does not answer ({type(exc).__name__}): start that Redis, "
            "or unset the variable to use a throwaway redis-server",
            returncode=3,
        )
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _knowledge_files_written_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests write each knowledge file whole, in one call, then load at once: in-process they do not wait
    out the quiet time that keeps a curator's half-written file from loading (``knowledge.settle``; the
    tests of it set their own). ``innov serve`` and the CLI run as processes keep the real one."""
    monkeypatch.setattr(settle, "SETTLE_SECONDS", 0.0)


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A throwaway ``redis-server`` (no persistence) on a fixed loopback port; stop and start at will."""

    def __init__(self, port: int | None = None, *, debug_commands: bool = False) -> None:
        self.port = port or free_port()
        self.debug_commands = debug_commands  # DEBUG SLEEP and friends, from loopback (Redis 7+)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 5.0) -> None:
        """Start the server and wait until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        debug = ["--enable-debug-command", "local"] if self.debug_commands else []
        self._process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                *debug,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_timeout=0.2, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.RedisError:
                    if self._process.poll() is not None or time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                    time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server (its data is gone: nothing is saved)."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis for the tests: ``INNOV_TEST_REDIS_URL``, else a throwaway server for the session."""
    url = os.environ.get("INNOV_TEST_REDIS_URL")
    if url:
        yield url
        return
    if shutil.which("redis-server") is None:
        _no_redis(NO_REDIS)
    server = RedisServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards (and nothing else)."""
    prefix = f"innov-test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url, socket_timeout=1.0)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def throwaway_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own on a free port, which the test may stop and start again."""
    if shutil.which("redis-server") is None:
        _no_redis("redis-server is not installed: outage tests need a server they can stop and restart")
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
