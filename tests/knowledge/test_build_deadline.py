"""A build's deadline moves on while it embeds (its heartbeat), and a stalled build is still stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from knowledge import build

# A child that beats ``heartbeat`` every 0.1 s for ``beats`` beats, then sleeps ``then`` s and prints.
CHILD = """
import sys, time
from pathlib import Path
heartbeat, beats, then = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
for n in range(beats):
    heartbeat.write_text(str(n))
    time.sleep(0.1)
time.sleep(then)
print('{"version": "done"}')
"""


def _child(heartbeat: Path, beats: int, then: float) -> list[str]:
    return [sys.executable, "-c", CHILD, str(heartbeat), str(beats), str(then)]


@pytest.fixture(autouse=True)
def short_stall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "STALL_SECONDS", 0.5)
    monkeypatch.setattr(build, "POLL_SECONDS", 0.05)


def test_a_build_beating_its_heartbeat_outlives_its_deadline(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    started = time.monotonic()
    done = build._run(_child(heartbeat, beats=15, then=0.0), dict(os.environ), 0.3, heartbeat)
    assert time.monotonic() - started > 1.0  # ran past its 0.3 s: it kept beating
    assert done.returncode == 0 and b"done" in done.stdout


def test_a_build_that_stops_beating_is_stopped(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        build._run(_child(heartbeat, beats=3, then=30.0), dict(os.environ), 0.3, heartbeat)
    assert time.monotonic() - started < 10  # 0.3 s of beats, then stopped 0.5 s after the last


def test_a_build_that_never_beats_keeps_the_plain_deadline(tmp_path: Path) -> None:
    heartbeat = tmp_path / "heartbeat"
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        build._run(_child(heartbeat, beats=0, then=30.0), dict(os.environ), 0.3, heartbeat)
    assert time.monotonic() - started < 5
