"""The gates on what the question says it knows already: its answer must be something else.

The given gate: a number or rank question answered by a fact stating the figure the question already
gives ("what was its rank before it climbed to 11th" -> "China ranks 11th"). The restatement gate: a
question asking for something besides what it names ("besides X, ...", "other than X") is not answered by
its own words, nor by a fact whose answer is the very thing it sets aside. (Both are hard vetoes:
``gates`` says how a veto's reason reads.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from knowledge.answering.candidate import Candidate, FactRef
from knowledge.answering.fact_table import states
from knowledge.answering.intents import ASKS_BESIDES
from knowledge.answering.question import Question
from knowledge.models import Fact
from knowledge.normalise import english_words
from knowledge.text import STOP_WORDS, TextRules, stem

# A text adding at most this many words to the question's own restates it ("is part of").
RESTATED_NEW_WORDS = 1
# An everyday word ("program" 5.3, "plan", "initiative" 4.4) is at least this frequent in English (wordfreq's
# Zipf scale); names are rarer ("Kimi" 3.2, "Huawei" 3.3, "Beijing" 4.1).
EVERYDAY_ZIPF = 4.3


# "what index does China rank 11th in": the figure is given, and the question asks in which index, list or
# ranking it is: the fact stating it answers that.
_ASKS_WHICH_LIST = re.compile(
    r"\b(?:what|which)\s+(?:[\w&'-]+\s+)?(?:index|indices|indexes|ranking|rankings|list|league table|table|report)\b"
)


class GivenGate:
    """ "what was its rank before it climbed to 11th" -> "China ranks 11th": the fact's figure is the one the
    question already gives, so it answers something else (a yes/no question may well restate it, and "in
    which index does China rank 11th" asks what the fact names besides its figure)."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self._facts = facts

    def __call__(self, q: Question, best: Candidate) -> str:
        ref = best.ref
        if (
            best.kind == "fact"
            and isinstance(ref, FactRef)
            and q.wants in ("number", "rank")
            and not q.yes_no
            and not _ASKS_WHICH_LIST.search(q.normalised)
            and states(q.normalised, self._facts[ref.fact].value)
        ):
            return "given: the best fact's figure is the one the question already states"
        return ""


class RestatementGate:
    """ "name the other five of Hangzhou's six little dragons besides DeepSeek" -> "DeepSeek is part of
    Hangzhou's six little dragons": asked for something besides what it names, the question is answered
    only by a text saying more than the question says (at most one word of its own is no more). A
    question not saying what it knows already may well be answered in its own words.

    Nor by a fact whose value is what is set aside: "name a national sci-tech plan other than 863" is not
    answered by "... also known as the 863 Program" (value "863 Program": every word set aside, one more)."""

    def __init__(self, rules: TextRules, text_of: Callable[[Candidate], str], facts: Sequence[Fact]) -> None:
        self._rules = rules
        self._text_of = text_of
        self._facts = facts

    def __call__(self, q: Question, best: Candidate) -> str:
        aside = ASKS_BESIDES.search(q.normalised)
        if q.yes_no or aside is None:
            return ""
        if isinstance(best.ref, FactRef):
            # (The phrase without its lead word: "other than 863" sets aside 863.)
            excluded = set(self._rules.tokenize(aside.group(0).split(None, 1)[-1]))
            if excluded and self._set_aside(self._facts[best.ref.fact].value, excluded):
                return "restates: the best fact's answer is what the question sets aside"
        said = set(self._rules.tokenize(q.normalised))
        new = set(self._rules.tokenize(self._text_of(best))) - said
        if len(new) > RESTATED_NEW_WORDS:
            return ""
        return "restates: the best candidate says nothing the question does not say already"

    def _set_aside(self, value: str, excluded: set[str]) -> bool:
        """Whether ``value`` holds every word set aside and says at most one more, an everyday one ("863
        Program" beyond "863"), not a name ("Zhipu AI and Kimi" beyond "zhipu ai": Kimi is the answer) nor
        a list ("humanoid robots and other emerging industries" beyond "robots")."""
        words = [w for w in self._rules.words(value) if w not in STOP_WORDS]
        extra = [w for w in words if stem(w) not in excluded]
        return (
            excluded <= {stem(w) for w in words}
            and len(extra) <= RESTATED_NEW_WORDS
            and all(w in english_words(EVERYDAY_ZIPF) for w in extra)
        )
