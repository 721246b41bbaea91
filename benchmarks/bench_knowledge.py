"""Answer latency, index build time and peak memory: innov's knowledge engine beside a naive rank-bm25 scan.

For the seed corpus and for synthetic corpora of 10k and 100k passages, in one run:

* ours: ``Composer`` (the full answer path: tokenize, BM25 over posting lists, facts, sentence choice);
* baseline: ``rank_bm25.BM25Okapi(tokenized).get_scores(query)`` plus an argmax over every passage,
  on the same passages and questions (retrieval only, so the baseline does strictly less work).

Each (corpus, engine) pair is measured in a fresh subprocess so peak memory (``ru_maxrss`` growth during
the build) is the engine's own. Synthetic passages are seed sentences with a share of their words swapped
for other corpus words and numbers, so term statistics look like real text.

    python -m benchmarks knowledge          # the full run (a few minutes on 2 cores)
    python -m benchmarks.bench_knowledge --sizes 2000 --reps 3
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"

QUESTIONS = [
    "What is China's rank in the Global Innovation Index?",
    "Where does China stand in the GII?",
    "How much did China spend on R&D in 2024?",
    "What was China's research and development expenditure?",
    "How many high-tech enterprises does China have?",
    "How many robots per 10,000 workers does China have?",
    "How many patents does Beijing's robotics industry hold?",
    "Which clusters rank among the global top 10?",
    "What is Zhongguancun known as?",
    "How much will AstraZeneca invest in Beijing?",
    "What did Medtronic launch in the BDA?",
    "When was Made in China 2025 launched?",
    "What is the 863 Program?",
    "Who said clusters form the backbone of a nation's innovation ecosystem?",
    "What is the AMNC 23 initiative?",
    "Which Chinese companies are pioneering AI innovations?",
    "How many provinces prioritized AI in their government work reports?",
    "What is the theme of the Zhongguancun Forum?",
    "When does the ZGC Forum conclude?",
    "How many specialized and innovative SMEs are there?",
    "What are the challenges facing China's innovation ecosystem?",
    "How does China protect intellectual property?",
    "What is the Greater Bay Area?",
    "What is China doing about 5G and 6G?",
    "Why does China have an advantage in AI?",
    "Where does Canada rank in the GII?",
    "Who is the CEO of Apple?",
    "Will it rain in Lisbon today?",
    "What's the office wifi password?",
    "lorem ipsum dolor",
]

TARGETS_P50_MS = {0: 0.5, 10_000: 3.0, 100_000: 20.0}
TARGET_BUILD_S = {100_000: 60.0}
PASSAGES_PER_ARTICLE = 100


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def synthetic_corpus(size: int, seed: int = 7) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """``size`` passages (the seed passages first) in articles of 100, plus the seed facts."""
    from knowledge import Article, Passage, load_snapshot
    from knowledge.text import split_sentences

    snapshot = load_snapshot(SEEDS)
    rng = random.Random(seed)
    sentences = [s for p in snapshot.passages for s in p.sentences if len(s.split()) > 4]
    vocabulary = sorted({w for s in sentences for w in s.split() if w.isalpha()})
    articles: dict[str, Article] = dict(snapshot.articles)
    passages: list[Passage] = list(snapshot.passages)
    while len(passages) < size:
        number = len(passages)
        article_id = f"synthetic-{number // PASSAGES_PER_ARTICLE}"
        if article_id not in articles:
            articles[article_id] = Article(
                id=article_id,
                title=f"Synthetic article {number // PASSAGES_PER_ARTICLE}",
                text="",
                raw="",
                path="",
            )
        chosen = []
        for sentence in rng.sample(sentences, rng.randint(2, 4)):
            words = sentence.split()
            for i in range(len(words)):
                roll = rng.random()
                if roll < 0.2:
                    words[i] = rng.choice(vocabulary)
                elif roll < 0.23:
                    words[i] = str(rng.randint(1, 99_999))
            chosen.append(" ".join(words))
        passages.append(
            Passage(
                id=f"{article_id}#{number}",
                article_id=article_id,
                sentences=tuple(split_sentences(" ".join(chosen))),
            )
        )
    return articles, passages[:size], list(snapshot.facts.values())


def _latencies(fn: Any, questions: list[str], reps: int) -> list[float]:
    for question in questions:  # warm caches (stems, numpy) before timing
        fn(question)
    times = []
    for _ in range(reps):
        for question in questions:
            started = time.perf_counter()
            fn(question)
            times.append((time.perf_counter() - started) * 1000)
    return times


def measure(size: int, engine: str, reps: int) -> dict[str, Any]:
    """Build one engine on one corpus (0 = the seeds) and time it; runs inside its own subprocess."""
    from rank_bm25 import BM25Okapi

    from knowledge.composer import Composer
    from knowledge.text import tokenize

    if size == 0:
        from knowledge import load_snapshot

        snapshot = load_snapshot(SEEDS)
        articles, passages, facts = snapshot.articles, list(snapshot.passages), list(snapshot.facts.values())
    else:
        articles, passages, facts = synthetic_corpus(size)
    rss_before = _maxrss_mb()
    started = time.perf_counter()
    equal: bool | None = None
    if engine == "ours":
        composer = Composer(articles, passages, facts, "bench")
        build_s = time.perf_counter() - started
        rss_after = _maxrss_mb()
        times = _latencies(composer.answer, QUESTIONS, reps)
        if size <= 10_000:
            # Our sparse scores must equal rank-bm25's formula (with Lucene IDF) on this very corpus.
            from knowledge.index import LuceneBM25

            tokenized = [tokenize(f"{p.heading or ''} {p.text}") for p in passages]
            reference = LuceneBM25(tokenized)
            equal = all(
                np.allclose(composer.passage_index.scores(tokenize(q)), reference.get_scores(tokenize(q)))
                for q in QUESTIONS
            )
    else:
        tokenized = [tokenize(f"{p.heading or ''} {p.text}") for p in passages]
        bm25 = BM25Okapi(tokenized)
        build_s = time.perf_counter() - started
        rss_after = _maxrss_mb()

        def scan(question: str) -> int:
            return int(np.argmax(bm25.get_scores(tokenize(question))))

        times = _latencies(scan, QUESTIONS, reps)
    return {
        "passages": len(passages),
        "engine": engine,
        "build_s": round(build_s, 3),
        "peak_mb": round(rss_after - rss_before, 1),
        "p50_ms": round(statistics.median(times), 4),
        "p99_ms": round(float(np.percentile(times, 99)), 4),
        "queries": len(times),
        "equal_to_rank_bm25": equal,
    }


def _in_subprocess(size: int, engine: str, reps: int) -> dict[str, Any]:
    code = f"import json; from benchmarks.bench_knowledge import measure; print(json.dumps(measure({size}, {engine!r}, {reps})))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=1800
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(sizes: tuple[int, ...] = (10_000, 100_000), reps: int | None = None) -> list[dict[str, Any]]:
    """One row per corpus: ours beside the baseline, with the targets."""
    rows = []
    for size in (0, *sizes):
        ours_reps = reps or (200 if size == 0 else 20)
        base_reps = reps or (200 if size == 0 else 5 if size <= 10_000 else 1)
        ours = _in_subprocess(size, "ours", ours_reps)
        base = _in_subprocess(size, "rank-bm25", base_reps)
        target = TARGETS_P50_MS.get(size)
        build_target = TARGET_BUILD_S.get(size)
        met = (target is None or ours["p50_ms"] <= target) and (
            build_target is None or ours["build_s"] <= build_target
        )
        rows.append(
            {
                "corpus": "seeds" if size == 0 else f"synthetic {size:,}",
                "passages": ours["passages"],
                "ours p50 ms": ours["p50_ms"],
                "ours p99 ms": ours["p99_ms"],
                "rank-bm25 p50 ms": base["p50_ms"],
                "rank-bm25 p99 ms": base["p99_ms"],
                "ours build s": ours["build_s"],
                "rank-bm25 build s": base["build_s"],
                "ours peak MB": ours["peak_mb"],
                "rank-bm25 peak MB": base["peak_mb"],
                "scores equal rank-bm25": ours["equal_to_rank_bm25"],
                "target": (f"p50 <= {target} ms" if target is not None else "")
                + (f", build <= {build_target:.0f} s" if build_target else ""),
                "met": met,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    from benchmarks import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args(argv)
    print(markdown_table(run(tuple(args.sizes), args.reps)))


if __name__ == "__main__":
    main()
