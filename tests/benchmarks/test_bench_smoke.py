"""The knowledge benchmark runs end to end on a small corpus (figures are not asserted: that is its job)."""

from __future__ import annotations

from benchmarks import markdown_table
from benchmarks.bench_knowledge import run


def test_knowledge_benchmark_runs_and_checks_equality_with_rank_bm25() -> None:
    rows = run(sizes=(500,), reps=1)
    assert [r["corpus"] for r in rows] == ["seeds", "synthetic 500"]
    for row in rows:
        assert row["ours p50 ms"] > 0 and row["rank-bm25 p50 ms"] > 0
        assert row["ours build s"] >= 0 and row["rank-bm25 build s"] >= 0
        assert row["scores equal rank-bm25"] is True
    assert rows[1]["passages"] == 500
    table = markdown_table(rows)
    assert table.splitlines()[0].startswith("| corpus | passages |")
    assert len(table.splitlines()) == 4
