"""The HTTP-mode WSGI application: Slack's events endpoint through Bolt, plus health and metrics.

| route | method | answers |
|---|---|---|
| ``/slack/events`` | POST | commands, events, interactivity via Bolt's WSGI adapter (401: bad signature) |
| ``/healthz`` | GET | ``{"status": "ok", "kb_version": ..., "redis": true/false/null, "replicas": {...}}`` |
| ``/metrics`` | GET | Prometheus text |
| anything else | | 404 |
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from bot import logs, metrics
from bot.app import build_app
from bot.settings import Settings

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from bot.services import Services

logger = logging.getLogger("innov.web")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


class InnovWSGI:
    """One WSGI callable routing innov's three endpoints; counts every request by route and status."""

    def __init__(self, bolt_app: App, services: Services, signing_secret: str) -> None:
        self.bolt_app = bolt_app
        self.services = services
        self._slack = SlackRequestHandler(bolt_app, path=EVENTS_PATH)
        self._verifier = SignatureVerifier(signing_secret)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        if path == EVENTS_PATH and method == "POST":
            return self._counted(EVENTS_PATH, environ, start_response, self._events)
        if path == HEALTH_PATH and method == "GET":
            return self._counted(HEALTH_PATH, environ, start_response, self._health)
        if path == METRICS_PATH and method == "GET":
            return self._counted(METRICS_PATH, environ, start_response, self._metrics)
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

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Slack's requests, through Bolt (which verifies signatures and answers 401 itself).

        Bolt parses the body before it checks the signature, and fails with an exception on a body that
        is not JSON or form data or whose payload has the wrong shape, which would surface as a 500.
        Such requests get 401 when the signature is bad (as Bolt would say), else 400: Slack never sends
        them.
        """
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _respond(start_response, "400 Bad Request", b"bad Content-Length\n", "text/plain")
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            parsed = parse_body(raw.decode("utf-8"), environ.get("CONTENT_TYPE"))
            malformed = not isinstance(parsed, dict)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError are both ValueErrors
            malformed = True
        if not malformed:
            try:
                return self._slack(environ, start_response)
            except (TypeError, KeyError, AttributeError, ValueError):
                # Listeners catch their own errors, so what reaches here is Bolt failing to read the
                # payload's shape (e.g. an event whose "user" is a number), which it does before the
                # signature check. Slack never sends such payloads.
                logger.warning("Bolt could not read a request's payload", exc_info=True)
        headers = {
            "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
            "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
        }
        if not self._verifier.is_valid_request(raw, headers):
            return _respond(
                start_response, "401 Unauthorized", b'{"error": "invalid request"}', "application/json"
            )
        logger.warning("refused a signed request whose body Slack would not send (%d bytes)", len(raw))
        return _respond(start_response, "400 Bad Request", b'{"error": "malformed body"}', "application/json")

    def _health(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body: dict[str, Any] = {
            "status": "ok",
            "kb_version": self.services.kb.version,
            "redis": self.services.redis_status(),
            "replicas": self.services.replicas(),
        }
        if self.services.kb.problems:  # files on disk that did not load while the last good index serves
            body["kb_problems"] = [str(p) for p in self.services.kb.problems]
        return _respond(start_response, "200 OK", json.dumps(body).encode(), "application/json")

    def _metrics(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return _respond(start_response, "200 OK", metrics.render(), CONTENT_TYPE_LATEST)


def _respond(start_response: StartResponse, status: str, body: bytes, content_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _not_found(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    return _respond(start_response, "404 Not Found", b"not found\n", "text/plain; charset=utf-8")


def create_wsgi_app(settings: Settings, services: Services) -> InnovWSGI:
    """The WSGI application for HTTP mode (gunicorn, or any WSGI server)."""
    if settings.slack_signing_secret is None:
        raise ValueError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it "
            "(Basic Information > App Credentials), or set SLACK_APP_TOKEN for Socket Mode"
        )
    return InnovWSGI(
        build_app(settings, services), services, settings.slack_signing_secret.get_secret_value()
    )
