"""Sizes a reader can hold: no module of knowledge/, bot/ or handlers/ over 600 lines, no function over 80."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("knowledge", "bot", "handlers")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# Modules allowed over the limit for a while (none now: bot/store.py and bot/services.py were split with
# issue 20's layers); a waiver names the module and lapses when it is split (see the last test).
WAIVED: frozenset[str] = frozenset()
# Functions allowed over the limit for a while, as "path:name" (none now: the listeners' one ``register``
# became one per listener module with issue 20's layers).
WAIVED_FUNCTIONS: frozenset[str] = frozenset()


def _modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_no_module_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert set(long) <= WAIVED, {name: n for name, n in long.items() if name not in WAIVED}


def test_no_function_is_over_80_lines() -> None:
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                waived = f"{path.relative_to(ROOT)}:{node.name}" in WAIVED_FUNCTIONS
                if lines > MAX_FUNCTION_LINES and not waived:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long


def test_a_waived_module_is_still_over_the_limit() -> None:
    # (A waiver lapses when its module is split: then the limit holds for it too.)
    for name in WAIVED:
        assert len((ROOT / name).read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES, name
