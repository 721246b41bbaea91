"""``innov serve`` as a real process on a loopback port, and the slow or hostile clients that attack it.

Used by the reliability tests and by ``python -m tests.reliability.attack_figures`` (the before/after
table), which points ``code`` at another checkout to measure older code the same way.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parents[2]
SECRET = "reliability-signing-secret-0123456789"


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**values: str) -> dict[str, str]:
    """The environment without the caller's Slack/innov settings, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INNOV_", "REDIS_URL", "PORT"))}
    env.update(values)
    return env


@dataclass
class Served:
    """A running ``innov serve``: its port, process and the file its stderr (the log) goes to."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] = field(repr=False)
    log_from: int = 0  # where this view of the log starts (a test sharing a server reads its own part)

    def log(self) -> str:
        """Everything the process logged so far (since ``log_from``)."""
        if not self._log.closed:  # (after ``stop`` the file is closed, and all of it is on disk)
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[self.log_from :]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the exit code (killed after ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()
        return int(self.process.returncode)


def start_serve(
    tmp: Path,
    kb_dir: Path,
    api_url: str,
    *,
    code: Path = ROOT,
    ready: Callable[[], bool] | None = None,
    **env: str,
) -> Served:
    """Start ``innov serve`` (HTTP unless ``SLACK_APP_TOKEN`` is in ``env``) and wait until it is ready:
    ``ready()`` when given, else until ``GET /healthz`` answers. A port of its own choosing that another
    process took between ``free_port`` and the server's bind is chosen again (up to three times)."""
    given = int(env.pop("PORT", 0))
    for attempt in range(3):
        try:
            return _start_serve(tmp, kb_dir, api_url, given or free_port(), code, ready, env)
        except PortTaken:
            if given or attempt == 2:
                raise
    raise AssertionError("unreachable")


class PortTaken(AssertionError):
    """``innov serve`` could not listen on its port: another process holds it."""


def _start_serve(
    tmp: Path,
    kb_dir: Path,
    api_url: str,
    port: int,
    code: Path,
    ready: Callable[[], bool] | None,
    env: dict[str, str],
) -> Served:
    values = {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "SLACK_BOT_TOKEN": "xoxb-0000-reliability",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "INNOV_KNOWLEDGE_DIR": str(kb_dir),
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(code),
        **env,
    }
    log_path = tmp / f"serve-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed by Served.stop
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main(['serve']))"],
        cwd=tmp,
        env=clean_env(**values),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    served = Served(port, process, log_path, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if ready is not None:
                if not ready():
                    raise OSError("not ready yet")
                return served
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
            return served
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                served.stop(signal.SIGKILL)
                logged = served.log()
                taken = any(
                    s in logged for s in ("Address already in use", "Connection in use", "cannot listen")
                )
                raise (PortTaken if taken else AssertionError)(
                    f"innov serve did not start:\n{logged[-3000:]}"
                ) from None
            time.sleep(0.1)


def signed_headers(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Slack's signature headers for ``body``, now."""
    ts = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body.decode())
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def slash_body(text: str, *, user: str = "U0ALICE", response_url: str | None = None) -> bytes:
    """A ``/innov`` slash command as Slack posts it (with a ``response_url`` for replies that follow)."""
    form = {
        "command": "/innov",
        "text": text,
        "user_id": user,
        "channel_id": "C0GENERAL",
        "team_id": "T0TEST",
        "trigger_id": uuid.uuid4().hex,  # (unique, as Slack's are: the same body signed twice is a replay)
    }
    if response_url is not None:
        form["response_url"] = response_url
    return urlencode(form).encode()


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    """GET ``path`` on a fresh connection (so a server with several workers may give it to any of them)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def sample(metrics_text: bytes, name: str, **labels: str) -> float | None:
    """The value of one sample in a Prometheus text exposition, or None when it is not there."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(metrics_text.decode()):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None


def post(
    port: int, body: bytes, headers: dict[str, str], path: str = "/slack/events", timeout: float = 30.0
) -> tuple[int, bytes, float]:
    """POST and return (status, body, seconds); status 0 when the connection failed or timed out."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), time.perf_counter() - started
    except OSError:
        return 0, b"", time.perf_counter() - started
    finally:
        conn.close()


def signed_slash_latency(port: int, timeout: float = 30.0) -> tuple[int, float]:
    """(status, seconds) of one signed ``/innov rank`` on a fresh connection."""
    body = slash_body("rank")
    status, _, seconds = post(port, body, signed_headers(body), timeout=timeout)
    return status, seconds


def declared_body_response(port: int, declared: int, sent: bytes, timeout: float = 10.0) -> tuple[int, float]:
    """Declare a ``declared``-byte unsigned body, send only ``sent``, read the answer: (status, seconds).

    A server that reads the body first never answers (it waits for bytes that never come): status 0.
    """
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00\r\n"
            f"Content-Length: {declared}\r\n\r\n"
        ).encode()
        try:
            sock.sendall(head + sent)
            status_line = sock.recv(64).split(b"\r\n", 1)[0]
        except OSError:
            return 0, time.perf_counter() - started
    parts = status_line.split()
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), time.perf_counter() - started


class SlowClients:
    """``count`` connections that either trickle a request's headers a byte every ``interval`` s or sit idle."""

    def __init__(self, port: int, count: int, *, trickle: bool, interval: float = 1.0) -> None:
        self.port, self.count, self.trickle, self.interval = port, count, trickle, interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.sockets: list[socket.socket] = []

    def __enter__(self) -> SlowClients:
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            self.sockets.append(sock)
            if self.trickle:
                thread = threading.Thread(target=self._drip, args=(sock,), daemon=True)
                thread.start()
                self._threads.append(thread)
        # Let the server accept them all (and the tricklers send a byte or two) before the measured request.
        time.sleep(1.5 if self.trickle else 0.3)
        return self

    def _drip(self, sock: socket.socket) -> None:
        head = b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 4096
        for byte in head:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                return
            if self._stop.wait(self.interval):
                return

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for sock in self.sockets:
            sock.close()
