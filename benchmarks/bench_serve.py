"""What users pay, measured from outside: ``innov serve`` (gunicorn, Bolt) over signed HTTP on large corpora.

For Zipf knowledge directories of 10k and 100k passages (``benchmarks.corpora``), in one run:

* start-up to a healthy ``/healthz``: cold (empty ``INNOV_INDEX_DIR``: the build runs in a child process,
  saves the index, the master maps it) and with the saved index;
* uncached answers: 100 distinct questions as signed ``/innov`` slash commands, one new connection
  per request, p50/p99; then the same questions again (answer cache hits);
* RSS per worker (and how much of it is the shared, file-backed mapping);
* a one-article reload under load: 4 clients keep asking while an admin's ``/innov reload`` builds aside and swaps;
  the reload's time to the new version in ``/healthz`` and the number of failed requests;
* throughput with 1, 2 and 4 workers (answering holds the GIL: workers, not threads, add cores).

    python -m benchmarks serve
    python -m benchmarks.bench_serve --sizes 10000
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "bench-serve-secret"
ADMIN = "U0ADMIN"
RESPONSE_URL = ["http://127.0.0.1:9/response"]  # the stub's, once it runs
# Targets over HTTP (uncached p50 / p99 ms), start-up and reload (s), RSS (MB), by corpus size: issue 19's
# with meaning at 10k (a one-article reload re-embeds that article only), issue 9's at 100k (lexical-only).
TARGET_P50_MS = {10_000: 20.0, 100_000: 5.0}
TARGET_P99_MS = {100_000: 10.0}
TARGET_SAVED_START_S = {10_000: 3.0, 100_000: 3.0}
TARGET_COLD_START_S = {100_000: 30.0}
TARGET_RSS_MB = {100_000: 250}
COLD_START_TIMEOUT_S = 1800.0
TARGET_RELOAD_S = {10_000: 15.0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``innov serve`` in a child process on a free loopback port."""

    def __init__(self, kb_dir: Path, index_dir: Path, api_url: str, workers: int = 1) -> None:
        self.port = _free_port()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INNOV_", "REDIS_URL", "PORT"))
        }
        env.update(
            PORT=str(self.port),
            HOST="127.0.0.1",
            SLACK_BOT_TOKEN="xoxb-0000-bench",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=api_url,
            INNOV_KNOWLEDGE_DIR=str(kb_dir),
            INNOV_INDEX_DIR=str(index_dir),
            INNOV_ADMINS=ADMIN,
            INNOV_RATE_LIMIT="1000000",
            WEB_CONCURRENCY=str(workers),
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(ROOT),
        )
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main(['serve']))"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_healthy(self, timeout: float = 600.0) -> float:
        """Seconds from launch to the first 200 from ``/healthz``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.health() is not None:
                return time.perf_counter() - self.started
            if self.process.poll() is not None:
                raise RuntimeError(f"innov serve exited: {self.process.stderr.read().decode()[-800:]}")  # type: ignore[union-attr]
            time.sleep(0.02)
        raise RuntimeError("innov serve did not become healthy in time")

    def health(self) -> dict[str, Any] | None:
        from tests.e2e.helpers import health

        return health(self.port, timeout=5)

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        from tests.e2e.helpers import stop

        stop(self.process, grace=20)


def _signed(text: str, user: str = "U0BENCH") -> tuple[bytes, dict[str, str]]:
    from slack_sdk.signature import SignatureVerifier

    body = urlencode(
        {
            "command": "/innov",
            "text": text,
            "user_id": user,
            "channel_id": "C0BENCH",
            "team_id": "T0BENCH",
            "response_url": RESPONSE_URL[0],
            # (Each command Slack sends has its own trigger: without one, the same question asked twice in a
            # second is the same signed request, which innov refuses as a replay with 401.)
            "trigger_id": f"{uuid.uuid4().hex}.trigger",
        }
    )
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
        or "",
    }
    return body.encode(), headers


def _post(port: int, request: tuple[bytes, dict[str, str]]) -> tuple[int, float]:
    """One signed request on a new connection: (status, milliseconds); status 0 for a network error."""
    started = time.perf_counter()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/slack/events", body=request[0], headers=request[1])
        response = conn.getresponse()
        response.read()
        conn.close()
        status = response.status
    except OSError:
        status = 0
    return status, (time.perf_counter() - started) * 1000


def _latencies(port: int, questions: list[str]) -> list[float]:
    prepared = [_signed(q) for q in questions]
    times = []
    for request in prepared:
        status, ms = _post(port, request)
        if status != 200:
            raise RuntimeError(f"a benchmark request failed with status {status}")
        times.append(ms)
    return times


def _rss(pid: int) -> tuple[float, float]:
    """(RSS, of which file-backed shared pages) in MB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssFile", "RssShmem"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("RssFile", 0.0) + fields.get("RssShmem", 0.0)


def _load(port: int, questions: list[str], stop: threading.Event, clients: int) -> list[int]:
    """Clients asking distinct questions until ``stop``; the statuses of every request."""
    statuses: list[int] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        n = offset
        while not stop.is_set():
            status, _ = _post(port, _signed(f"{questions[n % len(questions)]} {n}"))
            with lock:
                statuses.append(status)
            n += clients

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop.wait()
    for thread in threads:
        thread.join()
    return statuses


def _reload_under_load(server: Server, kb_dir: Path, questions: list[str]) -> dict[str, Any]:
    old = server.health()["kb_version"]  # type: ignore[index]
    stop = threading.Event()
    statuses: list[int] = []
    loader = threading.Thread(target=lambda: statuses.extend(_load(server.port, questions, stop, clients=4)))
    loader.start()
    time.sleep(1.0)
    # One article changes (a paragraph added), as a curator's edit does: its sentences are embedded again,
    # every other article's vectors are reused by content hash.
    article = sorted(p for p in kb_dir.glob("*.md") if p.name[0] not in "0123456789")[0]
    with article.open("a", encoding="utf-8") as text:
        text.write(
            f"\nThe benchmark edited this article at {time.time()}. It added one more paragraph here.\n"
        )
    started = time.perf_counter()
    status, _ = _post(server.port, _signed("reload", ADMIN))
    seconds = float("nan")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        health = server.health()
        if health is not None and health["kb_version"] != old:
            seconds = time.perf_counter() - started
            break
        time.sleep(0.05)
    time.sleep(1.0)
    stop.set()
    loader.join()
    return {
        "reload s": round(seconds, 2),
        "requests during reload": len(statuses),
        "failed": sum(1 for s in statuses if s != 200) + (status != 200),
    }


def _throughput(
    kb_dir: Path, index_dir: Path, api_url: str, workers: int, questions: list[str], seconds: float
) -> float:
    server = Server(kb_dir, index_dir, api_url, workers)
    try:
        server.wait_healthy()
        time.sleep(0.5 * workers)  # every worker booted
        stop = threading.Event()
        timer = threading.Timer(seconds, stop.set)
        timer.start()
        statuses = _load(server.port, questions, stop, clients=2 * workers + 2)
        return round(sum(1 for s in statuses if s == 200) / seconds, 1)
    finally:
        server.stop()


def measure_size(
    size: int, kind: str, workers: tuple[int, ...], seconds: float, api_url: str
) -> list[dict[str, Any]]:
    from benchmarks import corpora

    questions = corpora.questions(kind)
    source = corpora.knowledge_dir(kind, size)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="innov-bench-serve-") as tmp:
        kb_dir = Path(tmp) / "kb"
        shutil.copytree(source, kb_dir)  # the reload edits it
        index_dir = Path(tmp) / "index"
        cold = Server(kb_dir, index_dir, api_url)
        try:
            # (A cold start embeds every sentence: minutes at 10k, longer on a busy machine.)
            cold_s = cold.wait_healthy(timeout=COLD_START_TIMEOUT_S)
        finally:
            cold.stop()
        server = Server(kb_dir, index_dir, api_url)
        try:
            saved_s = server.wait_healthy()
            time.sleep(0.5)
            uncached = _latencies(server.port, questions)
            repeated = _latencies(server.port, questions)
            (worker,) = server.worker_pids()
            rss, shared = _rss(worker)
            master_rss, _ = _rss(server.process.pid)
            reload_row = _reload_under_load(server, kb_dir, questions)
        finally:
            server.stop()
        throughput = {
            f"req/s {w} worker(s)": _throughput(kb_dir, index_dir, api_url, w, questions, seconds)
            for w in workers
        }
    p50, p99 = statistics.median(uncached), float(np.percentile(uncached, 99))
    met = (
        p50 <= TARGET_P50_MS.get(size, float("inf"))
        and p99 <= TARGET_P99_MS.get(size, float("inf"))
        and saved_s <= TARGET_SAVED_START_S.get(size, float("inf"))
        and cold_s <= TARGET_COLD_START_S.get(size, float("inf"))
        and rss <= TARGET_RSS_MB.get(size, float("inf"))
        and reload_row["failed"] == 0
        and reload_row["reload s"] <= TARGET_RELOAD_S.get(size, float("inf"))
    )
    rows.append(
        {
            "corpus": f"{kind} {size:,}",
            "HTTP uncached p50 ms": round(p50, 2),
            "p99 ms": round(p99, 2),
            "repeated p50 ms": round(statistics.median(repeated), 2),
            "start cold s": round(cold_s, 2),
            "start saved s": round(saved_s, 2),
            "worker RSS MB": round(rss),
            "of it shared mapped MB": round(shared),
            "master RSS MB": round(master_rss),
            **reload_row,
            **throughput,
            "met": met,
        }
    )
    return rows


def run(
    sizes: tuple[int, ...] = (10_000, 100_000),
    kind: str = "zipf",
    workers: tuple[int, ...] = (1, 2, 4),
    seconds: float = 5.0,
) -> list[dict[str, Any]]:
    """One row per corpus size (see the module docstring)."""
    from tests.e2e.slack_api_stub import SlackApiStub  # answers Bolt's auth.test and the response_urls

    rows: list[dict[str, Any]] = []
    with SlackApiStub() as stub:
        RESPONSE_URL[0] = stub.response_url("bench")
        for size in sizes:
            rows.extend(measure_size(size, kind, workers, seconds, stub.base_url))
    return rows


def main(argv: list[str] | None = None) -> None:
    from benchmarks import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--kind", default="zipf", choices=["zipf", "synthetic"])
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    print(markdown_table(run(tuple(args.sizes), args.kind, tuple(args.workers), args.seconds)))


if __name__ == "__main__":
    main()
