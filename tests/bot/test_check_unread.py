"""``innov check`` names the files it does not read though they look meant to be (a second attack run),
on a real copy of the seeds, as a real process."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.bot.test_cli_edges import ROOT, innov


def _seeds(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "seeds", kb)
    return kb


def test_check_names_a_facts_yml_and_a_markdown_file_and_says_facts_yaml_is_missing(tmp_path: Path) -> None:
    # (facts.yml was ignored without a word, and the warning named "facts.yaml:1", a file not there.)
    kb = _seeds(tmp_path)
    (kb / "facts.yaml").rename(kb / "facts.yml")
    shutil.copy(kb / "amnc-23.md", kb / "notes.markdown")
    shutil.copy(kb / "amnc-23.md", kb / "NOTES.MD")
    (kb / ".draft.markdown").write_text("hidden")
    (kb / "amnc-23.md~").write_text("an editor's backup")
    done = innov("check", INNOV_KNOWLEDGE_DIR=str(kb), INNOV_INDEX_DIR=str(tmp_path / "index"))
    assert done.returncode == 0, done.stdout + done.stderr
    warnings = [line for line in done.stdout.decode().splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {kb / 'facts.yml'}: not read: the fact table is facts.yaml",
        f"warning: {kb / 'notes.markdown'}: not read: articles are *.md",
        f"warning: {kb / 'NOTES.MD'}: not read: articles are *.md",
        f"warning: {kb / 'facts.yaml'}: missing, so no facts: every question is answered from the articles alone",
    ]


def test_check_that_fails_also_names_the_files_it_did_not_read(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    shutil.copy(ROOT / "seeds" / "amnc-23.md", kb / "amnc-23.markdown")
    done = innov("check", INNOV_KNOWLEDGE_DIR=str(kb), INNOV_INDEX_DIR=str(tmp_path / "index"))
    assert done.returncode == 1
    assert done.stdout.decode().splitlines() == [
        f"{kb}: no articles (*.md) in the knowledge directory",
        f"warning: {kb / 'amnc-23.markdown'}: not read: articles are *.md",
    ]


def test_check_of_the_seeds_names_nothing() -> None:
    done = innov("check")
    assert done.returncode == 0 and b"warning:" not in done.stdout
