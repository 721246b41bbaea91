"""The worst question for the answer path: 2,000 characters of never-seen 5-7-letter words (issue 21, item 6).

Every such word is unknown to the corpus and to the speller's cache, so each one would cost an
edit-distance search of the vocabulary (about 3 ms at the Zipf 10k corpus). The speller makes at most
``knowledge.normalise.SPELLER_LOOKUPS`` of them a question and leaves the rest as typed; this benchmark
measures the question's whole answer (and ``/innov facts <topic>`` on the same text) with that bound and,
in the same process on fresh words, without it (``Speller.lookups = None``: the behaviour before it).

    python -m benchmarks worst                       # Zipf 10k (target: <= 50 ms a question)
    python -m benchmarks.bench_worst --size 2000     # a smaller corpus
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import time_each_ms

TARGET_MS = 50.0
QUESTION_CHARS = 2_000  # the longest question innov takes (``knowledge.composer.MAX_QUESTION_CHARS``)


def worst_questions(count: int, known: Callable[[str], bool], seed: int = 21) -> list[str]:
    """``count`` questions of about 2,000 characters, each of distinct 5-7-letter words never seen before
    (by ``known``, nor by any earlier question): every word misses the speller's cache."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out = []
    for _ in range(count):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < QUESTION_CHARS - 8:
            word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 7)))
            if word not in seen and not known(word):
                seen.add(word)
                words.append(word)
        out.append(" ".join(words)[: QUESTION_CHARS - 1] + "?")
    return out


def run(size: int = 10_000, count: int = 20, unbounded_count: int = 5) -> list[dict[str, Any]]:
    """One row per case (question, capitalised question, facts topic), bounded beside unbounded."""
    from benchmarks import corpora
    from benchmarks.bench_knowledge import ready_as_served
    from knowledge import load_snapshot

    directory = corpora.knowledge_dir("zipf", size)
    with tempfile.TemporaryDirectory(prefix="innov-bench-worst-") as tmp:
        snapshot = load_snapshot(directory, index_dir=Path(tmp))
    composer = snapshot.composer
    ready_as_served(composer)
    speller = composer.speller
    bound = speller.lookups

    def known(word: str) -> bool:
        return word in speller.protected or word in speller.known

    questions = worst_questions(3 * (count + unbounded_count), known)
    cases: list[tuple[str, Callable[[str], Any], Callable[[str], str]]] = [
        ("question, lower case", composer.answer, lambda q: q),
        ("question, every word capitalised", composer.answer, lambda q: q.title()),
        ("/innov facts <topic>", composer.find_facts, lambda q: q),
    ]
    rows = []
    for n, (case, fn, shape) in enumerate(cases):
        mine = questions[n * (count + unbounded_count) : (n + 1) * (count + unbounded_count)]
        speller.lookups = bound
        bounded = time_each_ms(fn, [shape(q) for q in mine[:count]])
        speller.lookups = None  # as before the bound: every unknown word searched
        try:
            unbounded = time_each_ms(fn, [shape(q) for q in mine[count:]])
        finally:
            speller.lookups = bound
        rows.append(
            {
                "corpus": f"zipf {size:,}",
                "case": case,
                "words": len(mine[0].split()),
                "look-ups bound": bound,
                "bounded p50 ms": round(statistics.median(bounded), 2),
                "bounded max ms": round(max(bounded), 2),
                "unbounded (before) p50 ms": round(statistics.median(unbounded), 1),
                "unbounded max ms": round(max(unbounded), 1),
                "target": f"p50 <= {TARGET_MS:g} ms",
                "met": statistics.median(bounded) <= TARGET_MS,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    from benchmarks import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args(argv)
    print(markdown_table(run(args.size, args.count)))


if __name__ == "__main__":
    main()
