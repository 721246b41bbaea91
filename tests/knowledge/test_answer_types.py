"""Answer types and constraints: what the question asks for decides which candidate may answer it."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import load_snapshot
from tests.knowledge.conftest import composer_of, write_kb

ARTICLES = {
    "plan.md": """---
title: The Ruritanian plan
---
The Ruritanian innovation plan was launched in 2015 by the national council.

The Ruritanian innovation plan covers robotics, biotechnology and new materials.

The Ruritanian innovation plan has a budget of 40 billion crowns.
""",
    "report.md": """---
title: The Ruritanian report
---
The 14th Ruritanian report praised the innovation plan.
""",
}


@pytest.fixture
def snapshot(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_snapshot(write_kb(tmp_path / "kb", ARTICLES, facts=None))


def test_when_wants_a_year(snapshot) -> None:  # type: ignore[no-untyped-def]
    answer = snapshot.answer("when was the ruritanian innovation plan launched")
    assert answer.answered and "2015" in answer.text


def test_how_much_wants_a_number(snapshot) -> None:  # type: ignore[no-untyped-def]
    answer = snapshot.answer("how much is the budget of the ruritanian innovation plan")
    assert answer.answered and "40 billion" in answer.text


def test_typed_candidates_are_described(snapshot) -> None:  # type: ignore[no-untyped-def]
    composer = snapshot.composer
    q = composer.analyse("How many sectors does the Ruritanian innovation plan cover?")
    assert q.wants == "number"
    assert composer.analyse("When did the plan start?").wants == "year"
    assert composer.analyse("Who launched the plan?").wants == "who"
    assert composer.analyse("where is the plan?").wants == "where"
    assert composer.analyse("does the plan cover robotics?").yes_no

    # A question ending in what is spent asks the amount ("what's the us r&d spending" was answered with
    # "China surpassed Japan ... after the United States", which states none).
    assert composer.analyse("what's the ruritanian r&d spending").wants == "number"
    assert composer.analyse("what is the eu's research expenditure?").wants == "number"
    assert composer.analyse("what is the plan's spending focused on").wants != "number"
    # So does one ending in a measure, as typed ("r&d intensity china", "xiaomi ev sales" were answered
    # with passages stating no figure), and a date named last asks when.
    assert composer.analyse("ruritania r&d intensity").wants == "number"
    assert composer.analyse("what is the r&d growth rate in ruritania").wants == "number"
    assert composer.analyse("zenda barge sales").wants == "number"
    assert composer.analyse("innovation plan launch date ruritania").wants == "year"
    # Not a position, nor which/who, nor yes/no: "whats chinas rank in r&d spending" was read as asking the
    # amount and answered with the GII rank's sentence, which states one.
    assert composer.analyse("what's ruritania's rank in r&d spending").wants == "rank"
    assert composer.analyse("which economies did ruritania overtake in research spending").wants != "number"
    assert composer.analyse("is there rapid growth in r&d spending").wants != "number"
    # Nor one asking what drives or funds it ("what is driving china's r&d spending" got the 3.6 trillion).
    for driven in (
        "what is driving ruritania's r&d spending",
        "what funds ruritania's r&d expenditure",
        "how did ruritania increase its r&d spending",
    ):
        assert composer.analyse(driven).wants != "number", driven
    # A capital as a city asks a place: "what is the capital of china" was answered with a sentence on
    # government funding ("capital" is money in "venture capital", "how much capital").
    assert composer.analyse("what is the capital of ruritania").wants == "where"
    assert composer.analyse("ruritania's capital city?").wants == "where"
    assert composer.analyse("capital of ruritania?").wants == "where"
    assert composer.analyse("how much venture capital went to ruritania").wants == "number"

    # A question about innov itself is about no text of the articles: "what sources do you have" was
    # answered with a passage on renewable energy sources.
    for about_innov in (
        "what sources do you have",
        "what data do you use",
        "who made you",
        "how do you work",
        "What sources do You have",  # (read as written: its guard once looked for "you" in lower case only)
        "Are You a bot?",
    ):
        assert composer.analyse(about_innov).wants == "self", about_innov
        assert not composer.render(composer.decide(about_innov)).answered, about_innov
    assert composer.analyse("do you know ruritania's gii rank").wants == "rank"
    # "who has <a figure>" or "who has the most X" asks for a country, not a person ("who has 470 robots per
    # 10000 workers" was declined: "China has 470 robots ..." names no person).
    assert composer.analyse("who has 300 robots per 10,000 workers").wants == "country"
    assert composer.analyse("who has the most robots").wants == "country"
    assert composer.analyse("who has been appointed to lead the plan").wants == "who"


def test_a_year_the_text_does_not_state_is_a_missing_constraint(snapshot) -> None:  # type: ignore[no-untyped-def]
    composer = snapshot.composer
    decision = composer.decide("when was the ruritanian innovation plan launched")
    assert decision.best is not None and decision.best.features["constraint_missing"] == 0.0
    decision = composer.decide("what did the 15th ruritanian report say about the innovation plan")
    assert decision.best is not None
    assert decision.best.features["constraint_missing"] >= 1.0 or "14th" not in decision.best.text
    assert not composer.render(decision).answered


def test_a_threshold_in_a_yes_no_question_is_not_a_constraint(snapshot) -> None:  # type: ignore[no-untyped-def]
    q = snapshot.composer.analyse("does the plan have a budget of more than 2020 crowns")
    assert q.years == frozenset()


REASONS = {
    "reasons.md": """---
title: Ruritanian robots
---
Ruritania has many robot factories.

Ruritania's robot factories grew because of cheap power and trained workers.
""",
}


def test_why_wants_a_reason(tmp_path: Path) -> None:
    composer = composer_of(tmp_path / "kb", REASONS)
    assert composer.analyse("why does ruritania have so many robot factories").wants == "reason"
    assert composer.analyse("how come ruritania has robot factories").wants == "reason"
    assert composer.analyse("what's behind the robot factories").wants == "reason"
    decision = composer.decide("why does ruritania have robot factories")
    assert decision.best is not None and "because" in decision.best.text
    assert decision.best.features["type_ok"] == 1.0


def test_a_plain_statement_is_not_a_reason(tmp_path: Path) -> None:
    composer = load_snapshot(
        write_kb(
            tmp_path / "kb",
            {
                "a.md": REASONS["reasons.md"].replace(
                    "grew because of cheap power and trained workers", "are in the north"
                )
            },
            facts=None,
        )
    ).composer
    decision = composer.decide("why does ruritania have robot factories")
    assert decision.best is None or decision.best.features["type_ok"] == 0.0


def test_a_position_written_as_a_number_is_a_rank(snapshot) -> None:  # type: ignore[no-untyped-def]
    composer = snapshot.composer
    assert "ranked first" in composer.analyse("is the plan #1?").normalised
    assert "ranked 12th" in composer.analyse("is the plan no. 12").normalised
    assert "ranked" not in composer.analyse("the number of plans").normalised


def test_what_the_asker_already_knows_is_not_what_is_asked(snapshot) -> None:  # type: ignore[no-untyped-def]
    composer = snapshot.composer
    q = composer.analyse("besides robotics, what does the ruritanian innovation plan cover")
    assert "robot" not in q.weights and "cover" in q.weights
    q = composer.analyse("robotics and what else does the plan cover")
    assert set(q.terms) == {"plan", "cover"}
    q = composer.analyse("what does the plan cover apart from robotics")
    assert set(q.terms) == {"plan", "cover"}
    # When nothing else is asked, the words stay.
    assert "robot" in composer.analyse("besides robotics?").weights


def test_how_much_is_not_answered_by_a_position(tmp_path: Path) -> None:
    articles = {
        "lab.md": "---\ntitle: Strelsau lab\n---\nStrelsau opened its first robotics lab, its 3rd research site.\n",
        "years.md": "---\ntitle: Zenda clusters\n---\nZenda led the cluster count for the second consecutive year.\n",
    }
    composer = composer_of(tmp_path / "kb", articles)
    amount = composer.decide("how much did strelsau put into its robotics lab")
    assert amount.question.amount and amount.best is not None
    assert amount.best.features["type_ok"] == 0.0  # "first" and "3rd" are positions, not amounts
    count = composer.decide("how many years in a row has zenda led the cluster count")
    assert not count.question.amount and count.best is not None
    assert count.best.features["type_ok"] == 1.0  # "second consecutive year" counts them


def test_a_counted_position_in_a_ranking_fact_answers_how_many_years_in_a_row(tmp_path: Path) -> None:
    facts = """facts:
  - id: zenda-clusters
    answer: Zenda has the largest number of clusters for the second consecutive year.
    value: "largest number of clusters"
    unit: rank
    topics: [number of clusters, most clusters]
    source: years
    quote: Zenda has the largest number of clusters for the second consecutive year.
    rank: true
"""
    articles = {
        "years.md": "---\nid: years\ntitle: Zenda\n---\n"
        "Zenda has the largest number of clusters for the second consecutive year.\n"
    }
    composer = composer_of(tmp_path / "kb", articles, facts)
    for question in (
        "how many years in a row has zenda had the most clusters",
        "for how many straight years has zenda had the most clusters",
    ):
        count = composer.decide(question)
        assert count.question.repeats and count.best is not None and count.best.kind == "fact", question
        assert count.best.features["type_ok"] == 1.0, question
    # The position counts years, not clusters: "how many clusters" is not answered by it.
    clusters = composer.analyse("how many clusters does zenda have")
    fact = next(c.described() for c in composer.candidates(clusters) if c.kind == "fact")
    assert not clusters.repeats and fact.features["type_ok"] == 0.0


def test_an_official_name_wants_a_text_giving_another_name(tmp_path: Path) -> None:
    articles = {
        "plan.md": "---\ntitle: Zenda plans\n---\n"
        "The Zenda Robotics Plan (also known as the Falcon Program) funds robot labs.\n\n"
        "The Falcon Program is run from Strelsau and Zenda City.\n",
    }
    composer = composer_of(tmp_path / "kb", articles)
    for question in (
        "whats the official name of the falcon program",
        "falcon program - what's the formal program name",
        "what is the falcon program officially called",
    ):
        decision = composer.decide(question)
        q = decision.question
        assert q.wants == "name", question
        assert not {"offici", "formal", "name", "call"} & set(q.terms), question
        assert decision.best is not None and "also known as" in decision.best.text, question
        assert decision.best.features["type_ok"] == 1.0, question
    # A text naming the thing without giving another name for it does not answer.
    q = composer.analyse("what's the official name of strelsau")
    assert q.wants == "name"
    assert all(c.described().features["type_ok"] == 0.0 for c in composer.candidates(q))


def test_a_share_wants_a_share_not_any_amount(tmp_path: Path) -> None:
    articles = {
        "budget.md": "---\ntitle: Strelsau budget\n---\nStrelsau spends 40 billion crowns on research.\n",
        "exports.md": "---\ntitle: Zenda exports\n---\nRobots make up 12% of Zenda's exports, two-thirds of them arms.\n",
    }
    composer = composer_of(tmp_path / "kb", articles)
    for question in (
        "what % of its budget does strelsau spend on research",
        "what percentage of strelsau's budget",
    ):
        spend = composer.decide(question)
        assert spend.question.share and spend.best is not None, question
        assert spend.best.features["type_ok"] == 0.0, question  # "40 billion crowns" is no share
        assert not spend.answer
    assert composer.decide("how much does strelsau spend on research").best.features["type_ok"] == 1.0
    # "%" and "per cent" are "percent" on both sides: the article's "12%" answers a question in words.
    robots = composer.decide("what share of zenda's exports are robots, in per cent")
    assert robots.question.share and robots.answer and "12%" in robots.best.text
    # "fraction", "percentage" name the type of answer, not a word it must hold.
    fraction = composer.decide("what fraction of zenda's exports are robots")
    assert fraction.question.share and "fraction" not in fraction.question.terms
    assert fraction.best is not None and fraction.best.features["unknown_share"] == 0.0


def test_how_big_asks_for_a_number_and_big_is_no_subject(snapshot) -> None:  # type: ignore[no-untyped-def]
    q = snapshot.composer.analyse("ruritanian innovation plan budget - how big?")
    assert q.wants == "number" and "big" not in q.terms
    answer = snapshot.answer("ruritanian innovation plan budget - how big?")
    assert answer.answered and "40 billion" in answer.text


def test_a_small_position_in_digits_is_a_word_not_an_edition_to_match(tmp_path: Path) -> None:
    articles = {
        "spend.md": "---\ntitle: Strelsau\n---\nStrelsau is the second-largest spender after Zenda.\n"
    }
    composer = composer_of(tmp_path / "kb", articles)
    decision = composer.decide("strelsau is the 2nd largest spender - after who?")
    assert not decision.question.ordinals and "second" in decision.question.terms
    assert decision.best is not None and decision.best.features["constraint_missing"] == 0.0


def test_an_abbreviation_is_spelled_out_as_an_article_writes_it(tmp_path: Path) -> None:
    articles = {
        "board.md": "---\ntitle: Strelsau board\n---\n"
        "The Strelsau Robotics Board met on Friday. The board approved two labs in Zenda Park (ZP).\n"
        "Strelsau makes more solar panels than any other city.\n",
    }
    kb = write_kb(tmp_path / "kb", articles, facts=None)
    aliases = "aliases:\n  SRB: strelsau robotics board\n  ZP: zenda park\n  PV: solar panels\n  lb: pound\n"
    (kb / "aliases.yaml").write_text(aliases, encoding="utf-8")
    snapshot = load_snapshot(kb)
    for question in (
        "what does SRB stand for?",
        "srb stands for",
        "whats the full form of srb",
        "'SRB' short for?",
    ):
        answer = snapshot.answer(question)
        assert answer.text == "SRB stands for Strelsau Robotics Board.", question
        assert answer.score == 1.0 and answer.sources[0].quote == "The Strelsau Robotics Board met on Friday."
    # An expansion whose initials do not spell it counts where the article pairs them: "Zenda Park (ZP)".
    assert snapshot.answer("what does ZP stand for").text == "ZP stands for Zenda Park."
    # A paraphrase the alias file gives for matching is no expansion, nor is a text that merely holds it.
    assert not snapshot.answer("what does PV stand for").answered
    # Only the whole question: "... and who chairs it" asks more, and is answered like any other question.
    assert snapshot.composer.analyse("what does SRB stand for and who chairs it").abbreviation is None
    # One-letter keys are no abbreviations; an expansion no article writes out is no answer.
    assert snapshot.composer.analyse("what does lb stand for").abbreviation == "lb"
    assert not snapshot.answer("what does lb stand for").answered


def test_the_seeds_spell_out_abbreviations_and_not_paraphrases(seeds_dir: Path, tmp_path: Path) -> None:
    snapshot = load_snapshot(seeds_dir, index_dir=tmp_path / "index")
    assert (
        snapshot.answer("WIPO stands for?").text
        == "WIPO stands for World Intellectual Property Organization."
    )
    # The alias file gives "top legislature" for NPC and "solar panels" for PV, to match questions; facts
    # holding those words rank well, but they do not say what the letters stand for.
    for question in ("what does NPC stand for", "what does PV stand for"):
        answer = snapshot.answer(question)
        assert not answer.answered and answer.score == 0.0, question
        assert answer.related, question  # what it does know nearby is still offered


def test_what_s_the_budget_or_value_asks_for_an_amount(snapshot) -> None:  # type: ignore[no-untyped-def]
    composer = snapshot.composer
    value = composer.analyse("what's the value of the ruritanian innovation plan")
    assert value.amount and "valu" not in value.terms  # the type asked, not a word the answer must hold
    answer = snapshot.answer("what's the value of the ruritanian innovation plan")
    assert answer.answered and "40 billion" in answer.text
    # The report says nothing of money: naming it is no answer to what it costs.
    report = composer.decide("whats the budget for the ruritanian report")
    assert report.question.amount and not report.answer


def test_what_a_name_stands_for_is_only_answered_by_a_text_writing_it_out(tmp_path: Path) -> None:
    # "Kimi" and "SRB" are no abbreviations the alias file knows: a sentence naming them, however well it
    # matches, does not say what they stand for; one pairing the letters with their words does.
    articles = {
        "labs.md": "---\ntitle: Strelsau labs\n---\n"
        "Kimi and the Strelsau Robotics Board (SRB) opened two labs in Zenda in 2024.\n\n"
        "The Kimi lab builds robots for Zenda's farms.\n",
    }
    snapshot = load_snapshot(write_kb(tmp_path / "kb", articles, facts=None))
    composer = snapshot.composer
    assert composer.analyse("what does kimi stand for").expansion_asked == "kimi"
    assert composer.analyse("what does kimi stand for").abbreviation is None  # (not in the alias file)
    kimi = composer.decide("what does kimi stand for")
    assert kimi.best is not None and "Kimi" in kimi.best.text and not kimi.answer
    srb = snapshot.answer("what does SRB stand for?")
    assert srb.text == "SRB stands for Strelsau Robotics Board." and srb.score == 1.0
    assert srb.sources[0].quote is not None and "Strelsau Robotics Board (SRB)" in srb.sources[0].quote
    # Asked alongside something else, it is an ordinary question.
    assert composer.analyse("what does kimi stand for and where are its labs").expansion_asked is None


def test_a_remark_after_the_question_goes_and_a_subject_after_it_stays(seeds_dir: Path) -> None:
    # "china's gii rank?? asking for a deck" was declined at 0.47 (the question alone: 0.86). But "how many
    # robots per 10k workers? germany" asks about Germany: dropping that gave China's 470 (an attack run).
    snapshot = load_snapshot(seeds_dir)
    for remark in ("china's gii rank?? asking for a deck", "gii rank? thx"):
        assert snapshot.composer.analyse(remark).normalised.endswith("gii rank"), remark
        assert "11th" in snapshot.answer(remark).text, remark
    for subject in (
        "how many robots per 10k workers? germany",
        "china's gii rank? 2019",
        "r&d spend? pfizer",
    ):
        assert snapshot.composer.analyse(subject).normalised.endswith(subject.split("? ")[1]), subject
        assert not snapshot.answer(subject).answered, subject


def test_what_an_abbreviation_means_is_what_it_stands_for(seeds_dir: Path, tmp_path: Path) -> None:
    # "what does gii mean" was declined at 0.58 (the best text named the GII, written out in brackets),
    # while "what does gii stand for" got "GII stands for Global Innovation Index."
    snapshot = load_snapshot(seeds_dir)
    for asked in ("what does gii mean", "GII means?", "what does bda mean", "wat does GII mean?"):
        answer = snapshot.answer(asked)
        assert answer.answered and answer.score == 1.0 and "stands for" in answer.text, asked
    # "Zhongguancun Forum (ZGC Forum)" writes ZGC out too: the same word after each (it was declined).
    zgc = snapshot.answer("what does zgc stand for")
    assert zgc.text == "ZGC stands for Zhongguancun." and zgc.score == 1.0
    assert zgc.sources[0].quote is not None and "Zhongguancun Forum (ZGC Forum)" in zgc.sources[0].quote
    # A word the alias tables do not know as an abbreviation is asked about as it is.
    articles = {"labs.md": "---\ntitle: Labs\n---\nKimi opened two labs in Zenda in 2024.\n"}
    composer = load_snapshot(write_kb(tmp_path / "kb", articles, facts=None)).composer
    assert composer.analyse("what does kimi mean").expansion_asked is None


def test_another_name_is_only_answered_by_a_text_giving_one(tmp_path: Path) -> None:
    articles = {
        "zenda.md": "---\ntitle: Zenda\n---\nZenda spends more on research than any other country in the region.\n",
    }
    composer = composer_of(tmp_path / "kb", articles)
    decision = composer.decide("what's the official name of zenda")
    assert decision.question.wants == "name"
    assert decision.best is not None and decision.best.features["type_ok"] == 0.0 and not decision.answer


def test_a_count_is_not_answered_by_a_year_nor_any_type_by_a_text_without_it(tmp_path: Path) -> None:
    # "how many clusters" is not answered by a sentence whose only number is the report's year; the
    # issue's rule: a candidate without the type asked does not answer (it may be offered as related).
    articles = {
        "clusters.md": "---\ntitle: Zenda clusters\n---\n"
        "The 2024 report highlights the rise of Zenda's science and technology clusters.\n\n"
        "Strelsau hosts the biggest robot fair of the region.\n",
    }
    composer = composer_of(tmp_path / "kb", articles)
    decision = composer.decide("how many clusters does zenda have")
    assert decision.best is not None and "2024 report" in decision.best.text
    assert decision.best.features["type_ok"] == 0.0 and not decision.answer
    when = composer.decide("when did the report highlight zenda's clusters")
    assert when.best is not None and when.best.features["type_ok"] == 1.0  # a year is what "when" wants


DURATIONS = {
    "zenda.md": """---
title: The Zenda bridge
---
The Zenda bridge was opened by the national council in 2019.

Building the Zenda bridge took six years and cost 2 billion crowns.

The Zenda river is 800 kilometres long.
""",
}


def test_how_long_did_it_take_wants_a_duration(tmp_path: Path) -> None:
    composer = composer_of(tmp_path / "kb", DURATIONS)
    assert composer.analyse("how long did building the zenda bridge take").wants == "duration"
    assert composer.analyse("for how long was the zenda bridge built").wants == "duration"
    assert composer.analyse("how long is the zenda river").wants == "number"  # a length
    answer = composer.answer("how long did building the zenda bridge take")
    assert answer.answered and "six years" in answer.text
    # A sentence about the bridge stating no span of time does not answer. (A candidate stating one ranks
    # first where the type is required: the building's six years, which says nothing of the ceremony.)
    decision = composer.decide("how long did the zenda bridge's opening ceremony last")
    assert not decision.answer
    assert decision.best is not None and "six years" in decision.best.text
    assert decision.reason.startswith("threshold:")
    # With no text stating a span of time, the type gate declines.
    decision = composer_of(
        tmp_path / "kb2",
        {
            "zenda.md": DURATIONS["zenda.md"].replace(
                "Building the Zenda bridge took six years and cost 2 billion crowns.\n\n", ""
            )
        },
    ).decide("how long did the zenda bridge's opening ceremony last")
    assert not decision.answer
    assert decision.reason == "type: the question asks for a duration and the best candidate states none"


@pytest.mark.parametrize(
    ("question", "wants"),
    [
        ("who's rupert hentzau", None),  # what the person named is: no type of answer
        ("who is Rupert Hentzau?", None),
        ("who is the head of the council", "who"),  # a role: a person is asked for
        ("who's in charge of the plan", "who"),
        ("who made it", "who"),
    ],
)
def test_who_is_a_named_person_asks_what_they_are(snapshot, question: str, wants: str | None) -> None:  # type: ignore[no-untyped-def]
    assert snapshot.composer.analyse(question).wants == wants


def test_who_is_a_named_person_is_answered_by_a_text_naming_no_other(tmp_path: Path) -> None:
    composer = composer_of(
        tmp_path / "kb",
        {
            "people.md": "---\ntitle: People\n---\nRupert Hentzau, vice minister of robotics, opened the fair.\n"
        },
    )
    decision = composer.decide("who's rupert hentzau")
    assert decision.answer, decision.reason
    assert "vice minister" in decision.best.text


def test_whos_and_a_name_asks_who_the_person_is(seeds_dir: Path) -> None:
    """ "whos daren tang" (as typed) was read as asking for a person, a type the sentences naming him could
    not give, and declined; "who is daren tang" asks what he is, and so does it now (a second attack run)."""
    composer = load_snapshot(seeds_dir).composer
    assert composer.analyse("whos daren tang").wants is None
    assert composer.analyse("whos the ceo of tencent").wants == "who"
    decision = composer.decide("whos daren tang")
    assert decision.answer and decision.best is not None and "Daren Tang" in decision.best.text


def test_which_country_is_answered_by_the_corpus_s_subject_too(seeds_dir: Path) -> None:
    """ "which country has 470 robots per 10,000 workers" was declined: China, named in every article, is no
    new place for "where" questions; for "which country" it is the answer (a second attack run). "which
    countries belong to the BRI" asks for others, and stays declined."""
    composer = load_snapshot(seeds_dir).composer
    decision = composer.decide("which country has 470 robots per 10,000 workers")
    assert decision.answer and decision.best is not None and "China" in decision.best.text
    assert not composer.decide("which countries belong to the belt and road initiative").answer


@pytest.mark.parametrize(
    "question",
    [
        "who makes the most solar panels",
        "who's the largest producer of solar panels",
        "whos the biggest maker of wind turbines",
    ],
)
def test_who_makes_the_most_asks_a_country(seeds_dir: Path, question: str) -> None:
    """ "who makes the most solar panels" asked for a person, so the sentence saying China is the largest
    producer (no person, and China the corpus's subject) ranked below any naming a person (an attack run:
    declined at 0.01). The maker asked is a country or a firm."""
    composer = load_snapshot(seeds_dir).composer
    assert composer.analyse(question).wants == "country"
    decision = composer.decide(question)
    assert decision.answer and decision.best is not None, decision.reason
    assert "largest producer of solar panels" in decision.best.text
    assert composer.analyse("who founded deepseek").wants == "who"
