"""A knowledge base that cannot take the bot down: hostile files are refused, the last good one serves.

Each attack is run against the real loading path (safe reading, the child-process build with limits,
the saved index). Bounded: small files or sparse ones, short deadlines, loopback only.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from knowledge import BuildLimits, KnowledgeBase, KnowledgeLoadError, Limits, load_snapshot
from knowledge.errors import MAX_MESSAGE_CHARS

QUESTION = "What is China's GII rank?"
# 420 bytes that a YAML loader following aliases expands to 9^9 strings ("billion laughs").
YAML_BOMB = """facts:
  - id: bomb
    answer: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    value: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    unit: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    topics: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    source: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    quote: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    rank: [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""
ARTICLE = "---\ntitle: Outside article\n---\nThe outside article claims Canada ranks first in everything.\n"


def isolated_kb(kb_dir: Path, tmp_path: Path, **limits: int) -> KnowledgeBase:
    """The knowledge base as a server holds it: builds in a child process with limits."""
    return KnowledgeBase(
        kb_dir,
        index_dir=tmp_path / "index",
        isolated=True,
        limits=Limits(**limits) if limits else None,
        build_limits=BuildLimits(memory_bytes=1024**3, seconds=60),
    )


def assert_refused(kb: KnowledgeBase, file: Path, words: str) -> list[str]:
    """Reload fails naming ``file``; the old knowledge keeps serving; the problem is kept for /healthz."""
    old = kb.version
    with pytest.raises(KnowledgeLoadError) as caught:
        kb.reload()
    problems = [str(p) for p in caught.value.problems]
    assert any(p.startswith(f"{file}:") and words in p for p in problems), problems
    assert all(len(p) <= 2 * MAX_MESSAGE_CHARS for p in problems)
    assert kb.version == old
    assert "11th" in kb.answer(QUESTION).text
    assert [str(p) for p in kb.problems] == problems
    return problems


def test_a_yaml_bomb_is_refused_at_once_by_the_child_build(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    facts = kb_dir / "facts.yaml"
    facts.write_text(YAML_BOMB, encoding="utf-8")
    started = time.monotonic()
    assert_refused(kb, facts, "anchors and aliases")
    assert time.monotonic() - started < 30  # refused from the parser's events, never expanded


def test_a_symlink_to_a_file_outside_the_directory_is_not_read(kb_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(ARTICLE, encoding="utf-8")
    kb = isolated_kb(kb_dir, tmp_path)
    (kb_dir / "outside.md").symlink_to(outside)
    assert_refused(kb, kb_dir / "outside.md", "outside the knowledge directory")
    assert kb.answer("Which country ranks first in everything, Canada?").kind == "none"


def test_a_symlink_loop_is_a_problem_not_a_crash(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    (kb_dir / "a.md").symlink_to(kb_dir / "b.md")
    (kb_dir / "b.md").symlink_to(kb_dir / "a.md")
    assert_refused(kb, kb_dir / "a.md", "symlink loop")


def test_an_article_starting_with_a_byte_order_mark_is_read(kb_dir: Path, tmp_path: Path) -> None:
    (kb_dir / "bom.md").write_bytes(b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"))
    snapshot = load_snapshot(kb_dir, index_dir=tmp_path / "index")
    assert snapshot.articles["bom"].title == "Outside article"


def test_a_symlink_inside_the_directory_is_followed(kb_dir: Path, tmp_path: Path) -> None:
    (kb_dir / "drafts").mkdir()
    (kb_dir / "drafts" / "extra.md").write_text(ARTICLE.replace("Outside", "Inside"), encoding="utf-8")
    (kb_dir / "extra.md").symlink_to(kb_dir / "drafts" / "extra.md")
    snapshot = load_snapshot(kb_dir, index_dir=tmp_path / "index")
    assert "extra" in snapshot.articles


def test_a_fifo_does_not_hang_the_reload(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    os.mkfifo(kb_dir / "pipe.md")  # nobody ever writes to it
    started = time.monotonic()
    assert_refused(kb, kb_dir / "pipe.md", "not a regular file")
    assert time.monotonic() - started < 10


def test_dev_zero_is_not_read(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    (kb_dir / "zero.md").symlink_to("/dev/zero")
    assert_refused(kb, kb_dir / "zero.md", "cannot read")


def test_an_oversized_article_is_refused_unread(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    huge = kb_dir / "huge.md"
    with huge.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # 200 MB, sparse: nothing is written, nothing may be read
    started = time.monotonic()
    assert_refused(kb, huge, "over the 8,388,608-byte limit")
    assert time.monotonic() - started < 10


def test_the_total_size_is_capped_too(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    kb.limits = Limits(max_file_bytes=1024**2, max_total_bytes=60_000)  # the seeds hold more
    with pytest.raises(KnowledgeLoadError) as caught:
        kb.reload()
    assert any("INNOV_MAX_KB_BYTES" in str(p) for p in caught.value.problems)
    assert "11th" in kb.answer(QUESTION).text


def test_a_build_over_its_memory_limit_is_stopped_and_reported(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    (kb_dir / "new.md").write_text(ARTICLE, encoding="utf-8")  # something new to build
    kb.build_limits = BuildLimits(memory_bytes=48 * 1024**2, seconds=60)  # too small for Python + numpy
    assert_refused(kb, kb_dir, "building the knowledge base")


def test_a_build_over_its_deadline_is_stopped_and_reported(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    (kb_dir / "new.md").write_text(ARTICLE, encoding="utf-8")
    kb.build_limits = BuildLimits(memory_bytes=1024**3, seconds=0.05)
    assert_refused(kb, kb_dir, "was stopped")


def test_problem_messages_never_echo_unbounded_values(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    facts = kb_dir / "facts.yaml"
    facts.write_text(f"facts:\n  - id: {'x' * 100_000}\n    answer: 1\n", encoding="utf-8")
    problems = assert_refused(kb, facts, "fact ")
    assert all(len(p) < 1000 for p in problems)


def test_a_bad_byte_is_reported_on_its_line(kb_dir: Path, tmp_path: Path) -> None:
    kb = isolated_kb(kb_dir, tmp_path)
    article = kb_dir / "bad.md"
    article.write_bytes(b"---\ntitle: Bad\n---\nline four\nline five \xff\n")
    assert_refused(kb, article, "not UTF-8")
    assert any(str(p).startswith(f"{article}:5:") for p in kb.problems)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("nul.md", "---\ntitle: Nul\n---\nline four\nChina \x00\x00 binary.\n", "U+0000"),
        ("esc.md", "---\ntitle: Esc\n---\nline four\nChina \x1b[31mred\x1b[0m.\n", "U+001B"),
        ("bidi.md", "---\ntitle: Bidi\n---\nline four\nChina ranks \u202e11th.\n", "U+202E"),
        ("facts.yaml", "facts: []\n\n\n\n# \x7f\n", "U+007F"),
        # (The second attack run: invisible marks, and a lone CR that cut a sentence in two.)
        ("rlm.md", "---\ntitle: Rlm\n---\nline four\nChina ranks \u200f11th.\n", "U+200F"),
        ("zwsp.md", "---\ntitle: Zwsp\n---\nline four\nChi\u200bna ranks 11th.\n", "U+200B"),
        ("tag.md", "---\ntitle: Tag\n---\nline four\nChina \U000e0041ranks 11th.\n", "U+E0041"),
        ("cr.md", "---\ntitle: Cr\n---\nline four\nIn today's\rfast-paced world.\n", "U+000D"),
        ("ls.md", "---\ntitle: Ls\n---\nline four\nIn today's\u2028fast-paced world.\n", "U+2028"),
    ],
)
def test_a_control_character_is_refused_at_its_line(
    kb_dir: Path, tmp_path: Path, name: str, content: str, code: str
) -> None:
    """NUL and ESC in an article passed `innov check` and were served as they were: in Slack's JSON, and
    raw on a terminal, where ESC starts colour codes (the attack run of 2026-12-08)."""
    kb = isolated_kb(kb_dir, tmp_path)
    target = kb_dir / name
    target.write_text(content, encoding="utf-8")
    assert_refused(kb, target, f"a control character ({code}) is not text")
    assert any(str(p).startswith(f"{target}:5:") for p in kb.problems)


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("bad-date.md", "---\ntitle: Bad date\npublished: 2025-02-30\n---\nA body.\n", 3),
        ("bad-time.md", "---\ntitle: Bad time\npublished: 2025-02-03 99:99:99\n---\nA body.\n", 3),
        ("facts.yaml", "facts:\n  - id: x\n    as_of: 2024-02-30\n", 3),
        ("aliases.yaml", "aliases:\n  day: 2024-02-30\n", 2),
    ],
)
def test_an_impossible_date_is_refused_at_its_line(
    kb_dir: Path, tmp_path: Path, name: str, content: str, line: int
) -> None:
    """PyYAML raises a bare ValueError for "2025-02-30": every load path ended in a traceback naming no
    file (the second attack run). Now it is the file's problem at its line, and the old knowledge serves."""
    kb = isolated_kb(kb_dir, tmp_path)
    target = kb_dir / name
    target.write_text(content, encoding="utf-8")
    problems = assert_refused(kb, target, "not a real date or time")
    assert any(p.startswith(f"{target}:{line}:") for p in problems), problems


ALLOCATOR_TAIL = """Traceback (most recent call last):
  File "/app/knowledge/embedding.py", line 201, in _new_session
    raise EmbeddingUnavailable(f"embedding model at {self.model} could not be loaded: {exc}") from exc
knowledge.embedding.EmbeddingUnavailable: embedding model at /m.onnx could not be loaded: std::bad_alloc"""


def test_a_build_failure_says_what_failed_not_the_source_line_that_raised() -> None:
    """An attack run's 256 MiB build limit ended in "... failed (exit 1): embedding model at {self.model}
    could not be loaded: {exc}") from exc ...": the traceback's source line, placeholders and all."""
    from knowledge.build import failure

    out_of_memory = failure(1, ALLOCATOR_TAIL, 256 * 2**20, 300)
    assert out_of_memory == (
        "ran out of its limits (256 MiB, 300 s): raise INNOV_BUILD_MEMORY_MB or INNOV_BUILD_SECONDS"
    )
    other = failure(1, ALLOCATOR_TAIL.replace("std::bad_alloc", "no such file"), 256 * 2**20, 300)
    assert other == (
        "failed (exit 1): knowledge.embedding.EmbeddingUnavailable: embedding model at /m.onnx could not be "
        "loaded: no such file"
    )
    assert "{" not in other
    assert failure(3, "plain words", 2**30, 60) == "failed (exit 3): plain words"
