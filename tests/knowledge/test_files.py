from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, check_directory
from knowledge.files import is_knowledge_name, read_knowledge_files

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
