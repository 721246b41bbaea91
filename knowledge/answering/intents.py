"""What a question asks for, as data: one ordered table of intents (``INTENTS``) read by one loop (``wanted``).

Each row names a type of answer ("number", "year", "who", ...), the rule that recognises a question asking
for it (a pattern and the words one of which it needs), its exceptions, and what the type demands of an
answer: whether a text stating no such thing is declined (``hard``), and what kind of term a passage window
must add beyond the question's own words (``adds``, a ``knowledge.windows`` kind). The first row that
matches wins, so the order is the priority ("how much" is a number before "what" is a year).

A new type of answer is one row here and one trait in ``knowledge.traits`` (the texts that give it), plus
its test. The other patterns below read what qualifies a question: an amount or a share, repetitions,
another name asked for, what it already knows, a rank written as a number, an abbreviation to spell out.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator, Mapping
from typing import NamedTuple

from knowledge.answering.words import RANK_TERM
from knowledge.text import holds_any, might_hold
from knowledge.windows import NEW_NAME_KIND, NEW_PLACE_KIND, NUMBER_KIND, PLACE_KIND


class Rule(NamedTuple):
    """A pattern and the substrings one of which every match holds: where none is there, the pattern is
    not tried (a substring test in C skips most patterns for most questions; each search would try every
    position). ``tests/knowledge/test_analyse_guards.py`` checks every rule of ``RULES``."""

    pattern: re.Pattern[str]
    needs: tuple[str, ...]
    # The text read may have any case or go beyond ASCII (``might_hold``); else it is the lower-case ASCII
    # words of ``Phrasing.understood`` (``holds_any``).
    any_case: bool = False

    def tried(self, text: str) -> bool:
        """Whether ``text`` holds one of the needed substrings (else the pattern cannot match)."""
        return might_hold(text, self.needs) if self.any_case else holds_any(text, self.needs)

    def search(self, text: str) -> re.Match[str] | None:
        """The pattern's first match in ``text``, None without one (or without a needed substring)."""
        # (``tried``, inline: every question is read with most rules.)
        if not (might_hold(text, self.needs) if self.any_case else holds_any(text, self.needs)):
            return None
        return self.pattern.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """The pattern's matches in ``text`` (none without a needed substring)."""
        return self.pattern.finditer(text) if self.tried(text) else iter(())


# What a question asks for. "what year", "which percentage": the word names the answer's type.
# A share ("what percentage", "in %", the alias file spelling "%" as "percent"): answered by a share of
# something ("40 percent", "two-thirds", "half"), not by any amount ("3.6 trillion yuan").
SHARE_NOUNS = ("share", "percentage", "percent", "proportion", "fraction")
_SHARE = "|".join(SHARE_NOUNS)
ASKS_SHARE = Rule(
    re.compile(rf"\bwhat (?:{_SHARE})\b|\b(?:{_SHARE}) of\b|\bpercent(?:age)?\b", re.IGNORECASE), SHARE_NOUNS
)
# An amount, not a count: "how much", "what share". A position ("its first", "11th") answers no such
# question, while "how many years in a row" is answered by "the second consecutive year".
# "what's the budget for X" asks "how much" as well: a sentence naming X without a figure does not answer.
AMOUNT_NOUNS = ("amount", "budget", "cost", "price", "funding", "value", "worth")
# What is spent or measured, named last ("... r&d spending", "... growth rate in china"): an amount.
MEASURE_NOUNS = (
    "spending",
    "expenditure",
    "expenditures",
    "outlay",
    "rate",
    "intensity",
    "sales",
    "revenue",
    "revenues",
)
# A question that asks something else of the measure: a position ("china's rank in r&d spending"), which,
# who, where, when or why ("which economies did china overtake in research spending"), yes/no or how ("is
# there rapid growth in r&d spending").
_NOTHING_ELSE_ASKED = (
    r"(?!.*\b(?:rank|ranks|ranked|ranking|rankings|position|place|placed|standing"
    r"|which|who|whom|where|when|why)\b)"
    r"(?!(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|how)\b)"
)
# What a question names last, at most one word after it ("r&d intensity china", "6g launch date china").
_LAST = r"(?: (?:in |of |for )?\w+)?\s*\??\s*$"
# The words naming whose measure, before it: no verb among them ("what is driving china's r&d spending",
# "what funds china's r&d expenditure" ask what drives it, not the figure).
_NAMED_BEFORE = (
    r"(?:(?!\w+ing\b|(?:funds?|funded|drives?|drove|gets?|got|increased?|raised?|boost(?:ed|s)?|cut|grew|"
    r"allocated?)\b)[\w&'’.-]+ ){0,8}?"
)
ASKS_AMOUNT = Rule(
    re.compile(
        rf"\bhow much\b|\bwhat(?:'s|s| is| was| are| were)? (?:the |its |their )?(?:{'|'.join(AMOUNT_NOUNS)})\b"
        # The amount named as typed, without "what is": "astrazeneca's investment amount?", "amount invested".
        r"|\b(?:investment|spending|funding|deal|total) amount\b|\bamount (?:invested|spent|raised|pledged)\b"
        # A question that ends in what is spent, or in a measure, names the amount ("us r&d spending",
        # "what's the eu r&d expenditure?", "r&d intensity china", "xiaomi ev sales"); "what is china's r&d
        # spending focused on" asks something else, and so does a position ("china's rank in r&d spending").
        rf"|^{_NOTHING_ELSE_ASKED}(?:what(?:'s|s| is| was| are| were)? )?{_NAMED_BEFORE}"
        rf"(?:{'|'.join(MEASURE_NOUNS)}){_LAST}"
        rf"|{ASKS_SHARE.pattern.pattern}",
        re.IGNORECASE,
    ),
    ("how", "what", *SHARE_NOUNS, *MEASURE_NOUNS),
)
# A number question asking how many times in a row ("how many years in a row" -> "consecutive").
_REPEATED = r"(?:consecutive|straight|successive|running|in a row)"
ASKS_REPEATS = Rule(
    re.compile(
        rf"\bhow many (?:(?:years|times|editions)\b.*\b{_REPEATED}\b|{_REPEATED} (?:years|times|editions)\b)",
        re.IGNORECASE,
    ),
    ("how many",),
)
# In an amount question these nouns name the type of answer, not a word it must hold ("what fraction
# of", "what's the value of"). "share", "budget" and "funding" stay: the corpus uses them as subjects
# ("share of world robotics patents", "R&D budget").
TYPE_NOUNS = frozenset(SHARE_NOUNS + AMOUNT_NOUNS) - {"share", "budget", "funding"}
# The measures "how ..." asks a number of (an amount question is a number question too: ``INTENTS``).
_HOW_NUMBER = "many|much|big|large|far|fast|long|old"
ASKS_NUMBER = Rule(re.compile(rf"\bhow (?:{_HOW_NUMBER})\b|\bnumber of\b", re.IGNORECASE), ("how", "number"))
ASKS_YEAR = Rule(
    re.compile(
        r"\bwhen\b|\b(?:what|which) (?:year|date|month)\b|\bsince when\b"
        # A date named last, as typed: "6g launch date china", "forum dates?".
        rf"|\b(?:date|dates|deadline){_LAST}",
        re.IGNORECASE,
    ),
    ("when", "what", "which", "date", "deadline"),
)
# Another name of the thing named: "what's the official name of the 863 programme", "formal program name",
# "full name of X". The words say what type of answer is wanted (a text saying what X is also known as:
# ``traits.NAMING``), not what the answer must contain ("official" is rarely written beside the name).
_NAME_QUALIFIERS = ("official", "formal", "full", "proper", "complete", "real", "actual", "legal")
ASKS_NAME = Rule(
    re.compile(
        rf"\b(?:{'|'.join(_NAME_QUALIFIERS)}) (?:\w+ )?name\b"
        r"|\b(?:officially|formally) (?:called|named|known as)\b",
        re.IGNORECASE,
    ),
    ("name", "officially", "formally"),
)
NAME_WORDS = frozenset((*_NAME_QUALIFIERS, "name", "officially", "formally", "called", "named"))
ASKS_WHO = Rule(
    re.compile(r"^(?:who|whom)\b|\bwho (?:is|was|said|heads|leads|runs|founded)\b", re.IGNORECASE), ("who",)
)
# "who's Chen Jiachang" (or "whos", as typed) asks what the person named is, not for a person (read as
# written: understood words drop the "'s"). A role or description after "who is" asks for a person: "who is the head of WIPO".
ASKS_IDENTITY = Rule(
    re.compile(
        r"^(?:so\s+)?(?:(?:who|whom)(?:'s|’s| is| was)|whos) "
        r"(?!(?:the|a|an|its|their|his|her|our|in|behind|china'?s?|currently|now|best|top)\b)"
        r"(?!.*\b(?:head|ceo|chairman|chair|leader|founder|director|minister|president|boss|chief|of|in)\b)"
        r"[\w.'’-]+(?: [\w.'’-]+){0,3} ?\??$",
        re.IGNORECASE,
    ),
    ("who",),
    any_case=True,
)
# "who makes the most solar panels", "who's the largest producer of EVs": the maker asked is a country
# (or a firm), not a person, and the corpus's subject may be it.
_MAKES = r"(?:makes|produces|manufactures|builds|churns out|turns out|spends|invests)"
_MAKER = r"(?:producer|maker|manufacturer|builder|exporter|spender|investor)s?"
ASKS_COUNTRY = Rule(
    re.compile(
        r"\b(?:which|what) (?:country|nation)\b"
        rf"|^who {_MAKES}\b.*\b(?:most|more|largest|biggest)\b"
        # "who has 470 robots per 10,000 workers", "who has the most clusters": a country (or a firm).
        r"|^who (?:has|have|had|holds|boasts) (?:the )?(?:\d|most\b|more\b|largest\b|biggest\b)"
        rf"|^who(?:'s|’s|s| is)? (?:the )?(?:world'?s |global )?(?:largest|biggest|top|leading|no\.? ?1|number one) {_MAKER}\b",
        re.IGNORECASE,
    ),
    ("country", "nation", "who"),
)
ASKS_WHERE = Rule(
    re.compile(
        r"^where\b(?!.*\brank)|\b(?:which|what) (?:city|cities|country|countries|province|provinces)\b"
        # A capital as a city: "what is the capital of china", "its capital city" (not "venture capital").
        r"|\b(?:the|its|their) capital (?:city )?of\b|^capital (?:city )?of\b|\bcapital city\b",
        re.IGNORECASE,
    ),
    ("where", "what", "which", "capital"),
)
# "why" questions want a reason: the text must give one, not merely share the question's words.
ASKS_REASON = Rule(
    re.compile(
        r"^(?:so\s+)?why\b|\bwhy (?:is|are|does|do|did|has|have|was|were|would|should|can)\b|\bhow come\b|"
        r"\bwhat(?:'s| is| was| are)? behind\b|\b(?:what|which) (?:is|are|was|were)? ?the reasons?\b|"
        r"\breasons? (?:for|behind|why)\b",
        re.IGNORECASE,
    ),
    ("why", "come", "behind", "reason"),
)
# How long something took or lasts ("how long did the plan take", "for how long"); "how long is the
# river" asks for a length, a number.
ASKS_DURATION = Rule(
    re.compile(
        r"\bhow long\b(?=.*\b(?:take|takes|took|taken|taking|last|lasts|lasted|run|runs|ran)\b)"
        r"|\bfor how long\b",
        re.IGNORECASE,
    ),
    ("how long",),
)
# A question asking for the items of a list: "list ...", "name ...", "which areas ...", "key elements".
_LIST_NOUNS = (
    r"(?:areas|elements|industries|sectors|technologies|techs|strategies|challenges|ecosystems|fields|"
    r"companies|programs|programmes|opportunities|priorities)"
)
ASKS_LIST = Rule(
    re.compile(
        r"^(?:(?:hey|hi|ok|okay|so|pls|please|can you|could you)\W+)*(?:list|name|enumerate)\b"
        rf"|\bwhich (?:\S+ ){{0,2}}{_LIST_NOUNS}\b|\bwhat are the (?:\S+ ){{0,2}}{_LIST_NOUNS}\b"
        r"|\bkey elements\b|\bexamples of\b",
        re.IGNORECASE,
    ),
    ("list", "name", "enumerate", "which", "what are the", "key elements", "examples of"),
    any_case=True,
)


# A question about innov itself, not the knowledge base: "what sources do you have", "who made you", "are
# you a bot". No text of the articles answers it ("sources" there are energy sources); help and
# `sources` do.
_OWN = r"(?:sources?|data|datasets?|knowledge|articles?|info|information|docs|documents?|references?)"
ASKS_ABOUT_BOT = Rule(
    re.compile(
        rf"\b{_OWN} (?:do|did|can|could) (?:you|u) (?:have|use|cover|read|hold|know|rely on|draw on)\b"
        rf"|\b(?:your|yr) (?:own )?{_OWN}\b"
        rf"|\b(?:do|did|can) (?:you|u) (?:have|use|cover|read) (?:any |many |some )?{_OWN}\b"
        r"|^(?:so |ok |hey )?(?:who|what) (?:are|r) (?:you|u)\b|\bare (?:you|u) (?:a |an )?(?:bot|human|real|person)\b"
        r"|\bwho (?:made|built|created|wrote|trained|programmed) (?:you|u)\b|\bwhat can (?:you|u) do\b"
        r"|^how do (?:you|u) work\b",
        re.IGNORECASE,
    ),
    ("you", "your", "yr", " u"),
    any_case=True,  # (read as written, ``Intent.whole``: "What sources do You have")
)


class Intent(NamedTuple):
    """One row of ``INTENTS``: a type of answer, how a question asking for it is recognised, and what the
    type demands of an answer."""

    wants: str  # ``Question.wants``
    rules: tuple[Rule, ...] = ()  # the row matches where one of them does (none: ``term`` alone decides)
    # The rules read the question as written (``Phrasing.whole``), not its understood words.
    whole: bool = False
    term: str | None = None  # a term the question must hold
    unless_term: str | None = None  # a term that rules the row out
    # A candidate stating nothing of the type is declined, whatever else it matches (``gates.type_gate``).
    hard: bool = False
    shown: str = ""  # how a decline names what was asked for ("a person")
    # A term kind (``knowledge.windows``) a passage window must hold beyond the question's own terms.
    adds: int = 0
    # How well a text giving each type fits, best first (``type_fit``); a text giving none of them fits
    # ``otherwise``. Empty: only a text giving the type wanted fits.
    fits: tuple[tuple[str, float], ...] = ()
    otherwise: float = 0.0
    # The question asks for no type of answer when this row matches (it stops the rows below it).
    open: bool = False

    def described(self) -> str:
        """How a decline names what the question asks for ("a person", "a number")."""
        return self.shown or f"a {self.wants}"


# The intents in order of priority: the first row that matches is what the question asks for.
INTENTS: tuple[Intent, ...] = (
    # (Nothing in the knowledge base gives this type: such a question is declined, and Slack's decline
    # points to `/innov help` and `/innov facts`.)
    Intent("self", (ASKS_ABOUT_BOT,), whole=True, hard=True, shown="something about innov itself"),
    Intent("reason", (ASKS_REASON,), hard=True),
    Intent("duration", (ASKS_DURATION,), hard=True, shown="a duration"),
    # (An amount or a count asks a window to add more than a number: ``Question.adds``.)
    Intent("number", (ASKS_AMOUNT, ASKS_NUMBER), hard=True, adds=NUMBER_KIND),
    Intent("year", (ASKS_YEAR,), hard=True),
    # "which country has 470 robots per 10,000 workers": a place, and the corpus's common subject is one
    # (China); "where is X" is not answered by the subject every sentence names, nor "which countries belong
    # to the BRI" (others, a list) by a sentence on China's initiative.
    Intent(
        "country",
        (ASKS_COUNTRY,),
        unless_term=RANK_TERM,
        hard=True,
        shown="a country",
        adds=PLACE_KIND,
        fits=(("where", 1.0),),
        otherwise=0.0,
    ),
    # "who is <a name>": what the person named is, no type of answer (``Intent.open``).
    Intent("", (ASKS_IDENTITY,), whole=True, open=True),
    Intent("who", (ASKS_WHO,), hard=True, shown="a person", adds=NEW_NAME_KIND),
    Intent("name", (ASKS_NAME,), hard=True),
    # "where does X stand": a rank.
    Intent("where", (ASKS_WHERE,), unless_term=RANK_TERM, hard=True, shown="a place", adds=NEW_PLACE_KIND),
    # A list answers it best, then a sentence enumerating things, a statement least.
    Intent("list", (ASKS_LIST,), whole=True, fits=(("list", 1.0), ("enumeration", 0.75)), otherwise=0.5),
    Intent("rank", term=RANK_TERM),
)
BY_TYPE: Mapping[str, Intent] = {intent.wants: intent for intent in INTENTS}
# A question asking for no type of answer: a figure, else a position, fits it.
OPEN = Intent("", fits=(("figure", 1.0),), otherwise=0.5)


def wanted(
    understood: str,
    whole: str,
    terms: tuple[str, ...] | frozenset[str],
    known: Mapping[Rule, bool] | None = None,
) -> Intent | None:
    """The first intent one of whose rules matches the question (its ``understood`` words, or its ``whole``
    text as written) and whose terms it holds; None when it asks for no type of answer. ``known`` holds
    what rules analysis has already read of ``understood`` (each is read once)."""
    known = known or {}
    for intent in INTENTS:
        if intent.term is not None and intent.term not in terms:
            continue
        if intent.unless_term is not None and intent.unless_term in terms:
            continue
        if not intent.rules:
            return intent
        text = whole if intent.whole else understood
        for rule in intent.rules:
            found = known.get(rule) if not intent.whole else None
            if found or (found is None and rule.search(text) is not None):
                return None if intent.open else intent
    return None


def type_fit(intent: Intent | None, types: frozenset[str]) -> float:
    """1.0 when a text giving ``types`` gives the type of answer wanted (``Intent.fits`` says how well
    each type does where the row lists them); a position for an open question is half."""
    row = intent or OPEN
    if not row.fits:
        return float(row.wants in types)
    for kind, score in row.fits:  # (a loop: read for every window that may answer)
        if kind in types:
            return score
    return row.otherwise


# "how big", "how fast": the measure asked for ("a number"), not a word the answer must hold.
HOW_MEASURE = Rule(
    re.compile(rf"\bhow (?:{_HOW_NUMBER}|often|high|tall|wide|early|soon|quickly|rapidly)\b", re.IGNORECASE),
    ("how",),
)
TYPE_WORDS = Rule(
    re.compile(r"\b(?:what|which|in what|in which)\s+(year|date|month|day|time|percentage)\b", re.IGNORECASE),
    ("what", "which"),
)
# A number after "more than", "over", ... is a threshold to compare with, not a constraint to match.
COMPARED_RE = re.compile(
    r"\b(?:more|less|fewer|greater|higher|lower) than\s+|\b(?:over|under|above|below|at least|at most)\s+",
    re.IGNORECASE,
)
YES_NO_RE = re.compile(r"^(?:is|are|does|do|did|has|have|was|were|can|will)\b", re.IGNORECASE)
# What the asker already knows and wants something beyond: "besides X, what else ...", "X and what else"
# (the whole match is what is known, but for the question's own "what ...").
_KNOWN_ALREADY_NEEDS = (
    "besides",
    "apart from",
    "aside from",
    "other than",
    "except",
    "in addition to",
    "else",
)
# "besides X, ...": what the question names it already knows (the restatement gate reads it too).
ASKS_BESIDES = Rule(
    re.compile(
        r"\b(?:besides|apart from|aside from|other than|except(?:\s+for)?|in addition to)\s+[^,?;.!]+",
        re.I,
    ),
    _KNOWN_ALREADY_NEEDS,
    any_case=True,
)
KNOWN_ALREADY = (
    ASKS_BESIDES,
    Rule(
        re.compile(r"^.+?\s+(?:and|&)(?=\s+what else\b)|\belse\b", re.I), _KNOWN_ALREADY_NEEDS, any_case=True
    ),
)
# About the named article itself: who published it, when ("who published the MK sports piece").
ASKS_PUBLISHER_RE = re.compile(
    r"\bpublisher\b|\b(?:who|which (?:site|outlet|publication|paper|website|media|newspaper))\b.*"
    r"\b(?:publish|post|ran\b|run\b)|\bwhere (?:was|is) (?:it |this |that )?(?:publish|post)"
)
ASKS_PUBLISHED_RE = re.compile(
    r"\bwhen\b.*\b(?:publish|post|come out\b|came out\b|written\b|dated\b)"
    r"|\b(?:publication|publish\w*|post) date\b|\b(?:what|which) date\b"
)


def about_article(understood: str) -> str | None:
    """What a question naming an article asks about the article itself: "publisher", "published" or None."""
    if ASKS_PUBLISHER_RE.search(understood):
        return "publisher"
    if ASKS_PUBLISHED_RE.search(understood):
        return "published"
    return None


# A position written as a number ("#1", "no. 2", "number one"): a rank, in the words facts use ("first").
RANK_NUMBER = Rule(
    re.compile(
        r"(?:#\s?|\bno\.\s?|\bnumber\s)(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\b(?!,\d)",
        re.IGNORECASE,
    ),
    ("#", "no.", "number"),
    any_case=True,
)
_ORDINAL_WORDS = dict(
    zip(
        "1 2 3 4 5 6 7 8 9 10".split(),  # noqa: SIM905 - reads as the list it is
        "first second third fourth fifth sixth seventh eighth ninth tenth".split(),  # noqa: SIM905
        strict=True,
    )
)
_CARDINAL_DIGITS = {
    w: str(i)
    for i, w in enumerate(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], 1)
}


def ranks_as_words(text: str) -> str:
    """ "#1" -> "ranked first", "no. 12" -> "ranked 12th" (see ``RANK_NUMBER``)."""
    return RANK_NUMBER.pattern.sub(_ranked, text) if RANK_NUMBER.tried(text) else text


def _ranked(match: re.Match[str]) -> str:
    number = _CARDINAL_DIGITS.get(match.group(1).lower(), match.group(1))
    word = _ORDINAL_WORDS.get(number)
    if word is None:
        suffix = (
            "th"
            if number[-2:] in ("11", "12", "13")
            else {"1": "st", "2": "nd", "3": "rd"}.get(number[-1], "th")
        )
        word = number + suffix
    return f"ranked {word}"


# What an abbreviation stands for: "what does WIPO stand for", "BRI short for?", "full form of GDP".
_ABBREVIATION = r"[\"'“”‘’]?(?P<abbr>[a-z0-9][a-z0-9&.-]*(?: \d+)?)[\"'“”‘’]?"
_EXPANSION_NEEDS = (
    "stand",
    "short for",
    "acronym",
    "abbreviation",
    "full form",
    "full name",
    "long form",
    "expansion",
)
ASKS_EXPANSION = (
    Rule(
        re.compile(
            rf"^(?:what(?:'s|s| is| does| do)? )?(?:the )?{_ABBREVIATION} "
            r"(?:stands? for|short for|an? (?:acronym|abbreviation) (?:for|of))[?!.]*$",
            re.IGNORECASE,
        ),
        _EXPANSION_NEEDS,
        any_case=True,
    ),
    Rule(
        re.compile(
            rf"^(?:what(?:'s|s| is) )?(?:the )?(?:full (?:form|name)|long form|expansion) (?:of|for) {_ABBREVIATION}[?!.]*$",
            re.IGNORECASE,
        ),
        _EXPANSION_NEEDS,
        any_case=True,
    ),
)


# "what does GII mean": what it stands for, when the alias tables know it as an abbreviation ("what does
# hi-tech mean" asks something else).
ASKS_MEANING = Rule(
    re.compile(
        rf"^(?:so |and )?(?:(?:what|wat|wht)(?:'s|s| is| does| do)? )?{_ABBREVIATION} (?:mean|means)[?!.]*$",
        re.IGNORECASE,
    ),
    ("mean",),
    any_case=True,
)


def expansion_asked(cleaned: str, abbreviations: Container[str] = ()) -> str | None:
    """The word the question asks the meaning of, and nothing else ("what does WIPO stand for"), as
    written; "what does X mean" asks it of an abbreviation in ``abbreviations`` (lower case) only."""
    text = " ".join(cleaned.split()).strip()
    for rule in ASKS_EXPANSION:
        match = rule.search(text)
        if match is not None:
            return match.group("abbr")
    meant = ASKS_MEANING.search(text)
    return meant.group("abbr") if meant is not None and meant.group("abbr").lower() in abbreviations else None


# Every guarded rule (the intents' and the others): their guards are tested against their patterns.
RULES: tuple[Rule, ...] = (
    *dict.fromkeys(rule for intent in INTENTS for rule in intent.rules),
    ASKS_MEANING,
    ASKS_SHARE,
    ASKS_REPEATS,
    HOW_MEASURE,
    TYPE_WORDS,
    *KNOWN_ALREADY,
    RANK_NUMBER,
    *ASKS_EXPANSION,
)
