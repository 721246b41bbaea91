"""Load: signed Slack requests (slash commands and mentions, mixed) from concurrent keep-alive clients.

The driver (:func:`drive`) is shared by the reliability tests (tests/reliability/test_load.py), which
add Redis outages and a reload in the middle, and by :func:`run`, the standalone benchmark:

    python -m benchmarks load                  # 2,000 requests, 8 clients, with Redis if REDIS_URL is set
    python -m benchmarks.load --requests 5000

:func:`run` serves innov in-process on a threaded WSGI server on a free loopback port, with a local
stand-in for the Slack Web API (tests/e2e/slack_api_stub.py) receiving the mention replies.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    "What is China's rank in the Global Innovation Index?",
    "How much did China spend on R&D in 2024?",
    "How many high-tech enterprises does China have?",
    "How many robots per 10,000 workers?",
    "What is Zhongguancun known as?",
    "rank",
    "facts robots",
    "Who is the CEO of Apple?",
]


@dataclass(frozen=True, slots=True)
class Request:
    """One prepared request: what it is, its body and content type (signed when sent)."""

    kind: str  # "slash" or "event"
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class Result:
    """What one request got back, and how long it took."""

    kind: str
    status: int
    seconds: float
    body: bytes
    error: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


def slash(text: str, user: str, channel: str = "C0LOAD") -> Request:
    """``/innov {text}`` as Slack posts it."""
    form = {
        "command": "/innov",
        "text": text,
        "user_id": user,
        "user_name": user.lower(),
        "channel_id": channel,
        "team_id": "T0INNOV",
        "api_app_id": "A0INNOV",
        "response_url": "http://127.0.0.1:9/response",
        "trigger_id": f"{uuid.uuid4().hex[:8]}.trigger",
    }
    return Request("slash", urlencode(form).encode(), "application/x-www-form-urlencoded")


def mention(text: str, user: str, channel: str = "C0LOAD", bot_user: str = "U0INNOV") -> Request:
    """An ``app_mention`` event envelope, with a fresh event id and message ts."""
    ts = f"{time.time():.6f}"
    envelope = {
        "type": "event_callback",
        "team_id": "T0INNOV",
        "api_app_id": "A0INNOV",
        "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": "T0INNOV", "user_id": bot_user, "is_bot": True}],
        "event": {
            "type": "app_mention",
            "user": user,
            "text": f"<@{bot_user}> {text}",
            "ts": ts,
            "event_ts": ts,
            "channel": channel,
        },
    }
    return Request("event", json.dumps(envelope).encode(), "application/json")


def mixed_plan(count: int, *, slash_share: float = 0.7, users: int = 200, seed: int = 1) -> list[Request]:
    """``count`` requests, about ``slash_share`` of them slash commands and the rest mentions."""
    rng = random.Random(seed)
    plan = []
    for i in range(count):
        text, user = rng.choice(QUESTIONS), f"U0LOAD{i % users:04d}"
        plan.append(slash(text, user) if rng.random() < slash_share else mention(text, user))
    return plan


def drive(
    port: int,
    plan: Sequence[Request],
    *,
    secret: str,
    clients: int = 8,
    host: str = "127.0.0.1",
    on_sent: Callable[[int], None] | None = None,
) -> list[Result]:
    """Send ``plan`` from ``clients`` threads, each over one keep-alive connection, signing at send time.

    ``on_sent(n)`` is called after the n-th request completes (for faults injected mid-load). A failed
    connection is recorded as status 0 and reopened; nothing is retried, so every failure shows.
    """
    verifier = SignatureVerifier(secret)
    results: list[Result | None] = [None] * len(plan)
    next_index = iter(range(len(plan)))
    lock = threading.Lock()
    done = [0]

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                request = plan[index]
                ts = str(int(time.time()))
                headers = {
                    "Content-Type": request.content_type,
                    "X-Slack-Request-Timestamp": ts,
                    "X-Slack-Signature": verifier.generate_signature(timestamp=ts, body=request.body) or "",
                }
                started = time.perf_counter()
                try:
                    conn.request("POST", "/slack/events", body=request.body, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    results[index] = Result(
                        request.kind, response.status, time.perf_counter() - started, body
                    )
                except (OSError, http.client.HTTPException) as exc:
                    results[index] = Result(request.kind, 0, time.perf_counter() - started, b"", repr(exc))
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
                with lock:
                    done[0] += 1
                    count = done[0]
                if on_sent is not None:
                    on_sent(count)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, name=f"load-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def summary(results: Sequence[Result], seconds: float) -> dict[str, Any]:
    """Counts, errors and latency percentiles (ms) of one load run."""
    latencies = sorted(r.seconds * 1000 for r in results)
    cuts = (
        statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    )
    return {
        "requests": len(results),
        "slash": sum(r.kind == "slash" for r in results),
        "events": sum(r.kind == "event" for r in results),
        "errors": sum(r.status != 200 for r in results),
        "p50 ms": round(cuts[49], 3),
        "p99 ms": round(cuts[98], 3),
        "max ms": round(latencies[-1], 3),
        "requests/s": round(len(results) / seconds, 1),
    }


def run(requests: int = 2000, clients: int = 8, redis_url: str | None = None) -> list[dict[str, Any]]:
    """Serve innov in-process and put ``requests`` mixed signed requests through it."""
    import os
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from pydantic import SecretStr

    from bot.services import Services
    from bot.settings import Settings
    from bot.web import create_wsgi_app
    from tests.e2e.slack_api_stub import SlackApiStub

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        request_queue_size = 64  # socketserver's default of 5 drops SYNs from 8 clients: 1 s stalls

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    secret = "load-signing-secret"
    with SlackApiStub() as stub:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            slack_bot_token=SecretStr("xoxb-0000-load"),
            slack_signing_secret=SecretStr(secret),
            slack_api_url=stub.base_url,
            redis_url=redis_url or os.environ.get("REDIS_URL") or None,
            innov_knowledge_dir=ROOT / "seeds",
            innov_rate_limit=1_000_000,
            log_level="WARNING",
        )
        services = Services(settings)
        server = make_server(
            "127.0.0.1", 0, create_wsgi_app(settings, services), server_class=Server, handler_class=Quiet
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            plan = mixed_plan(requests)
            started = time.perf_counter()
            results = drive(int(server.server_address[1]), plan, secret=secret, clients=clients)
            row = summary(results, time.perf_counter() - started)
        finally:
            server.shutdown()
            server.server_close()
            services.close()
    row["redis"] = "yes" if settings.redis_url else "no (in-process store)"
    return [row]


def main(argv: list[str] | None = None) -> None:
    from benchmarks import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args(argv)
    print(markdown_table(run(args.requests, args.clients)))


if __name__ == "__main__":
    main()
