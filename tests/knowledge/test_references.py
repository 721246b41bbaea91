"""Questions that name their article ("according to the X blog") are answered from that article alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import load_snapshot
from tests.knowledge.conftest import write_kb

ARTICLES = {
    "harbour.md": """---
id: harbour-news
title: Strelsau harbour expands in Ruritania
publisher: Zenda Times
published: 2025-02-03
---
The harbour's main challenge is silt in the channel.

Strelsau harbour handled 3 million containers last year.
""",
    "mines.md": """---
id: mines
title: Inside the copper mines of Ruritania
---
The main challenge for the mines is the price of power.

The copper mines employ 12,000 people.
""",
}


@pytest.fixture
def snapshot(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_snapshot(write_kb(tmp_path / "kb", ARTICLES, facts=None))


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("according to the harbour article, what is the main challenge", "harbour-news"),
        ("what's the main challenge per the copper mines piece", "mines"),
        ("acc to the Zenda Times article what is the main challenge", "harbour-news"),  # its publisher
        ("in the 'inside the copper mines' blog post, what is the main challenge", "mines"),
        ("what is the main challenge, per strelsau harbour?", "harbour-news"),  # a lead and no noun
        ("according to zenda times, what is the main challenge", "harbour-news"),  # ... at the start
        ("what is the main challenge? copper mines post", "mines"),  # a noun and no determiner
    ],
)
def test_the_named_article_answers(snapshot, question: str, article: str) -> None:  # type: ignore[no-untyped-def]
    composer = snapshot.composer
    assert composer.analyse(question).article == article
    answer = snapshot.answer(question)
    assert answer.answered and answer.sources[0].id == article
    assert "challenge" in answer.text


def test_naming_words_are_not_content_words(snapshot) -> None:  # type: ignore[no-untyped-def]
    q = snapshot.composer.analyse("according to the copper mines article, what is the main challenge")
    assert q.article == "mines"
    assert "copper" not in q.weights and "mine" not in q.weights
    assert "challeng" in q.weights


@pytest.mark.parametrize(
    "question",
    [
        "what is the main challenge",  # no reference
        "according to the article, what is the main challenge",  # names no article
        "what does the weather article say",  # names nothing the articles hold
        "what is the main challenge per the ruritania article",  # both articles are about Ruritania
        # With no noun, only title, id or publisher words name an article, never the text's:
        "how many containers per year",  # "year" is in the harbour article's text only
        "how many people per mine employ",  # not at the end, not before a comma
        "how many containers per ruritania",  # both titles
    ],
)
def test_no_article_or_an_ambiguous_one_changes_nothing(snapshot, question: str) -> None:  # type: ignore[no-untyped-def]
    assert snapshot.composer.analyse(question).article is None


def test_who_published_the_named_article_and_when(snapshot) -> None:  # type: ignore[no-untyped-def]
    for question in ("who published the harbour article", "when was the harbour piece published"):
        answer = snapshot.answer(question)
        assert answer.kind == "fact" and answer.sources[0].id == "harbour-news"
        assert "Zenda Times" in answer.text and "2025-02-03" in answer.text


def test_what_the_front_matter_does_not_say_is_declined(snapshot) -> None:  # type: ignore[no-untyped-def]
    assert not snapshot.answer("who published the copper mines article").answered  # no publisher given
    assert not snapshot.answer("who wrote the harbour article").answered  # an author is never given


def test_a_decline_offers_facts_from_the_named_article_only(tmp_path: Path) -> None:
    facts = """facts:
  - id: harbour-containers
    answer: Strelsau harbour handled 3 million containers last year.
    value: "3 million"
    source: harbour-news
    quote: "Strelsau harbour handled 3 million containers last year."
    topics: [harbour, containers]
  - id: mines-jobs
    answer: The copper mines employ 12,000 people.
    value: "12,000"
    source: mines
    quote: "The copper mines employ 12,000 people."
    topics: [mines, jobs, people]
"""
    snapshot = load_snapshot(write_kb(tmp_path / "kb", ARTICLES, facts=facts))
    question = (
        "according to the harbour article, how many people did the mines and the harbour lose in winter"
    )
    answer = snapshot.answer(question)
    assert not answer.answered
    assert answer.related and all(source.id == "harbour-news" for _, source in answer.related)
    # Without the article named, the mines' fact is nearby too.
    unscoped = snapshot.answer("how many people did the mines and the harbour lose in winter")
    assert "mines" in {source.id for _, source in unscoped.related}
