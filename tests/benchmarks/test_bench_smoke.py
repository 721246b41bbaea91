"""The benchmarks run end to end on small corpora (figures are not asserted: that is their job)."""

from __future__ import annotations

from benchmarks import markdown_table
from benchmarks.bench_knowledge import run


def test_knowledge_benchmark_runs_every_engine_on_the_same_questions() -> None:
    rows = run(sizes=(300,), kinds=("zipf",))
    assert [r["corpus"] for r in rows] == ["seeds", "zipf 300"]
    for row in rows:
        for column in ("innov answer p50 ms", "bm25s p50 ms", "rank-bm25 scan p50 ms", "scipy.sparse p50 ms"):
            assert row[column] > 0
        assert row["cold load s"] >= 0 and row["saved load s"] >= 0  # which is faster is the table's job
        assert row["same top-k as scipy"] is True
    assert rows[1]["passages"] == 300
    table = markdown_table(rows)
    assert table.splitlines()[0].startswith("| corpus | passages |")
    assert len(table.splitlines()) == 4


def test_serve_benchmark_runs_over_http_with_a_reload_under_load() -> None:
    from benchmarks.bench_serve import run as run_serve

    (row,) = run_serve(sizes=(300,), workers=(1,), seconds=0.5)
    assert row["HTTP uncached p50 ms"] > 0 and row["start saved s"] > 0
    assert row["worker RSS MB"] > 0 and row["req/s 1 worker(s)"] > 0
    assert row["reload s"] > 0 and row["failed"] == 0


def test_worst_question_benchmark_runs_bounded_beside_unbounded() -> None:
    from benchmarks.bench_worst import run as run_worst

    rows = run_worst(size=500, count=2, unbounded_count=1)
    assert [r["case"] for r in rows] == [
        "question, lower case",
        "question, every word capitalised",
        "/innov facts <topic>",
    ]
    for row in rows:
        assert row["words"] > 200 and row["look-ups bound"] > 0
        assert row["bounded p50 ms"] > 0 and row["unbounded (before) p50 ms"] > 0


def test_curator_benchmark_reads_the_same_top_both_ways(redis_url: str) -> None:
    from benchmarks.bench_curator import run as run_curator

    rows = run_curator(size=60, runs=2, redis_url=redis_url)
    assert [r["case"] for r in rows] == ["rankings (sorted-set ranges)", "whole ledgers (before)"]
    assert all(r["p50 ms"] > 0 and r["votes"] == 60 for r in rows)
