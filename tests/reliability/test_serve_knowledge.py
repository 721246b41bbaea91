"""``innov serve`` over a knowledge directory that breaks: workers restart and the server restarts.

Real processes: gunicorn's master and a worker, signed requests over loopback, a worker killed with
SIGKILL (as the OOM killer or a timeout would), and a restart of the whole server over broken files.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.helpers import health, stop
from tests.e2e.slack_api_stub import SlackApiStub
from tests.e2e.test_runner import clean_env, free_port, wait_for_port
from tests.reliability.serving import post, signed_headers, slash_body, start_serve

ROOT = Path(__file__).resolve().parents[2]
BROKEN_QUOTE = """
  - id: broken-edit
    answer: China has 99 widgets.
    value: "99"
    source: focus-on-tech-innovations
    quote: "a quote that is in no article"
"""


def serve(kb_dir: Path, index_dir: Path, stub: SlackApiStub, port: int) -> subprocess.Popen[str]:
    env = clean_env(
        PORT=str(port),
        HOST="127.0.0.1",
        SLACK_BOT_TOKEN="xoxb-0000-serve-test",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=stub.base_url,
        INNOV_KNOWLEDGE_DIR=str(kb_dir),
        INNOV_INDEX_DIR=str(index_dir),
        WEB_CONCURRENCY="1",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main(['serve']))"],
        cwd=kb_dir.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ask(port: int, question: str) -> str:
    from urllib.parse import quote

    from slack_sdk.signature import SignatureVerifier

    body = f"command=%2Finnov&text={quote(question)}&user_id=U0ALICE&channel_id=C0GENERAL&team_id=T0TEST"
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body)
        or "",
    }
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/slack/events", body=body, headers=headers)
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    assert response.status == 200, text
    return text


def worker_pid(port: int) -> int:
    status = health(port)
    assert status is not None
    (replica,) = [r for r in status["replicas"] if r.split("-")[-2].isdigit()]
    return int(replica.split("-")[-2])


def test_a_bad_edit_then_a_worker_restart_keeps_serving_the_last_good_knowledge(
    kb_dir: Path, tmp_path: Path, stub: SlackApiStub
) -> None:
    port = free_port()
    process = serve(kb_dir, tmp_path / "index", stub, port)
    try:
        wait_for_port(port, process, timeout=60)
        first = worker_pid(port)
        version = health(port)["kb_version"]  # type: ignore[index]
        facts = kb_dir / "facts.yaml"
        facts.write_text(facts.read_text(encoding="utf-8").rstrip() + "\n" + BROKEN_QUOTE, encoding="utf-8")
        os.kill(first, signal.SIGKILL)  # what an OOM kill or a worker timeout does
        failed, probes, deadline = 0, 0, time.monotonic() + 30
        while time.monotonic() < deadline:
            status = health(port)
            probes += 1
            if status is None:
                failed += 1
            elif worker_pid(port) != first:
                break
            time.sleep(0.1)
        assert process.poll() is None, "the master exited"
        assert worker_pid(port) != first
        # A health probe may meet the gap while gunicorn forks the new worker; the server never goes down.
        assert failed < probes / 2
        assert health(port)["kb_version"] == version  # type: ignore[index]
        assert "11th" in ask(port, "What is China's GII rank?")
    finally:
        stop(process)


def test_serve_over_a_broken_directory_serves_the_last_good_index_and_says_so(
    kb_dir: Path, tmp_path: Path, stub: SlackApiStub
) -> None:
    index_dir = tmp_path / "index"
    port = free_port()
    process = serve(kb_dir, index_dir, stub, port)
    try:
        wait_for_port(port, process, timeout=60)
        version = health(port)["kb_version"]  # type: ignore[index]
    finally:
        stop(process)
    facts = kb_dir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").rstrip() + "\n" + BROKEN_QUOTE, encoding="utf-8")
    port = free_port()
    process = serve(kb_dir, index_dir, stub, port)
    try:
        wait_for_port(port, process, timeout=60)
        status = health(port)
        assert status is not None and status["kb_version"] == version
        # /healthz counts the problems; their paths and text are for the log (and the admins), not probes.
        assert status["kb_problems"] == 1
        assert str(kb_dir) not in json.dumps(status) and "broken-edit" not in json.dumps(status)
        assert "11th" in ask(port, "What is China's GII rank?")
    finally:
        stop(process)
    log = process.stderr.read() if process.stderr else ""
    assert f"{facts}:" in log and "broken-edit" in log


def test_serve_over_a_broken_directory_with_no_saved_index_exits_1_with_the_problems(
    kb_dir: Path, tmp_path: Path, stub: SlackApiStub
) -> None:
    facts = kb_dir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").rstrip() + "\n" + BROKEN_QUOTE, encoding="utf-8")
    process = serve(kb_dir, tmp_path / "empty-index", stub, free_port())
    try:
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1
    assert f"{facts}:" in err and "broken-edit" in err


def fact_chunks(text: str, count: int) -> list[str]:
    """``text`` (facts.yaml) cut into ``count`` pieces at fact boundaries: every prefix is valid YAML."""
    starts = [m.start() for m in re.finditer(r"^  - id:", text, flags=re.MULTILINE)]
    cuts = [starts[len(starts) * k // count] for k in range(1, count)]
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def test_a_reload_during_a_non_atomic_write_never_serves_half_a_file(
    kb_dir: Path, tmp_path: Path, stub: SlackApiStub
) -> None:
    """facts.yaml rewritten in place in chunks (each prefix valid YAML, as a slow copy leaves it), with
    admin reloads sent between chunks: each reload serves the whole file or refuses, never a part."""
    facts = kb_dir / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    total = text.count("\n  - id:")
    served = start_serve(
        tmp_path, kb_dir, stub.base_url, INNOV_ADMINS="U0ADMIN", INNOV_INDEX_DIR=str(tmp_path / "index")
    )
    try:
        with facts.open("w", encoding="utf-8") as out:  # truncated: from here on the file is partial
            for n, chunk in enumerate(fact_chunks(text, 8)):
                out.write(chunk)
                out.flush()
                if n < 5:
                    body = slash_body("reload", user="U0ADMIN", response_url=stub.response_url(f"r{n}"))
                    assert post(served.port, body, signed_headers(body))[0] == 200
                time.sleep(0.3)
        reports = [call.text for call in stub.wait_for("response_url", 5, timeout=90)]
        status = health(served.port)
        assert status is not None
    finally:
        assert served.stop() == 0
    for report in reports:
        if "Reload failed" in report:
            assert "facts.yaml" in report and "changed while it was read" in report, report
        else:
            assert f"{total} facts." in report, report
    assert any("Reloaded" in report for report in reports)  # the file, once whole, was served
    assert "kb_problems" not in status
