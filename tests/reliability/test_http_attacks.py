"""Attacks on ``/slack/events`` (DESIGN.md's HTTP contract): sizes and signatures before the body is read,
400 not 500 for what fails after, no body in the log, and slow clients against ``innov serve`` itself."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.settings import Settings
from tests.e2e.conftest import SEEDS, SIGNING_SECRET, Running
from tests.e2e.slack_api_stub import SlackApiStub
from tests.reliability.serving import (
    Served,
    SlowClients,
    declared_body_response,
    post,
    signed_headers,
    signed_slash_latency,
    start_serve,
)

MARKER = "BODYMARKER"


def _sign(body: str, ts: str) -> str:
    return SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)


@pytest.fixture(scope="module")
def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``innov serve`` in HTTP mode, one worker, logging at INFO: one for the module (starting one takes
    seconds), over its own copy of the seeds and its own Web API stand-in."""
    tmp = tmp_path_factory.mktemp("served")
    kb = tmp / "kb"
    shutil.copytree(SEEDS, kb)
    with SlackApiStub() as api:
        running = start_serve(tmp, kb, api.base_url)
        yield running
        assert running.stop() == 0


@pytest.fixture
def served(_server: Served) -> Served:
    """The module's server, its log read from where this test starts."""
    assert _server.process.poll() is None, "the module's innov serve has exited"
    return dataclasses.replace(_server, log_from=len(_server.log()))


# -- verify before reading ------------------------------------------------------------------------------


def test_a_declared_body_over_the_limit_gets_413_before_it_is_sent(served: Served) -> None:
    # 10 MB declared, 64 KiB sent: a server that read the body first would wait for the rest forever.
    status, seconds = declared_body_response(served.port, 10 * 1024 * 1024, b"x" * 65536)
    assert status == 413
    assert seconds < 1.0
    status, _ = signed_slash_latency(served.port)
    assert status == 200  # the worker is fine afterwards


@pytest.mark.parametrize(
    ("declared", "headers", "status"),
    [
        (5_000_000, "X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: v0=00\r\n", 413),
        (10, "", 401),  # no signature: refused before the body is read
    ],
    ids=["413", "401"],
)
def test_a_connection_refused_before_its_body_is_closed_not_kept_waiting(
    served: Served, declared: int, headers: str, status: int
) -> None:
    """A body refused unread is never waited for: the server answers, then closes the connection (it
    waited for ever on the body pywsgi discards to keep the connection; 21,000 such sockets took a server
    off the air, found by an attack run)."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        head = (
            "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + headers.format(ts=int(time.time()))
            + f"Content-Length: {declared}\r\n\r\n"
        )
        sock.sendall(head.encode())
        received = b""
        while chunk := sock.recv(4096):  # (recv times out after 5 s if the server keeps the socket open)
            received += chunk
    assert received.split(b"\r\n", 1)[0].split()[1] == str(status).encode()
    status_now, _ = signed_slash_latency(served.port)
    assert status_now == 200


def test_big_unsigned_bodies_never_reach_the_log(served: Served) -> None:
    body = json.dumps({"type": "event_callback", "event": {"text": MARKER * 50_000}}).encode()  # ~0.5 MB
    for _ in range(3):
        status, _ = declared_body_response(served.port, len(body), body)
        assert status == 401
    status, _ = signed_slash_latency(served.port)
    assert status == 200
    time.sleep(0.3)
    log = served.log()
    assert '"request": "http"' in log  # the log is written at INFO: innov's request lines are there
    assert MARKER not in log
    assert len(log) < 20_000, f"{len(log)} bytes of log for three refused requests"


def test_no_body_reaches_a_log_at_info_in_process(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    event = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": MARKER,
        "channel": "C0GENERAL",
        "ts": "1.000001",
    }
    unsigned = json.dumps({"type": "event_callback", "event": event, "pad": MARKER * 10_000})
    assert bot.slack.signed(unsigned, "application/json", signature="v0=" + "0" * 64).status == 401
    nested = "[" * 50_000 + "]" * 50_000
    assert bot.slack.signed(nested, "application/json").status == 400
    event_id, response = bot.slack.event(event)
    assert response.status == 200
    bot.stub.wait_for("chat.postMessage", 1)
    assert bot.outcomes.wait(event_id) == "replied"
    # The capture works: innov's own request lines are there at INFO, and none carries the body.
    assert any(r.name == "innov.request" and r.levelno == logging.INFO for r in caplog.records)
    assert all(MARKER not in record.getMessage() for record in caplog.records)
    assert all(MARKER not in str(record.__dict__) for record in caplog.records)


def log_levels(log: str) -> list[str]:
    """The level of every JSON log line ``innov serve`` wrote."""
    return [json.loads(line).get("level", "?") for line in log.splitlines() if line.startswith("{")]


def test_unsigned_non_utf8_bodies_get_401_and_at_most_one_warning(served: Served) -> None:
    # A fake v0= signature, a fresh timestamp and bytes that are not UTF-8 (issue 21, item 9).
    for _ in range(50):
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        }
        status, _, _ = post(served.port, b"\xff" * 10, headers)
        assert status == 401
    assert signed_slash_latency(served.port)[0] == 200
    time.sleep(0.3)
    log = served.log()
    levels = log_levels(log)
    assert "Traceback" not in log and "ERROR" not in levels, log[-2000:]
    assert levels.count("WARNING") <= 1


def test_a_body_shorter_than_declared_gets_400_and_no_traceback(served: Served) -> None:
    """Unsigned: a fresh timestamp, a fake signature, Content-Length 1000 and three bytes, then the client
    half-closes. The read fails before any signature check: a 400, never a 500 or a logged traceback."""
    import socket

    for _ in range(30):
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
            head = (
                "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0={'0' * 64}\r\n"
                "Content-Length: 1000\r\n\r\nabc"
            )
            sock.sendall(head.encode())
            sock.shutdown(socket.SHUT_WR)
            reply = sock.recv(200)
        assert not reply.startswith(b"HTTP/1.1 500"), reply
    assert signed_slash_latency(served.port)[0] == 200
    time.sleep(0.3)
    log = served.log()
    assert "Traceback" not in log and "ERROR" not in log_levels(log), log[-2000:]


def test_two_content_length_headers_get_400(served: Served) -> None:
    import socket

    body = b'{"type": "url_verification"}'
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        head = (
            "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nContent-Length: 5\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        reply = sock.recv(200)
    assert reply.startswith(b"HTTP/1.1 400"), reply


@pytest.mark.parametrize(
    "head",
    [
        "GET /healthz HTTP/1.1\r\nHost: x\r\n" + "".join(f"X-{n}: 1\r\n" for n in range(150)) + "\r\n",
        "GET /healthz HTTP/7.3\r\nHost: x\r\n\r\n",  # (a version pywsgi refuses)
    ],
)
def test_a_malformed_request_head_gets_400_and_one_json_log_line(served: Served, head: str) -> None:
    """Over 100 headers got 400 with a gevent traceback in the log, and a bad HTTP version a plain-text
    line: neither in the JSON log a server's collector reads (an attack run)."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(head.encode())
        reply = sock.recv(200)
    assert reply.startswith(b"HTTP/1.1 400"), reply
    time.sleep(0.3)  # (the log line is written after the reply)
    log = served.log()
    assert "Traceback" not in log, log[-2000:]
    refused = [line for line in log.splitlines() if "malformed HTTP request" in line]
    assert len(refused) == 1 and refused[0].startswith("{"), log[-2000:]
    assert json.loads(refused[0])["level"] == "WARNING"


# Signed payloads of a shape Slack never sends (issue 21, item 13, and what a sweep of Bolt found): 400.
ACTION = {"action_id": "innov_facts_page_next", "block_id": "b", "value": "x", "type": "button"}
BLOCK_ACTIONS = {
    "type": "block_actions",
    "user": {"id": "U0ALICE"},
    "team": {"id": "T0TEST"},
    "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C0GENERAL"},
    "channel": {"id": "C0GENERAL"},
    "trigger_id": "1.trigger",
    "actions": [ACTION],
}
ENVELOPE = {
    "type": "event_callback",
    "team_id": "T0TEST",
    "event_id": "EvSHAPE",
    "event": {"type": "app_mention", "user": "U0ALICE", "text": "hi", "channel": "C0GENERAL", "ts": "1.1"},
}
SHAPES = {
    "actions: []": ("form", {**BLOCK_ACTIONS, "actions": []}),
    "actions: [1]": ("form", {**BLOCK_ACTIONS, "actions": [1]}),
    "actions: 'x'": ("form", {**BLOCK_ACTIONS, "actions": "x"}),
    "action_id: 1": ("form", {**BLOCK_ACTIONS, "actions": [{**ACTION, "action_id": 1}]}),
    "block_actions with event: 1": ("form", {**BLOCK_ACTIONS, "event": 1}),
    "view: [1]": ("form", {"type": "view_submission", "user": {"id": "U0ALICE"}, "view": [1]}),
    "event: [1]": ("json", {**ENVELOPE, "event": [1]}),
    "event: 'x'": ("json", {**ENVELOPE, "event": "x"}),
    # Found by an attack run on a fresh clone: a 500, or a listener's traceback quoting the body.
    "an action without action_id": ("form", {**BLOCK_ACTIONS, "actions": [{"block_id": "b", "value": "x"}]}),
    "event text: ['a']": ("json", {**ENVELOPE, "event": {**ENVELOPE["event"], "text": ["a"]}}),  # type: ignore[dict-item]
    "event channel: ['C1']": ("json", {**ENVELOPE, "event": {**ENVELOPE["event"], "channel": ["C1"]}}),  # type: ignore[dict-item]
    "team_id: ['T']": ("json", {**ENVELOPE, "team_id": ["T"]}),
    "block_actions user: 1": ("form", {**BLOCK_ACTIONS, "user": 1}),
    "shortcut message text: [1]": (
        "form",
        {
            "type": "message_action",
            "callback_id": "innov_find_sources",
            "user": {"id": "U0ALICE"},
            "message": {"text": [1], "ts": "1.1"},
            "channel": {"id": "C0GENERAL"},
            "trigger_id": "t",
        },
    ),
}


def signed_shape(kind: str, payload: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    if kind == "json":
        body = json.dumps(payload).encode()
        return body, signed_headers(body, "application/json")
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return body, signed_headers(body)


def test_signed_payloads_of_shapes_slack_never_sends_get_400_from_innov_serve(served: Served) -> None:
    for name in ("actions: []", "event: [1]"):
        status, _, _ = post(served.port, *signed_shape(*SHAPES[name]))
        assert status == 400, name
    assert signed_slash_latency(served.port)[0] == 200
    time.sleep(0.3)
    log = served.log()
    assert "Traceback" not in log and "ERROR" not in log_levels(log), log[-2000:]


@pytest.mark.parametrize("name", list(SHAPES))
def test_signed_payloads_of_shapes_slack_never_sends_get_400(bot: Running, name: str) -> None:
    kind, payload = SHAPES[name]
    if kind == "json":
        result = bot.slack.signed(json.dumps(payload), "application/json")
    else:
        result = bot.slack.signed(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )
    assert result.status == 400, (name, result.status)


@pytest.mark.parametrize("timestamp", ["abc", "1.5e9", "", " 1700000000", "99999999999999999999", "-5"])
def test_malformed_timestamps_get_401(bot: Running, timestamp: str) -> None:
    body = "command=%2Finnov&text=rank&user_id=U0ALICE"
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": _sign(body, timestamp),
    }
    assert bot.slack.request("POST", "/slack/events", body, headers).status == 401


@pytest.mark.parametrize("signature", ["", "abc", "v1=00", "0" * 64, "v0"])
def test_a_signature_without_v0_gets_401(bot: Running, signature: str) -> None:
    body = "command=%2Finnov&text=rank&user_id=U0ALICE"
    assert (
        bot.slack.signed(body, "application/x-www-form-urlencoded", signature=signature or " ").status == 401
    )


def test_a_stale_timestamp_gets_401(bot: Running) -> None:
    body = "command=%2Finnov&text=rank&user_id=U0ALICE"
    assert (
        bot.slack.signed(body, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600).status
        == 401
    )


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        "payload=" + "%5B" * 50_000 + "%5D" * 50_000,
    ],
    ids=["array", "object", "form-payload"],
)
def test_deeply_nested_signed_json_gets_400_not_500(bot: Running, body: str) -> None:
    content_type = "application/x-www-form-urlencoded" if body.startswith("payload=") else "application/json"
    assert bot.slack.signed(body, content_type).status == 400


@pytest.mark.parametrize("depth", [65, 900, 990, 5_000])
def test_an_event_with_a_deeply_nested_field_gets_400_not_500(bot: Running, depth: int) -> None:
    # A well-formed event whose one field nests deeper than Slack ever does: it parses, but Bolt copies
    # the body recursively (deepcopy), which fails at a few hundred levels, past Python's recursion limit.
    event = {"type": "app_mention", "user": "U0ALICE", "text": "gii rank", "channel": "C0", "ts": "1.0"}
    envelope = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": event, "extra": "X"})
    body = envelope.replace('"X"', "[" * depth + "]" * depth)
    assert bot.slack.signed(body, "application/json").status == 400


def test_an_event_nested_as_deep_as_slack_sends_is_still_served(bot: Running) -> None:
    event = {"type": "app_mention", "user": "U0ALICE", "text": "gii rank", "channel": "C0", "ts": "1.0"}
    envelope = json.dumps({"type": "event_callback", "event_id": "Ev2", "event": event, "extra": "X"})
    body = envelope.replace('"X"', "[" * 60 + "]" * 60)
    assert bot.slack.signed(body, "application/json").status == 200


@pytest.mark.parametrize("field", ["user", "channel", "event_id"])
def test_an_event_with_a_lone_surrogate_in_an_id_gets_400_not_500(bot: Running, field: str) -> None:
    # A JSON escape of half a UTF-16 pair: it parses, and the id then fails to encode on its way to Redis
    # (a 500 for the user, a traceback for the others, found by an attack run).
    event = {"type": "app_mention", "user": "U0ALICE", "text": "gii rank", "channel": "C0", "ts": "1.0"}
    envelope = {"type": "event_callback", "event_id": "Ev3", "event": event}
    (envelope if field == "event_id" else event)[field] = "X\udfff"
    assert bot.slack.signed(json.dumps(envelope), "application/json").status == 400
    # A pair is one character, not a surrogate: served.
    event["text"] = "gii rank \U0001f600"
    event["user"], event["channel"], envelope["event_id"] = "U0ALICE", "C0", "Ev4"
    assert bot.slack.signed(json.dumps(envelope), "application/json").status == 200


def test_a_bad_content_length_gets_400(bot: Running) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", bot.slack.port), timeout=5) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.0\r\nContent-Length: abc\r\n\r\n")
        assert sock.recv(64).split()[1] in (b"400",)


# -- slow clients ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "trickle"), [(20, True), (50, False)], ids=["20-trickling", "50-idle"])
def test_slow_clients_do_not_delay_a_signed_request(served: Served, count: int, trickle: bool) -> None:
    with SlowClients(served.port, count, trickle=trickle):
        latencies = []
        for _ in range(3):
            status, seconds = signed_slash_latency(served.port, timeout=10)
            assert status == 200
            latencies.append(seconds)
    assert max(latencies) < 1.0, latencies


IDLE_SOCKETS = 1_200
"""More idle connections than a worker held before (1,000): they filled every slot for 30 s."""


def test_many_idle_connections_neither_block_the_server_nor_stay_open(
    tmp_path: Path, kb_dir: Path, stub: SlackApiStub
) -> None:
    import resource
    import socket

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < IDLE_SOCKETS + 200:  # this test process holds every idle socket too
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, IDLE_SOCKETS + 1000), hard))
    served = start_serve(tmp_path, kb_dir, stub.base_url, INNOV_HEAD_SECONDS="1")
    sockets: list[socket.socket] = []
    try:
        for _ in range(IDLE_SOCKETS):  # opened, nothing sent
            sockets.append(socket.create_connection(("127.0.0.1", served.port), timeout=5))
        status, seconds = signed_slash_latency(served.port, timeout=5)
        assert status == 200 and seconds < 1.0, (status, seconds)
        time.sleep(2.0)  # past INNOV_HEAD_SECONDS: the server has closed every idle one
        still_open = 0
        for sock in sockets:
            sock.settimeout(0.01)
            try:
                if sock.recv(1) != b"":
                    still_open += 1
            except TimeoutError:
                still_open += 1
            except OSError:  # reset: closed
                pass
        assert still_open == 0
    finally:
        for sock in sockets:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert served.stop() == 0


# -- replays ------------------------------------------------------------------------------------------------


def test_a_replayed_slash_command_is_refused(bot: Running) -> None:
    body = urlencode({"command": "/innov", "text": "rank", "user_id": "U0ALICE", "team_id": "T0TEST"})
    ts = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": _sign(body, ts)}
    content_type = "application/x-www-form-urlencoded"
    first = bot.slack.signed(body, content_type, timestamp=int(ts), signature=headers["X-Slack-Signature"])
    again = bot.slack.signed(body, content_type, timestamp=int(ts), signature=headers["X-Slack-Signature"])
    assert (first.status, again.status) == (200, 401)
    # The same command signed anew (another second) is a new request.
    later = int(ts) + 1
    assert (
        bot.slack.signed(body, content_type, timestamp=later, signature=_sign(body, str(later))).status == 200
    )


def test_a_replay_is_refused_by_another_replica_sharing_redis(
    start_app: Callable[..., Running],
    settings_factory: Callable[..., Settings],
    redis_url: str,
    redis_prefix: str,
) -> None:
    from bot.redis_store import RedisStore

    replicas = [
        start_app(settings_factory(redis_url=redis_url), store=RedisStore(redis_url, prefix=redis_prefix))
        for _ in range(2)
    ]
    body = urlencode({"command": "/innov", "text": "sources", "user_id": "U0ALICE", "team_id": "T0TEST"})
    ts = int(time.time())
    signature = _sign(body, str(ts))
    content_type = "application/x-www-form-urlencoded"
    assert replicas[0].slack.signed(body, content_type, timestamp=ts, signature=signature).status == 200
    assert replicas[1].slack.signed(body, content_type, timestamp=ts, signature=signature).status == 401


def test_slacks_retry_of_an_event_reaches_the_event_claims(bot: Running) -> None:
    # Retries are de-duplicated by event id (one reply, every delivery 200), whatever their signature.
    event = {
        "type": "app_mention",
        "user": "U0ALICE",
        "text": "<@U0INNOV> rank",
        "channel": "C0",
        "ts": "1.0",
    }
    ts = int(time.time())
    body = json.dumps({"type": "event_callback", "event_id": "EvRETRY", "event": event})
    signature = _sign(body, str(ts))
    first = bot.slack.signed(body, "application/json", timestamp=ts, signature=signature)
    retry = bot.slack.signed(
        body, "application/json", timestamp=ts, signature=signature, extra={"X-Slack-Retry-Num": "1"}
    )
    assert (first.status, retry.status) == (200, 200)


def test_head_probes_of_healthz_and_metrics_are_answered_without_a_body(served: Served) -> None:
    """Load balancers probe with HEAD (it got 404: the second attack run; then 200 with the body sent after
    the headers, which http.client never reads for a HEAD: read off the socket here)."""
    for path in ("/healthz", "/metrics"):
        with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
            sock.sendall(f"HEAD {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200"), (path, head[:40])
        assert body == b"", (path, body[:80])
