"""innov's gunicorn worker: gevent's own WSGI server (``gevent.pywsgi``) with a bound on reading requests.

gunicorn's ``gevent`` worker reads and answers each request through gunicorn's own parser and response
writer; its ``GeventPyWSGIWorker`` uses gevent's pywsgi instead, which costs less a request. Over signed
HTTP on the Zipf 10k benchmark, in alternating runs of the same 200 uncached questions: p50 2.1-2.3 ms
against 2.7-3.2 ms on a quiet machine, 2.6-3.9 against 4.4-5.0 ms on a busy one. gunicorn's worker also
stops waiting for a request after ``keepalive`` seconds, which pywsgi does not do by itself: the handler
below bounds a request's whole head (request line and headers, ``HEAD_SECONDS``, 10 s by default) from
when the connection is accepted or its previous request answered, so idle connections and clients
trickling a request line or headers are closed and hold a worker's connection slot 10 s at most. A
request's body gets its own bound (``REQUEST_SECONDS``), in all: a client that declares a body and then
sends it a byte at a time, or never, is cut off (the app answers 400) instead of holding a connection
for ever; a body the app did not read (413, 401 before reading) is not waited for: the connection closes.
"""

from __future__ import annotations

import http.client
import logging
import time
from typing import Any

import gevent
from gunicorn.workers.ggevent import GeventPyWSGIWorker, PyWSGIHandler

HEAD_SECONDS = 10.0
"""Seconds a connection may take to send a whole request head (request line and headers) from when it is
accepted, or its previous request answered; then it is closed. Slack sends a request's head at once, so
only an idle or stalling client ever waits this long: a socket opened and left idle holds one of a
worker's ``bot.runner.WORKER_CONNECTIONS`` slots this long at most. ``INNOV_HEAD_SECONDS`` (``bot.runner`` sets this before the workers fork)."""
logger = logging.getLogger("innov.http")

REQUEST_SECONDS = 30.0
"""Seconds a request's body may take to arrive, in all."""


class _RequestTimeout(ValueError):
    """A request's headers took longer than ``HEAD_SECONDS`` (pywsgi answers a ValueError with 400)."""


class _BoundedInput:
    """A request body's stream, read in at most ``REQUEST_SECONDS`` in all; past that a read raises
    ``TimeoutError`` (an ``OSError``: ``bot.web`` answers a body that ended early with 400)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._deadline = time.monotonic() + REQUEST_SECONDS

    def _bounded(self, method: str, *args: Any) -> Any:
        left = self._deadline - time.monotonic()
        slow = TimeoutError(f"no request body within {REQUEST_SECONDS:g} s")
        if left <= 0:
            raise slow
        with gevent.Timeout(left, slow):
            return getattr(self._stream, method)(*args)

    def read(self, *args: Any) -> bytes:
        data: bytes = self._bounded("read", *args)
        return data

    def readline(self, *args: Any) -> bytes:
        line: bytes = self._bounded("readline", *args)
        return line

    def readlines(self, *args: Any) -> list[bytes]:
        lines: list[bytes] = self._bounded("readlines", *args)
        return lines

    def __iter__(self) -> Any:
        return iter(self.readline, b"")


class BoundedHandler(PyWSGIHandler):
    """pywsgi's handler with a time bound on reading each request (not on the app's work): the request
    line and the headers share one deadline, ``HEAD_SECONDS`` after the handler starts waiting."""

    _head_deadline = 0.0

    def read_requestline(self) -> str:
        self._head_deadline = time.monotonic() + HEAD_SECONDS
        with gevent.Timeout(HEAD_SECONDS, False):  # (False: leave the block quietly on time-out)
            line: str = super().read_requestline()
            return line
        return ""  # nothing in time: pywsgi closes the connection

    def read_request(self, raw_requestline: str) -> Any:
        left = max(self._head_deadline - time.monotonic(), 0.001)
        with gevent.Timeout(left, _RequestTimeout(f"no whole request head within {HEAD_SECONDS:g} s")):
            try:
                result = super().read_request(raw_requestline)
            except http.client.HTTPException as exc:
                # ("got more than 100 headers", a header line over 64 KiB: the client's fault, answered 400
                # as a ValueError is; pywsgi printed a traceback for it, outside the JSON log.)
                raise ValueError(str(exc) or type(exc).__name__) from None
        # Two Content-Length headers (RFC 9112: an error): a proxy in front may have read the other one.
        if self.headers is not None and len(self.headers.get_all("Content-Length") or ()) > 1:
            raise ValueError("a request with more than one Content-Length header")
        return result

    def log_error(self, msg: str, *args: Any) -> None:
        """pywsgi's complaints about a client ("Invalid request (from ...): ...", a bad HTTP version) as one
        line of innov's log (JSON in a server), where pywsgi wrote plain text to stderr."""
        try:
            message = msg % args if args else msg
        except (TypeError, ValueError):
            message = f"{msg!r} {args!r}"
        logger.warning("refused a malformed HTTP request: %s", message[:300])

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        environ["wsgi.input"] = _BoundedInput(environ["wsgi.input"])
        # After the response pywsgi reads and discards what the app left of the body, to keep the
        # connection for the next request, with no time bound: a 413 or a 401 answered before the body was
        # read then waited for ever on a body never sent (thousands of such sockets took a server off the
        # air). An unread body is never waited for: the connection is closed after the response instead.
        body: Any = getattr(self, "wsgi_input", None)
        if body is not None:
            self.wsgi_input = _NeverWaitedFor(body, self)
        return environ


class _NeverWaitedFor:
    """The handler's view of a request body after the response (pywsgi's ``Input`` is compiled: its
    ``_discard`` cannot be replaced): a body left unread closes the connection instead of being read."""

    def __init__(self, body: Any, handler: BoundedHandler) -> None:
        self._body, self._handler = body, handler

    def _discard(self) -> None:
        body = self._body
        if body.chunked_input or body.position < (body.content_length or 0):
            self._handler.close_connection = True


class InnovWorker(GeventPyWSGIWorker):
    """``GeventPyWSGIWorker`` with :class:`BoundedHandler` (see the module docstring)."""

    wsgi_handler = BoundedHandler
