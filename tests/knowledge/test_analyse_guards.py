"""The substring tests that skip question analysis's patterns never skip one that would have matched."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from knowledge import normalise, references
from knowledge.answering import intents
from knowledge.text import holds_any, might_hold

# Words the patterns are made of, near misses, and others: texts of them exercise every alternative.
WORDS = """
how much many big what which when where who whom why come behind reason reasons share percent percentage
proportion fraction number of name official full named officially formally called known as year date
since list enumerate are the key elements examples besides apart from aside other than except for in
addition to and what else stand stands short an acronym abbreviation form long expansion is was so it
hw whatt whe n wh o nam e & , ? ' - gdp wipo 2024 11th blog post news article piece write-up writeup op-ed
oped treat treats treating regard regarded view viewing see sees consider considered
# #1 # 2 no. no.3 No. number one two 12 1,000
""".split()  # noqa: SIM905 - a word list reads better as text
TEXTS = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
CASED = st.builds(lambda t, upper: t.upper() if upper else t.title(), TEXTS, st.booleans()) | TEXTS

# (pattern, the substrings it needs, whether the text it reads may have any case): every rule of the
# intents table and the other question patterns (``intents.RULES``: a new row is checked here unasked),
# and the two other modules' guarded patterns.
GUARDED: list[tuple[re.Pattern[str], tuple[str, ...], bool]] = [
    *((rule.pattern, rule.needs, rule.any_case) for rule in intents.RULES),
    (references._NOUN_RE, references._NOUN_NEEDS, True),
    (references._BARE_END_RE, references._BARE_NEEDS, True),
    (references._BARE_START_RE, references._BARE_NEEDS, True),
    (normalise._REGARD_AS_RE, normalise._REGARD_VERBS, True),
]


@given(TEXTS, CASED)
def test_a_pattern_matches_only_where_its_needed_substring_is(lower: str, cased: str) -> None:
    for pattern, needs, any_case in GUARDED:
        text = cased if any_case else lower
        might = might_hold(text, needs) if any_case else holds_any(text, needs)
        assert might or pattern.search(text) is None, (pattern.pattern, text)


def test_each_intent_is_recognised_by_a_rule_or_a_term_and_named_once() -> None:
    assert all(intent.rules or intent.term is not None for intent in intents.INTENTS)
    assert len({intent.wants for intent in intents.INTENTS}) == len(intents.INTENTS)


def test_text_beyond_ascii_is_always_tried() -> None:
    # "ſ" is an "s" to a pattern ignoring case, though not to a substring test.
    assert might_hold("beſides x", ("besides",))
