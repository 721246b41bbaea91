"""The WSGI app over real HTTP: request verification, url_verification, /healthz, /metrics, 404."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import pytest
from slack_sdk.signature import SignatureVerifier

from bot.settings import Settings
from tests.e2e.conftest import Running
from tests.e2e.slack_api_stub import SlackApiStub


def test_a_signed_slash_command_is_accepted(bot: Running) -> None:
    result = bot.slack.slash("help")
    assert result.status == 200
    assert result.json()["response_type"] == "ephemeral"


def test_a_forged_signature_is_refused_with_401(bot: Running) -> None:
    result = bot.slack.slash("rank", signature="v0=" + "0" * 64)
    assert result.status == 401
    assert "Source:" not in result.text


def test_a_body_signed_with_another_secret_is_refused(bot: Running) -> None:
    body = "command=%2Finnov&text=rank&user_id=U0ALICE"
    ts = str(int(time.time()))
    forged = SignatureVerifier("not-the-secret").generate_signature(timestamp=ts, body=body)
    result = bot.slack.signed(body, "application/x-www-form-urlencoded", timestamp=int(ts), signature=forged)
    assert result.status == 401


def test_a_stale_signature_is_refused_with_401(bot: Running) -> None:
    # Correctly signed, but six minutes old: a replayed request.
    result = bot.slack.slash("rank", timestamp=int(time.time()) - 6 * 60)
    assert result.status == 401


def test_missing_signature_headers_are_refused(bot: Running) -> None:
    result = bot.slack.request(
        "POST",
        "/slack/events",
        "command=%2Finnov&text=rank",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert result.status == 401


def test_url_verification_echoes_the_challenge(bot: Running) -> None:
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    result = bot.slack.signed(body, "application/json")
    assert result.status == 200
    assert result.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


@pytest.mark.parametrize("challenge", [{"a": 1}, 12345, None, ["x"]])
def test_a_url_verification_whose_challenge_is_not_text_is_refused(bot: Running, challenge: object) -> None:
    # (Slack's challenge is a string; Bolt echoed any shape back as it came: an attack run.)
    body = json.dumps({"token": "legacy", "challenge": challenge, "type": "url_verification"})
    result = bot.slack.signed(body, "application/json")
    assert result.status == 400 and b"challenge" not in result.body


def test_healthz_reports_version_and_redis(bot: Running) -> None:
    result = bot.slack.request("GET", "/healthz")
    assert result.status == 200
    assert result.headers["content-type"] == "application/json"
    health = result.json()
    assert health["status"] == "ok"
    assert health["kb_version"] == bot.services.kb.version
    assert health["redis"] is None  # no REDIS_URL in these settings
    assert isinstance(health["replicas"], dict)
    assert health["slack_api"] is True and "slack_api_error" not in health  # auth.test answered


def test_a_token_slack_refuses_never_stops_an_ack_and_shows_in_healthz(
    start_app: Callable[..., Running], settings: Settings, stub: SlackApiStub
) -> None:
    # A fake token: Slack's Web API answers auth.test with invalid_auth, every time.
    stub.fail("auth.test", status=200, error="invalid_auth", times=1000)
    bot = start_app(settings)
    health = bot.slack.request("GET", "/healthz").json()
    assert health["slack_api"] is False and "invalid_auth" in health["slack_api_error"]
    calls = len(stub.calls("auth.test"))
    slash = bot.slack.slash("rank")
    assert slash.status == 200 and "11th" in slash.text  # answered in the HTTP response
    _, event = bot.slack.event(
        {
            "type": "app_mention",
            "user": "U0ALICE",
            "text": "<@U0INNOV> gii rank",
            "ts": "1.000001",
            "channel": "C0GENERAL",
        }
    )
    assert event.status == 200
    assert len(stub.calls("auth.test")) == calls  # no request asked Slack who the bot is


def test_metrics_serves_prometheus_text_and_counts_requests(bot: Running) -> None:
    bot.slack.slash("What is China's GII rank?")
    result = bot.slack.request("GET", "/metrics")
    assert result.status == 200
    assert result.headers["content-type"].startswith("text/plain")
    text = result.text
    for name in (
        "innov_answers_total",
        "innov_answer_seconds",
        "innov_knowledge_info",
        "innov_http_requests_total",
    ):
        assert name in text
    assert 'innov_http_requests_total{route="/slack/events",status="200"}' in text


def test_unknown_paths_are_404(bot: Running) -> None:
    assert bot.slack.request("GET", "/").status == 404
    assert bot.slack.request("GET", "/nope").status == 404
    assert bot.slack.request("POST", "/slack/events/extra").status == 404


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/slack/events", "POST"),
        ("PUT", "/slack/events", "POST"),
        ("OPTIONS", "/slack/events", "POST"),
        ("POST", "/healthz", "GET, HEAD"),
        ("DELETE", "/metrics", "GET, HEAD"),
    ],
)
def test_a_served_path_asked_with_another_method_is_405_with_allow(
    bot: Running, method: str, path: str, allow: str
) -> None:
    # (It was 404, as if the path were not there: an attack run.)
    result = bot.slack.request(method, path)
    assert result.status == 405 and result.headers["allow"] == allow


def test_each_request_is_one_structured_log_line_without_the_question(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="innov.request")
    question = "What is China's position in the GII ranking?"
    assert bot.slack.slash(f"ask {question}").status == 200
    lines = [r for r in caplog.records if r.name == "innov.request"]
    assert len(lines) == 1
    line = lines[0]
    assert (line.route, line.status, line.command, line.via) == ("/slack/events", 200, "ask", "slash")  # type: ignore[attr-defined]
    assert (line.kind, line.answered, line.cache_hit) == ("fact", True, False)  # type: ignore[attr-defined]
    assert line.question_chars == len(question)  # type: ignore[attr-defined]
    assert all(
        "position in the GII" not in r.getMessage() and "position in the GII" not in str(r.__dict__)
        for r in caplog.records
        if r.levelno >= logging.INFO
    )
