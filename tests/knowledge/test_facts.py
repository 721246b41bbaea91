from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeBase, KnowledgeLoadError, load_snapshot
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
        "copy it verbatim from the article's text (not a caption or the page's links)"
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("source: robots", "source: nowhere", "fact robot-density: unknown source 'nowhere'"),
        ("id: robot-density", "id: ruritania-gii-rank", "duplicate id (first at line 2)"),
        ('value: "300"', 'value: "400"', "answer does not state the value '400'"),
        # An answer and value that its quote contradicts: refused, not served with the quote as its source.
        (
            'answer: Ruritania has 300 robots per 10,000 workers.\n    value: "300"',
            'answer: Ruritania has 900 robots per 10,000 workers.\n    value: "900"',
            "fact robot-density: quote does not state the value '900'",
        ),
        (
            "quote: Ruritania ranks 7th in the Global Innovation Index.",
            "quote: Ruritania ranks 7th",
            "fact ruritania-gii-rank: quote too short (3 words)",
        ),
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


MORE = "  - id: patents\n    answer: Ruritania holds 5,000 patents.\n    value: 5,000\n"


@pytest.mark.parametrize(
    ("added", "line", "sentence", "yaml_words"),
    [
        # The case: a fact's field indented one space short of the others.
        (
            MORE.replace("    value", "   value"),
            19,
            "this line is not indented like the facts above it (each fact starts with '- id:')",
            "did not find expected '-' indicator",
        ),
        (
            MORE.replace("  - id", " - id"),
            17,
            "this line is not indented like the facts above it (each fact starts with '- id:')",
            "did not find expected key",
        ),
        (
            MORE.replace("5,000 patents.", "5,000 patents: a record."),
            18,
            "this value holds ': ' (a colon and a space): put the whole value in quotes",
            "mapping values are not allowed",
        ),
        (
            MORE.replace("Ruritania holds", "'Ruritania's inventors hold"),
            18,
            "the value on this line goes on after its closing quote or bracket: put the whole value in quotes",
            "did not find expected key",
        ),
        (
            MORE.replace("Ruritania holds", '"Ruritania holds'),
            18,
            "a quote that opens on this line is never closed",
            "found unexpected end of stream",
        ),
        (MORE.replace("    value", "\tvalue"), 19, "this line is indented with a tab", "tab"),
        (
            MORE.replace("Ruritania holds", "@Ruritania holds"),
            18,
            "a value cannot start with '@': put the whole value in quotes",
            "cannot start any token",
        ),
    ],
)
def test_a_yaml_error_says_what_is_wrong_in_plain_words_before_pyyaml_s(
    tmp_path: Path, added: str, line: int, sentence: str, yaml_words: str
) -> None:
    kb = write_kb(tmp_path / "kb", facts=FACTS + added)
    (problem,) = _problems(kb)
    prefix = f"{kb / 'facts.yaml'}:{line}: not valid YAML: {sentence}"
    assert problem.startswith(prefix), problem
    assert yaml_words in problem.split("; in YAML's words: ", 1)[1]


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


def test_a_quote_must_come_from_the_article_s_text_not_its_page_furniture(tmp_path: Path) -> None:
    # A photo caption is in the file but not in the text innov reads (the cleaner drops it): a fact
    # quoting it would cite words the article's text does not hold.
    articles = {
        "robots.md": "---\nid: robots\ntitle: Robots in Ruritania\n---\n"
        "A view of Strelsau city's central business district. Photo: VCG\n\n"
        "Ruritania has 300 robots per 10,000 workers. Its robot makers hold 5,000 patents.\n",
    }
    facts = """facts:
  - id: strelsau-cbd
    answer: Strelsau has a central business district.
    value: central business district
    source: robots
    quote: "A view of Strelsau city's central business district"
"""
    kb = write_kb(tmp_path / "kb", articles=articles, facts=facts)
    from knowledge.corpus import load_article

    article, _ = load_article(kb / "robots.md")
    assert "central business district" in article.raw and "central business district" not in article.text
    (problem,) = _problems(kb)
    assert "fact strelsau-cbd: quote not found in" in problem


def test_a_problem_with_a_whole_file_names_the_file_without_a_line_zero(tmp_path: Path) -> None:
    from knowledge.errors import Problem

    assert str(Problem("kb/huge.md", 0, "cannot read: too big")) == "kb/huge.md: cannot read: too big"
    assert str(Problem("kb/facts.yaml", 4, "not valid YAML")) == "kb/facts.yaml:4: not valid YAML"
    empty = tmp_path / "empty"
    empty.mkdir()
    (problem,) = _problems(empty)
    assert problem == f"{empty}: no articles (*.md) in the knowledge directory"


GII_ARTICLE = {
    "gii.md": "---\nid: gii\ntitle: Ruritania's innovation\n---\n"
    "Ruritania now ranks 11th in the Global Innovation Index. It ranks 2nd in Central Europe.\n\n"
    "Its R&D spending reached 3.6 trillion crowns (about 502 billion U.S. dollars) in 2024. "
    "Currently, the country has 463,000 high-tech enterprises.\n\n"
    "Last year, the country rose to the 11th position in the Global Innovation Index rankings.\n\n"
    "Its Vision 2030 plan targets robotics and biotechnology.\n",
}
SPENDING_QUOTE = "Its R&D spending reached 3.6 trillion crowns (about 502 billion U.S. dollars) in 2024"
RANK_QUOTE = "Ruritania now ranks 11th in the Global Innovation Index"


def _gii_fact(answer: str, value: str, quote: str, as_of: int | None = None) -> str:
    year = f"    as_of: {as_of}\n" if as_of is not None else ""
    return (
        f"facts:\n  - id: gii-fact\n    answer: {answer!r}\n    value: {value!r}\n{year}"
        f"    source: gii\n    quote: {quote!r}\n"
    )


@pytest.mark.parametrize(
    ("answer", "value", "quote", "as_of", "message"),
    [
        # The value inside a longer number is not the value.
        (
            "Ruritania's R&D spending reached 13.6 trillion crowns (about 1502 billion U.S. dollars) in 2024.",
            "3.6 trillion crowns",
            SPENDING_QUOTE,
            None,
            "answer does not state the value '3.6 trillion crowns' (only inside a longer number)",
        ),
        (
            "Ruritania currently has 1,463,000 high-tech enterprises.",
            "463,000",
            "Currently, the country has 463,000 high-tech enterprises",
            None,
            "answer does not state the value '463,000' (only inside a longer number)",
        ),
        (
            "Ruritania ranks 1st in the Global Innovation Index.",
            "1",
            RANK_QUOTE,
            None,
            "quote does not state",
        ),
        # Every figure the answer states must be the quote's, not only the value.
        (
            "Ruritania's R&D spending reached 13.6 trillion crowns (about 1502 billion U.S. dollars) in 2024.",
            "2024",
            SPENDING_QUOTE,
            None,
            "quote does not state '13.6 trillion', which the answer states",
        ),
        (
            "Ruritania has never ranked 11th in the Global Innovation Index; it ranks 111th.",
            "11th",
            RANK_QUOTE,
            None,
            "quote does not state '111th', which the answer states",
        ),
        (
            "Ruritania's R&D spending reached 3.6 billion crowns in 2024.",
            "2024",
            SPENDING_QUOTE,
            None,
            "quote does not state '3.6 billion', which the answer states",
        ),
        (
            "Ruritania ranks 11th in the Global Innovation Index and 5th in Europe.",
            "11th",
            RANK_QUOTE,
            None,
            "quote does not state '5th', which the answer states",
        ),
        # The fact's as_of year stands for a quote's "last year" only: a quote giving a year must give it.
        (
            "Ruritania's R&D spending reached 3.6 trillion crowns in 2023.",
            "3.6 trillion crowns",
            SPENDING_QUOTE,
            2023,
            "quote does not state '2023', which the answer states",
        ),
        (
            "Ruritania rose to the 11th position in the Global Innovation Index in 2024.",
            "11th",
            "Last year, the country rose to the 11th position in the Global Innovation Index rankings.",
            2023,
            "quote does not state '2024', which the answer states",
        ),
        # An answer negating what its quote states.
        (
            "Ruritania no longer has 463,000 high-tech enterprises.",
            "463,000",
            "Currently, the country has 463,000 high-tech enterprises",
            None,
            "answer says 'no longer', which its quote does not",
        ),
        (
            "Ruritania doesn't rank 11th in the Global Innovation Index.",
            "11th",
            RANK_QUOTE,
            None,
            'answer says "n\'t", which its quote does not',
        ),
        (
            "Ruritania has fewer than 463,000 high-tech enterprises.",
            "463,000",
            "Currently, the country has 463,000 high-tech enterprises",
            None,
            "answer says 'fewer than', which its quote does not",
        ),
        (
            "Ruritania lacks 463,000 high-tech enterprises.",
            "463,000",
            "Currently, the country has 463,000 high-tech enterprises",
            None,
            "answer says 'lacks', which its quote does not",
        ),
        # A figure in another currency than its quote's (an attack run: dollars over a quote in yuan).
        (
            "Ruritania's R&D spending reached 3.6 trillion U.S. dollars in 2024.",
            "3.6 trillion",
            "Its R&D spending reached 3.6 trillion crowns",
            None,
            "answer gives its figure in dollars, which its quote does not (it says crowns)",
        ),
        # A year of a name the article does not give.
        (
            "Ruritania's Vision 2031 plan targets robotics and biotechnology.",
            "robotics",
            "Its Vision 2030 plan targets robotics and biotechnology",
            None,
            "quote does not state '2031', which the answer states",
        ),
    ],
)
def test_an_answer_stating_a_figure_its_quote_does_not_is_refused(
    tmp_path: Path, answer: str, value: str, quote: str, as_of: int | None, message: str
) -> None:
    kb = write_kb(tmp_path / "kb", articles=GII_ARTICLE, facts=_gii_fact(answer, value, quote, as_of))
    (problem,) = _problems(kb)
    assert problem.startswith(f"{kb / 'facts.yaml'}:2: fact gii-fact: ")
    assert message in problem


@pytest.mark.parametrize(
    ("answer", "value", "quote", "as_of"),
    [
        # The same figures written as the project reads numbers: "3.6tn" is "3.6 trillion", "463k" is
        # "463,000", "second" is "2nd".
        (
            "Ruritania's R&D spending reached 3.6tn crowns (about 502bn U.S. dollars) in 2024.",
            "2024",
            SPENDING_QUOTE,
            None,
        ),
        (
            "Ruritania has 463k high-tech enterprises.",
            "high-tech enterprises",
            "Currently, the country has 463,000 high-tech enterprises",
            None,
        ),
        (
            "Ruritania ranks second in Central Europe.",
            "Central Europe",
            "It ranks 2nd in Central Europe.",
            None,
        ),
        # "Last year" in the quote: the answer's year is the fact's as_of, the curator's reading of it.
        (
            "Ruritania rose to the 11th position in the Global Innovation Index in 2024.",
            "11th",
            "Last year, the country rose to the 11th position in the Global Innovation Index rankings.",
            2024,
        ),
        # A name's year the article gives, the quote giving no year ("Made in China 2025").
        (
            "Ruritania's Vision 2030 plan targets robotics and biotechnology.",
            "robotics",
            "targets robotics and biotechnology",
            None,
        ),
    ],
)
def test_an_answer_stating_its_quote_s_figures_in_other_words_is_kept(
    tmp_path: Path, answer: str, value: str, quote: str, as_of: int | None
) -> None:
    kb = write_kb(tmp_path / "kb", articles=GII_ARTICLE, facts=_gii_fact(answer, value, quote, as_of))
    assert list(load_snapshot(kb).facts) == ["gii-fact"]


def test_a_contradicted_fact_keeps_the_old_knowledge_serving(tmp_path: Path) -> None:
    kb_dir = write_kb(tmp_path / "kb")
    kb = KnowledgeBase(kb_dir)
    before = kb.answer("How many robots per 10,000 workers does Ruritania have?")
    assert before.fact_id == "robot-density"
    facts = (kb_dir / "facts.yaml").read_text(encoding="utf-8")
    (kb_dir / "facts.yaml").write_text(
        facts.replace("answer: Ruritania has 300", "answer: Ruritania has 1,300")
    )
    with pytest.raises(KnowledgeLoadError, match="only inside a longer number"):
        kb.reload()
    assert kb.answer("How many robots per 10,000 workers does Ruritania have?") == before
