from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from knowledge import KnowledgeBase, KnowledgeLoadError, check_directory
from knowledge.files import YAML_LOADER, is_knowledge_name, read_knowledge_files, unread_near_misses
from tests.knowledge.conftest import FACTS, write_kb

# What editors leave beside a file being edited: Emacs's lock symlink and autosave, Vim's swap files,
# backups; and hidden files of any kind.
NOT_KNOWLEDGE = [
    ".#robots.md",
    "#robots.md#",
    "robots.md~",
    "facts.yaml~",
    ".robots.md.swp",
    ".facts.yaml.swx",
    ".hidden.md",
    ".facts.yaml",
]


@pytest.mark.parametrize("name", NOT_KNOWLEDGE)
def test_hidden_files_and_editor_temporaries_are_not_knowledge_files(name: str) -> None:
    assert not is_knowledge_name(name)


@pytest.mark.parametrize("name", ["robots.md", "facts.yaml", "aliases.yaml", "a.b.md", "x#y.md"])
def test_knowledge_files_are_still_read(name: str) -> None:
    assert is_knowledge_name(name)


def test_an_emacs_lock_file_beside_an_article_does_not_break_the_load(tiny_kb: Path) -> None:
    kb = KnowledgeBase(tiny_kb)
    before = kb.version
    # Emacs marks an article open in a buffer with a dangling symlink: ".#name" -> "user@host.pid:time".
    os.symlink("curator@laptop.4242:1712345678", tiny_kb / ".#robots.md")
    (tiny_kb / ".hidden.md").write_text("---\ntitle: Hidden\n---\nA hidden article.\n", encoding="utf-8")
    (tiny_kb / "#rivers.md#").write_text("---\ntitle: [half saved\n", encoding="utf-8")
    (tiny_kb / "facts.yaml~").write_text("facts: [broken\n", encoding="utf-8")
    (tiny_kb / ".facts.yaml.swp").write_bytes(b"b0VIM 9.0\x00\xff\xfe")
    assert check_directory(tiny_kb) == []
    files = read_knowledge_files(tiny_kb)
    assert sorted(p.name for p in files.contents) == ["budget.md", "facts.yaml", "rivers.md", "robots.md"]
    report = kb.reload()
    assert (report.articles, report.new_version) == (3, before)


SECOND_FACTS_BLOCK = """facts:
  - id: zenda-length
    answer: The Zenda is 800 kilometres long.
    value: 800 kilometres
    source: rivers
    quote: which is 800 kilometres long
"""


@pytest.mark.parametrize(
    ("file", "text", "line", "first"),
    [
        # A second 'facts:' block would replace the first: every fact above it silently gone.
        ("facts.yaml", FACTS + SECOND_FACTS_BLOCK, 17, 1),
        # A key twice in one fact: the first 'topics:' silently lost.
        ("facts.yaml", FACTS.replace("    rank: true\n", "    topics: [GII]\n    rank: true\n"), 9, 6),
        ("aliases.yaml", "aliases:\n  GII: Global Innovation Index\naliases:\n  ZGC: Zhongguancun\n", 3, 1),
        ("aliases.yaml", "aliases:\n  GII: Global Innovation Index\n  GII: Global Index\n", 3, 2),
        ("rivers.md", "---\ntitle: Rivers\nid: rivers\ntitle: Seas\n---\nThe Zenda is long.\n", 4, 2),
    ],
)
def test_a_key_given_twice_is_refused_naming_file_and_line(
    tmp_path: Path, file: str, text: str, line: int, first: int
) -> None:
    kb = write_kb(tmp_path / "kb")
    (kb / file).write_text(text, encoding="utf-8")
    problems = [str(p) for p in check_directory(kb)]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{kb / file}:{line}: "), problems
    assert "twice" in problems[0] and f"first at line {first}" in problems[0], problems


def test_a_key_given_twice_keeps_the_old_knowledge_serving(tiny_kb: Path) -> None:
    kb = KnowledgeBase(tiny_kb)
    (tiny_kb / "facts.yaml").write_text(FACTS + SECOND_FACTS_BLOCK, encoding="utf-8")
    with pytest.raises(KnowledgeLoadError, match="twice"):
        kb.reload()
    assert sorted(kb.snapshot.facts) == ["robot-density", "ruritania-gii-rank"]


def test_the_yaml_loader_is_still_libyaml_s_when_the_platform_has_it() -> None:
    assert issubclass(YAML_LOADER, getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("facts.yml", "not read: the fact table is facts.yaml"),
        ("Facts.yaml", "not read: the fact table is facts.yaml"),
        ("aliases.yml", "not read: the aliases are aliases.yaml"),
        ("notes.markdown", "not read: articles are *.md"),
        ("NOTES.MD", "not read: articles are *.md"),
        ("notes.mdown", "not read: articles are *.md"),
    ],
)
def test_a_file_that_looks_meant_as_knowledge_is_named_as_not_read(
    tiny_kb: Path, name: str, says: str
) -> None:
    (tiny_kb / name).write_text("facts: []\n", encoding="utf-8")
    assert [str(p) for p in unread_near_misses(tiny_kb)] == [f"{tiny_kb / name}: {says}"]


@pytest.mark.parametrize(
    "name",
    [".facts.yml", ".notes.markdown", "#notes.markdown#", "notes.markdown~", "facts.yml.swp", "notes.txt"],
)
def test_hidden_files_editor_temporaries_and_other_files_stay_unmentioned(tiny_kb: Path, name: str) -> None:
    (tiny_kb / name).write_text("x", encoding="utf-8")
    assert unread_near_misses(tiny_kb) == []


def test_a_folder_named_like_an_article_and_a_missing_directory_are_not_near_misses(tmp_path: Path) -> None:
    (tmp_path / "drafts.markdown").mkdir()
    assert unread_near_misses(tmp_path) == []
    assert unread_near_misses(tmp_path / "no-such-dir") == []


def test_a_sub_folder_of_articles_is_named_as_not_read(tiny_kb: Path) -> None:
    """The second attack run: kb/sub/nested.md was skipped without a word (only the top is read)."""
    (tiny_kb / "sub").mkdir()
    (tiny_kb / "sub" / "nested.md").write_text("---\nid: nested\n---\nText.\n", encoding="utf-8")
    (tiny_kb / "images").mkdir()  # a folder without articles, and a hidden one with some, say nothing
    (tiny_kb / "images" / "logo.png").write_bytes(b"png")
    (tiny_kb / ".archive").mkdir()
    (tiny_kb / ".archive" / "old.md").write_text("x", encoding="utf-8")
    assert [str(p) for p in unread_near_misses(tiny_kb)] == [
        f"{tiny_kb / 'sub'}: not read: articles are *.md at the top of the directory"
    ]


def test_a_reload_reports_the_files_it_did_not_read(tiny_kb: Path) -> None:
    kb = KnowledgeBase(tiny_kb)
    (tiny_kb / "facts.yaml").rename(tiny_kb / "facts.yml")
    report = kb.reload()
    assert report.facts == 0
    assert report.warnings == (f"{tiny_kb / 'facts.yml'}: not read: the fact table is facts.yaml",)
    (tiny_kb / "facts.yml").rename(tiny_kb / "facts.yaml")
    assert kb.reload().warnings == ()
