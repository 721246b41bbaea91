from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, KnowledgeLoadError, check_directory, load_snapshot
from tests.knowledge.conftest import write_kb


def test_version_is_a_content_hash(tmp_path: Path) -> None:
    a = write_kb(tmp_path / "a")
    b = write_kb(tmp_path / "b")
    assert load_snapshot(a).version == load_snapshot(b).version
    (b / "rivers.md").write_text((b / "rivers.md").read_text() + "\nA new line.\n")
    assert load_snapshot(a).version != load_snapshot(b).version


def test_reload_swaps_and_reports_fact_changes(tiny_kb: Path) -> None:
    kb = KnowledgeBase(tiny_kb)
    old = kb.version
    facts = (tiny_kb / "facts.yaml").read_text()
    facts = facts.replace("topics: [robot density, robots per worker]", "topics: [robot density]")
    facts += """  - id: zenda-length
    answer: The Zenda is 800 kilometres long.
    value: 800 kilometres
    source: rivers
    quote: which is 800 kilometres long
"""
    facts = facts.replace("rank: true\n", "rank: true\n", 1)
    start = facts.index("  - id: ruritania-gii-rank")
    end = facts.index("  - id: robot-density")
    (tiny_kb / "facts.yaml").write_text(facts[:start] + facts[end:])
    report = kb.reload()
    assert report.old_version == old != report.new_version == kb.version
    assert (report.added, report.removed, report.changed) == (
        ("zenda-length",),
        ("ruritania-gii-rank",),
        ("robot-density",),
    )
    assert (report.articles, report.facts) == (3, 2)
    assert report.seconds >= 0
    assert kb.answer("How long is the Zenda?").fact_id == "zenda-length"


def test_a_broken_file_keeps_the_old_base_serving(tiny_kb: Path) -> None:
    kb = KnowledgeBase(tiny_kb)
    before = kb.answer("Ruritania GII rank")
    (tiny_kb / "rivers.md").write_text("---\ntitle: [oops\n---\ntext\n")
    with pytest.raises(KnowledgeLoadError) as caught:
        kb.reload()
    assert str(caught.value).startswith(f"{tiny_kb / 'rivers.md'}:2: front matter is not valid YAML")
    assert kb.answer("Ruritania GII rank") == before
    assert check_directory(tiny_kb) == caught.value.problems


def test_every_problem_is_reported_at_once(tiny_kb: Path) -> None:
    (tiny_kb / "rivers.md").write_text("no header\n")
    (tiny_kb / "facts.yaml").write_text(
        (tiny_kb / "facts.yaml").read_text().replace("source: robots", "source: x")
    )
    files = sorted(p.file for p in check_directory(tiny_kb))
    assert files == [str(tiny_kb / "facts.yaml"), str(tiny_kb / "rivers.md")]


def test_missing_or_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeLoadError, match="knowledge directory not found"):
        KnowledgeBase(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(KnowledgeLoadError, match=r"no articles \(\*\.md\)"):
        KnowledgeBase(tmp_path / "empty")


def test_answers_during_reloads_come_from_one_version(tmp_path: Path, seeds_dir: Path) -> None:
    directory = tmp_path / "kb"
    shutil.copytree(seeds_dir, directory)
    kb = KnowledgeBase(directory)
    versions = {kb.version}
    seen: list[tuple[str, str]] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            answer = kb.answer("What is China's GII rank?")
            seen.append((answer.kb_version, answer.text))

    workers = [threading.Thread(target=ask) for _ in range(4)]
    for worker in workers:
        worker.start()
    article = directory / "innovation-hubs.md"
    for i in range(3):
        article.write_text(article.read_text() + f"\nAn added paragraph number {i}.\n")
        versions.add(kb.reload().new_version)
    stop.set()
    for worker in workers:
        worker.join()
    assert seen and {v for v, _ in seen} <= versions
    assert {t for _, t in seen} == {"China ranks 11th in the Global Innovation Index (2024)."}
