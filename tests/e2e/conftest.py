"""End-to-end fixtures: the WSGI app on a free loopback port, a Web API stub, and a signing Slack client.

Requests are real HTTP with bodies signed the way Slack signs them (v0 HMAC-SHA256 over
``v0:{timestamp}:{body}``), so Bolt's own verification, routing and lazy listeners all run.
"""

from __future__ import annotations

import http.client
import json
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.background import BoundedExecutor
from bot.services import Services
from bot.settings import Settings
from bot.store import Store
from bot.web import create_wsgi_app
from tests.blockkit import check_message, check_view
from tests.e2e.slack_api_stub import BOT_USER_ID, TEAM_ID, SlackApiStub

SIGNING_SECRET = "e2e-signing-secret-0123456789abcdef"
ADMIN = "U0ADMIN"
USER = "U0ALICE"
CHANNEL = "C0GENERAL"
AUTO_CHANNEL = "C0AUTO"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 64  # socketserver's default of 5 drops SYNs under concurrent clients


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class HttpResult:
    """One HTTP response from the app."""

    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class SlackClient:
    """Sends signed Slack requests (slash commands, events, block actions) to the app over HTTP."""

    host: str
    port: int
    stub: SlackApiStub
    secret: str = SIGNING_SECRET
    _ids: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))

    # -- transport ---------------------------------------------------------------------------------
    def request(
        self, method: str, path: str, body: str = "", headers: dict[str, str] | None = None
    ) -> HttpResult:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=body.encode(), headers=headers or {})
            resp = conn.getresponse()
            return HttpResult(resp.status, resp.read(), {k.lower(): v for k, v in resp.getheaders()})
        finally:
            conn.close()

    def signed(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> HttpResult:
        """POST ``body`` to /slack/events with Slack's signature headers (overridable to forge them)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sig = signature or SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig or "",
            **(extra or {}),
        }
        return self.request("POST", "/slack/events", body, headers)

    # -- Slack payloads ----------------------------------------------------------------------------
    def slash(self, text: str, *, user: str = USER, channel: str = CHANNEL, **kw: Any) -> HttpResult:
        """``/innov {text}`` as Slack posts it (form-encoded)."""
        n = next(self._ids)
        form = {
            "token": "legacy-token",
            "team_id": TEAM_ID,
            "team_domain": "innov-test",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/innov",
            "text": text,
            "api_app_id": "A0INNOV",
            "response_url": self.stub.response_url(f"cmd{n}"),
            "trigger_id": f"{n}.trigger",
        }
        return self.signed(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None, **kw: Any
    ) -> tuple[str, HttpResult]:
        """An Events API envelope around ``event``; returns its event_id and the response."""
        event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
        envelope = {
            "token": "legacy-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0INNOV",
            "event": {"event_ts": event.get("ts", ""), **event},
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        extra = dict(kw.pop("extra", {}) or {})
        if retry_num is not None:
            extra.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return event_id, self.signed(json.dumps(envelope), "application/json", extra=extra, **kw)

    def share(
        self, value: str, *, user: str = USER, channel: str = CHANNEL, message_ts: str | None = None
    ) -> HttpResult:
        """A press of the "Share in channel" button (a ``block_actions`` payload)."""
        n = next(self._ids)
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "innov-test"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0INNOV",
            "token": "legacy-token",
            "container": {
                "type": "message",
                "message_ts": message_ts or f"{int(time.time())}.{n:06d}",
                "channel_id": channel,
                "is_ephemeral": True,
            },
            "trigger_id": f"{n}.trigger",
            "channel": {"id": channel, "name": "general"},
            "response_url": self.stub.response_url(f"act{n}"),
            "actions": [
                {
                    "action_id": "innov_share",
                    "block_id": "innov_share",
                    "text": {"type": "plain_text", "text": "Share in channel"},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return self.signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def interactive(self, payload: dict[str, Any]) -> HttpResult:
        """Any interactive payload (block_actions, view_submission, message_action), form-encoded."""
        return self.signed(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = USER,
        channel: str | None = CHANNEL,
        message_ts: str | None = None,
        ephemeral: bool = True,
        container: str = "message",
    ) -> HttpResult:
        """A press of any button: on a message (``channel``) or in the Home tab (``container="view"``)."""
        n = next(self._ids)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "innov-test"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0INNOV",
            "token": "legacy-token",
            "trigger_id": f"{n}.trigger",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "text": {"type": "plain_text", "text": "button"},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if container == "view":
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home"}
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts or f"{int(time.time())}.{n:06d}",
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            payload["channel"] = {"id": channel, "name": "general"}
            payload["response_url"] = self.stub.response_url(f"act{n}")
        return self.interactive(payload)

    def submit_view(self, view: dict[str, Any], values: dict[str, Any], *, user: str = USER) -> HttpResult:
        """Submit a modal that innov opened, with ``values`` as its state."""
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "innov-test"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0INNOV",
            "token": "legacy-token",
            "trigger_id": "1.trigger",
            "view": {**view, "id": view.get("id", "VMODAL"), "state": {"values": values}},
        }
        return self.interactive(payload)

    def message_shortcut(
        self, text: str, *, callback_id: str = "innov_find_sources", user: str = USER, channel: str = CHANNEL
    ) -> HttpResult:
        """The "Find sources" shortcut used on a message (a ``message_action`` payload)."""
        n = next(self._ids)
        ts = f"{int(time.time())}.{n:06d}"
        payload = {
            "type": "message_action",
            "token": "legacy-token",
            "action_ts": f"{time.time():.6f}",
            "team": {"id": TEAM_ID, "domain": "innov-test"},
            "user": {"id": user, "name": user.lower()},
            "channel": {"id": channel, "name": "elsewhere"},
            "callback_id": callback_id,
            "trigger_id": f"{n}.trigger",
            "message_ts": ts,
            "message": {"type": "message", "user": "U0BOB", "ts": ts, "text": text},
            "response_url": self.stub.response_url(f"sc{n}"),
        }
        return self.interactive(payload)

    def message(
        self, text: str, *, channel: str = AUTO_CHANNEL, user: str = USER, **fields: Any
    ) -> dict[str, Any]:
        """A ``message`` event body (not sent)."""
        ts = fields.pop("ts", None) or f"{int(time.time())}.{next(self._ids):06d}"
        return {
            "type": "message",
            "channel": channel,
            "channel_type": "channel",
            "user": user,
            "text": text,
            "ts": ts,
            **fields,
        }


@dataclass
class Outcomes:
    """Every lazy listener's outcome, from its ``innov.request`` log line (keyed by event id or message ts)."""

    records: list[logging.LogRecord]

    # (A bound, not a measure: the suite runs on three workers, and a loaded machine logs late.)
    def wait(self, key: str, timeout: float = 15.0) -> str:
        """The outcome logged for ``key`` (an event id or a share's message ts), waiting boundedly."""
        return self.wait_all(key, 1, timeout)[0]

    def wait_all(self, key: str, count: int, timeout: float = 15.0) -> list[str]:
        """The first ``count`` outcomes logged for ``key``, waiting boundedly for them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [
                str(r.outcome)  # type: ignore[attr-defined]
                for r in list(self.records)
                if key in (getattr(r, "event_id", None), getattr(r, "message_ts", None))
            ]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} of {count} outcomes logged for {key} within {timeout}s: {found}"
                )
            time.sleep(0.005)


class _ListHandler(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(level=logging.DEBUG)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "outcome"):
            self.records.append(record)


@pytest.fixture
def stub() -> Iterator[SlackApiStub]:
    """The Web API stand-in; after the test, every message and view innov sent is checked against
    Block Kit's limits (``tests.blockkit``)."""
    with SlackApiStub() as server:
        yield server
    for call in server.calls():
        if call.method in ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"):
            check_message(call.args)
        elif call.method in ("views.publish", "views.open", "views.update"):
            check_view(call.view or {})


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A private copy of the seed corpus, so reload tests may break it."""
    target = tmp_path / "kb"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def settings_factory(stub: SlackApiStub, kb_dir: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": "xoxb-0000-test-token",
            "slack_signing_secret": SIGNING_SECRET,
            "slack_app_token": None,
            "slack_api_url": stub.base_url,
            "redis_url": None,
            "innov_admins": ADMIN,
            "innov_auto_reply_channels": AUTO_CHANNEL,
            "innov_knowledge_dir": kb_dir,
            "innov_rate_limit": 10_000,
            "innov_channel_rate_limit": 10_000,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


@dataclass
class Running:
    """The app under test: its services, its address and a signing client."""

    services: Services
    slack: SlackClient
    stub: SlackApiStub
    outcomes: Outcomes


@pytest.fixture
def start_app(stub: SlackApiStub) -> Iterator[Callable[..., Running]]:
    """Start the WSGI app for some settings on a free loopback port (torn down after the test)."""
    started: list[tuple[WSGIServer, Services, Store | None, BoundedExecutor]] = []
    records: list[logging.LogRecord] = []
    handler = _ListHandler(records)
    log = logging.getLogger("innov.request")
    log.addHandler(handler)
    old_level = log.level
    log.setLevel(logging.INFO)

    def start(
        settings: Settings, store: Store | None = None, background: BoundedExecutor | None = None
    ) -> Running:
        services = Services(settings, store=store)
        background = background or BoundedExecutor()
        app = create_wsgi_app(settings, services, background=background)
        # Its first auth.test runs in the background: tests start once it has answered (the bot's id).
        deadline = time.monotonic() + 5
        while app.slack is not None and app.slack.reachable is None and time.monotonic() < deadline:
            time.sleep(0.005)
        server = make_server(
            "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="innov-e2e", daemon=True
        ).start()
        started.append((server, services, store, background))
        slack = SlackClient("127.0.0.1", int(server.server_address[1]), stub)
        return Running(services, slack, stub, Outcomes(records))

    yield start
    for server, services, store, background in started:
        server.shutdown()
        server.server_close()
        # Lazy work still running (a reload a slash command started) ends before the test's Redis keys are
        # deleted: a reload finishing after the clean-up left its kb:version behind.
        background.drain(10)
        services.close()
        if store is not None:  # a store passed in is not closed by the services
            store.close()
    log.removeHandler(handler)
    log.setLevel(old_level)


@pytest.fixture
def bot(start_app: Callable[[Settings], Running], settings: Settings) -> Running:
    """The app with the default test settings (admin U0ADMIN, auto-replies in C0AUTO)."""
    return start_app(settings)
