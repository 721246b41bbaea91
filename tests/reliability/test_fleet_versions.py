"""The newest good knowledge files win across a fleet (issue 21, items 1 and 2): a shell ``innov reload``
is not undone by the fleet's version key, and a restart after an edit serves the edit.

Real processes against a Redis of the test's own: ``innov serve`` with two gunicorn workers (two replicas
to the fleet), the ``innov`` CLI, signed ``/innov reload`` requests. A replica compares the version key
with what it serves when its Redis connection comes back and every 15 s; the tests drop the listeners'
connections to make that comparison happen now.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.conftest import RedisServer
from tests.e2e.slack_api_stub import SlackApiStub
from tests.reliability.serving import (
    ROOT,
    Served,
    clean_env,
    get,
    post,
    signed_headers,
    slash_body,
    start_serve,
)

ADMIN = "U0ADMIN"
WORKERS = 2
EXTRA = (
    "---\ntitle: Hefei quantum centre opens\n---\n"
    "The Zorblatt quantum centre opened in Hefei in 2025 with 400 researchers working on quantum sensing.\n"
)


def fleet_env(tmp_path: Path, kb_dir: Path, redis_url: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "INNOV_KNOWLEDGE_DIR": str(kb_dir),
        "INNOV_INDEX_DIR": str(tmp_path / "index"),
        "INNOV_ADMINS": ADMIN,
    }


def serve_fleet(tmp_path: Path, kb_dir: Path, stub: SlackApiStub, redis_url: str) -> Served:
    """``innov serve`` with two workers, both registered with the fleet before it is returned."""
    env = fleet_env(tmp_path, kb_dir, redis_url)
    served = start_serve(tmp_path, kb_dir, stub.base_url, WEB_CONCURRENCY=str(WORKERS), **env)
    wait_for(lambda: len(replicas(served)) == WORKERS, "both workers to register")
    return served


def replicas(served: Served) -> dict[str, str]:
    """Every replica of the fleet (each worker) and the version it serves, from ``/healthz``."""
    status, body = get(served.port, "/healthz")
    assert status == 200
    return dict(json.loads(body)["replicas"])


def wait_for(check: object, what: str, within: float = 30.0) -> None:
    assert callable(check)
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def innov(tmp_path: Path, kb_dir: Path, redis_url: str, *args: str) -> tuple[int, str]:
    """Run the ``innov`` CLI against the fleet's Redis and files: (exit code, stdout)."""
    done = subprocess.run(
        [sys.executable, "-c", f"from bot.cli import main; raise SystemExit(main({list(args)!r}))"],
        cwd=tmp_path,
        env=clean_env(PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING", **fleet_env(tmp_path, kb_dir, redis_url)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout


def admin_reload(served: Served, stub: SlackApiStub) -> str:
    """``/innov reload`` as an admin, signed; the report that follows through the response_url."""
    before = len(stub.calls("response_url"))
    body = slash_body("reload", user=ADMIN, response_url=stub.response_url(f"reload{before}"))
    assert post(served.port, body, signed_headers(body))[0] == 200
    return stub.wait_for("response_url", before + 1, timeout=60)[before].text


def fleet_key(redis_url: str) -> str:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return str(client.get("innov:kb:version"))
    finally:
        client.close()


def compare_with_the_version_key(redis_url: str) -> None:
    """Make every replica compare the version key with what it serves now, as its 15 s heartbeat would:
    Redis drops the listeners' connections and refuses new ones for a moment, so each listener sees its
    link lost (not just re-made under it by redis-py), reconnects and compares at once."""
    client = redis.Redis.from_url(redis_url)
    try:
        limit = client.config_get("maxclients")["maxclients"]
        client.config_set("maxclients", 1)
        try:
            assert client.execute_command("CLIENT", "KILL", "TYPE", "pubsub") >= WORKERS
            time.sleep(0.3)
        finally:
            client.config_set("maxclients", limit)
    finally:
        client.close()
    time.sleep(3.0)  # reconnect (0.5 s), compare, and reload for the key if it says so


def add_article(kb_dir: Path) -> None:
    (kb_dir / "zorblatt.md").write_text(EXTRA, encoding="utf-8")


def test_a_shell_reload_is_not_undone_by_the_version_key(
    tmp_path: Path, kb_dir: Path, stub: SlackApiStub, throwaway_redis: RedisServer
) -> None:
    served = serve_fleet(tmp_path, kb_dir, stub, throwaway_redis.url)
    try:
        old = next(iter(replicas(served).values()))
        assert "reloaded" in admin_reload(served, stub).lower()  # the admin's reload records the old version
        add_article(kb_dir)
        code, out = innov(tmp_path, kb_dir, throwaway_redis.url, "reload")
        assert code == 0, out
        new = re.findall(r"-> (\w+)", out)[0]
        assert new != old and out.count(f"ok, {old} -> {new}") == WORKERS, out
        compare_with_the_version_key(throwaway_redis.url)
        assert replicas(served) and set(replicas(served).values()) == {new}
        assert new in fleet_key(throwaway_redis.url)
    finally:
        assert served.stop() == 0
    assert "catching up with the version key" not in served.log_path.read_text(encoding="utf-8")


def test_a_restart_after_an_edit_serves_the_edit(
    tmp_path: Path, kb_dir: Path, stub: SlackApiStub, throwaway_redis: RedisServer
) -> None:
    served = serve_fleet(tmp_path, kb_dir, stub, throwaway_redis.url)
    try:
        old = next(iter(replicas(served).values()))
        admin_reload(served, stub)
    finally:
        assert served.stop() == 0
    add_article(kb_dir)
    code, out = innov(tmp_path, kb_dir, throwaway_redis.url, "check")
    assert code == 0, out
    new = re.findall(r"version (\w+)", out)[0]
    assert new != old
    served = serve_fleet(tmp_path, kb_dir, stub, throwaway_redis.url)
    try:
        compare_with_the_version_key(throwaway_redis.url)
        assert set(replicas(served).values()) == {new}
        assert new in fleet_key(throwaway_redis.url)
    finally:
        assert served.stop() == 0
