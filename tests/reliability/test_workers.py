"""``innov serve`` with two gunicorn workers: ``/metrics`` adds every worker up, whichever one a scrape
reaches, and ``/healthz`` shows the knowledge files' problems as a count, never an absolute path.

Real processes: the gunicorn master and two gevent workers, signed requests over loopback. Without
``REDIS_URL`` each worker's ``/healthz`` lists only its own replica, which tells the test which worker
answered a probe.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.slack_api_stub import SlackApiStub
from tests.reliability.serving import (
    Served,
    get,
    post,
    sample,
    signed_headers,
    signed_slash_latency,
    slash_body,
    start_serve,
)

ADMIN = "U0ADMIN"
REQUESTS = 30
SCRAPES = 20
BROKEN_QUOTE = """
  - id: broken-edit
    answer: China has 99 widgets.
    value: "99"
    source: focus-on-tech-innovations
    quote: "a quote that is in no article"
"""


@pytest.fixture
def two_workers(tmp_path: Path, kb_dir: Path, stub: SlackApiStub) -> Iterator[Served]:
    served = start_serve(
        tmp_path,
        kb_dir,
        stub.base_url,
        WEB_CONCURRENCY="2",
        INNOV_ADMINS=ADMIN,
        INNOV_INDEX_DIR=str(tmp_path / "index"),
    )
    try:
        # Both workers are up and answering before the test counts anything.
        deadline = time.monotonic() + 30
        while len(workers_answering(served.port, 20, served)) < 2:
            assert time.monotonic() < deadline, "the second worker never answered"
        yield served
    finally:
        assert served.stop() == 0


def workers_answering(port: int, probes: int, served: Served | None = None) -> set[str]:
    """The replica ids that answered ``probes`` health probes (each worker lists only itself)."""
    seen: set[str] = set()
    for _ in range(probes):
        status, body = get(port, "/healthz")
        assert status == 200, (status, body[:500], served.log()[-4000:] if served else "")
        seen.update(json.loads(body)["replicas"])
    return seen


def test_metrics_add_up_across_workers(two_workers: Served) -> None:
    for _ in range(REQUESTS):
        assert signed_slash_latency(two_workers.port)[0] == 200
    # (Both workers answer; the kernel hands a new connection to either, often the same one many times
    # in a row on a busy machine, so it takes more than a few probes to see both.)
    assert len(workers_answering(two_workers.port, 200)) == 2
    counts = []
    for _ in range(SCRAPES):
        status, text = get(two_workers.port, "/metrics")
        assert status == 200
        counts.append(sample(text, "innov_http_requests_total", route="/slack/events", status="200"))
    # Every scrape sees the whole server, so a counter never goes backwards between scrapes.
    assert counts == [REQUESTS] * SCRAPES
    _, text = get(two_workers.port, "/metrics")
    assert sample(text, "innov_knowledge_info", version=health_of(two_workers)["kb_version"]) == 1
    assert sample(text, "innov_background_pending") == 0


def health_of(served: Served) -> dict[str, object]:
    status, body = get(served.port, "/healthz")
    assert status == 200
    return dict(json.loads(body))


def test_a_failed_reload_shows_on_every_worker_without_paths(
    two_workers: Served, kb_dir: Path, tmp_path: Path, stub: SlackApiStub
) -> None:
    facts = kb_dir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").rstrip() + "\n" + BROKEN_QUOTE, encoding="utf-8")
    body = slash_body("reload", user=ADMIN, response_url=stub.response_url("reload"))
    status, _, _ = post(two_workers.port, body, signed_headers(body))
    assert status == 200
    [report] = stub.wait_for("response_url", 1, timeout=60)
    assert "broken-edit" in report.text  # the admin gets the details
    problems, healths = [], []
    for _ in range(SCRAPES):
        _, text = get(two_workers.port, "/metrics")
        problems.append(sample(text, "innov_knowledge_problems"))
        healths.append(get(two_workers.port, "/healthz")[1].decode())
    assert problems == [1] * SCRAPES  # one worker reloaded; every scrape reports it
    assert all(json.loads(h)["kb_problems"] == 1 for h in healths), healths
    assert not any(str(tmp_path) in h or "broken-edit" in h for h in healths)
    assert f"{facts}:" in two_workers.log()  # the details go to the log
