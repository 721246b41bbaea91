"""``innov serve``: gunicorn (threads) on PORT in HTTP mode, Socket Mode when SLACK_APP_TOKEN is set."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from bot import runner
from bot.settings import Settings
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.slack_api_stub import SlackApiStub


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if process.poll() is not None:
                raise AssertionError(f"innov serve exited early: {process.communicate()[1]}") from None
            if time.monotonic() > deadline:
                raise AssertionError("innov serve did not listen in time") from None
            time.sleep(0.05)


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INNOV_", "REDIS_URL", "PORT"))}
    env.update(values)
    return env


def test_innov_serve_runs_gunicorn_on_port(stub: SlackApiStub, kb_dir: Path, tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(
        PORT=str(port),
        HOST="127.0.0.1",
        SLACK_BOT_TOKEN="xoxb-0000-serve-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=stub.base_url,
        INNOV_KNOWLEDGE_DIR=str(kb_dir),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
        HOME=str(tmp_path),  # (where gunicorn would put its control socket: innov turns it off)
        XDG_RUNTIME_DIR=str(tmp_path),
    )
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main(['serve']))"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port, process)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/healthz")
        health = json.loads(conn.getresponse().read())
        assert health["status"] == "ok" and health["redis"] is None
        assert not (tmp_path / "gunicorn.ctl").exists() and not (tmp_path / ".gunicorn").exists()
        # Keep-alive: the same connection carries a signed slash command.
        body = "command=%2Finnov&text=rank&user_id=U0ALICE&channel_id=C0GENERAL&team_id=T0TEST"
        ts = str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body) or ""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        }
        conn.request("POST", "/slack/events", body=body, headers=headers)
        response = conn.getresponse()
        assert response.status == 200
        assert "11th" in response.read().decode()
        conn.close()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_refuses_http_mode_without_a_signing_secret(kb_dir: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token=SecretStr("xoxb-0000-x"),
        slack_signing_secret=None,
        innov_knowledge_dir=kb_dir,
    )
    with pytest.raises(SystemExit, match="SLACK_SIGNING_SECRET"):
        runner.serve(settings)


def test_serve_uses_socket_mode_when_an_app_token_is_set(
    kb_dir: Path, stub: SlackApiStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[Any, str]] = []
    closed: list[bool] = []

    class FakeClient:
        closed = False

        def __init__(self) -> None:
            from concurrent.futures import ThreadPoolExecutor

            self.message_workers = ThreadPoolExecutor(max_workers=1)

        def close(self) -> None:
            closed.append(True)

    class FakeSocketModeHandler:
        def __init__(self, app: Any, app_token: str) -> None:
            self.app, self.token = app, app_token
            self.client = FakeClient()

        def connect(self) -> None:
            started.append((self.app, self.token))
            os.kill(os.getpid(), signal.SIGTERM)  # handled by innov: a graceful stop, not a kill

    import slack_bolt.adapter.socket_mode as socket_mode

    monkeypatch.setattr(socket_mode, "SocketModeHandler", FakeSocketModeHandler)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token=SecretStr("xoxb-0000-x"),
        slack_app_token=SecretStr("xapp-1-x"),
        slack_api_url=stub.base_url,
        innov_knowledge_dir=kb_dir,
        redis_url=None,
        port=free_port(),
    )
    monkeypatch.setenv("HOST", "127.0.0.1")
    before = signal.getsignal(signal.SIGTERM)
    runner.serve(settings)
    assert closed == [True]
    assert signal.getsignal(signal.SIGTERM) is before  # the process's own handlers are put back
    [(app, token)] = started
    assert token == "xapp-1-x"
    assert app.client.base_url == stub.base_url
    assert app.process_before_response is True


def test_innov_serve_answers_and_reports_when_slack_s_web_api_is_unreachable(
    kb_dir: Path, tmp_path: Path
) -> None:
    # A fake token and no Web API at all (a closed port): nothing Slack sends may depend on it.
    port = free_port()
    env = clean_env(
        PORT=str(port),
        HOST="127.0.0.1",
        SLACK_BOT_TOKEN="xoxb-0000-fake-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        INNOV_KNOWLEDGE_DIR=str(kb_dir),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="INFO",
    )
    process = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main(['serve']))"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def signed(body: str, content_type: str) -> tuple[int, str, float]:
        ts = str(int(time.time()))
        signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body) or ""
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature,
        }
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        started = time.monotonic()
        conn.request("POST", "/slack/events", body=body, headers=headers)
        response = conn.getresponse()
        result = response.status, response.read().decode(), time.monotonic() - started
        conn.close()
        return result

    try:
        wait_for_port(port, process)
        # The slash command's reply is the HTTP response itself: no Web API call before or for it.
        status, body, seconds = signed(
            "command=%2Finnov&text=rank&user_id=U0ALICE&channel_id=C0GENERAL&team_id=T0TEST",
            "application/x-www-form-urlencoded",
        )
        assert status == 200 and "11th" in body, body
        assert seconds < 2.0
        event = {
            "type": "event_callback",
            "team_id": "T0TEST",
            "event_id": "Ev0UNREACHABLE",
            "event": {
                "type": "app_mention",
                "user": "U0ALICE",
                "text": "<@U0INNOV> gii rank?",
                "ts": "1.000001",
                "channel": "C0GENERAL",
            },
            "authorizations": [{"team_id": "T0TEST", "user_id": "U0INNOV", "is_bot": True}],
        }
        status, _, _ = signed(json.dumps(event), "application/json")
        assert status == 200  # acknowledged; the reply itself cannot be posted until Slack is back
        deadline = time.monotonic() + 30
        while True:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/healthz")
            health = json.loads(conn.getresponse().read())
            conn.close()
            if health.get("slack_api") is False or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert health["status"] == "ok" and health["slack_api"] is False
        assert "unreachable" in health["slack_api_error"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    lines = [line for line in stderr.splitlines() if line.strip()]
    not_json = [line for line in lines if not line.startswith("{")]
    assert not_json == [], "gunicorn's own lines must be JSON too"
    records = [json.loads(line) for line in lines]
    messages = [str(r.get("message", "")) for r in records]
    assert not any("will be unused" in m for m in messages)
    # The mention's reply could not be posted: one line says so, with no traceback (it was "app_mention
    # failed" and a stack trace when Slack could not be reached: an attack run).
    assert not any(m in ("app_mention failed", "message event failed") for m in messages), messages
    assert any(m.startswith("chat.postMessage to") and "Slack not reached" in m for m in messages), messages
    assert not any("unhandled error" in m for m in messages)
    assert any(r["logger"] == "innov.slack" and "unreachable" in r["message"] for r in records), messages
    assert any(r["logger"].startswith("gunicorn") for r in records)


def test_innov_serve_in_socket_mode_says_in_one_line_that_its_port_is_taken(
    stub: SlackApiStub, kb_dir: Path, tmp_path: Path
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = clean_env(
            PORT=str(port),
            HOST="127.0.0.1",
            SLACK_BOT_TOKEN="xoxb-0000-serve-test",
            SLACK_APP_TOKEN="xapp-0000-serve-test",
            SLACK_API_URL=stub.base_url,
            INNOV_KNOWLEDGE_DIR=str(kb_dir),
            LOG_LEVEL="WARNING",
        )
        done = subprocess.run(
            [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main(['serve']))"],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode != 0
    assert f"innov serve: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "Traceback" not in done.stderr
