"""Knowledge files still being written are waited for, and a load during which one changed is made again
(``knowledge.settle``; a served reload during a chunked write is in tests/reliability/test_serve_knowledge)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import knowledge.base
from knowledge import KnowledgeLoadError, load_snapshot
from knowledge.settle import changed_since, settled, stamps

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    """A private copy of the seed corpus (its files' modification times kept: long settled)."""
    target = tmp_path / "kb"
    shutil.copytree(SEEDS, target)
    return target


def append_every(path: Path, interval: float, count: int) -> threading.Thread:
    """A writer adding a line to ``path`` every ``interval`` s, ``count`` times (not atomically); the first
    line is written before this returns."""
    out = path.open("a", encoding="utf-8")
    out.write("# line 0\n")
    out.flush()

    def run() -> None:
        with out:
            for n in range(1, count):
                time.sleep(interval)
                out.write(f"# line {n}\n")
                out.flush()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_settled_waits_until_the_files_have_been_left_alone(kb_dir: Path) -> None:
    facts = kb_dir / "facts.yaml"
    started = time.monotonic()
    writer = append_every(facts, 0.1, 8)  # 0.7 s of writing, never quiet for 0.3 s
    found = settled(kb_dir, time.monotonic() + 10, settle=0.3)
    assert time.monotonic() - started >= 0.7 + 0.3 - 0.05  # (timer and mtime granularity)
    writer.join()
    assert found == stamps(kb_dir)  # what it returned is the file as the writer left it


def test_files_that_never_settle_are_refused_naming_them(kb_dir: Path) -> None:
    writer = append_every(kb_dir / "facts.yaml", 0.05, 40)
    with pytest.raises(KnowledgeLoadError) as caught:
        settled(kb_dir, time.monotonic() + 1.0, settle=0.3)
    writer.join()
    [problem] = caught.value.problems
    assert problem.file == str(kb_dir / "facts.yaml")
    assert "changed while it was read" in problem.message and "rename it over" in problem.message


def test_a_modification_time_in_the_future_is_waited_for_once(kb_dir: Path) -> None:
    future = time.time() + 3600
    os.utime(kb_dir / "facts.yaml", (future, future))  # a skewed clock
    started = time.monotonic()
    settled(kb_dir, time.monotonic() + 10, settle=0.2)
    assert 0.2 <= time.monotonic() - started < 2


def test_a_rename_over_a_file_is_a_change(kb_dir: Path) -> None:
    before = stamps(kb_dir)
    tmp = kb_dir / ".facts.yaml.tmp"
    tmp.write_bytes((kb_dir / "facts.yaml").read_bytes())  # the same bytes, written atomically
    os.replace(tmp, kb_dir / "facts.yaml")
    assert changed_since(kb_dir, before) == ["facts.yaml"]


def test_a_load_during_which_a_file_changed_is_made_again(
    kb_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = kb_dir / "facts.yaml"
    whole = facts.read_text(encoding="utf-8")
    cut = whole.index("\n  - id:", len(whole) // 2)
    facts.write_text(whole[:cut] + "\n", encoding="utf-8")  # half of it, valid YAML
    build = knowledge.base._build_here
    builds: list[str] = []

    def build_while_the_rest_arrives(directory: Path, index_dir: Path, files: object) -> str:
        version = build(directory, index_dir, files)  # type: ignore[arg-type]
        if not builds:
            facts.write_text(whole, encoding="utf-8")  # the writer finishes during the first build
        builds.append(version)
        return version

    monkeypatch.setattr(knowledge.base, "_build_here", build_while_the_rest_arrives)
    snapshot = load_snapshot(kb_dir, index_dir=tmp_path / "index")
    assert len(builds) == 2
    assert len(snapshot.facts) == whole.count("\n  - id:")  # the whole file, not the half first read
