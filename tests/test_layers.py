"""The layers: ``knowledge/`` knows nothing of Slack, Redis or the bot; ``handlers/`` reaches the bot
through ``bot.ports`` alone; every listener module wires its own listeners."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LISTENER_MODULES = ("actions", "commands", "events", "home", "shortcuts")


def _imports(package: str) -> dict[str, set[str]]:
    """Module path -> every module it imports (at the top, in functions, under TYPE_CHECKING)."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names = found.setdefault(str(path.relative_to(ROOT)), set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "bot")
    return found


def _top(name: str) -> str:
    return name.split(".")[0]


def test_knowledge_imports_no_slack_redis_or_bot() -> None:
    forbidden = {"slack_sdk", "slack_bolt", "redis", "bot", "handlers"}
    found = {
        path: sorted(n for n in names if _top(n) in forbidden)
        for path, names in _imports("knowledge").items()
    }
    assert not {path: names for path, names in found.items() if names}


def test_handlers_reach_the_bot_through_its_ports_alone() -> None:
    found = {
        path: sorted(n for n in names if _top(n) == "bot" and n not in ("bot", "bot.ports"))
        for path, names in _imports("handlers").items()
    }
    assert not {path: names for path, names in found.items() if names}


@pytest.mark.parametrize("name", LISTENER_MODULES)
def test_each_listener_module_registers_its_own_listeners(name: str) -> None:
    module = importlib.import_module(f"handlers.{name}")
    assert callable(getattr(module, "register", None)), name
