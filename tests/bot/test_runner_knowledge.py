"""The runner's knowledge start-up: one load in the parent, workers default to one per core."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from bot import runner
from bot.knowledge_loading import settle_memory
from bot.settings import Settings
from knowledge import KnowledgeLoadError
from tests.knowledge.conftest import write_kb


def test_workers_default_to_the_number_of_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert runner.default_workers() == (os.cpu_count() or 1)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runner.default_workers() == 3
    monkeypatch.setenv("WEB_CONCURRENCY", "many")
    assert runner.default_workers() == (os.cpu_count() or 1)


def test_serving_knowledge_falls_back_to_the_last_good_index_with_its_problems(tmp_path: Path) -> None:
    tiny_kb = write_kb(tmp_path / "kb")
    settings = Settings(_env_file=None, innov_knowledge_dir=tiny_kb, innov_index_dir=tmp_path / "index")  # type: ignore[call-arg]
    good = runner.serving_knowledge(settings)
    assert good.problems == ()
    (tiny_kb / "facts.yaml").write_text("facts: [unclosed\n", encoding="utf-8")
    served = runner.serving_knowledge(settings)
    assert served.version == good.version
    assert served.problems and str(served.problems[0]).startswith(f"{tiny_kb / 'facts.yaml'}:")
    empty = Settings(_env_file=None, innov_knowledge_dir=tiny_kb, innov_index_dir=tmp_path / "none")  # type: ignore[call-arg]
    with pytest.raises(KnowledgeLoadError):
        runner.serving_knowledge(empty)


def test_serving_knowledge_is_settled_now_and_after_every_swap(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, innov_knowledge_dir=write_kb(tmp_path / "kb"), innov_index_dir=tmp_path / "i"
    )  # type: ignore[call-arg]
    try:
        kb = runner.serving_knowledge(settings)
        assert gc.get_freeze_count() > 0  # frozen before any worker forks
        assert kb.after_swap is settle_memory  # and again after each reload or adoption
    finally:
        gc.unfreeze()
