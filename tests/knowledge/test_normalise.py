"""Question normalisation: Slack noise out, long-word typos corrected against a vocabulary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.normalise import (
    _SPELLING_VARIANTS,
    Speller,
    afterthought,
    clean,
    english_words,
    spelling_key,
    united_states,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<@U123ABC> what is the gii rank", "what is the gii rank"),
        ("@innov what is the gii rank", "what is the gii rank"),
        ("hey team, what is the gii rank?? thx", "what is the gii rank?"),
        ("quick q - gii rank pls", "gii rank"),
        ("whats the gii rank rn lol :joy: 🚀", "whats the gii rank"),
        ("what is the *gii* `rank` _now_", "what is the gii rank now"),
        ("gii rank? see https://example.com/x and <https://a.b|link>", "gii rank? see and"),
        ("Name the AI companies", "the AI companies"),
        ("can you list the hubs", "the hubs"),
        ("hi, how many hi tech firms does china have", "how many hi-tech firms does china have"),
        ("who's heading wipo these days", "who's heading wipo"),
        ("where does china sit in the gii", "where does china rank in the gii"),  # a position
        ("where did south korea land in the index", "where did south korea rank in the index"),
        ("where is the forum held", "where is the forum held"),  # a place
        ("where is china placed in the gii", "where is china ranked in the gii"),
        ("where's china on the gii", "where's china ranked on the gii"),  # a place on an index
        ("where is japan in the cluster rankings", "where is japan ranked in the cluster rankings"),
        ("where is the hub in shenzhen", "where is the hub in shenzhen"),  # a place
        # A position asked without "rank", and a count or amount asked as "what number / amount of".
        ("what number is china on the innovation index", "what rank is china on the innovation index"),
        ("how high is china in the gii", "what rank is china in the gii"),
        ("china's gii spot?", "china's gii rank?"),
        ("which tech hot spot is biggest", "which tech hot spot is biggest"),
        ("what number of robots does china have", "how many robots does china have"),
        ("what amount of money did it invest", "how much money did it invest"),
        ("robots per 10000 workers", "robots per 10,000 workers"),
        ("robots per ten thousand workers", "robots per 10,000 workers"),  # (a second attack run)
        ("twenty five thousand", "twenty five thousand"),  # (only a number word right before "thousand")
        ("10000.5 or 1234 or 2024 or 12,000", "10000.5 or 1234 or 2024 or 12,000"),
        ("whats guangdong planning on the robotics front", "whats guangdong planning on robotics"),
        ("gii rank at the moment", "gii rank"),
        ("any idea what the two sessions are", "what the two sessions are"),
        ("got any ideas, who heads wipo?", "who heads wipo?"),
        (
            "what's still holding china's innovation scene back",
            "what's still holding back china's innovation scene",
        ),
        ("what holds it back", "what holds back it"),
        ("what is guangxi treating as the main engine", "what is guangxi as the main engine"),
        ("what does china see as its biggest challenge", "what does china as its biggest challenge"),
        ("concerns regarding ip", "concerns regarding ip"),
        # Slack links go whole, and invisible characters read as nothing.
        ("whats chinas gii rank <https://evil.example.com|click here>", "whats chinas gii rank"),
        ("whats chinas gii rank <https://evil.example.com>", "whats chinas gii rank"),
        ("what is ch\u200bina's g\u00adii rank", "what is china's gii rank"),
    ],
)
def test_clean_removes_slack_noise(raw: str, expected: str) -> None:
    assert clean(raw) == expected


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("china's gii rank? asking for a deck", ("china's gii rank?", "asking for a deck")),
        ("how many robots? germany", ("how many robots?", "germany")),
        ("gii rank? and japan's", None),  # (what goes on asking is no afterthought)
        ("what's the gii rank? in 2024", None),
        ("gii rank? what about japan?", None),
        ("gii rank?", None),
    ],
)
def test_what_follows_a_question_mark_is_split_off_unless_it_goes_on_asking(
    text: str, split: tuple[str, str] | None
) -> None:
    assert afterthought(text) == split


def test_clean_keeps_a_plain_question() -> None:
    assert clean("What is China's GII rank?") == "What is China's GII rank?"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("WHATS THE OFFICIAL NAME OF THE 863 PROGRAMME", "whats the official name of the 863 programme"),
        ("HEY TEAM, WHERE DOES CHINA RANK IN THE GII??", "where does china rank in the gii?"),
        ("ZGC = ?", "ZGC = ?"),  # a few capitals: an abbreviation, not shouting
        ("What does WIPO stand for?", "What does WIPO stand for?"),
    ],
)
def test_a_question_typed_in_capitals_reads_as_lower_case(raw: str, expected: str) -> None:
    assert clean(raw) == expected


def test_a_shouted_question_gets_the_answer_of_its_lower_case_form() -> None:
    from knowledge import load_snapshot

    seeds = load_snapshot(Path(__file__).resolve().parents[2] / "seeds")
    shouted = seeds.answer("WHATS THE OFFICIAL NAME OF THE 863 PROGRAMME")
    assert (
        shouted.answered and shouted.text == seeds.answer("whats the official name of the 863 programme").text
    )


VOCABULARY = [
    "innovation",
    "research",
    "technology",
    "manufacturing",
    "industries",
    "china",
    "parks",
    "given",
]


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        ("inovation", "innovation"),
        ("reserch", "research"),
        ("tecnology", "technology"),
        ("manufactring", "manufacturing"),
        ("industires", "industries"),  # a swap of two letters is one edit
    ],
)
def test_long_typos_are_corrected_to_the_vocabulary(typo: str, word: str) -> None:
    assert Speller(VOCABULARY).correct(typo) == word


def test_short_words_are_left_to_the_alias_table() -> None:
    assert Speller(VOCABULARY).correct("chna") == "chna"


def test_a_short_word_is_not_turned_into_another_real_word_by_one_substitution() -> None:
    speller = Speller(VOCABULARY)
    assert speller.correct("perks") == "perks"
    assert speller.correct("gives") == "gives"


def test_an_ambiguous_typo_is_left_alone() -> None:
    assert Speller(["boards", "boarts"]).correct("boardz") == "boardz"


def test_protected_words_are_never_corrected() -> None:
    assert Speller(["beijing"], protected=["beijin"]).correct("beijin") == "beijin"


def test_correct_text_reports_what_it_changed() -> None:
    text, corrections = Speller(VOCABULARY).correct_text("Global Inovation reserch")
    assert text == "global innovation research"
    assert corrections == {"inovation": "innovation", "reserch": "research"}


def test_closest_forms_of_one_word_are_not_an_ambiguity() -> None:
    speller = Speller(["enterprise", "enterprises"], same=lambda w: w.rstrip("s"))
    assert speller.correct("enterpries") in {"enterprise", "enterprises"}


def test_a_clearly_commoner_word_breaks_a_tie() -> None:
    speller = Speller({"provinces": 12, "provides": 2})
    assert speller.correct("provices") == "provinces"
    assert Speller({"provinces": 3, "provides": 2}).correct("provices") == "provices"


ENGLISH = frozenset({"lunch", "targets", "stands", "centres"})


@pytest.mark.parametrize("word", ["lunch", "targets", "stands"])
def test_ordinary_english_words_are_not_corrected(word: str) -> None:
    speller = Speller(["launch", "target", "standards", "innovation"], known=ENGLISH)
    assert speller.correct(word) == word


@pytest.mark.parametrize(("typo", "word"), [("inovation", "innovation"), ("reserch", "research")])
def test_typos_are_still_corrected_beside_a_word_list(typo: str, word: str) -> None:
    assert Speller(VOCABULARY, known=ENGLISH).correct(typo) == word


def test_an_english_word_takes_the_corpus_spelling_of_itself() -> None:
    assert Speller(["centers"], known=ENGLISH).correct("centres") == "centers"


@given(
    st.text("abcdegilnorstuyz", max_size=12).map(
        lambda stem: (
            stem + ("", "tre", "ise", "isation", "yse", "our", "ourable", "lled", "ogue", "s")[len(stem) % 10]
        )
    )
)
def test_spelling_key_skips_only_words_no_variant_changes(word: str) -> None:
    # The ending check is a shortcut: the key is what applying every variant in turn gives.
    expected = word
    for pattern, replacement in _SPELLING_VARIANTS:
        expected = pattern.sub(replacement, expected)
    assert spelling_key(word) == expected


def test_spelling_key_joins_british_and_american_forms() -> None:
    assert spelling_key("organisation") == spelling_key("organization")
    assert spelling_key("fuelled") == spelling_key("fueled")
    assert spelling_key("lunch") != spelling_key("launch")


def test_english_words_are_ordinary_words_only() -> None:
    words = english_words()
    assert {"lunch", "targets", "stands", "launch"} <= words
    assert not {"inovation", "reserch", "tecnology", "manufactring"} & words


def _clean_unguarded(question: str) -> str:
    """``clean`` as it reads without its substring guards: every pattern on every question."""
    from knowledge import normalise as n

    text = n._SLACK_LINK_RE.sub(" ", n.unshout(n._INVISIBLE_RE.sub("", question)))
    for pattern, replacement in (
        (n._MENTION_RE, " "),
        (n._URL_RE, " "),
        (n._EMOJI_CODE_RE, " "),
        (n._EMOJI_RE, " "),
        (n._MARKDOWN_RE, " "),
        (n._REPEATED_RE, r"\1"),
        (n._FRONT_RE, r"\1 \2"),
        (n._SPLIT_VERB_RE, r"\1 back \2"),
        (n._REGARD_AS_RE, " "),
        (n._NOW_RE, " "),
    ):
        text = pattern.sub(replacement, text)
    text = n._IMPERATIVE_RE.sub("", n._LEADING_RE.sub("", " ".join(text.split())))
    kept = [w for w in text.split(" ") if w.strip(",.!?;:-").lower() not in n.NOISE_WORDS]
    return " ".join(kept).strip(" ,;:-")


_PIECES = [
    "hey",
    "<@U123>",
    "@innov",
    "https://x.y/z",
    "www.a.b",
    ":rocket:",
    "*bold*",
    "_it_",
    "`code`",
    "??",
    "!!",
    "on the",
    "robotics",
    "front",
    "what's",
    "holding",
    "china's",
    "scene",
    "back",
    "treating",
    "as",
    "its",
    "main",
    "engine",
    "these",
    "days",
    "right",
    "now",
    "at the moment",
    "as of today",
    "pls",
    "GII",
    "rank",
    "Front",
    "BACK",
    "AS",
    "Now",
    "hold",
    "seen",
    "regard",
    "<https://x.y/z|click here>",
    "<http://a.b>",
    "ch\u200bina",
    "g\u00adii",
]


@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=14))
def test_clean_skips_a_pattern_only_where_it_cannot_match(pieces: list[str]) -> None:
    question = " ".join(pieces)
    assert clean(question) == _clean_unguarded(question)


@given(
    st.lists(st.text("abcde", min_size=3, max_size=12), min_size=1, max_size=60),
    st.text("abcdef", min_size=5, max_size=12),
)
def test_speller_searches_only_words_of_near_length(vocabulary: list[str], word: str) -> None:
    # The length window finds the same closest choices, in the same order, as a search of all choices.
    from rapidfuzz.distance import OSA
    from rapidfuzz.process import extract

    speller = Speller(vocabulary)
    for limit in (1, 2):
        everywhere = extract(word, speller._choices, scorer=OSA.distance, score_cutoff=limit, limit=3)
        near = extract(
            word, speller._near(len(word), limit), scorer=OSA.distance, score_cutoff=limit, limit=3
        )
        assert [(c, s) for c, s, _ in near] == [(c, s) for c, s, _ in everywhere]


@given(
    st.lists(
        st.sampled_from(["Inovation", "reserch", "china", "the", "provices", "centres", "x1", "?"]),
        max_size=8,
    )
)
def test_correct_text_corrects_each_word_as_correct_does(words: list[str]) -> None:
    # Words are looked at once each: the text and corrections are those of correcting every word in place.
    speller = Speller(
        {"innovation": 3, "research": 2, "provinces": 5, "provides": 1, "centers": 1}, known=ENGLISH
    )
    text = " ".join(words)
    expected = {w: speller.correct(w) for w in re.findall("[a-z]+", text.lower())}
    fixed, corrections = speller.correct_text(text)
    assert fixed == re.sub("[a-z]+", lambda m: expected[m.group(0)], text.lower())
    assert corrections == {w: f for w, f in expected.items() if f != w}


def test_a_question_makes_at_most_its_share_of_speller_searches() -> None:
    speller = Speller(VOCABULARY)
    speller.lookups = 2
    text, fixed = speller.correct_text("inovation reserch tecnology manufactring industires")
    assert fixed == {"inovation": "innovation", "reserch": "research"}  # the first two, in order
    assert text == "innovation research tecnology manufactring industires"  # the rest as typed
    assert speller.correct("tecnology") == "tecnology"  # the same question: nothing left
    # The next question starts afresh; words already searched cost nothing and are still corrected.
    assert speller.correct_text("reserch tecnology manufactring industires")[1] == {
        "reserch": "research",
        "tecnology": "technology",
        "manufactring": "manufacturing",
    }
    speller.lookups = None  # no bound
    assert speller.correct_text("industires")[1] == {"industires": "industries"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("how many robots per 10k workers in us", "how many robots per 10k workers in United States"),
        ("how many provinces in us prioritized ai", "how many provinces in United States prioritized ai"),
        ("where does us rank", "where does United States rank"),
        ("can you tell us the gii rank", "can you tell us the gii rank"),  # the pronoun
        ("is this useful for us", "is this useful for us"),
        ("r&d spending in us dollars", "r&d spending in us dollars"),  # the currency
        ("r&d spending in us$", "r&d spending in us$"),
        ("total us r&d spending in dollars?", "total United States r&d spending in dollars?"),
        ("us gii rank?", "United States gii rank?"),
        ("compare us robot density with china", "compare United States robot density with china"),
        ("give us r&d figures", "give us r&d figures"),  # the asker
        ("any data for us researchers", "any data for us researchers"),
    ],
)
def test_us_is_the_united_states_where_a_country_is_meant(raw: str, expected: str) -> None:
    """ "in us" was left as the pronoun, so China's figure answered a question about the United States (an
    attack run: "how many robots per 10k workers in us" got China's 470)."""
    assert united_states(raw) == expected


def test_a_dropped_g_is_put_back() -> None:
    """ "how much r astrazeneca puttin into beijing" (an attack run): "puttin" is no word of the corpus nor
    of English, and nearest to none; "putting" is English."""
    speller = Speller(VOCABULARY, known=ENGLISH | {"putting", "making"})
    assert speller.correct("puttin") == "putting"
    assert speller.correct("makin") == "making"
    assert speller.correct("protein") == "protein"  # (a word that is one)
