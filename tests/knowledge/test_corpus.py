from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from knowledge.corpus import PASSAGE_MAX_WORDS, ArticleError, load_article

# The exact furniture lines found around the seed articles.
BOILERPLATE = [
    "Hot Topics",
    "Welcome toHome",
    "China Barometer logo",
    "A view of Hangzhou city’s central business district Photo: VCG",
    "Wang Peng Photo: Courtesy of Wang Peng",
    "LEAVE A REPLY",
    "Please enter your comment!",
    "Please enter your name here",
    "Must Read",
    "No comments",
    "About the author",
]


def _write(tmp_path: Path, text: str, name: str = "a.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_boilerplate_lines_are_stripped_by_rule(tmp_path: Path) -> None:
    body = "\n\n".join(BOILERPLATE[:5] + ["Real text about robots. It has two sentences."] + BOILERPLATE[5:])
    article, passages = load_article(_write(tmp_path, f"---\ntitle: Robots\n---\n{body}\n"))
    assert article.text == "Real text about robots. It has two sentences."
    for line in BOILERPLATE:
        assert line not in article.text
    assert [p.sentences for p in passages] == [("Real text about robots.", "It has two sentences.")]


def test_publisher_line_and_site_tags(tmp_path: Path) -> None:
    text = (
        "---\ntitle: Focus on tech\n---\n【MK sport】Focus on tech\n\n"
        "Source:MK sports time:2025-03-06 20:30:36\n\n"
        "The advisory body,MK sport known as the two sessions, meets in March.\n"
    )
    article, _ = load_article(_write(tmp_path, text))
    assert article.publisher == "MK sports"
    assert article.published == dt.date(2025, 3, 6)
    assert article.text == "The advisory body, known as the two sessions, meets in March."


def test_header_metadata_wins_and_id_defaults_to_file_name(tmp_path: Path) -> None:
    text = (
        "---\ntitle: T\npublisher: Daily\npublished: 2024-05-01\n---\nSource:Other time:2020-01-01\n\nBody.\n"
    )
    article, _ = load_article(_write(tmp_path, text, "my-article.md"))
    assert (article.id, article.publisher, article.published) == ("my-article", "Daily", dt.date(2024, 5, 1))
    assert article.url is None


def test_passages_keep_sentences_and_know_their_article(tmp_path: Path) -> None:
    long_paragraph = " ".join(
        f"Sentence number {i} talks about robots and clusters today." for i in range(40)
    )
    text = f"---\nid: x\ntitle: T\n---\nA Heading:\n\n{long_paragraph}\n\n• A bullet point. With two sentences.\n"
    _, passages = load_article(_write(tmp_path, text))
    assert len(passages) > 2
    for passage in passages:
        assert passage.article_id == "x"
        assert sum(len(s.split()) for s in passage.sentences) <= PASSAGE_MAX_WORDS
        assert all(s.endswith(".") for s in passage.sentences)
    assert passages[0].heading == "A Heading"
    assert passages[-1].sentences == ("A bullet point.", "With two sentences.")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("no front matter\n", 1, "missing front matter"),
        ("---\ntitle: T\nbody\n", 1, "not closed"),
        ("---\ntitle: [unclosed\n---\nBody.\n", 2, "not valid YAML"),
        ("---\npublisher: P\n---\nBody.\n", 1, "title"),
        ("---\ntitle: T\npublished: March\n---\nBody.\n", 3, "published"),
        ("---\ntitle: T\nurl: www.example.com\n---\nBody.\n", 3, "url must start with http"),
        ("---\ntitle: T\n---\nNo comments\n", 4, "no text"),
    ],
)
def test_broken_articles_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ArticleError) as caught:
        load_article(path)
    problem = caught.value.problem
    assert problem.file == str(path)
    assert problem.line == line
    assert message in problem.message


def test_seed_articles_are_clean(seeds_dir: Path) -> None:
    for path in sorted(seeds_dir.glob("*.md")):
        article, passages = load_article(path)
        assert passages, path
        for line in BOILERPLATE:
            assert line not in article.text, (path, line)
        assert "MK sport " not in article.text
