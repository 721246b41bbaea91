"""A local stand-in for Slack's Web API (and for ``response_url``), for end-to-end tests and benchmarks.

It listens on 127.0.0.1 on a free port, records every call the bot makes (``chat.postMessage``,
``chat.postEphemeral``, ``views.publish``, ``views.open``, ``auth.test``, posts to a ``response_url``...) and can be told to answer
the next calls to a method with a 429 (``Retry-After``), a 500, or a Slack error such as
``not_in_channel``. Point ``SLACK_API_URL`` at :attr:`SlackApiStub.base_url`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

BOT_USER_ID = "U0INNOV"
BOT_ID = "B0INNOV"
TEAM_ID = "T0TEST"
RESPONSE_PREFIX = "/response/"


@dataclass(frozen=True)
class Call:
    """One request the bot made: the API method (or ``response_url``), its arguments and headers."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int
    ok: bool = True
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        """Everything the message (or the view of ``views.publish`` / ``views.open``) would show."""
        parts = [str(self.args.get("text", ""))]
        blocks = self.args.get("blocks") or (self.view or {}).get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        parts.extend(_block_texts(blocks))
        return "\n".join(parts)

    @property
    def view(self) -> dict[str, Any] | None:
        """The ``view`` argument of ``views.publish`` / ``views.open``, decoded."""
        view = self.args.get("view")
        return json.loads(view) if isinstance(view, str) else view


def _block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if "text" in block and isinstance(block["text"], dict):
            out.append(str(block["text"].get("text", "")))
        for element in block.get("elements", []):
            if isinstance(element.get("text"), str):
                out.append(element["text"])
            elif isinstance(element.get("text"), dict):
                out.append(str(element["text"].get("text", "")))
    return out


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str | None
    times: int
    channel: str | None = None  # only calls posting to this channel, when set


class SlackApiStub:
    """The fake Web API server. Use as a context manager, or call :meth:`start` and :meth:`stop`."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.delay = 0.0
        """Seconds every call waits before it is answered (a slow Web API)."""

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> SlackApiStub:
        """Start serving on a free loopback port (in a daemon thread)."""
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                stub._handle(self)

            def do_GET(self) -> None:
                stub._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="slack-api-stub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackApiStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "stub not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The value for ``SLACK_API_URL``."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A ``response_url`` served (and recorded) by this stub."""
        return f"http://127.0.0.1:{self.port}{RESPONSE_PREFIX}{name}"

    # -- scripting ---------------------------------------------------------------------------------
    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        error: str | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with ``status`` (429 with ``Retry-After``, 500...)
        or, with ``status=200`` and ``error``, with ``{"ok": false, "error": error}``; with ``channel``,
        only calls for that channel (as Slack's per-channel posting limit does)."""
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(status, retry_after, error, times, channel))

    # -- inspection --------------------------------------------------------------------------------
    def calls(self, method: str | None = None, *, ok_only: bool = False) -> list[Call]:
        """Recorded calls, oldest first; ``method`` filters (``"response_url"`` for response URL posts)."""
        with self._lock:
            return [
                c for c in self._calls if (method is None or c.method == method) and (not ok_only or c.ok)
            ]

    def posts(self) -> list[Call]:
        """Messages that reached the channel: successful ``chat.postMessage`` calls."""
        return self.calls("chat.postMessage", ok_only=True)

    def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait (bounded) until at least ``count`` calls to ``method`` match; return them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self._calls if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.status) for c in self._calls]
                    raise AssertionError(f"waited {timeout}s for {count} x {method}; saw {seen}")
                self._changed.wait(left)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._failures.clear()

    # -- serving -----------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if self.delay:
            time.sleep(self.delay)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in request.headers.items()}
        args = _parse(raw, headers.get("content-type", ""))
        path = request.path.split("?", 1)[0]
        if path.startswith(RESPONSE_PREFIX):
            method = "response_url"
            args["_path"] = path
        else:
            method = path.removeprefix("/api/").strip("/")
            if "?" in request.path:
                args.update({k: v[0] for k, v in parse_qs(request.path.split("?", 1)[1]).items()})
        status, payload, extra = self._answer(method, args)
        with self._changed:
            ok = status == 200 and not (isinstance(payload, dict) and payload.get("ok") is False)
            self._calls.append(Call(method=method, args=args, headers=headers, status=status, ok=ok))
            self._changed.notify_all()
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "text/plain" if method == "response_url" else "application/json")
        request.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            request.send_header(key, value)
        request.end_headers()
        request.wfile.write(body)

    def _answer(self, method: str, args: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            queue = self._failures.get(method) or []
            failure = next((f for f in queue if f.channel in (None, args.get("channel"))), None)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    queue.remove(failure)
        if failure is not None:
            if failure.status == 429:
                retry = str(failure.retry_after if failure.retry_after is not None else 1)
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": retry}
            if failure.status >= 500:
                return failure.status, b"upstream error", {}
            return failure.status, {"ok": False, "error": failure.error or "fatal_error"}, {}
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "response_url":
            return 200, b"ok", {}
        if method == "auth.test":
            return (
                200,
                {
                    "ok": True,
                    "url": "https://innov-test.slack.com/",
                    "team": "innov test",
                    "user": "innov",
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "is_enterprise_install": False,
                },
                {},
            )
        if method == "chat.postMessage":
            return 200, {"ok": True, "channel": args.get("channel"), "ts": ts, "message": {"ts": ts}}, {}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": ts}, {}
        if method in ("views.publish", "views.open"):
            # Slack answers with the view as stored, under a new id.
            view = args.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            return 200, {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **view}}, {}
        return 200, {"ok": True}, {}


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    text = raw.decode("utf-8")
    if "json" in content_type or text.startswith("{"):
        try:
            data = json.loads(text)
            return data if isinstance(data, dict) else {"_body": data}
        except ValueError:
            return {"_body": text}
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
