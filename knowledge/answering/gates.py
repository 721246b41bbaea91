"""The named vetoes, and the reason every decline gives (``Decision.reason``).

A hard gate declines the best candidate whatever the probability the decision model gives it: the bare
gate (nothing asked but a number or a letter: "2020", "g"), the type
gate (a number, year, person, place, name, duration or reason is asked for and the candidate states none),
the figure gate (the question names a figure no text states: "the 864 program"),
the given and restatement gates (``given``: what the question says it knows already is not its answer),
the attribute gate (``knowledge.attributes``: "who founded X" and the candidate never speaks
of founding), the count gate ("how many X" and no number of the candidate counts X), the year gate (a figure of 2024 for a
question about 2022) and the unit gate (a figure in yuan for a question in euros, or for five years for
one about ten).
Below them is the fitted threshold. Each reason starts with the gate's name ("type:", "given:", "attribute:", "year:", "unit:",
"threshold:", ...), which ``evaluate`` reads to tell a veto from the threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from knowledge.answering.candidate import Candidate
from knowledge.answering.question import Question
from knowledge.answering.words import YEAR_RE
from knowledge.attributes import ATTRIBUTES
from knowledge.text import CARDINAL_WORDS, SCALE_EXPONENTS, STOP_WORDS, TextRules, currencies
from knowledge.traits import DURATION_RE

# Which of some wanted terms a candidate holds (``CandidateFinder.tokens_of``).
TokensOf = Callable[[Candidate, Iterable[str]], frozenset[str]]


def no_candidate(asked: bool) -> str:
    """Why a question has no candidate: none of its words is known, or no candidate agrees with it."""
    if asked:
        return "no candidate agrees with the question's names, places and source"
    return "no candidate: no word of the question is known and no sentence is near it in meaning"


# What asks about nothing by itself: a year, a small number, a letter ("g" is half of "5G").
_BARE_TERM_RE = re.compile(rf"{YEAR_RE.pattern}|\d{{1,2}}|[a-z]")
# A number glued to letters ("5g", "6G") names something.
_GLUED_RE = re.compile(r"\d[a-z]")


def bare_gate(q: Question, best: Candidate) -> str:
    """ "2020", "g", "and in 2024?" (outside a thread): nothing is asked about the year, number or letter,
    so no text answers it, however well it matches. A figure naming something ("863") or a word is asked
    about; in a thread a follow-up takes its subject from the thread's question first (``knowledge.followup``)."""
    if not q.terms or not all(_BARE_TERM_RE.fullmatch(t) for t in q.terms) or _GLUED_RE.search(q.normalised):
        return ""
    return "bare: the question names nothing to ask about, only years, small numbers or letters"


# Below this cosine the best candidate means nothing like the question, whatever words they share: no
# answered question of the development sets is below 0.15 ("what time is it" -> a passage on the "two
# sessions" had -0.02 and was answered at 0.72 on its one matching word).
MIN_COSINE = 0.1


def meaning_gate(q: Question, best: Candidate) -> str:
    """A best candidate that shares words but no meaning with the question does not answer it (a veto
    only with meaning on: lexical-only every cosine is 0; a look-up has no cosine and is not judged)."""
    cosine = best.features.get("cosine")
    if cosine is None or not q.meaning or cosine >= MIN_COSINE:
        return ""
    shown = math.floor(cosine * 100) / 100  # (cut, not rounded: 0.0996 is "0.09", never "0.10, below 0.1")
    return f"meaning: the best candidate's cosine with the question is {shown:.2f}, below {MIN_COSINE}"


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


class AttributeGate:
    """ "who founded DeepSeek" -> a sentence about DeepSeek that never speaks of founding it: no answer.
    And where the question names whose attribute it asks, the text's word for it must be near that name
    (within the row's ``reach``): "who is the chairman of Xiaomi" is not answered by "Samsung Electronics
    chairman Lee Jae-yong toured ... makers including Xiaomi"."""

    def __init__(self, rules: TextRules, tokens_of: TokensOf, text_of: Callable[[Candidate], str]) -> None:
        # Each attribute's words as the index reads them (stems, synonyms folded).
        self._evidence = {a.name: frozenset(rules.tokenize(" ".join(a.evidence))) for a in ATTRIBUTES}
        self._tokens_of = tokens_of
        self._rules = rules
        self._text_of = text_of

    def __call__(self, q: Question, best: Candidate) -> str:
        if q.attribute is None:
            return ""
        evidence = self._evidence[q.attribute.name]
        if self._tokens_of(best, evidence).isdisjoint(evidence):
            return f"attribute: the question asks {q.attribute.name} and the best candidate does not say"
        text = self._text_of(best)
        if q.names and not self._near(self._rules.tokenize(text), evidence, q.names, q.attribute.reach):
            return f"attribute: the best candidate says {q.attribute.name} of something else"
        whose = self._whose(q)
        if whose and not whose <= self._tokens_of(best, whose):
            return f"attribute: the best candidate says {q.attribute.name} of something else"
        if not self._unqualified(q, text, evidence):
            return f"attribute: the best candidate names a deputy, not {q.attribute.name}"
        if q.attribute.figure and _QUANTITY_RE.search(text) is None:
            return f"attribute: the question asks {q.attribute.name} and the best candidate states no figure"
        return ""

    def _whose(self, q: Question) -> frozenset[str]:
        """The terms of what the question asks the attribute of, when it says so after it ("the budget
        for the Ruritanian report": ruritanian, report): a text about another thing's does not answer."""
        assert q.attribute is not None
        # (Read in the alias file's words: "the minister of sci and tech" is science and technology's.)
        said = q.understood
        asked = q.attribute.pattern.search(said)
        found = _WHOSE_RE.match(said[asked.end() :]) if asked is not None else None
        if found is None:
            return frozenset()
        words: list[str] = []
        for word in found.group(1).split():
            if word in _WHOSE_STOPS:
                break
            words.append(word)
        return frozenset(self._rules.tokenize(" ".join(words)))

    def _unqualified(self, q: Question, text: str, evidence: frozenset[str]) -> bool:
        """Whether the text says the attribute itself somewhere, not only a deputy's ("vice minister" for
        "who is the minister"), unless the question asks for the deputy."""
        asked = set(q.normalised.split())
        if asked & _DEPUTY:
            return True
        surface = self._rules.words(text)
        return any(
            stems and stems[0] in evidence and (i == 0 or surface[i - 1] not in _DEPUTY)
            for i, word in enumerate(surface)
            if (stems := self._rules.tokenize(word))
        )

    @staticmethod
    def _near(tokens: list[str], evidence: frozenset[str], names: frozenset[str], reach: int) -> bool:
        """Whether a word of ``evidence`` is at most ``reach`` tokens from one of ``names``."""
        said = [i for i, t in enumerate(tokens) if t in evidence]
        named = [i for i, t in enumerate(tokens) if t in names]
        if not named:
            return True  # (the name is the article's, or the fact's subject: nothing to be near)
        return any(abs(i - j) <= reach for i in said for j in named)


# A quantity stated: a digit, or a number or scale word, plural too (not a position: "first", "second").
_QUANTITY_RE = re.compile(
    r"\d|\b(?:" + "|".join(("one", *CARDINAL_WORDS, *SCALE_EXPONENTS, "dozen", "half")) + r")s?\b",
    re.IGNORECASE,
)
# "the budget for/of <what>": up to four words, ending at a preposition, a conjunction or a time word.
_WHOSE_RE = re.compile(r"\s+(?:of|for)\s+((?:[\w&'’-]+\s*){1,4})")
_WHOSE_STOPS = frozenset("in at on per by since and or this last next now today right rn".split())  # noqa: SIM905
# Words making a role another one ("vice minister", "deputy director"): not who heads it.
_DEPUTY = frozenset({"vice", "deputy", "assistant", "former", "acting", "associate", "co"})


# "how many robots does ..." counts what follows "how many", up to the verb or preposition.
_HOW_MANY_RE = re.compile(r"\bhow many ((?:[\w&-]+ ){0,4}[\w&-]+)", re.IGNORECASE)
_COUNT_STOPS = frozenset(
    [
        "are",
        "is",
        "was",
        "were",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "should",
        "there",
        "in",
        "of",
        "on",
        "at",
        "for",
        "with",
        "by",
        "to",
        "from",
        "that",
        "which",
        "who",
        "the",
        "a",
        "an",
        "per",
        "does",
        "china",
        "chinese",
    ]
)
_VERBS = frozenset(
    [
        "made",
        "make",
        "makes",
        "put",
        "puts",
        "got",
        "get",
        "gets",
        "set",
        "won",
        "win",
        "hold",
        "holds",
        "own",
        "owns",
        "use",
        "uses",
        "work",
        "live",
        "exist",
    ]
)
# Counts other gates read: how many times, years, editions, percent (a duration, a repeat, a share).
_NOT_COUNTED = frozenset(
    [
        "time",
        "times",
        "year",
        "years",
        "month",
        "months",
        "day",
        "days",
        "week",
        "weeks",
        "edition",
        "editions",
        "percent",
    ]
)
# Words that are numbers to the count gate: counts and scales ("hundreds of"), and vague ones.
_NUMBER_WORDS = frozenset(
    {*CARDINAL_WORDS, *SCALE_EXPONENTS, *(w + "s" for w in SCALE_EXPONENTS), "dozen", "dozens"}
)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_TEXT_WORD_RE = re.compile(r"\d[\d,.]*%?|[\w&'’-]+")
# A number counts the words at most this many after it ("190,000 robotics patents", "31 provinces").
COUNT_REACH = 4
# A number followed at once by a verb counts something named before it ("of the 31 provinces, 14 have
# prioritized robotics"), not the words after the verb.
_ELIDED = frozenset({"have", "has", "had", "are", "is", "were", "was", "will", "would", "can", "did", "do"})


class CountGate:
    """ "how many robots does China have" -> "14 of China's 31 provinces have prioritized robotics": a
    number is stated, but it counts something else. A "how many X" question is answered only by a text
    stating a number followed closely by X ("470 robots per 10,000 workers"), or "the number of X"."""

    def __init__(
        self,
        rules: TextRules,
        text_of: Callable[[Candidate], str],
        places: frozenset[str] = frozenset(),
        subject: frozenset[str] = frozenset(),
    ) -> None:
        self._rules = rules
        self._text_of = text_of
        self._places = places  # every place's terms: a sentence naming one is about that place
        self._subject = subject & places  # the corpus's common subject, where it is a place (China)

    def phrase(self, q: Question) -> str:
        """What a "how many" question counts, as it says it ("" when it asks no count this gate reads)."""
        if q.wants != "number" or q.repeats or q.share or q.yes_no:
            return ""
        # (Read in the alias file's words: "health cos" counts companies, "medtech/health" both.)
        m = _HOW_MANY_RE.search(q.understood)
        if m is None:
            return ""
        words: list[str] = []
        for word in m.group(1).lower().split():
            if word in _COUNT_STOPS or word in _VERBS or (len(word) > 4 and word.endswith("ed")):
                break  # ("how many provinces *prioritized* AI": the verb ends what is counted)
            words.append(word)
        if not words or words[0] in _NOT_COUNTED:
            return ""
        return " ".join(words)

    def counted(self, q: Question) -> frozenset[str]:
        """The stems of what ``q`` counts. (Any word of the phrase, not its head alone: measured, the head
        alone declined right answers in every QA set.)"""
        return frozenset(self._rules.tokenize(self.phrase(q)))

    def __call__(self, q: Question, best: Candidate) -> str:
        counted = self.counted(q)
        if not counted:
            return ""
        # ("Beijing's robotics industry holds 190,000 patents. ... with 470 robots per 10,000 workers, China
        # is ...": 470 counts China's robots, not Beijing's: a sentence naming other places, and not one the
        # question names, counts theirs.)
        text = self._text_of(best)
        asked = [*q.entities, *(frozenset((t,)) for t in self._subject if t in q.weights)]
        if asked:
            text = " ".join(s for s in _SENTENCE_END_RE.split(text) if self._about(asked, s))
        words = _TEXT_WORD_RE.findall(text)
        stems = [self._stem(w) for w in words]
        for i, word in enumerate(stems):
            if word is None:  # a number: does it count what is asked? ("per 10,000 workers" counts nothing)
                if i and words[i - 1].lower() == "per":
                    continue
                if i + 1 < len(words) and words[i + 1].lower() in _ELIDED:
                    continue  # ("14 have prioritized robotics": 14 counts provinces, said before it)
                if _counts(stems[i + 1 : i + 1 + COUNT_REACH], counted):
                    return ""
            elif (
                word == "number"
                and i + 2 < len(stems)
                and stems[i + 2] in counted
                # ("the largest number of clusters" says who has the most, not how many)
                and (not i or words[i - 1].lower() not in _SUPERLATIVES)
            ):
                return ""
        return f"count: the question asks how many {self.phrase(q)} and no number of the best candidate counts them"

    def _about(self, asked: list[frozenset[str]], sentence: str) -> bool:
        """Whether a sentence may be about the places the question names (``asked``, the corpus's subject,
        China, among them when named): it names one of them, or no place."""
        tokens = set(self._rules.tokenize(sentence))
        return any(place <= tokens for place in asked) or not (tokens & self._places)

    def _stem(self, word: str) -> str | None:
        """None for a number, else the word's stem ("" for a stop word)."""
        lower = word.lower()
        if lower[0].isdigit() or lower in _NUMBER_WORDS:
            return None
        tokens = self._rules.tokenize(lower)
        return tokens[0] if tokens else ("number" if lower == "number" else "")


_SUPERLATIVES = frozenset({"largest", "biggest", "highest", "greatest", "most", "smallest", "lowest"})


def _counts(after: list[str | None], counted: frozenset[str]) -> bool:
    """Whether the words after a number name what is counted, before another number starts ("470 robots
    per 10,000 workers": 470 counts robots, not workers)."""
    for stem in after:
        if stem is None:
            return False
        if stem in counted:
            return True
    return False


# A figure asked of what is *not* so ("how many provinces have not prioritized AI", "... outside the
# industrial sector"), and where a text says so ("did not", "non-", "other than", "the rest").
_ASKS_NEGATED_RE = re.compile(
    r"\b(?:not(?! (?:just|only|counting|including|incl)\b)|never|no longer|outside|excluding|non)\b"
    r"|\b(?:ai|are|ca|could|did|does|do|had|has|have|is|must|need|should|was|were|wo|would)n['’]?t\b"
)  # ("not just industrial ones", "not counting the SMEs" ask the whole, or less: read as typed, as
# normalising drops "just"; "havent", typed without its apostrophe, is "haven't")
_SAYS_NEGATED_RE = re.compile(
    r"\b(?:not|no|never|none|outside|excluding|without|non-?\w*|other than|except|besides|apart from"
    r"|remaining|the rest|neither|nor)\b|n't\b",
    re.IGNORECASE,
)


class NegationGate:
    """ "how many provinces have not prioritized AI" -> "29 of China's 31 provinces ... have prioritized AI":
    a figure asked of what is not so is not the figure of what is. A number question saying "not",
    "never", "outside" or "excluding" is answered only by a text saying something of the kind too (the
    difference is the asker's sum to do, and the text may count another thing). Yes/no questions are
    not read ("is it not the 11th?")."""

    def __init__(self, text_of: Callable[[Candidate], str]) -> None:
        self._text_of = text_of

    def __call__(self, q: Question, best: Candidate) -> str:
        if q.wants != "number" or q.yes_no or _ASKS_NEGATED_RE.search(q.text.lower()) is None:
            return ""
        if _SAYS_NEGATED_RE.search(self._text_of(best)):
            return ""
        return "negation: the question asks a figure of what is not so and the best candidate states what is"


# A figure: three digits or more, or with a separator ("864", "12,000", "3.7"); not a small count of
# things asked for ("name 3 hubs", "top 5").
_FIGURE_RE = re.compile(r"^(?:\d{3,}|\d[\d,.]*[,.]\d+)$")


def unknown_figure_gate(q: Question, best: Candidate) -> str:
    """ "what is the 864 program" -> "the 863 Program": a figure the question names that no text of the
    knowledge base states (not a year: those are the constraints' to weigh; not a small count: "name 3
    hubs") means it asks about something else. A yes/no question may well name a figure to compare ("is
    it over 4.5 trillion")."""
    if q.yes_no:
        return ""
    for term in q.unknown:
        if _FIGURE_RE.match(term) and term not in q.years:
            return f"figure: the knowledge base never states {term}"
    return ""


# A rate in time ("per month", "a year", "annually"): the unit it is per.
# (Per person too: "china's r&d spending per capita" is not answered by the national total.)
_RATE_RE = re.compile(
    r"\b(?:per|a|an|each|every)\s+(year|month|week|day|quarter)\b|\b(annual|annually|yearly|monthly|weekly|"
    r"daily|quarterly|per capita|per person|per head|per resident|per inhabitant)\b",
    re.IGNORECASE,
)
_RATE_WORDS = {
    **dict.fromkeys(("per capita", "per person", "per head", "per resident", "per inhabitant"), "person"),
    "annual": "year",
    "annually": "year",
    "yearly": "year",
    "monthly": "month",
    "weekly": "week",
    "daily": "day",
    "quarterly": "quarter",
}


def _rates(text: str) -> set[str]:
    return {
        m.group(1).lower() if m.group(1) else _RATE_WORDS[" ".join(m.group(2).lower().split())]
        for m in _RATE_RE.finditer(text)
    }


def _spans(text: str) -> set[tuple[float, str]]:
    """The spans of time ``text`` states, as (count, unit): "five years" and "5-year" are (5, "year");
    vague ones ("several years") are none."""
    out = set()
    for m in DURATION_RE.finditer(text):
        count = m["count"].lower()
        value = float(count) if count[0].isdigit() else _COUNTS.get(count)
        if value is not None:
            out.add((value, m["unit"].lower().rstrip("s")))
    return out


# Counts as words, for spans ("one year" too).
_COUNTS = {"one": 1, **CARDINAL_WORDS}


class UnitGate:
    """ "china's r&d spending in euros" -> "3.6 trillion yuan (about 502 billion U.S. dollars)", "how much
    will AstraZeneca invest over ten years" -> "... over the next five years", "how much does China spend
    per month" -> its yearly total: the text gives its figure in another currency, for another span of
    time, or not per the unit of time asked, so it does not answer. A text stating no currency or
    no span of that unit may well be of the one asked; a yes/no question may compare ("is it more than
    five years")."""

    def __init__(self, text_of: Callable[[Candidate], str]) -> None:
        self._text_of = text_of

    def __call__(self, q: Question, best: Candidate) -> str:
        if q.yes_no or q.repeats:
            return ""
        asked_currencies = currencies(q.normalised)
        asked_spans = _spans(q.normalised)
        asked_rates = _rates(q.normalised)
        if not asked_currencies and not asked_spans and not asked_rates:
            return ""
        text = self._text_of(best)
        for rate in sorted(asked_rates - _rates(text)):
            # A figure of one calendar year is a yearly one ("... 3.6 trillion yuan in 2024"); a total over
            # five years is not ("per year" of "2.5 billion over the next five years").
            if rate == "year" and YEAR_RE.search(text) and not any(u == "year" for _, u in _spans(text)):
                continue
            return f"unit: the question asks a figure per {rate} and the best candidate states none"
        stated = currencies(text)
        if asked_currencies and stated and not asked_currencies & stated:
            wanted = ", ".join(sorted(asked_currencies))
            return f"unit: the question asks in {wanted} and the best candidate states other currencies"
        spans = _spans(text)
        for count, unit in asked_spans:
            others = {c for c, u in spans if u == unit}
            if others and count not in others:
                return f"unit: the question asks about {count:g} {unit}s and the best candidate states another span"
        return ""


# A word and the small number after it ("ne zha 3", "top 5", "made in china 2025"): a numbered name.
_NUMBERED_RE = re.compile(r"\b([a-z]{2,})\s+(\d{1,4})(?![\d,.]|[a-z])")


class NumberedGate:
    """ "what is ne zha 3" -> "Ne Zha 2 ...", "which clusters are in the top 5" -> "... among the top 10": the
    question numbers a name the text numbers otherwise, and never as asked, so it is about something else
    (as "the 864 program" is, which the figure gate declines when no text states 864)."""

    def __init__(self, text_of: Callable[[Candidate], str]) -> None:
        self._text_of = text_of

    def __call__(self, q: Question, best: Candidate) -> str:
        if q.yes_no:
            return ""
        asked = _NUMBERED_RE.findall(q.normalised)
        if not asked:
            return ""
        text = self._text_of(best).lower()
        for word, number in asked:
            if word in STOP_WORDS:  # ("in 2024", "the 20 other ...": not a name's number)
                continue
            stated = {n for w, n in _NUMBERED_RE.findall(text) if w == word}
            if stated and number not in stated:
                return f"figure: the question asks about {word} {number} and the best candidate states {word} {min(stated)}"
        return ""


# A position after the first: "second" to "tenth" (how the tokenizer writes 2nd to 10th) or "11th", "14th".
_POSITION_RE = re.compile(
    r"^(?:second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))$"
)
# First place asked ("which country ranks first", "who is number one", "#1 in the gii") and how a text says it
# ("first", "1st", "at the top", "tops", "leads", "leading"), as stems.
_FIRST_PLACE_RE = re.compile(
    r"\b(?:rank(?:s|ed)?|place[sd]?|come[s]?|came|is|are|was) (?:no\.? ?1|number one|first|1st|#1)\b"
    r"|\b(?:first|1st) place\b|\bnumber one\b|#1\b|\btop spot\b"
)
_FIRST_PLACE_WORDS = frozenset({"first", "1st", "top", "lead", "leader", "largest", "biggest", "most"})


_HOW_OFTEN_RE = re.compile(
    r"\b\w+\s+(?:(?:consecutive|straight|successive|running)\s+)?(?:year|time|round)s?(?:\s+in\s+a\s+row)?\b",
    re.IGNORECASE,
)


class PositionGate:
    """ "which cluster ranks third" -> "Tokyo-Yokohama ranks at the top": a question asking about a position
    (a rank, a plan's number: "the 14th five-year plan") is not answered by a text that never states it.
    (A yes/no question may be: "is china third in r&d?" -> "... ranks second" corrects the asker.)"""

    def __init__(self, rules: TextRules, text_of: Callable[[Candidate], str]) -> None:
        self._rules, self._text_of = rules, text_of

    def __call__(self, q: Question, best: Candidate) -> str:
        if q.yes_no:
            return ""
        asked = [t for t in q.terms if _POSITION_RE.match(t)]  # (the question's tokens: no second read)
        first = _FIRST_PLACE_RE.search(q.normalised) is not None  # ("first" alone is often "the first time")
        if not asked and not first:
            return ""
        # ("for the second consecutive year", "a third time": how often, not a position)
        stated = set(self._rules.tokenize(_HOW_OFTEN_RE.sub(" ", self._text_of(best))))
        missing = next((t for t in asked if t not in stated), None)
        if missing is None and first and not stated & _FIRST_PLACE_WORDS:
            missing = "first place"
        return (
            f"figure: the question asks about the {missing} and the best candidate does not state it"
            if missing
            else ""
        )


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
