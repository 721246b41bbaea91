"""A local stand-in for Slack's Socket Mode: ``apps.connections.open`` on the Web API stub hands out a
``ws://`` loopback URL, and a websocket server there says ``hello``, sends envelopes and records acks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from websockets.sync.server import Server, ServerConnection, serve

from tests.e2e.slack_api_stub import BOT_USER_ID, TEAM_ID, SlackApiStub


class SocketModeApiStub(SlackApiStub):
    """The Web API stub, answering ``apps.connections.open`` with the socket stub's URL."""

    def __init__(self, socket_url: str) -> None:
        super().__init__()
        self.socket_url = socket_url

    def _answer(self, method: str, args: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if method == "apps.connections.open":
            return 200, {"ok": True, "url": self.socket_url}, {}
        return super()._answer(method, args)


class SocketModeStub:
    """Slack's side of the websocket: one ``hello`` per connection, envelopes on demand, acks recorded."""

    def __init__(self) -> None:
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._changed = threading.Condition()
        self.connections: list[ServerConnection] = []
        self.acks: list[str] = []

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=test"

    def __enter__(self) -> SocketModeStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _handle(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0"}})
        )
        with self._changed:
            self.connections.append(connection)
            self._changed.notify_all()
        try:
            for message in connection:
                envelope_id = json.loads(message).get("envelope_id")
                if envelope_id:
                    with self._changed:
                        self.acks.append(str(envelope_id))
                        self._changed.notify_all()
        except Exception:  # the client went away: nothing more to record
            return

    def wait_connected(self, timeout: float = 20.0) -> ServerConnection:
        """The first client connection, waiting boundedly for it."""
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self.connections), timeout):
                raise AssertionError(f"no Socket Mode connection within {timeout}s")
            return self.connections[-1]

    def send_mention(
        self, text: str, *, retry_attempt: int = 0, event_id: str | None = None, ts: str | None = None
    ) -> str:
        """Send an ``app_mention`` events_api envelope on the latest connection; its envelope id. ``event_id``
        and ``ts`` redeliver an event already sent (Slack's retry of it)."""
        envelope_id = uuid.uuid4().hex
        ts = ts or f"{int(time.time())}.{uuid.uuid4().int % 1_000_000:06d}"
        payload = {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0INNOV",
            "type": "event_callback",
            "event_id": event_id or "Ev" + envelope_id[:10].upper(),
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "user": "U0ALICE",
                "text": f"<@{BOT_USER_ID}> {text}",
                "channel": "C0GENERAL",
                "ts": ts,
                "event_ts": ts,
            },
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        envelope = {
            "envelope_id": envelope_id,
            "type": "events_api",
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        self.connections[-1].send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> bool:
        """Whether ``envelope_id`` was acknowledged within ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: envelope_id in self.acks, timeout)
