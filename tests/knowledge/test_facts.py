from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeLoadError, load_snapshot
from knowledge.text import normalise
from tests.knowledge.conftest import FACTS, write_kb


def _problems(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeLoadError) as caught:
        load_snapshot(directory)
    return [str(p) for p in caught.value.problems]


def test_a_quote_not_in_its_source_names_fact_file_and_line(tmp_path: Path) -> None:
    kb = write_kb(
        tmp_path / "kb", facts=FACTS.replace("has 300 robots per 10,000 workers.\n", "has 301 robots.\n", 2)
    )
    assert _problems(kb) == [
        f"{kb / 'facts.yaml'}:10: fact robot-density: quote not found in {kb / 'robots.md'}; "
        "copy it verbatim from the article"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("source: robots", "source: nowhere", "fact robot-density: unknown source 'nowhere'"),
        ("id: robot-density", "id: ruritania-gii-rank", "duplicate id (first at line 2)"),
        ('value: "300"', 'value: "400"', "answer does not state the value '400'"),
        (
            "    unit: rank\n",
            "    unit: rank\n    colour: red\n",
            "fact ruritania-gii-rank: colour: Extra inputs",
        ),
    ],
)
def test_bad_facts_are_reported(tmp_path: Path, old: str, new: str, message: str) -> None:
    problems = _problems(write_kb(tmp_path / "kb", facts=FACTS.replace(old, new)))
    assert len(problems) == 1
    assert message in problems[0]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb", facts=FACTS + "  - id: [broken\n")
    (problem,) = _problems(kb)
    assert problem.startswith(f"{kb / 'facts.yaml'}:")
    assert "not valid YAML" in problem


def test_facts_file_is_optional(tmp_path: Path) -> None:
    snapshot = load_snapshot(write_kb(tmp_path / "kb", facts=None))
    assert snapshot.facts == {}
    assert snapshot.answer("How long is the Zenda river?").kind == "passage"


def test_quotes_match_whitespace_and_quote_style_insensitively(tmp_path: Path) -> None:
    articles = {
        "budget.md": "---\nid: budget\ntitle: B\n---\nRuritania’s   budget\nrose to 12 billion crowns.\n"
    }
    facts = """facts:
  - id: budget
    answer: Ruritania's budget rose to 12 billion crowns.
    value: 12 billion crowns
    source: budget
    quote: "Ruritania's budget rose to 12 billion crowns."
"""
    snapshot = load_snapshot(write_kb(tmp_path / "kb", articles=articles, facts=facts))
    assert list(snapshot.facts) == ["budget"]


def test_seed_fact_table(seeds_dir: Path) -> None:
    snapshot = load_snapshot(seeds_dir)
    assert len(snapshot.facts) >= 30
    for fact in snapshot.facts.values():
        article = snapshot.articles[fact.source]
        # The snapshot keeps articles' metadata only: check the quote against the file itself.
        assert normalise(fact.quote) in normalise(Path(article.path).read_text(encoding="utf-8"))
        assert fact.value.casefold() in normalise(fact.answer).casefold()
    ranking = {f.id for f in snapshot.ranking_facts()}
    assert {"gii-rank", "rd-expenditure-world-rank"} <= ranking
