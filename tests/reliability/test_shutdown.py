"""SIGTERM in Socket Mode with a reply in flight, against a local stand-in for Slack's websocket: no new
envelopes, the reply finishes (waiting out a 429), the replica record goes, exit 0; health on PORT."""

from __future__ import annotations

import http.client
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import RedisServer
from tests.reliability.serving import free_port, post, signed_headers, start_serve
from tests.reliability.socket_mode_stub import SocketModeApiStub, SocketModeStub


@pytest.fixture
def socket_slack() -> Iterator[tuple[SocketModeStub, SocketModeApiStub]]:
    with SocketModeStub() as sockets, SocketModeApiStub(sockets.url) as api:
        yield sockets, api


def test_sigterm_in_socket_mode_finishes_the_reply_in_flight(
    tmp_path: Path,
    kb_dir: Path,
    socket_slack: tuple[SocketModeStub, SocketModeApiStub],
    throwaway_redis: RedisServer,
) -> None:
    sockets, api = socket_slack
    port = free_port()
    served = start_serve(
        tmp_path,
        kb_dir,
        api.base_url,
        ready=lambda: bool(sockets.connections),
        SLACK_APP_TOKEN="xapp-1-reliability",
        REDIS_URL=throwaway_redis.url,
        PORT=str(port),
    )
    client = redis.Redis.from_url(throwaway_redis.url, decode_responses=True, socket_timeout=2)
    try:
        sockets.wait_connected()
        # Health and metrics on PORT in Socket Mode too (the image's HEALTHCHECK asks this).
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        health = conn.getresponse()
        assert health.status == 200 and json.loads(health.read())["redis"] is True
        conn.request("GET", "/metrics")
        assert b"innov_background_pending" in conn.getresponse().read()
        conn.close()
        assert len(client.smembers("innov:replicas")) == 1

        api.fail("chat.postMessage", status=429, retry_after=2)  # the reply will wait 2 s, then post
        envelope = sockets.send_mention("what is china's gii rank")
        assert sockets.wait_ack(envelope)
        api.wait_for("chat.postMessage", 1, timeout=10)  # the 429: the reply is now in flight
        served.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        late = sockets.send_mention("how many clusters")  # after SIGTERM: not taken
        code = served.stop(timeout=25)
        assert code == 0, served.log()[-3000:]
        assert [c.status for c in api.calls("chat.postMessage")] == [429, 200]  # finished, once
        assert "GII" in api.posts()[0].text or "11" in api.posts()[0].text
        assert not sockets.wait_ack(late, timeout=0.1)
        assert client.smembers("innov:replicas") == set()  # the replica record was removed
        assert client.keys("innov:replica:*") == []
    finally:
        client.close()
        if served.process.poll() is None:
            served.stop(signal.SIGKILL)


def test_socket_mode_retry_attempts_are_answered_once_while_redis_is_down(
    tmp_path: Path, kb_dir: Path, socket_slack: tuple[SocketModeStub, SocketModeApiStub]
) -> None:
    """While Redis is down nobody can say whether a retry's first delivery was answered: a retry whose
    first delivery never arrived is answered (at least once), and redelivering it again to the same
    process is not answered twice (its in-process claim)."""
    sockets, api = socket_slack
    served = start_serve(
        tmp_path,
        kb_dir,
        api.base_url,
        ready=lambda: bool(sockets.connections),
        SLACK_APP_TOKEN="xapp-1-reliability",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
    )
    try:
        sockets.wait_connected()
        ts = f"{int(time.time())}.000777"
        retried = sockets.send_mention(
            "what is china's gii rank", retry_attempt=1, event_id="EvRETRY1", ts=ts
        )
        assert sockets.wait_ack(retried)
        api.wait_for("chat.postMessage", 1, timeout=10)
        again = sockets.send_mention("what is china's gii rank", retry_attempt=2, event_id="EvRETRY1", ts=ts)
        assert sockets.wait_ack(again)
        time.sleep(0.5)
        assert len(api.posts()) == 1
        assert "11th" in api.posts()[0].args["text"]
    finally:
        assert served.stop(timeout=25) == 0


def test_sigterm_in_http_mode_finishes_the_reply_in_flight(
    tmp_path: Path, kb_dir: Path, socket_slack: tuple[SocketModeStub, SocketModeApiStub]
) -> None:
    _, api = socket_slack
    served = start_serve(tmp_path, kb_dir, api.base_url)
    try:
        api.fail("chat.postMessage", status=429, retry_after=2)
        event = {
            "type": "event_callback",
            "event_id": "EvHTTPSTOP1",
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "user": "U0ALICE",
                "text": "<@U0INNOV> what is china's gii rank",
                "channel": "C0GENERAL",
                "ts": f"{int(time.time())}.000100",
            },
        }
        body = json.dumps(event).encode()
        status, _, _ = post(served.port, body, signed_headers(body, "application/json"))
        assert status == 200
        api.wait_for("chat.postMessage", 1, timeout=10)  # the 429: the reply is in flight
    finally:
        code = served.stop(signal.SIGTERM, timeout=25)
    assert code == 0, served.log()[-3000:]
    assert [c.status for c in api.calls("chat.postMessage")] == [429, 200]
