"""Build a knowledge base in a child process with memory and time limits, and save its index.

A knowledge directory is edited by people: a YAML file that expands without end, or a huge article,
must not take the serving process down. The child reads and parses the files under ``RLIMIT_AS`` and
a deadline, and writes the saved index for the content's hash; the parent then maps it. Only a build
that finished and validated everything yields a version.

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
from pathlib import Path
from typing import Any

from knowledge import embedding
from knowledge.errors import KnowledgeLoadError, Problem
from knowledge.files import Limits

STDERR_TAIL = 300  # characters of a crashed child's stderr kept in the problem


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
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=build_limits.seconds, env=env, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise KnowledgeLoadError(
            [
                Problem(
                    where,
                    0,
                    f"building the knowledge base took over {build_limits.seconds:g} s and was stopped",
                )
            ]
        ) from exc
    except OSError as exc:
        raise KnowledgeLoadError([Problem(where, 0, f"cannot start the knowledge build: {exc}")]) from exc
    result = _result(done.stdout)
    if result is not None and "version" in result:
        return str(result["version"])
    if result is not None and "problems" in result:
        raise KnowledgeLoadError([Problem(str(f), int(n), str(m)) for f, n, m in result["problems"]])
    tail = done.stderr.decode("utf-8", "replace").strip()[-STDERR_TAIL:]
    if done.returncode in (-signal.SIGKILL, -signal.SIGXCPU) or "MemoryError" in tail:
        why = f"ran out of its limits ({build_limits.memory_bytes // 2**20} MiB, {build_limits.seconds:g} s)"
    else:
        why = f"failed (exit {done.returncode}): {tail or 'no output'}"
    raise KnowledgeLoadError([Problem(where, 0, f"building the knowledge base {why}")])


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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
