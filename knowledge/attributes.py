"""What a question asks *about* a named thing, when only a text saying it can answer (rules as data).

Meaning finds the sentence about DeepSeek for "who founded deepseek"; it cannot tell that the sentence
says nothing of a founder. Each row below is an attribute people ask of companies, people and places that
a text answers only in words of its own kind: asked "who founded X", a text about X that never speaks of
founding, starting or setting it up does not answer. A row is the attribute's name (shown when a question
is declined for it), the pattern that asks for it (on the question cleaned and spelled, in lower case) and
the words a text answering it holds (read by the composer as the index reads text: stems, synonyms folded).
Adding an attribute is one row and its test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute a question may ask for, and the words a text stating it uses."""

    name: str
    pattern: re.Pattern[str]
    evidence: tuple[str, ...]  # words; a text stating the attribute holds one of them (as the index reads it)
    # How many tokens from a name the question asks about a word of ``evidence`` may be ("Samsung's
    # chairman ... toured Xiaomi" is no chairman of Xiaomi); an amount sits further from whose it is
    # ("AstraZeneca signed an agreement to invest 2.5 billion").
    reach: int = 4
    # A quantity (an age, a population, a price): a text speaking of it without a figure does not answer
    # ("what is China's population" is not answered by "China's large population provides ...").
    figure: bool = False


def _row(name: str, pattern: str, evidence: str, reach: int = 4, figure: bool = False) -> Attribute:
    return Attribute(name, re.compile(pattern), tuple(evidence.split()), reach, figure)


ATTRIBUTES: tuple[Attribute, ...] = (
    _row(
        "who founded or made it",
        r"\bwho (?:founded|started|set up|created|established|built|developed|invented|made|owns)\b"
        r"|\bfounders? of\b|\bfounded by\b|\bdeveloper of\b|\bparent (?:company|firm)\b"
        r"|\b(?:company|firm|who) (?:is |'s )?behind\b|\bowner of\b"
        r"|\bwhich (?:studio|company|firm|developer|team|maker|lab) (?:founded|created|built|developed|made|makes)\b",
        "founded founder founding established establish started start set created creator built developed "
        "developer invented made launched launch owns owned owner parent subsidiary",
    ),
    _row(
        "who heads it",
        r"\b(?:ceo|chief executive|chairman|chairwoman|boss|minister|governor|mayor)\b"
        r"|\bwho (?:runs|heads|leads|is in charge of)\b"
        r"|\b(?:president|head|leader) of\b",
        "ceo chief executive chairman chairwoman president head heads director minister boss secretary "
        "founder governor mayor",
    ),
    _row(
        "which university or school",
        r"\bwhich (?:university|universities|college|school)\b|\bwhat (?:university|college|school)\b",
        "university universities college colleges school schools",
    ),
    _row(
        "when it ends",
        r"\b(?:when|what date|what day) (?:does|did|will|is|was) .{0,40}\b(?:end|ends|finish|finishes|finished"
        r"|expire|expires|conclude"
        r"|run out|complete|completed|wrap|wraps|wrap up|wraps up|close|closes)\b",
        "end ends ended ending until through conclude concludes concluded conclusion expire expires finish "
        "finished closing close closed complete completed completion",
    ),
    _row(
        "when it opens",
        r"\b(?:when|what date|what day) (?:does|did|will|is|was) .{0,40}\b(?:open|opens|opened|kick off|kicks off"
        r"|get underway|gets underway)\b",
        "open opens opened opening kick kicked underway start starts started begin began begins launch launched "
        "commence commenced",
    ),
    _row("age", r"\bhow old\b|\bwhat age\b|\bage of\b", "age aged old born birth", figure=True),
    _row("birth", r"\bborn\b|\bbirthday\b", "born birth"),
    _row(
        "nationality",
        r"\bnationality\b|\bcitizenship\b|\bwhat country is \w+(?: \w+)? from\b",
        "nationality citizen citizenship native",
    ),
    _row(
        "an amount of money",
        r"\bhow much (?:\w+ ){0,5}?(?:spend|spends|spent|spending|invest|invests|invested|investing|cost|costs"
        r"|pay|pays|paid|raise|raised|pour|pours|poured|putting|put)\b|\bhow much (?:cash|capital)\b"
        r"|\b(?:investment|spending|funding) amount\b|\bamount (?:invested|spent|raised|pledged)\b",
        "yuan renminbi rmb dollar dollars usd euro euros pound pounds crowns billion trillion million percent",
        reach=8,
        figure=True,
    ),
    _row(
        "a budget",
        r"\b(?:budget|budgets|funding|how much money)\b",
        "budget fund funds funding invest investment spend spending expenditure allocate billion trillion "
        "million yuan dollars",
    ),
    _row(
        "a figure in energy units",
        r"\b(?:gigawatts?|megawatts?|terawatts?|gw|mw|kwh|twh)\b",
        "gigawatt gigawatts megawatt megawatts terawatt gw mw kwh twh",
        figure=True,
    ),
    _row(
        "population",
        r"\bpopulation\b|\bhow many (?:people|residents|inhabitants|citizens)\b|\bpeople live\b",
        "population people residents inhabitants citizens",
        figure=True,
    ),
    _row(
        "the size of an economy",
        r"\bgdp\b|\bgross domestic product\b|\beconomic output\b",
        "gdp gross output economy economic",
        figure=True,
    ),
    _row(
        "revenue or value",
        r"\b(?:revenue|revenues|profit|profits|turnover|earnings|market cap|market value|valuation|valued at"
        r"|box office|net worth|sales figures?)\b",
        "revenue revenues profit turnover earnings income valuation valued value worth box office sales",
        figure=True,
    ),
    _row(
        "a score",
        r"\b(?:score|scores|rating|points) (?:in|on|for|of)\b|'s (?:[\w&-]+ )?(?:score|rating)\b"
        r"|\bwhat (?:score|rating)\b|\bhow many points\b",
        "score scores scored points rating rated",
        figure=True,
    ),
    _row(
        "a value in money",
        r"\bvalue of\b|\bhow much is (?:\w+ ){1,5}worth\b",
        "yuan renminbi rmb dollar dollars usd euro euros pound pounds crowns billion trillion million worth "
        "valued valuation",
        reach=8,
        figure=True,
    ),
    _row(
        # A change, not a level: "what was China's R&D spending growth in 2024" is not answered by "... reached
        # 3.6 trillion yuan in 2024", nor "how many high-tech enterprises did China add" by "China has 463,000".
        "a growth or change",
        r"\bgrowth (?:rate|figure|percentage)\b|\brate of growth\b|\bgrowth in (?:19|20)\d\d\b|\byear[- ]on[- ]year\b"
        r"|\bhow (?:much|fast|quickly) (?:did|has|have|does|do|is|are|was|were) (?:[\w&'-]+ ){1,5}"
        r"(?:grow|grown|growing|rise|risen|rising|increase|increased|increasing|expand|expanded|expanding)\b"
        r"|\bhow many (?:[\w&'-]+ ){0,4}(?:did|has|have|does|do) (?:[\w&'-]+ ){1,3}(?:add|added|gain|gained)\b",
        "grow grew grown growth growing increase increased increasing rise rose risen rising percent "
        "year-on-year add added expand expanded expansion jump jumped doubled double surge surged climb climbed",
    ),
    _row(
        "salary or price",
        r"\b(?:salary|salaries|wage|wages|price|prices|ticket|fee|fees)\b",
        "salary salaries wage wages price prices cost costs fee fees ticket",
        figure=True,
    ),
)


def attribute_asked(question: str) -> Attribute | None:
    """The attribute the question (cleaned, spelled, lower case) asks for, when it asks for one of
    ``ATTRIBUTES`` (first row first)."""
    for attribute in ATTRIBUTES:
        if attribute.pattern.search(question):
            return attribute
    return None
