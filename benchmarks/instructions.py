"""Instructions per answer under callgrind: a measure of the answer path that the machine's load does not move.

On a shared host wall-clock latency moves by a third from one minute to the next; the number of
instructions an answer executes does not. This runs the in-process benchmark's questions (the seeds'
``dev_qa.json``, or a generated corpus's 100 questions) under ``valgrind --tool=callgrind`` twice, answering
them ``--passes`` times and twice (both warmed and settled as a server is), and reports the difference
per answer: start-up, loading and warming cancel out.

    python -m benchmarks.instructions                      # the seed corpus
    python -m benchmarks.instructions --corpus zipf 10000

Needs valgrind (Debian's ``valgrind``); each corpus takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def answer_passes(kind: str, size: int, passes: int) -> None:
    """In the measured process: load, warm and settle, then answer the questions ``passes`` times."""
    from benchmarks.bench_knowledge import _corpus, ready_as_served
    from benchmarks.corpora import cache_root
    from knowledge import load_snapshot

    directory, questions = _corpus(kind, size)
    composer = load_snapshot(
        directory, index_dir=cache_root() / "instructions-index" / f"{kind}-{size}"
    ).composer
    ready_as_served(composer)
    for _ in range(passes):
        for question in questions:
            composer.answer(question)


def _instructions(kind: str, size: int, passes: int) -> int:
    with tempfile.TemporaryDirectory(prefix="innov-callgrind-") as tmp:
        out = Path(tmp) / "callgrind.out"
        code = f"from benchmarks.instructions import answer_passes; answer_passes({kind!r}, {size}, {passes})"
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": "0"},  # the same string hashes, so the same set layouts
            check=True,
            capture_output=True,
        )
        found = re.search(r"^summary: (\d+)", out.read_text(), re.MULTILINE)
        if found is None:
            raise RuntimeError("callgrind wrote no summary")
        return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", nargs=2, metavar=("KIND", "SIZE"), default=("seeds", "0"))
    parser.add_argument("--passes", type=int, default=8, help="answer passes measured (beyond the first two)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    kind, size = args.corpus[0], int(args.corpus[1])
    answer_passes(kind, size, 0)  # build and save the index now, outside the measured processes
    from benchmarks.bench_knowledge import _corpus

    questions = len(_corpus(kind, size)[1])
    low, high = _instructions(kind, size, 2), _instructions(kind, size, 2 + args.passes)
    per_answer = (high - low) / (args.passes * questions)
    print(f"{kind} {size}: {per_answer:,.0f} instructions an answer ({args.passes} x {questions} answers)")


if __name__ == "__main__":
    main()
