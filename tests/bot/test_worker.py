"""innov's gunicorn worker (``bot.worker``): pywsgi with a time bound on reading each request.

The server runs in a child process (gevent patches what it runs in), with the bounds cut to half a second.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = """
import sys
from gevent import monkey; monkey.patch_all()
from gevent.pywsgi import WSGIServer
from bot import worker
worker.REQUEST_SECONDS = 0.5
worker.HEAD_SECONDS = 0.5

def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        environ["wsgi.input"].read(length) if length else b""
    except OSError:  # (what bot.web does with a body that ended early or came too slowly)
        start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"slow"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]

class Quiet:  # what gunicorn's handler logs through (its access log), and pywsgi's own
    def access(self, *args): pass
    def write(self, *args): pass

server = WSGIServer(("127.0.0.1", 0), app, handler_class=worker.BoundedHandler, log=Quiet())
server.start()
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.fixture
def port() -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        yield int(process.stdout.readline())
    finally:
        process.kill()
        process.wait()


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closes ``sock`` within ``seconds`` (and what it sent before)."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:  # (closed with our bytes unread)
        pass
    return True, received


def test_a_request_is_answered(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        closed, received = _closed_within(sock, 5)
    assert closed
    assert received.startswith(b"HTTP/1.1 200 OK") and received.endswith(b"\r\n\r\nok")


def test_an_idle_connection_is_closed_after_the_bound(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        started = time.monotonic()
        closed, received = _closed_within(sock, 5)
    assert closed and received == b""
    assert 0.4 <= time.monotonic() - started < 3


def test_trickled_headers_are_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\n")
        started = time.monotonic()
        try:
            while time.monotonic() - started < 3:  # a header byte every 0.1 s: never a whole request
                sock.sendall(b"X")
                time.sleep(0.1)
        except OSError:  # the server hung up: what is wanted
            pass
        closed, received = _closed_within(sock, 5)
        elapsed = time.monotonic() - started
    assert closed and elapsed < 3
    assert received == b"" or received.startswith(b"HTTP/1.1 400")


@pytest.mark.parametrize("drip", [False, True])
def test_a_body_that_stalls_or_trickles_is_cut_off(port: int, drip: bool) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nhello")
        started = time.monotonic()
        try:
            while drip and time.monotonic() - started < 3:  # a body byte every 0.1 s: never all 1,000
                sock.sendall(b"X")
                time.sleep(0.1)
        except OSError:  # the server hung up: what is wanted
            pass
        closed, received = _closed_within(sock, 5)
        elapsed = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 400") and received.endswith(b"slow")
    assert elapsed < 4


def test_a_body_sent_in_time_is_read(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello")
        closed, received = _closed_within(sock, 5)
    assert received.startswith(b"HTTP/1.1 200 OK") and received.endswith(b"ok")


def test_a_keep_alive_connection_serves_requests_until_it_idles(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for _ in range(3):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.settimeout(5)
            response = b""
            while not response.endswith(b"ok"):  # (headers and body may come in two segments)
                response += sock.recv(4096)
        closed, _ = _closed_within(sock, 5)
    assert closed
