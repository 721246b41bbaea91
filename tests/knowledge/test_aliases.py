"""The curated alias file: validated with file:line problems, part of the knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase, KnowledgeLoadError, load_snapshot
from knowledge.aliases import load_aliases
from tests.knowledge.conftest import write_kb


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_with_lines(tmp_path: Path) -> None:
    table, problems = load_aliases(
        write(
            tmp_path / "aliases.yaml",
            "aliases:\n  GII: Global Innovation Index\n  ZGC: Zhongguancun\nnumbers:\n  bn: billion\n",
        )
    )
    assert problems == []
    assert table.aliases == {"gii": "Global Innovation Index", "zgc": "Zhongguancun"}
    assert table.numbers == {"bn": "billion"}
    assert table.lines["aliases:zgc"] == 3


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("aliases:\n  GII: Global Innovation Index\n  gii: Something else\n", 3, "listed twice"),
        ("aliases:\n  GII: ''\n", 2, "needs a meaning"),
        ("aliases:\n  GII: gii\n", 2, "stands for itself"),
        ("numbers:\n  b2: billion\n", 2, "must be letters"),
        ("synonyms:\n  a: b\n", 1, "expected top-level"),
        ("aliases: [GII]\n", 1, "must be a mapping"),
        ("aliases:\n  GII: [unclosed\n", 2, "not valid YAML"),
    ],
)
def test_problems_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    _, problems = load_aliases(write(tmp_path / "aliases.yaml", text))
    assert problems and problems[0].line == line and message in problems[0].message


def test_a_broken_alias_file_keeps_the_old_knowledge_serving(tmp_path: Path) -> None:
    directory = write_kb(tmp_path / "kb")
    write(directory / "aliases.yaml", "aliases:\n  RB: robots\n")
    kb = KnowledgeBase(directory)
    old = kb.version
    write(directory / "aliases.yaml", "aliases:\n  RB: ''\n")
    with pytest.raises(KnowledgeLoadError) as caught:
        kb.reload()
    assert "aliases.yaml:2" in str(caught.value)
    assert kb.version == old


def test_aliases_are_in_the_version_and_used_on_both_sides(tmp_path: Path) -> None:
    directory = write_kb(tmp_path / "kb")
    without = load_snapshot(directory)
    assert not without.answer("how long is the ZR").answered
    write(directory / "aliases.yaml", "aliases:\n  ZR: Zenda river\n")
    with_alias = load_snapshot(directory)
    assert with_alias.version != without.version
    answer = with_alias.answer("how long is the ZR")
    assert answer.answered and "800 kilometres" in answer.text


def test_number_forms_meet_the_spelled_out_figure(tmp_path: Path) -> None:
    directory = write_kb(tmp_path / "kb")
    snapshot = load_snapshot(directory)
    rules = snapshot.composer.rules
    assert rules.tokenize("12bn crowns") == rules.tokenize("12 billion crowns")
    assert rules.tokenize("40k robots") == rules.tokenize("40,000 robots")  # as articles write thousands


def test_the_seeds_paraphrases_meet_the_articles_words(seeds_dir: Path, tmp_path: Path) -> None:
    rules = load_snapshot(seeds_dir, index_dir=tmp_path / "index").composer.rules
    for asked, written in (
        ("what is guangdong planning", "what has guangdong proposed"),
        ("what did he point to", "what did he cite"),
        ("what is holding back china", "what challenges china"),
        ("which cities are part of the area", "which cities are included in the area"),
        ("which cities make up the area", "which cities include the area"),
    ):
        assert rules.tokenize(asked) == rules.tokenize(written), asked
