"""The named vetoes, and the reason every decline gives (``Decision.reason``).

A hard gate declines the best candidate whatever the probability the decision model gives it: the type
gate (a number, year, person, place, name, duration or reason is asked for and the candidate states none),
the given gate (a number or rank question answered by a fact stating the figure the question already
gives) and the attribute gate (``knowledge.attributes``: "who founded X" and the candidate never speaks
of founding).
Below them is the fitted threshold. Each reason starts with the gate's name ("type:", "given:", "attribute:",
"threshold:", ...), which ``evaluate`` reads to tell a veto from the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from knowledge.answering.candidate import Candidate, FactRef
from knowledge.answering.fact_table import states
from knowledge.answering.question import Question
from knowledge.attributes import ATTRIBUTES
from knowledge.models import Fact
from knowledge.text import TextRules

# Which of some wanted terms a candidate holds (``CandidateFinder.tokens_of``).
TokensOf = Callable[[Candidate, Iterable[str]], frozenset[str]]


def no_candidate(asked: bool) -> str:
    """Why a question has no candidate: none of its words is known, or no candidate agrees with it."""
    if asked:
        return "no candidate agrees with the question's names, places and source"
    return "no candidate: no word of the question is known and no sentence is near it in meaning"


def type_gate(q: Question, best: Candidate) -> str:
    """A share, number, year, person, place or other name is asked and the text states none ("what % of
    its budget ..." -> "40 billion crowns"; "what's the official name of the US" -> a sentence naming
    the United States): whatever else it matches, it does not answer (the words naming the type asked
    are no terms to miss)."""
    intent = q.intent
    if (q.share or (intent is not None and intent.hard)) and best.features["type_ok"] == 0.0:
        wanted = "a share" if q.share or intent is None else intent.described()
        return f"type: the question asks for {wanted} and the best candidate states none"
    return ""


class GivenGate:
    """ "what was its rank before it climbed to 11th" -> "China ranks 11th": the fact's figure is the one the
    question already gives, so it answers something else (a yes/no question may well restate it)."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self._facts = facts

    def __call__(self, q: Question, best: Candidate) -> str:
        ref = best.ref
        if (
            best.kind == "fact"
            and isinstance(ref, FactRef)
            and q.wants in ("number", "rank")
            and not q.yes_no
            and states(q.normalised, self._facts[ref.fact].value)
        ):
            return "given: the best fact's figure is the one the question already states"
        return ""


class AttributeGate:
    """ "who founded DeepSeek" -> a sentence about DeepSeek that never speaks of founding it: no answer."""

    def __init__(self, rules: TextRules, tokens_of: TokensOf) -> None:
        # Each attribute's words as the index reads them (stems, synonyms folded).
        self._evidence = {a.name: frozenset(rules.tokenize(" ".join(a.evidence))) for a in ATTRIBUTES}
        self._tokens_of = tokens_of

    def __call__(self, q: Question, best: Candidate) -> str:
        if q.attribute is None:
            return ""
        evidence = self._evidence[q.attribute.name]
        if self._tokens_of(best, evidence).isdisjoint(evidence):
            return f"attribute: the question asks {q.attribute.name} and the best candidate does not say"
        return ""


def threshold(probability: float, at: float) -> str:
    """The fitted threshold: below it the decision model is not sure enough to answer."""
    if probability < at:
        # (Cut, not rounded, to the threshold's places: 0.6996 is "0.69", never "0.70 is below 0.70".)
        return f"threshold: probability {math.floor(probability * 100) / 100:.2f} is below {at:.2f}"
    return ""


def unexpanded(abbreviation: str) -> str:
    """No text says what the abbreviation asked about stands for (``expansion``)."""
    return f"expansion: no text spells out what {abbreviation} stands for"


def front_matter(wanted: str) -> str:
    """The article a question asks about does not give its publisher or date."""
    return f"front matter: the article does not give its {wanted}"


def is_veto(reason: str) -> bool:
    """Whether a decline's reason is a hard gate (the candidate declined whatever its probability)."""
    return bool(reason) and not reason.startswith("threshold")
