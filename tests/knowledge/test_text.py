from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from knowledge.text import TextRules, normalise, split_sentences, tokenize, unaccented


def test_numbers_are_kept_whole() -> None:
    tokens = tokenize(
        "R&D reached 3.6 trillion yuan; 463,000 firms; ranks 11th; 470 robots per 10,000 workers."
    )
    for number in ("3.6", "463,000", "11th", "470", "10,000"):
        assert number in tokens


def test_sentence_final_period_is_not_part_of_a_number() -> None:
    assert tokenize("It launched in 2015.")[-1] == "2015"


def test_aliases_match_their_long_forms_on_both_sides() -> None:
    assert tokenize("GII") == tokenize("Global Innovation Index")
    assert tokenize("R&D") == tokenize("research and development")
    assert tokenize("ZGC") == tokenize("Zhongguancun")
    assert tokenize("SMEs") == tokenize("small and medium-sized enterprises")


def test_stemming_and_possessives() -> None:
    assert tokenize("robots innovations") == tokenize("robot innovation")
    assert tokenize("China's") == tokenize("China’s") == tokenize("china")


def test_synonyms_are_folded() -> None:
    assert tokenize("When did it start?") == tokenize("When was it launched?")
    assert tokenize("high-tech firms") == tokenize("high-tech enterprises")
    assert tokenize("strong clusters") == tokenize("robust clusters")
    assert tokenize("to keep its edge") == tokenize("to continue its edge") == tokenize("kept its edge")
    assert tokenize("the main driver") == tokenize("a key driver")
    assert tokenize("mixing culture and tech") == tokenize("merging culture and tech")
    assert tokenize("what is replacing it") == tokenize("what is the shift") == tokenize("the transition")
    assert tokenize("this shows") == tokenize("this demonstrates") == tokenize("this indicates")
    # A count asked in other words meets the article's ("how many other mainland municipalities" -> "nine cities").
    assert tokenize("nine municipalities") == tokenize("nine cities")
    assert tokenize("robotics ip filings") == tokenize("robotics ip patents")
    assert tokenize("the area integrates nine cities") == tokenize("the area includes nine cities")


def test_irregular_past_forms_meet_their_verb() -> None:
    assert tokenize("China led the count") == tokenize("China leading the count")
    assert tokenize("who won") == tokenize("who wins")
    assert tokenize("exports grew") == tokenize("exports grow")
    # Forms that are also words of their own stay apart.
    assert tokenize("Made in China") != tokenize("make in China")
    assert tokenize("found") != tokenize("find")


def test_stop_words_are_dropped() -> None:
    assert tokenize("What is the") == []


def test_sentences_keep_abbreviations_inside() -> None:
    text = (
        "It reached 3.6 trillion yuan (about 502 billion U.S. dollars) in 2024. Last year, it rose to 11th."
    )
    assert split_sentences(text) == [
        "It reached 3.6 trillion yuan (about 502 billion U.S. dollars) in 2024.",
        "Last year, it rose to 11th.",
    ]


def test_normalise_collapses_space_and_quotes() -> None:
    assert normalise("China’s  \n ‘big’\u00a0plan") == "China's 'big' plan"


@given(st.text(max_size=300))
def test_tokenize_takes_any_text(text: str) -> None:
    for token in tokenize(text):
        assert token and token == token.lower() and " " not in token


def test_thousands_suffix_becomes_the_digits_texts_write() -> None:
    assert tokenize("10k firms") == tokenize("10,000 firms")
    assert "463,000" in tokenize("463k enterprises")
    assert "2,500" in tokenize("2.5k")


def test_larger_number_suffixes_stay_spelled_out() -> None:
    assert tokenize("2.5bn") == tokenize("2.5 billion")
    assert tokenize("$500m")[-1] == "million"


def test_punctuated_aliases_are_whole_words_only() -> None:
    rules = TextRules({"r&d": "research and development", "u.s.": "united states", "$": "dollar"})
    expanded = ["research", "and", "development"]
    assert rules.words("R&D, (r&d) r&d's") == [*expanded, *expanded, *expanded, "s"]
    assert rules.words("xr&d &r&d r&dx") == ["xr", "d", "r", "d", "r", "dx"]
    assert rules.words("the u.s. spent $5") == ["the", "united", "states", "spent", "dollar", "5"]


def test_every_punctuated_alias_holds_a_character_plain_text_lacks() -> None:
    # ``expand`` skips the punctuated aliases in a text holding none of these characters.
    rules = TextRules()
    assert rules._punct_chars is not None
    assert all(not rules._punct_chars.isdisjoint(key) for key in rules._punctuated)
    assert rules.words("what is the r&d budget? and the gdp") == rules.words(
        "what is the r & d budget? and the gdp"
    )
    assert TextRules({" ": "space"})._punct_chars is None  # (a phrase of spaces: the test is off)


def test_symbols_and_small_positions_read_as_words_in_every_knowledge_base() -> None:
    rules = TextRules(aliases={})  # no alias file: the symbols still hold
    assert rules.words("12% of gdp, 40 per cent") == ["12", "percent", "of", "gdp", "40", "percent"]
    assert tokenize("the world's 2nd largest spender") == tokenize("the world's second largest spender")
    assert tokenize("ranks 11th") == ["rank", "11th"]  # past ten, a position stays a number


@given(
    st.lists(st.sampled_from(["gii", "global", "innovation", "index", "the", "us", "a", "b"]), max_size=10)
)
def test_aliases_are_read_left_to_right_longest_first(words: list[str]) -> None:
    # ``words`` looks only at words starting an alias: the same as trying every word in turn.
    rules = TextRules(
        {"gii": "global innovation index", "global innovation": "gi", "us": "united states", "a b": "ab"}
    )
    raw = rules.words(" ".join(words))
    plain = rules._plain
    expected: list[str] = []
    tokens = words
    i = 0
    while i < len(tokens):
        for n in range(min(rules._longest, len(tokens) - i), 0, -1):
            if tuple(tokens[i : i + n]) in plain:
                expected.extend(plain[tuple(tokens[i : i + n])])
                i += n
                break
        else:
            expected.append(tokens[i])
            i += 1
    assert raw == expected


def test_accents_are_dropped_on_both_sides_and_other_scripts_kept() -> None:
    """A question typed with accents ("whát ís chínás GÍÍ ránk", found by an attack run: declined) reads
    like the plain one; an article's "Zürich" is found by "zurich"; kana's voicing marks are letters."""
    assert tokenize("whát ís chínás GÍÍ ránk") == tokenize("what is chinas gii rank")
    assert tokenize("Zürich and São Paulo") == tokenize("zurich and sao paulo")
    assert unaccented("がぎ 中国 café") == "がぎ 中国 cafe"
