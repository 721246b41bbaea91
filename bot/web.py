"""The HTTP-mode WSGI application: Slack's events endpoint through Bolt, plus health and metrics.

| route | method | answers |
|---|---|---|
| ``/slack/events`` | POST | commands, events, interactivity via Bolt (413: too large, 401: bad signature) |
| ``/healthz`` | GET, HEAD | ``{"status": "ok", "kb_version": ..., "redis": true/false/null, "replicas": {...},`` |
| | | ``"semantic": "on (...)" / "off (...)", "slack_api": true/false/null}`` (``"slack_api_error"`` |
| | | when false; ``bot.slack_api``), and ``"kb_problems": <count>`` while the files on disk do not load |
| ``/metrics`` | GET, HEAD | Prometheus text |
| one of these paths | another method | 405, with ``Allow`` |
| anything else | | 404 |
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body

from bot import logs, metrics
from bot.app import build_app, build_client
from bot.settings import DEFAULT_MAX_BODY_BYTES, Settings
from bot.slack_api import SlackApi

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from bot.background import BoundedExecutor
    from bot.services import Services

logger = logging.getLogger("innov.web")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_CLOCK_SKEW = 300
"""Seconds a request timestamp may differ from now (Slack's and Bolt's replay window)."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of lists and objects a signed body may have (400 past it). Slack's deepest payloads (a
view's rich-text blocks in a ``block_actions`` body) nest about 15 levels; Bolt copies every body
recursively (``deepcopy``), which fails with RecursionError at a few hundred, inside Bolt, as a 500 that
Slack would retry."""


class HealthWSGI:
    """``/healthz`` and ``/metrics`` alone: Socket Mode serves these on ``PORT`` (no Slack route)."""

    def __init__(self, services: Services, slack: SlackApi | None = None) -> None:
        self.services = services
        self.slack = slack

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        body = self._route(method, path, environ, start_response)
        if method == "HEAD":  # the headers alone (Content-Length saying what GET would send)
            close = getattr(body, "close", None)
            if close is not None:
                close()
            return []
        return body

    def _route(
        self, method: str, path: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if path == HEALTH_PATH and method in ("GET", "HEAD"):  # (HEAD: load balancers probe with it)
            return self._counted(HEALTH_PATH, environ, start_response, self._health)
        if path == METRICS_PATH and method in ("GET", "HEAD"):
            return self._counted(METRICS_PATH, environ, start_response, self._metrics)
        if path in (HEALTH_PATH, METRICS_PATH):
            return self._counted("other", environ, start_response, partial(_not_allowed, "GET, HEAD"))
        return self._counted("other", environ, start_response, _not_found)

    def _counted(
        self,
        route: str,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        app: Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]],
    ) -> Iterable[bytes]:
        status_code = "500"

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            nonlocal status_code
            status_code = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        level = logging.INFO if route == EVENTS_PATH else logging.DEBUG
        with logs.request("http", level, route=route, method=environ.get("REQUEST_METHOD")) as record:
            try:
                return app(environ, recording_start_response)
            except Exception:
                logger.exception("%s %s failed", environ.get("REQUEST_METHOD"), route)
                return _respond(
                    start_response, "500 Internal Server Error", b"internal error\n", "text/plain"
                )
            finally:
                record["status"] = int(status_code)
                metrics.REQUESTS.labels(route=route, status=status_code).inc()

    def _health(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body: dict[str, Any] = {
            "status": "ok",
            "kb_version": self.services.kb.version,
            "redis": self.services.redis_status(),
            "replicas": self.services.replicas(),
            # Meaning on, or lexical-only and why (the embedding model missing, or the corpus too large).
            "semantic": self.services.kb.snapshot.composer.semantic,
        }
        if self.slack is not None:  # Slack's Web API: reachable with the bot token? (never waited for)
            body.update(self.slack.health())
        # Problems of the files on disk while the last good index serves: a count (every worker's, the most
        # recent), never their paths or text, which go to the log and to the admin who reloaded.
        problems = metrics.knowledge_problems(len(self.services.kb.problems))
        if problems:
            body["kb_problems"] = problems
        return _respond(start_response, "200 OK", json.dumps(body).encode(), "application/json")

    def _metrics(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return _respond(start_response, "200 OK", metrics.render(), CONTENT_TYPE_LATEST)


class InnovWSGI(HealthWSGI):
    """One WSGI callable routing innov's three endpoints; counts every request by route and status."""

    def __init__(
        self,
        bolt_app: App,
        services: Services,
        signing_secret: str,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        slack: SlackApi | None = None,
    ) -> None:
        super().__init__(services, slack)
        self.bolt_app = bolt_app
        self.max_body_bytes = max_body_bytes
        self._slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
        self._secret = signing_secret.encode()

    def _route(
        self, method: str, path: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if path == EVENTS_PATH and method == "POST":
            return self._counted(EVENTS_PATH, environ, start_response, self._events)
        if path == EVENTS_PATH:
            return self._counted("other", environ, start_response, partial(_not_allowed, "POST"))
        return super()._route(method, path, environ, start_response)

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Slack's requests: size and signature checked before anything reads or parses the body.

        Order matters (DESIGN.md's HTTP contract): a declared body over ``INNOV_MAX_BODY_BYTES`` gets 413
        before a byte of it is read; a missing or malformed timestamp or ``v0=`` signature gets 401
        before the body is read; the HMAC is checked over the raw bytes; only then is the body parsed,
        and a signed body that fails to parse, or nests deeper than ``MAX_JSON_DEPTH``, gets 400, never 500;
        one whose timestamp and signature were already accepted is a replay (401). Bolt verifies the
        signature again over the same bytes, which costs microseconds and keeps its own checks in force.
        """
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        chunked = "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower()
        if declared and not declared.isdigit():
            return _respond(start_response, "400 Bad Request", b"bad Content-Length\n", "text/plain")
        length = int(declared) if declared else 0
        if length > self.max_body_bytes:
            return _too_large(start_response, self.max_body_bytes)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not _fresh_timestamp(timestamp) or not signature.startswith("v0="):
            return _unauthorized(start_response)
        stream = environ["wsgi.input"]
        try:
            if chunked and not declared:
                # No declared length: read at most one byte past the limit, so a long stream still stops.
                raw = stream.read(self.max_body_bytes + 1)
                if len(raw) > self.max_body_bytes:
                    return _too_large(start_response, self.max_body_bytes)
            else:
                raw = stream.read(length) if length > 0 else b""
        except (OSError, ValueError):
            # The client sent less than it declared (or broken chunks) and closed: its fault, not ours. No
            # traceback, no 500: an unsigned flood of such requests must not fill the log.
            logger.debug("a request body ended before its declared length")
            return _respond(
                start_response, "400 Bad Request", b'{"error": "incomplete body"}', "application/json"
            )
        if not _signed(self._secret, timestamp, raw, signature):
            return _unauthorized(start_response)
        try:
            parsed = parse_body(raw.decode("utf-8"), environ.get("CONTENT_TYPE"))
        except (ValueError, RecursionError):  # JSON/UTF-8 errors are ValueErrors; deep nesting recurses
            parsed = None
        if (
            isinstance(parsed, dict)
            and _nesting(parsed) <= MAX_JSON_DEPTH
            and _slack_shaped(parsed)
            and not _lone_surrogates(raw, parsed)
        ):
            if not self._first_delivery(environ, parsed, timestamp, signature):
                logger.warning("refused a replayed signed request (its timestamp and signature were used)")
                return _unauthorized(start_response)
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
            try:
                return self._slack(environ, start_response)
            except (TypeError, KeyError, AttributeError, ValueError, RecursionError) as exc:
                # Listeners catch their own errors, so what reaches here is Bolt failing to read the
                # payload's shape (e.g. an event whose "user" is a number). Slack never sends such
                # payloads. The exception text may quote the body: only its type is logged.
                logger.warning("Bolt could not read a signed request's payload (%s)", type(exc).__name__)
        logger.warning("refused a signed request whose body Slack would not send (%d bytes)", len(raw))
        return _respond(start_response, "400 Bad Request", b'{"error": "malformed body"}', "application/json")

    def _first_delivery(
        self, environ: WSGIEnvironment, body: dict[str, Any], timestamp: str, signature: str
    ) -> bool:
        """Whether this signed request is not a replay of one already accepted (``Services.first_request``):
        a slash command or a button press sent again within the signature's five minutes would run again.

        Slack's retries of an event (``X-Slack-Retry-Num``) are let through to the event-id claims, which
        answer each event once: whether Slack signs a retry afresh is not promised, and refusing one whose
        first delivery failed before its claim would lose the event.
        """
        if body.get("type") == "event_callback" and environ.get("HTTP_X_SLACK_RETRY_NUM"):
            return True
        return self.services.first_request(timestamp, signature)


def _signed(secret: bytes, timestamp: str, raw: bytes, signature: str) -> bool:
    """Slack's v0 signature over the raw bytes (``v0:{timestamp}:{body}``), compared in constant time.

    Computed over bytes, never decoded first: a body that is not UTF-8 is just a body whose signature
    does not match (401), where the Slack SDK's verifier decodes it and raises.
    """
    expected = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(("v0=" + expected).encode(), signature.encode("utf-8", "replace"))


# A JSON escape of a UTF-16 surrogate ("\\ud800"), in either case: the only way one reaches a parsed string.
_SURROGATE_ESCAPE_RE = re.compile(rb"\\u[dD][89a-fA-F]")


def _lone_surrogates(raw: bytes, parsed: dict[str, Any]) -> bool:
    """Whether the parsed body holds a lone surrogate (an ``"\\ud800"`` escape with no partner) outside a
    ``text``: Slack never sends one, and a user id, channel or event id holding one fails to encode on its
    way to Redis. (A question's text holding one gets the question check's refusal, in a reply; a pair
    decodes to one character; only a body with such an escape at all is walked.)"""
    if _SURROGATE_ESCAPE_RE.search(raw) is None:
        return False
    stack: list[Any] = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(value for key, value in item.items() if key != "text")
            stack.extend(item.keys())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and any("\ud800" <= c <= "\udfff" for c in item):
            return True
    return False


def _nesting(value: Any) -> int:
    """How deep lists and dicts nest in ``value`` (a bare value: 0), walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        depth += 1
        if depth > MAX_JSON_DEPTH:  # no need to walk the rest: the body is refused
            return depth
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in item)
    return deepest


_EVENT_TEXT_FIELDS = ("type", "text", "channel", "user", "ts", "thread_ts", "channel_type", "subtype", "team")


def _slack_shaped(body: dict[str, Any]) -> bool:
    """Whether the fields Bolt routes on have the shapes Slack sends: ``event`` and ``view`` objects,
    ``actions`` a non-empty list of objects whose ids are strings. Bolt indexes them before any listener
    runs, so another shape (``actions: []``, ``event: [1]``) would fail inside it as a 500."""
    if "event" in body:
        event = body["event"]
        if not isinstance(event, dict):
            return False
        # Fields listeners read as text: another shape would fail inside them (a pydantic error quoting it).
        if any(k in event and not isinstance(event[k], str) for k in _EVENT_TEXT_FIELDS):
            return False
    if any(k in body and not isinstance(body[k], str) for k in ("team_id", "api_app_id", "type", "token")):
        return False
    if "user" in body and not isinstance(body["user"], dict | str):
        return False
    if body.get("type") == "url_verification" and not isinstance(body.get("challenge"), str):
        return False  # (Bolt echoes the challenge: an object or a number came back as it was sent)
    if "message" in body:  # a message shortcut's message: its text is the question
        message = body["message"]
        if not isinstance(message, dict) or not isinstance(message.get("text", ""), str):
            return False
    if "view" in body and not isinstance(body["view"], dict):
        return False
    if "actions" in body:
        actions = body["actions"]
        if not isinstance(actions, list) or not actions:
            return False
        for action in actions:
            if not isinstance(action, dict):
                return False
            if not isinstance(action.get("action_id"), str):
                return False
            if any(not isinstance(action.get(k, ""), str) for k in ("block_id", "value")):
                return False
    return True


def _respond(
    start_response: StartResponse,
    status: str,
    body: bytes,
    content_type: str,
    headers: tuple[tuple[str, str], ...] = (),
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
    return [body]


def _unauthorized(start_response: StartResponse) -> list[bytes]:
    return _respond(start_response, "401 Unauthorized", b'{"error": "invalid request"}', "application/json")


def _too_large(start_response: StartResponse, limit: int) -> list[bytes]:
    body = f'{{"error": "request body over {limit} bytes"}}'.encode()
    return _respond(start_response, "413 Content Too Large", body, "application/json")


def _fresh_timestamp(value: str) -> bool:
    """A Slack request timestamp: whole seconds as ASCII digits, within five minutes of now (replays)."""
    if not (value.isascii() and value.isdigit() and len(value) <= 12):
        return False
    return abs(time.time() - int(value)) <= MAX_CLOCK_SKEW


def _not_found(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    return _respond(start_response, "404 Not Found", b"not found\n", "text/plain; charset=utf-8")


def _not_allowed(allow: str, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A path innov serves, asked with a method it does not take (``PUT /slack/events``): 405 and ``Allow``."""
    return _respond(
        start_response,
        "405 Method Not Allowed",
        b"method not allowed\n",
        "text/plain; charset=utf-8",
        (("Allow", allow),),
    )


def create_wsgi_app(
    settings: Settings, services: Services, *, background: BoundedExecutor | None = None
) -> InnovWSGI:
    """The WSGI application for HTTP mode (gunicorn, or any WSGI server); ``background`` runs lazy replies.

    Slack's Web API is checked in the background from here on (``auth.test``; the outcome is logged and
    shown in ``/healthz``, as ``self.slack``); nothing waits for it.
    """
    if settings.slack_signing_secret is None:
        raise ValueError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it "
            "(Basic Information > App Credentials), or set SLACK_APP_TOKEN for Socket Mode"
        )
    slack = SlackApi(build_client(settings))
    slack.refresh(0)
    return InnovWSGI(
        build_app(settings, services, background=background, slack=slack),
        services,
        settings.slack_signing_secret.get_secret_value(),
        settings.innov_max_body_bytes,
        slack,
    )
