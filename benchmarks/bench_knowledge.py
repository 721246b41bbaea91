"""In-process knowledge benchmark: innov beside a naive rank-bm25 scan, bm25s and scipy.sparse, in one run.

For the seed corpus and for ``synthetic`` and ``zipf`` knowledge directories of 10k and 100k passages
(``benchmarks.corpora``), each engine in a fresh subprocess on the same passages and the same 100
distinct questions (every one a cache miss):

* innov cold: ``load_snapshot`` with an empty index directory (read, parse, build, save, map);
* innov saved: ``load_snapshot`` in a new process with the saved index (what a start or a reload pays
  when the index exists), its RSS, the full answer's latency (uncached: the median of ``ANSWER_RUNS``
  processes' p50s, each shown; and repeated through ``Services.answer`` with its answer cache), and
  retrieval alone beside the same CSR weights in
  ``scipy.sparse`` (whose top-k must be ours);
* rank-bm25: ``BM25Okapi.get_scores`` plus an argmax over every passage (retrieval only);
* bm25s: ``BM25(method="lucene").retrieve(k=8)`` on our tokens (retrieval only; its scores lack
  rank-bm25's ``k1 + 1`` factor, so they rank alike but are not equal).

    python -m benchmarks knowledge               # the full run (several minutes on 2 cores)
    python -m benchmarks.bench_knowledge --sizes 10000 --kinds zipf
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import time_each_ms

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
TOP_K = 8
# The answer latency is measured in this many processes and the median reported: on a shared 2-core VM
# one process runs the same code up to 1.7x slower than the next for its whole life (memory layout), so
# one process's figure says as much about its luck as about the code.
ANSWER_RUNS = 3
# In-process targets: uncached answer p50 (ms) by corpus size; the seed corpus's p50. With meaning (issue
# 19: a question is embedded, ~6 ms on two threads) up to INNOV_SEMANTIC_MAX_PASSAGES; 100k is lexical-only
# and keeps issue 9's target.
TARGETS_P50_MS = {0: 12.0, 10_000: 12.0, 100_000: 2.0}
REPEATED = [
    "What is China's rank in the Global Innovation Index?",
    "How much did China spend on R&D in 2024?",
    "How many high-tech enterprises does China have?",
    "What is Zhongguancun known as?",
    "Where does Canada rank in the GII?",
]


def rss_mb() -> float:
    """This process's resident set size now (MB), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ms(samples: list[float]) -> tuple[float, float]:
    return round(statistics.median(samples), 4), round(float(np.percentile(samples, 99)), 4)


def ready_as_served(composer: Any) -> None:
    """Bring a loaded composer to where a server's is when its first requests come."""
    from bot.knowledge_loading import settle_memory

    composer.warm()  # what a server does before it serves (lists, speller tables, first-use caches)
    # And, as a server does, the loaded knowledge out of the cyclic collector's reach (its freed heap
    # handed back to the OS: the next answers grow it again, as a server's first requests do).
    settle_memory()
    for question in REPEATED:  # warm the interpreter's paths (and the heap), not the measured questions
        composer.answer(question)


def _answer_latency(composer: Any, questions: list[str]) -> tuple[float, float]:
    """p50 and p99 (ms) of each question's first answer, the composer warmed as a server warms it."""
    ready_as_served(composer)
    return _ms(time_each_ms(composer.answer, questions))


def _corpus(kind: str, size: int) -> tuple[Path, list[str]]:
    from benchmarks import corpora

    if size == 0:
        questions = json.loads((ROOT / "eval" / "dev_qa.json").read_text(encoding="utf-8"))["items"]
        return SEEDS, [str(q["q"]) for q in questions]
    return corpora.knowledge_dir(kind, size), corpora.questions(kind)


def measure(kind: str, size: int, engine: str, index_dir: str) -> dict[str, Any]:
    """One engine on one corpus; runs in its own subprocess (so RSS and start-up are its own)."""
    from knowledge import load_snapshot
    from knowledge.text import tokenize

    directory, questions = _corpus(kind, size)
    rss_before = rss_mb()
    started = time.perf_counter()
    if engine == "innov-cold":
        snapshot = load_snapshot(directory, index_dir=Path(index_dir))
        return {
            "load_s": round(time.perf_counter() - started, 2),
            "rss_growth_mb": round(rss_mb() - rss_before),
        }
    if engine == "innov-answers":  # one more process's answer latency (see ``ANSWER_RUNS``)
        answer_p50, answer_p99 = _answer_latency(
            load_snapshot(directory, index_dir=Path(index_dir)).composer, questions
        )
        return {"answer_p50_ms": answer_p50, "answer_p99_ms": answer_p99}
    if engine == "innov":
        snapshot = load_snapshot(directory, index_dir=Path(index_dir))
        load_s = time.perf_counter() - started
        rss_loaded = rss_mb()
        composer = snapshot.composer
        answer_p50, answer_p99 = _answer_latency(composer, questions)
        term_lists = [list(dict.fromkeys(tokenize(q))) for q in questions]
        index = composer.passage_index
        ours = time_each_ms(lambda terms: index.retrieve(terms, TOP_K), term_lists)
        scipy_row = _scipy_retrieval(index, term_lists)
        repeated = _repeated_answers(snapshot)
        return {
            "passages": len(snapshot.passages),
            "load_s": round(load_s, 3),
            "rss_mb": round(rss_loaded),
            "answer_p50_ms": answer_p50,
            "answer_p99_ms": answer_p99,
            "repeated_p50_ms": repeated,
            "retrieve_p50_ms": _ms(ours)[0],
            **scipy_row,
        }
    snapshot = load_snapshot(directory, index_dir=Path(index_dir))
    tokenized = [tokenize(f"{p.heading or ''} {p.text}") for p in snapshot.passages]
    term_lists = [tokenize(q) for q in questions]
    del snapshot
    rss_before = rss_mb()
    started = time.perf_counter()
    if engine == "rank-bm25":
        from knowledge.index import LuceneBM25

        bm25 = LuceneBM25(tokenized)
        build_s = time.perf_counter() - started
        sample = term_lists if size <= 10_000 else term_lists[:20]  # ~0.3 s a question at 100k
        times = time_each_ms(lambda terms: int(np.argmax(bm25.get_scores(terms))), sample)
    else:
        import bm25s

        retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        retriever.index(tokenized, show_progress=False)
        build_s = time.perf_counter() - started
        times = time_each_ms(
            lambda terms: retriever.retrieve(
                [terms or ["__none__"]], k=TOP_K, show_progress=False, n_threads=1
            ),
            term_lists,
        )
    p50, p99 = _ms(times)
    return {
        "build_s": round(build_s, 2),
        "rss_growth_mb": round(rss_mb() - rss_before),
        "p50_ms": p50,
        "p99_ms": p99,
    }


def _scipy_retrieval(index: Any, term_lists: list[list[str]]) -> dict[str, Any]:
    """The same weights as a scipy CSR matrix (terms x passages): a row sum per question, then top-k."""
    from scipy.sparse import csr_matrix

    matrix = csr_matrix(
        (np.asarray(index.weights), np.asarray(index.docs), np.asarray(index.indptr)),
        shape=(len(index.vocabulary), index.size),
    )

    def retrieve(terms: list[str]) -> list[int]:
        ids = [index.vocabulary.get_id(t) for t in terms]
        ids = [i for i in ids if i >= 0]
        if not ids:
            return []
        scores = np.asarray(matrix[ids].sum(axis=0)).ravel()
        top = np.argpartition(-scores, min(TOP_K, len(scores) - 1))[:TOP_K]
        order = sorted(top.tolist(), key=lambda d: (-scores[d], d))
        return [d for d in order if scores[d] > 0]

    def agree(terms: list[str]) -> bool:  # the same scores (near-ties may order differently)
        theirs, ours = retrieve(terms), index.retrieve(terms, TOP_K)
        return len(theirs) == len(ours) and bool(
            np.allclose(sorted(scores_of(terms)[theirs]), sorted(h.score for h in ours))
        )

    def scores_of(terms: list[str]) -> np.ndarray:
        ids = [i for i in (index.vocabulary.get_id(t) for t in terms) if i >= 0]
        return np.asarray(matrix[ids].sum(axis=0)).ravel() if ids else np.zeros(index.size)

    same = all(agree(t) for t in term_lists[:20])
    return {"scipy_p50_ms": _ms(time_each_ms(retrieve, term_lists))[0], "scipy_same_top_k": same}


def _repeated_answers(snapshot: Any) -> float:
    """A repeated question through ``Services.answer``: the answer cache (in-process store) hits."""
    from bot.services import Services
    from bot.settings import Settings
    from knowledge import KnowledgeBase

    kb = KnowledgeBase(snapshot.directory, snapshot=snapshot)
    services = Services(Settings(_env_file=None), kb=kb)  # type: ignore[call-arg]
    for question in REPEATED:
        services.answer(question)
    times = time_each_ms(services.answer, REPEATED * 40)
    services.close()
    return _ms(times)[0]


def _in_subprocess(kind: str, size: int, engine: str, index_dir: Path) -> dict[str, Any]:
    code = (
        "import json; from benchmarks.bench_knowledge import measure; "
        f"print(json.dumps(measure({kind!r}, {size}, {engine!r}, {str(index_dir)!r})))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        raise RuntimeError(f"{engine} on {kind} {size}: {done.stderr.strip()[-800:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(
    sizes: tuple[int, ...] = (10_000, 100_000), kinds: tuple[str, ...] = ("synthetic", "zipf")
) -> list[dict[str, Any]]:
    """One row per corpus: innov (cold and saved) beside rank-bm25, bm25s and scipy.sparse."""
    rows = []
    corpora = [("seeds", 0)] + [(kind, size) for size in sizes for kind in kinds]
    with tempfile.TemporaryDirectory(prefix="innov-bench-index-") as tmp:
        for kind, size in corpora:
            _corpus(kind, size)  # written before any clock starts
            index_dir = Path(tmp) / f"{kind}-{size}"
            cold = _in_subprocess(kind, size, "innov-cold", index_dir)
            ours = _in_subprocess(kind, size, "innov", index_dir)
            answers = [ours] + [
                _in_subprocess(kind, size, "innov-answers", index_dir) for _ in range(ANSWER_RUNS - 1)
            ]
            answer_p50s = sorted(run["answer_p50_ms"] for run in answers)
            answer_p50 = statistics.median(answer_p50s)
            answer_p99 = statistics.median(run["answer_p99_ms"] for run in answers)
            naive = _in_subprocess(kind, size, "rank-bm25", index_dir)
            bm25s_row = _in_subprocess(kind, size, "bm25s", index_dir)
            target = TARGETS_P50_MS.get(size)
            rows.append(
                {
                    "corpus": "seeds" if size == 0 else f"{kind} {size:,}",
                    "passages": ours["passages"],
                    "innov answer p50 ms": answer_p50,
                    "p50 of each process": " / ".join(f"{v:.3f}" for v in answer_p50s),
                    "p99 ms": answer_p99,
                    "repeated p50 ms": ours["repeated_p50_ms"],
                    "innov retrieve p50 ms": ours["retrieve_p50_ms"],
                    "scipy.sparse p50 ms": ours["scipy_p50_ms"],
                    "bm25s p50 ms": bm25s_row["p50_ms"],
                    "rank-bm25 scan p50 ms": naive["p50_ms"],
                    "cold load s": cold["load_s"],
                    "saved load s": ours["load_s"],
                    "bm25s build s": bm25s_row["build_s"],
                    "rank-bm25 build s": naive["build_s"],
                    "innov RSS MB": ours["rss_mb"],
                    "same top-k as scipy": ours["scipy_same_top_k"],
                    "target": f"p50 <= {target} ms" if target is not None else "",
                    "met": target is None or answer_p50 <= target,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    from benchmarks import markdown_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--kinds", nargs="*", default=["synthetic", "zipf"])
    args = parser.parse_args(argv)
    print(markdown_table(run(tuple(args.sizes), tuple(args.kinds))))


if __name__ == "__main__":
    main()
