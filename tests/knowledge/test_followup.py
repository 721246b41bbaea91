"""knowledge.followup: which thread follow-ups lean on the previous question, and what they stand for."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import load_snapshot
from knowledge.followup import in_thread, names_of, stands_alone, understand
from knowledge.language import looks_english, reads_as_question

NAMES = frozenset({"beijing", "shanghai", "china", "shenzhen"})


@pytest.mark.parametrize(
    "question",
    [
        "and what about patents?",
        "what about beijing?",
        "and in 2024?",
        "patents?",
        "when did it start?",
        "How about Shenzhen?",
        "and for the R&D spending?",
        "what abt patents",  # as typed (a new user's run: answered on its own, with the clusters passage)
        "wat about beijing?",
        "how bout shenzhen",
        "ok and shenzhen?",  # (the second attack run: "ok" hid the connective, and it was asked alone)
        "ok what about shenzhen",
    ],
)
def test_short_follow_ups_do_not_stand_alone(question: str) -> None:
    assert not stands_alone(question)


@pytest.mark.parametrize(
    "question",
    [
        "What is China's GII rank?",
        "How much does China spend on R&D?",
        "and how many robotics patents does Beijing's industry hold in total today?",
        "Who founded Zhongguancun?",
    ],
)
def test_questions_with_their_own_subject_stand_alone(question: str) -> None:
    assert stands_alone(question)


def test_a_follow_up_adds_to_the_previous_question() -> None:
    got = understand("and in 2024?", "What is China's GII rank?", NAMES)
    assert got.uses_context and got.understood == "What is China's GII rank — in 2024?"
    got = understand("and what about patents?", "How many robots per 10,000 workers does China have?", NAMES)
    assert got.understood == "How many robots per 10,000 workers does China have — patents?"


def test_a_follow_up_naming_another_place_swaps_it_in() -> None:
    got = understand("what about shanghai?", "How many patents does Beijing's robotics industry hold?", NAMES)
    assert got.understood == "How many patents does Shanghai's robotics industry hold?"


def test_a_possessive_typed_without_its_apostrophe_is_swapped_too() -> None:
    """ "and japan?" after "what is chinas gii rank" was answered on its own, with Japan's strategy (the
    second attack run): "chinas" is China's, so Japan's rank is asked (and declined: not in the articles)."""
    got = understand("and japan?", "what is chinas gii rank", NAMES | {"japan"})
    assert got.understood == "what is Japan's gii rank?"
    assert understand("and japan?", "how big are the canvas sales", NAMES | {"japan"}).understood != (
        "how big are the Japan's sales?"
    )  # ("canvas" is no possessive of a name)


def test_standalone_questions_and_first_questions_are_answered_as_asked() -> None:
    got = understand("What is China's GII rank?", "How many robots does China have?", NAMES)
    assert not got.uses_context and got.understood == "What is China's GII rank?"
    assert not understand("and in 2024?", None, NAMES).uses_context


def test_chains_of_follow_ups_stay_bounded() -> None:
    previous = "What is China's GII rank?"
    for _ in range(100):
        previous = understand("and in 2024?", previous, NAMES).understood
    assert len(previous) <= 601


def test_follow_ups_build_on_the_thread_subject_and_never_pile_up() -> None:
    subject = "What is China's GII rank?"
    for follow_up in ("what about japan?", "and the us?", "and in 2020?"):
        got = understand(follow_up, subject, NAMES)
        assert got.uses_context and got.understood.startswith("What is China's GII rank — ")
        assert got.understood.count(" — ") == 1
        subject = got.subject
    assert subject == "What is China's GII rank?"
    swapped = understand("what about beijing?", "How many robots does Shanghai have?", NAMES)
    assert (
        swapped.understood == "How many robots does Beijing have?" == swapped.subject
    )  # a swap is the new subject


CHALLENGES = "What challenges does China's innovation ecosystem face?"


def test_a_follow_up_that_changes_the_subject_is_answered_as_its_own_question(seeds_dir: Path) -> None:
    snapshot = load_snapshot(seeds_dir)
    before = snapshot.answer(CHALLENGES)
    got = in_thread("and what about opportunities?", CHALLENGES, snapshot)
    # Read with the thread's question it gets the challenges answer again, which says nothing of
    # opportunities: it is asked on its own instead.
    assert not got.uses_context and got.understood == "and what about opportunities?"
    answer = snapshot.answer(got.understood)
    assert answer.answered and "opportunit" in answer.text.lower() and answer.text != before.text


def test_a_bare_fragment_after_a_declined_question_is_declined_with_it(seeds_dir: Path) -> None:
    """The attack run's thread: "how much does china spend on r&d", "and the us?" (declined: the articles
    give no US figure), then "in dollars?", which was answered alone with AstraZeneca's 2.5 billion U.S.
    dollars."""
    snapshot = load_snapshot(seeds_dir)
    us = in_thread("and the us?", "how much does china spend on r&d", snapshot)
    assert us.uses_context and not snapshot.answer(us.understood).answered
    got = in_thread("in dollars?", us.subject, snapshot)
    assert got.uses_context and got.understood.startswith(us.subject.rstrip("?"))
    assert not snapshot.answer(got.understood).answered
    # After an answered question the fragment is read with it, as before.
    after_china = in_thread("in dollars?", "how much does china spend on r&d", snapshot)
    assert after_china.uses_context and "502 billion" in snapshot.answer(after_china.understood).text


@pytest.mark.parametrize(
    ("question", "previous", "says"),
    [
        ("and what about patents?", "How many robots per 10,000 workers does China have?", "190,000 patents"),
        ("what abt patents", "How many robots per 10,000 workers does China have?", "190,000 patents"),
        ("and in 2024?", "What is China's GII rank?", "11th"),
    ],
)
def test_a_follow_up_the_thread_s_subject_answers_keeps_it(
    seeds_dir: Path, question: str, previous: str, says: str
) -> None:
    snapshot = load_snapshot(seeds_dir)
    got = in_thread(question, previous, snapshot)
    assert got.uses_context and got.understood.startswith(previous.rstrip("?"))
    assert says in snapshot.answer(got.understood).text


def test_proper_names_come_from_how_the_corpus_writes_them(seeds_dir: Path) -> None:
    seeds = names_of(load_snapshot(seeds_dir))
    assert {"beijing", "shanghai", "shenzhen"} <= seeds and "development" not in seeds


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("What is China's GII rank?", True),
        ("China GII rank", True),
        ("中国的全球创新指数排名是多少？", False),
        ("¿Cuál es el ranking de China en innovación?", False),
        ("Quel est le rang de la Chine?", False),
        ("Какой рейтинг у Китая?", False),
        ("2024?", True),
        ("WIPO 代表什么", False),
        ("what is 中关村 known as", True),
    ],
)
def test_looks_english(text: str, english: bool) -> None:
    assert looks_english(text) is english


@pytest.mark.parametrize(
    ("question", "understood"),
    [
        ("and japan?", "what's Japan's gii rank?"),  # the previous question's place, not its other names
        ("what about germany", "what's Germany's gii rank?"),
        ("what about in 2020?", "what's china's gii rank — in 2020?"),  # a year alone is no new subject
        # A place of two words, and the United States however it is typed (the third attack run: "and the
        # US?" was answered on its own, with a passage on competition with the United States).
        ("what about south korea?", "what's South Korea's gii rank?"),
        ("and the US?", "what's United States's gii rank?"),
        ("and america?", "what's United States's gii rank?"),
        ("same for the usa", "what's United States's gii rank?"),
        ("and the states?", "what's United States's gii rank?"),  # (it swapped in the word "States")
        ("what about the united states of america?", "what's United States's gii rank?"),
    ],
)
def test_a_follow_up_about_another_place_or_year_asks_the_thread_s_question(
    seeds_dir: Path, question: str, understood: str
) -> None:
    snapshot = load_snapshot(seeds_dir)
    got = in_thread(question, "what's china's gii rank?", snapshot)
    assert got.uses_context and got.understood == understood
    assert not snapshot.answer(got.understood).answered  # the articles give no such rank


def test_a_follow_up_after_a_question_about_the_us_swaps_the_country_out(seeds_dir: Path) -> None:
    snapshot = load_snapshot(seeds_dir)
    got = in_thread("and china?", "what's the US gii rank", snapshot)
    assert got.understood == "what's the China gii rank?"
    assert "11th" in snapshot.answer(got.understood).text


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("what's china's gii rank", True),
        ("hey, how much does china spend on r&d", True),
        ("so is zgc basically china's silicon valley", True),
        ("btw tell me about the gba", True),
        ("anyone know who runs wipo", True),
        ("china r&d spend?", True),
        ("Where’s DeepSeek based", True),
        ("DeepSeek is down again", False),
        ("Beijing", False),
        ("Made in China 2025", False),
        ("hello team, standup moved to 10", False),
        ("", False),
        # The second attack run: links, Slack markup, exclamations, and questions typed another way.
        ("Wrote up China's innovation hubs: https://wiki.example.com/page?id=42", False),
        ("China's R&D hit 3.6 trillion, check <https://example.com/news?id=3|this>", False),
        ("What a year: China's R&D expenditure reached 3.6 trillion yuan", False),
        ("Can't believe China ranks 11th", False),
        ("<!here> what is China's GII rank", True),
        ("Wondering how much China spends on R&D", True),
        ("curious where china ranks in the gii", True),
        ("hw much does china spend on r and d", True),
        ("what're china's top innovation clusters", True),
        ("what a surprise that china ranks 11th?", True),
    ],
)
def test_reads_as_question(text: str, question: bool) -> None:
    assert reads_as_question(text) is question
