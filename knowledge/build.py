"""Build a knowledge base in a child process with memory and time limits, and save its index.

A knowledge directory is edited by people: a YAML file that expands without end, or a huge article,
must not take the serving process down. The child reads and parses the files under ``RLIMIT_AS`` and
a deadline, and writes the saved index for the content's hash; the parent then maps it. Only a build
that finished and validated everything yields a version.

Embedding is the one long step a legitimate build has (about 9 ms a sentence on two cores: minutes at
10k passages), and its length is bounded by the files' size limits: while the child embeds, it beats a
heartbeat file with every few hundred texts, and the deadline moves on with each beat (a build stalled for
``STALL_SECONDS`` is still stopped). Reading, parsing and indexing keep the plain deadline.

    python -m knowledge.build KNOWLEDGE_DIR INDEX_DIR   # prints one JSON line: {"version"} or {"problems"}
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from knowledge import embedding
from knowledge.errors import KnowledgeLoadError, Problem
from knowledge.files import Limits

STDERR_TAIL = 300  # characters of a crashed child's stderr kept in the problem
# While the child embeds, its deadline is this long after its last heartbeat (a beat every 256 texts).
STALL_SECONDS = 60.0
POLL_SECONDS = 0.5


def build_in_child(directory: Path, index_dir: Path, limits: Limits, build_limits: object) -> str:
    """Run the build in a child process; the version it saved, or ``KnowledgeLoadError``."""
    from knowledge.base import BuildLimits

    assert isinstance(build_limits, BuildLimits)
    command = [
        sys.executable,
        "-m",
        "knowledge.build",
        "--memory-bytes",
        str(build_limits.memory_bytes),
        "--max-file-bytes",
        str(limits.max_file_bytes),
        "--max-total-bytes",
        str(limits.max_total_bytes),
        str(directory),
        str(index_dir),
    ]
    # One BLAS thread: its per-thread buffers would count against the address-space limit for nothing.
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.update(embedding.config().env())  # the child embeds as this process would
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    where = str(directory)
    with tempfile.TemporaryDirectory(prefix="innov-build-") as scratch:
        heartbeat = Path(scratch) / "heartbeat"
        command[3:3] = ["--heartbeat", str(heartbeat)]
        try:
            done = _run(command, env, build_limits.seconds, heartbeat)
        except subprocess.TimeoutExpired as exc:
            stalled = (
                "stalled while embedding" if heartbeat.exists() else f"took over {build_limits.seconds:g} s"
            )
            raise KnowledgeLoadError(
                [Problem(where, 0, f"building the knowledge base {stalled} and was stopped")]
            ) from exc
        except OSError as exc:
            raise KnowledgeLoadError([Problem(where, 0, f"cannot start the knowledge build: {exc}")]) from exc
    result = _result(done.stdout)
    if result is not None and "version" in result:
        return str(result["version"])
    if result is not None and "problems" in result:
        raise KnowledgeLoadError([Problem(str(f), int(n), str(m)) for f, n, m in result["problems"]])
    tail = done.stderr.decode("utf-8", "replace").strip()[-STDERR_TAIL:]
    why = failure(done.returncode, tail, build_limits.memory_bytes, build_limits.seconds)
    raise KnowledgeLoadError([Problem(where, 0, f"building the knowledge base {why}")])


def failure(returncode: int, tail: str, memory_bytes: int, seconds: float) -> str:
    """What a build child that printed no outcome ran into, from its exit and the end of its stderr."""
    # (The embedding runtime's C++ allocator says "bad_alloc" where Python says MemoryError.)
    if returncode in (-signal.SIGKILL, -signal.SIGXCPU) or "MemoryError" in tail or "bad_alloc" in tail:
        return (
            f"ran out of its limits ({memory_bytes // 2**20} MiB, {seconds:g} s): raise INNOV_BUILD_MEMORY_MB "
            "or INNOV_BUILD_SECONDS"
        )
    if "Traceback (most recent call last)" in tail:
        # A traceback's last line says what failed; the lines above it are source code, not a message.
        return f"failed (exit {returncode}): {tail.splitlines()[-1].strip()}"
    return f"failed (exit {returncode}): {tail or 'no output'}"


def _run(
    command: list[str], env: dict[str, str], seconds: float, heartbeat: Path
) -> subprocess.CompletedProcess[bytes]:
    """Run the child until it exits; ``TimeoutExpired`` (the child killed) once it is past its deadline:
    ``seconds`` from its start, or ``STALL_SECONDS`` after its last heartbeat, whichever is later."""
    started = time.monotonic()
    deadline = started + seconds
    beat = 0.0
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env
    ) as child:
        while True:
            try:
                stdout, stderr = child.communicate(
                    timeout=max(0.01, min(POLL_SECONDS, deadline - time.monotonic()))
                )
                return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)
            except subprocess.TimeoutExpired:
                try:
                    mtime = heartbeat.stat().st_mtime
                except OSError:
                    mtime = 0.0
                if mtime != beat:  # a beat since the last look: the child is embedding
                    beat = mtime
                    deadline = max(deadline, time.monotonic() + STALL_SECONDS)
                if time.monotonic() >= deadline:
                    child.kill()
                    child.communicate()
                    raise


def _result(stdout: bytes) -> dict[str, Any] | None:
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        return None
    try:
        data = json.loads(lines[-1])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def main(argv: list[str] | None = None) -> int:
    """The child: set its own limits, build, save, print the outcome as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m knowledge.build")
    parser.add_argument("directory", type=Path)
    parser.add_argument("index_dir", type=Path)
    parser.add_argument("--memory-bytes", type=int, default=0)
    parser.add_argument("--max-file-bytes", type=int, default=Limits().max_file_bytes)
    parser.add_argument("--max-total-bytes", type=int, default=Limits().max_total_bytes)
    parser.add_argument("--heartbeat", type=Path, default=None, help="touched while the build embeds")
    args = parser.parse_args(argv)
    if args.heartbeat is not None:
        embedding.set_build_progress(_beating(args.heartbeat, embedding.build_progress()))
    if args.memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (args.memory_bytes, args.memory_bytes))
    from knowledge.base import build_and_save

    limits = Limits(args.max_file_bytes, args.max_total_bytes)
    try:
        version = build_and_save(args.directory, args.index_dir, limits)
    except KnowledgeLoadError as exc:
        print(json.dumps({"problems": [[p.file, p.line, p.message] for p in exc.problems]}))
        return 1
    except MemoryError:
        print(
            json.dumps(
                {"problems": [[str(args.directory), 0, "building the knowledge base ran out of memory"]]}
            )
        )
        return 1
    except OSError as exc:
        print(json.dumps({"problems": [[str(args.index_dir), 0, f"cannot save the knowledge index: {exc}"]]}))
        return 1
    print(json.dumps({"version": version}))
    return 0


def _beating(heartbeat: Path, progress: embedding.Progress) -> embedding.Progress:
    """``progress``, and a beat of the heartbeat file with each report (the parent's deadline moves on)."""

    def beat(done: int, total: int) -> None:
        heartbeat.write_text(f"{done} {total}\n", encoding="utf-8")
        progress(done, total)

    return beat


if __name__ == "__main__":
    sys.exit(main())
