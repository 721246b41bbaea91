"""innov's benchmarks: each module has ``run() -> list[dict]``; ``python -m benchmarks`` prints them all."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Embedded sentences are kept by content hash across benchmark runs (each run builds its indexes in fresh
# temporary directories, and embedding a 10k-passage corpus takes minutes): the first run on a machine
# embeds, later ones reuse. Cold-start figures are therefore "no saved index", not "never embedded".
os.environ.setdefault("INNOV_VECTOR_DIR", str(Path(tempfile.gettempdir()) / "innov-bench" / "vectors"))


def time_each_ms(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[float]:
    """Milliseconds of ``fn(item)`` for each of ``items``, one call at a time."""
    times = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """Rows of one benchmark as a Markdown table (columns from the first row, in order)."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    for row in rows[1:]:
        columns += [c for c in row if c not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
