"""The attacks of issue 10, measured on a checkout of innov: ``python -m tests.reliability.attack_figures
[--code DIR] [--json]``. Run it twice, on old code (``--code`` another checkout) and on this one, for a
before/after table. Loopback only, every step bounded in time. Needs ``redis-server`` (a throwaway one
is started) and prints one line per figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.conftest import RedisServer
from tests.e2e.slack_api_stub import SlackApiStub
from tests.reliability.serving import (
    ROOT,
    SECRET,
    SlowClients,
    clean_env,
    declared_body_response,
    post,
    signed_headers,
    signed_slash_latency,
    start_serve,
)
from tests.reliability.socket_mode_stub import SocketModeApiStub, SocketModeStub

CLAIMS_SCRIPT = r"""
import json, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
import redis
from bot.memory_store import MemoryStore
from bot.redis_store import RedisStore

def claim(store, key, retry):
    try:
        return store.claim(key, 600, retry=retry)
    except TypeError:  # code without retry-aware claims
        return store.claim(key, 600)

url = sys.argv[1]
a, b = RedisStore(url, prefix="fig:"), RedisStore(url, prefix="fig:")
def sleep():
    redis.Redis.from_url(url, socket_timeout=10).execute_command("DEBUG", "SLEEP", 1)
sleeper = threading.Thread(target=sleep)
sleeper.start()
time.sleep(0.05)
def deliver(n):
    key = f"claim:event:EvFIG{n}"
    return int(claim(a, key, False)) + int(claim(b, key, True))  # first delivery to A, Slack's retry to B
started = time.perf_counter()
with ThreadPoolExecutor(16) as pool:
    answered = list(pool.map(deliver, range(50)))
sleeper.join()
slow = {"twice": answered.count(2), "once": answered.count(1), "never": answered.count(0),
        "seconds": round(time.perf_counter() - started, 2)}

down = RedisStore("redis://127.0.0.1:1/0")
first = claim(down, "claim:event:EvDOWN", False)
retry_elsewhere = claim(RedisStore("redis://127.0.0.1:1/0"), "claim:event:EvDOWN", True)

memory = MemoryStore()
claim(memory, "claim:event:Ev0", False)
for n in range(1, 50000):
    claim(memory, f"claim:event:Ev{n}", False)
    claim(memory, f"claim:msg:C1:{n}", False)
    memory.set(f"answer:v:q:question {n}", "x" * 200, 86400)
again = claim(memory, "claim:event:Ev0", True)
print(json.dumps({"slow": slow, "down_first": first, "down_retry_answered": retry_elsewhere,
                  "pressure_retry_answered": again}))
"""


def measure_http(tmp: Path, kb: Path, code: Path) -> dict[str, Any]:
    """Everything against one ``innov serve`` in HTTP mode (one worker)."""
    figures: dict[str, Any] = {}
    with SlackApiStub() as api:
        served = start_serve(tmp, kb, api.base_url, code=code)
        try:
            status, seconds = declared_body_response(served.port, 10 * 1024 * 1024, b"x" * 65536, timeout=5)
            figures["10MB declared, 64KiB sent"] = f"{status or 'no answer'} in {seconds:.2f} s"
            before = len(served.log())
            body = json.dumps({"type": "event_callback", "event": {"text": "B" * 10_000_000}}).encode()
            results = []
            for _ in range(3):
                status, _, seconds = post(
                    served.port,
                    body,
                    {
                        "Content-Type": "application/json",
                        "X-Slack-Request-Timestamp": "1",
                        "X-Slack-Signature": "v0=00",
                    },
                    timeout=30,
                )
                results.append(status)
            time.sleep(0.5)
            figures["3 x 10MB unsigned: status, log bytes"] = f"{results}, {len(served.log()) - before:,} B"
            before = len(served.log())
            body = json.dumps({"type": "event_callback", "event": {"text": "B" * 900_000}}).encode()
            results = [
                post(
                    served.port,
                    body,
                    {
                        "Content-Type": "application/json",
                        "X-Slack-Request-Timestamp": "1",
                        "X-Slack-Signature": "v0=00",
                    },
                )[0]
                for _ in range(3)
            ]
            time.sleep(0.5)
            figures["3 x 900KB unsigned: status, log bytes"] = f"{results}, {len(served.log()) - before:,} B"
            form = b"command=%2Finnov&text=rank&user_id=U0ALICE"
            for label, ts, sig in [
                ("timestamp 'abc'", "abc", None),
                ("timestamp '1.5e9'", "1.5e9", None),
                ("signature without v0=", None, "0" * 64),
            ]:
                headers = signed_headers(form)
                if ts is not None:
                    headers["X-Slack-Request-Timestamp"] = ts
                    from slack_sdk.signature import SignatureVerifier

                    headers["X-Slack-Signature"] = SignatureVerifier(SECRET).generate_signature(
                        timestamp=ts, body=form.decode()
                    )
                if sig is not None:
                    headers["X-Slack-Signature"] = sig
                figures[label] = post(served.port, form, headers)[0]
            nested = b"[" * 100_000 + b"]" * 100_000
            figures["signed 100k-deep JSON"] = post(
                served.port, nested, signed_headers(nested, "application/json")
            )[0]
            for label, count, trickle in [("20 trickling clients", 20, True), ("50 idle clients", 50, False)]:
                with SlowClients(served.port, count, trickle=trickle):
                    status, seconds = signed_slash_latency(served.port, timeout=30)
                figures[f"{label}: signed request"] = f"{status or 'no answer'} in {seconds * 1000:,.0f} ms"
                time.sleep(1)
        finally:
            figures["HTTP SIGTERM exit code"] = served.stop()
    return figures


def measure_socket_mode(tmp: Path, kb: Path, code: Path, redis_url: str) -> dict[str, Any]:
    """SIGTERM with a reply in flight (waiting out a 429), health on PORT, the replica record."""
    import http.client

    import redis

    figures: dict[str, Any] = {}
    with SocketModeStub() as sockets, SocketModeApiStub(sockets.url) as api:
        served = start_serve(
            tmp,
            kb,
            api.base_url,
            code=code,
            ready=lambda: bool(sockets.connections),
            SLACK_APP_TOKEN="xapp-1-figures",
            REDIS_URL=redis_url,
        )
        try:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=3)
                conn.request("GET", "/healthz")
                figures["Socket Mode GET /healthz"] = conn.getresponse().status
            except OSError as exc:
                figures["Socket Mode GET /healthz"] = type(exc).__name__
            api.fail("chat.postMessage", status=429, retry_after=2)
            sockets.send_mention("what is china's gii rank")
            api.wait_for("chat.postMessage", 1, timeout=10)
            started = time.perf_counter()
            code_ = served.stop(signal.SIGTERM, timeout=25)
            figures["SIGTERM, reply in flight: exit code, seconds"] = (
                f"{code_}, {time.perf_counter() - started:.1f} s"
            )
            time.sleep(0.5)
            figures["reply posted after SIGTERM"] = len(api.posts())
            client = redis.Redis.from_url(redis_url, decode_responses=True)
            figures["replica records left in Redis"] = len(client.keys("innov:replica:*"))
            client.close()
        finally:
            if served.process.poll() is None:
                served.stop(signal.SIGKILL)
    return figures


def measure_claims(code: Path, redis_url: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", CLAIMS_SCRIPT, redis_url],
        env=clean_env(PYTHONPATH=str(code)),
        cwd=tempfile.gettempdir(),  # not this checkout: "-c" puts the working directory first on sys.path
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    slow = data["slow"]
    return {
        "2 replicas, Redis in DEBUG SLEEP 1, 50 retried events": (
            f"{slow['twice']} answered twice, {slow['never']} never ({slow['seconds']} s)"
        ),
        "Redis unreachable: retry answered again": data["down_retry_answered"],
        "50,000 events, then retry of the first (no Redis): answered again": data["pressure_retry_answered"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    code = args.code.resolve()
    if shutil.which("redis-server") is None:
        print("attack_figures: redis-server is not installed", file=sys.stderr)
        return 2
    server = RedisServer(debug_commands=True)
    server.start()
    figures: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            kb = Path(tmp) / "kb"
            shutil.copytree(ROOT / "seeds", kb)
            figures.update(measure_http(Path(tmp), kb, code))
            figures.update(measure_claims(code, server.url))
            figures.update(measure_socket_mode(Path(tmp), kb, code, server.url))
    finally:
        server.stop()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    socket.setdefaulttimeout(60)
    raise SystemExit(main())
