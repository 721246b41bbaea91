"""The runner's knowledge start-up: one load in the parent, workers default to one per core."""

from __future__ import annotations

import gc
import os
import time
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


def test_problems_clear_when_the_files_load_again_elsewhere_and_the_fleet_adopts_them(tmp_path: Path) -> None:
    """`innov reload` validates the mended files (saving their index) and the replicas adopt that
    version without reading the files: the problems their failed reload found are gone with it (/healthz
    kept reporting them, found by an attack run)."""
    from knowledge import load_snapshot

    tiny_kb = write_kb(tmp_path / "kb")
    settings = Settings(_env_file=None, innov_knowledge_dir=tiny_kb, innov_index_dir=tmp_path / "index")  # type: ignore[call-arg]
    kb = runner.serving_knowledge(settings)
    facts = tiny_kb / "facts.yaml"
    good = facts.read_text(encoding="utf-8")
    facts.write_text("facts: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeLoadError):
        kb.reload()
    assert kb.problems
    assert kb.adopt(kb.version) is not None and kb.problems  # the files are still broken: kept
    time.sleep(0.01)  # (a pointer written after the failure: file times are coarse on some systems)
    facts.write_text(good + "\n", encoding="utf-8")  # mended (and changed: a new version)
    mended = load_snapshot(tiny_kb, index_dir=tmp_path / "index").version  # what `innov reload` does
    assert mended != kb.version
    report = kb.adopt(mended)
    assert report is not None and report.new_version == mended
    assert kb.problems == ()
    # Broken again, then mended back to the version serving: adopting it clears the problems too.
    facts.write_text("facts: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeLoadError):
        kb.reload()
    assert kb.problems and kb.adopt(mended) is not None and kb.problems
    time.sleep(0.01)
    facts.write_text(good + "\n", encoding="utf-8")
    assert load_snapshot(tiny_kb, index_dir=tmp_path / "index").version == mended == kb.version
    assert kb.adopt(mended) is not None and kb.problems == ()
