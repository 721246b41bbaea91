"""Text handling shared by the index and the composer: normalisation, tokenising, sentence splitting.

One tokenizer serves both sides of the index (documents and questions): lower-casing, a curated alias
table (GII = Global Innovation Index, ...), numbers kept whole ("3.6", "463,000", "11th"), stop words
dropped, and Snowball stemming through PyStemmer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import Stemmer

# Curated aliases, applied to documents and questions alike so either spelling finds the other.
# Keys are matched case-insensitively as whole words; values are what they stand for.
ALIASES: dict[str, str] = {
    "gii": "global innovation index",
    "r&d": "research and development",
    "r & d": "research and development",
    "rnd": "research and development",
    "zgc": "zhongguancun",
    "smes": "small and medium-sized enterprises",
    "sme": "small and medium-sized enterprise",
    "ai": "artificial intelligence",
    "wipo": "world intellectual property organization",
    "bda": "beijing economic-technological development area",
    "bri": "belt and road initiative",
    "ipr": "intellectual property rights",
    "ip": "intellectual property",
    "iot": "internet of things",
    "amnc": "amnc asia's most innovative countries",
    "u.s.": "united states",
    "usa": "united states",
    "prc": "china",
    "hi-tech": "high-tech",
    "hitech": "high-tech",
}

# Words that carry no subject matter in a question or a document.
STOP_WORDS: frozenset[str] = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can cannot could did didn't do does doesn't doing don't down during each few
    for from further had has have having he her here hers herself him himself his how i if in into is isn't
    it it's its itself just let's me more most my myself no nor not of off on once only or other ought our
    ours ourselves out over own same she should so some such than that that's the their theirs them
    themselves then there there's these they this those through to too under until up very was wasn't we
    were what what's when where which while who whom why will with would you your yours yourself
    yourselves s t will shall may might must tell me please know known say said says give gave given get
    got much many number numbers amount how's who's where's when's whats thing things like really also
    currently current now today actually exactly roughly approximately about around one's anyone someone
    something anything everything kind sort type lot lots put puts putting make makes making take takes
    taking gets getting go goes going went doing done want wants wanted stuff
    try tries tried trying meant supposed besides else wanting kinds sorts what'll whats real possible every
    one ones gives giving
    guy describe described shown already still yet
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Words that mean the same thing in questions about this domain. Each group is folded onto its first
# word's stem on both sides of the index, so "When did the plan start?" meets "Launched in 2015".
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("launch", "start", "started", "begin", "began", "begun", "commence", "introduce", "introduced", "kick"),
    ("agreement", "agree", "agreed", "deal", "sign", "signed", "pledge", "pledged", "commit", "committed"),
    ("enterprise", "enterprises", "firm", "firms", "company", "companies", "business", "businesses"),
    ("spend", "spending", "spent", "expenditure", "expenditures", "budget", "outlay"),
    # Not "place": "places AI as a key driver", "which places make up the GBA" are no ranks ("stand for"
    # is spelled out as "mean" by the alias file before this fold).
    ("rank", "ranks", "ranked", "ranking", "rankings", "position", "standing"),
    ("worker", "workers", "employee", "employees", "labor", "labour"),
    ("province", "provinces", "region", "regions", "provincial"),
    ("prioritize", "prioritized", "prioritise", "prioritised", "priority", "priorities", "emphasize"),
    ("end", "conclude", "concluded", "concludes", "close", "closes", "finish"),
    ("theme", "themed", "motto", "slogan"),
    ("nickname", "called", "dubbed"),
    ("cluster", "clusters", "hub", "hubs"),
    ("robotics", "robot", "robots", "robotic"),
    ("biggest", "largest", "most", "top"),
    ("money", "funding", "capital", "fund"),
    ("plan", "plans", "blueprint", "programme", "program"),
    ("invest", "investing", "investment", "investments", "pour", "pouring", "sink", "sunk", "funnel"),
    ("advantage", "advantages", "edge", "strength", "strengths"),
    ("incentive", "incentives", "perk", "perks", "subsidy", "subsidies", "preferential"),
    ("giant", "giants", "heavyweight", "heavyweights", "titan", "titans", "behemoth"),
    ("manufacturing", "manufacture", "factory", "factories"),
    ("director", "chief", "head", "heads", "boss"),
    ("challenge", "challenges", "obstacle", "obstacles", "hurdle", "hurdles"),
    ("cooperation", "collaboration", "partnership", "partnerships", "collaborate", "cooperate"),
    ("confidence", "comfortable", "trust"),
    ("spender", "outspend", "outspends", "outspent"),
    # (Two groups folding onto one word: one line each.)
    ("drive", "drives", "driven", "driving", "push", "pushes", "pushing"),
    ("drive", "fuel", "fuels", "fueled", "fuelled", "fueling", "fuelling", "propel"),
    ("empower", "empowers", "empowering", "help", "helps", "helping"),
    ("aim", "aims", "aimed", "aiming", "goal", "goals", "objective", "objectives"),
    ("strong", "robust", "solid", "powerful", "sturdy"),
    ("city", "cities", "municipality", "municipalities"),
    ("patent", "patents", "filing", "filings"),
    ("continue", "continues", "continued", "keep", "keeps", "kept", "maintain", "maintains", "maintained"),
    ("key", "main", "primary", "principal"),
    ("merge", "merging", "merged", "mix", "mixing", "mixed", "combine", "combining", "combined"),
    ("merge", "blend", "blending", "blended", "fuse", "fusing", "fused"),
    (
        "shift",
        "shifts",
        "shifted",
        "shifting",
        "transition",
        "transitions",
        "replace",
        "replaces",
        "replacing",
    ),
    ("shift", "replaced", "replacement", "switch", "switches", "switched", "switching"),
    ("show", "shows", "showed", "showing", "demonstrate", "demonstrates", "demonstrated", "demonstrating"),
    ("show", "indicate", "indicates", "indicated", "indicating"),
    (
        "include",
        "includes",
        "included",
        "including",
        "integrate",
        "integrates",
        "comprise",
        "comprises",
        "consist",
    ),
)

# Irregular past forms Snowball stemming leaves apart from their verb ("led" is not "lead"): folded onto
# it on both sides, so "how many years has china led" meets "leading". Not "made" ("Made in China"),
# "found" (to found) nor "left" (the side): each is also a word of its own.
IRREGULAR_FORMS: dict[str, str] = {
    form: verb
    for verb, forms in (
        ("lead", "led misled"),
        ("win", "won"),
        ("grow", "grew grown"),
        ("rise", "rose risen"),
        ("fall", "fell fallen"),
        ("build", "built"),
        ("sell", "sold"),
        ("buy", "bought"),
        ("bring", "brought"),
        ("seek", "sought"),
        ("hold", "held"),
        ("keep", "kept"),
        ("pay", "paid"),
        ("meet", "met"),
        ("send", "sent"),
        ("choose", "chose chosen"),
        ("draw", "drew drawn"),
        ("write", "wrote written"),
        ("run", "ran"),
        ("become", "became"),
        ("teach", "taught"),
        ("think", "thought"),
        ("strike", "struck"),
        ("stand", "stood"),
        ("lose", "lost"),
        ("see", "saw seen"),
        ("break", "broke broken"),
        ("fly", "flew flown"),
        ("shrink", "shrank shrunk"),
        ("undergo", "underwent undergone"),
        ("withdraw", "withdrew withdrawn"),
        ("feel", "felt"),
    )
    for form in forms.split()
}

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
# Numbers stay whole (decimals, thousands separators, ordinals); words may carry inner hyphens or '&'.
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?|[a-z]+(?:'[a-z]+)?")
_STEMMER = Stemmer.Stemmer("english")
# Symbols and spellings written for a word, whatever the knowledge base's own aliases: "12%" is "12 percent".
# Positions up to ten as words ("2nd" is "second"), as articles mostly write them; "11th" stays a number.
SYMBOLS: dict[str, str] = {
    "%": "percent",
    "per cent": "percent",
    **{
        f"{n}{suffix}": word
        for n, suffix, word in zip(
            range(1, 11),
            ("st", "nd", "rd", "th", "th", "th", "th", "th", "th", "th"),
            "first second third fourth fifth sixth seventh eighth ninth tenth".split(),  # noqa: SIM905
            strict=True,
        )
    },
}
# Counts written as words, two to ninety ("nine cities", "five years"), by value. "one" is left out: it is
# more often a pronoun ("one of the largest"); a reader that can tell adds it.
_UNITS = "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
CARDINAL_WORDS: dict[str, int] = {
    **{word: n for n, word in enumerate((_UNITS + " seventeen eighteen nineteen").split(), 2)},
    **{word: 10 * n for n, word in enumerate(_TENS.split(), 2)},
}
# Scale words and the power of ten each multiplies by ("2.5 billion").
SCALE_EXPONENTS: dict[str, int] = {"hundred": 2, "thousand": 3, "million": 6, "billion": 9, "trillion": 12}
# Number suffixes people type ("2.5bn", "$500m", "40k"); a knowledge base's aliases.yaml may add more.
NUMBER_SUFFIXES: dict[str, str] = {"k": "thousand", "m": "million", "bn": "billion", "tn": "trillion"}


def holds_any(text: str, parts: Iterable[str]) -> bool:
    """Whether ``text`` holds one of ``parts``: the substring tests that let a pattern be skipped."""
    # (A plain loop: ``any`` over a generator costs twice as much, more than most tests it runs.)
    for part in parts:  # noqa: SIM110 - see above
        if part in text:
            return True
    return False


def might_hold(text: str, parts: Iterable[str]) -> bool:
    """``holds_any`` for a pattern matched ignoring case: ``text`` lower-cased holds one of ``parts``, or
    it goes beyond ASCII, where case folding can match letters a substring test misses ("ſ" is an "s")
    and so the pattern is always tried."""
    return not text.isascii() or holds_any(text.lower(), parts)


def normalise(text: str) -> str:
    """Unicode-normalise, straighten quotes and collapse whitespace (used for quote checks and keys)."""
    if text.isascii():  # NFKC and the quote table change nothing in ASCII: skip them (build speed)
        return " ".join(text.split())
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return " ".join(text.split())


def unaccented(text: str) -> str:
    """``text`` without its accents ("whát ís chínás gíí ránk" is "what is chinas gii rank", "zürich" is
    "zurich"): both sides of the index, so a question typed with accents, or without the article's,
    finds the same words."""
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed == text:
        return text
    # (Only the diacritical marks Latin, Greek and Cyrillic letters take: kana's voicing marks are letters.)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f"))


_CANONICAL: dict[str, str] = {
    str(_STEMMER.stemWord(word)): str(_STEMMER.stemWord(group[0])) for group in SYNONYMS for word in group
}
# (An irregular form goes where its verb goes: "kept" -> keep -> continue.)
for _form, _verb in IRREGULAR_FORMS.items():
    _CANONICAL.setdefault(
        str(_STEMMER.stemWord(_form)), _CANONICAL.get(_STEMMER.stemWord(_verb), _STEMMER.stemWord(_verb))
    )


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball (Porter2) stem of one lower-case word, folded onto its synonym group; numbers stay whole."""
    if word[0].isdigit():
        return word
    stemmed = str(_STEMMER.stemWord(word))
    return _CANONICAL.get(stemmed, stemmed)


def _surface(text: str) -> list[str]:
    """Lower-case words of already lower-cased text, possessives dropped (no alias handling)."""
    # The token pattern allows one inner apostrophe, so a possessive is exactly a trailing "'s".
    found = _TOKEN_RE.findall(text)
    if "'s" not in text:  # (most sentences: nothing to drop)
        return found
    return [raw[:-2] if raw.endswith("'s") else raw for raw in found]


class TextRules:
    """One tokenizer for both sides of an index: aliases, folds (demonyms) and number forms.

    ``aliases`` maps a lower-case phrase to what it stands for ("gii" -> "global innovation index");
    ``folds`` maps a lower-case word or phrase onto the entity it names ("chinese" -> "china"). Phrases
    made of plain words are matched on word n-grams (dictionary look-ups, cheap per question); the few
    with punctuation ("r&d", "u.s.", "$") by one small regex.
    """

    def __init__(
        self,
        aliases: Mapping[str, str] | None = None,
        folds: Mapping[str, str] | None = None,
        number_suffixes: Mapping[str, str] | None = None,
    ) -> None:
        table = dict(SYMBOLS)
        table.update({k.lower(): v.lower() for k, v in (folds or {}).items()})
        table.update({k.lower(): v.lower() for k, v in (aliases if aliases is not None else ALIASES).items()})
        self.aliases = table
        plain: dict[tuple[str, ...], tuple[str, ...]] = {}
        punctuated: dict[str, str] = {}
        for key, value in table.items():
            key_words = tuple(_surface(key))
            if key_words and " ".join(key_words) == " ".join(key.split()):
                plain[key_words] = tuple(_surface(value))
            else:
                punctuated[key] = value
        self._plain = plain
        self._longest = max((len(k) for k in plain), default=0)
        # Most words start no alias: one set look-up skips the n-gram look-ups for them.
        self._starts = frozenset(k[0] for k in plain)
        self._punctuated = punctuated
        # Every punctuated phrase holds a character other than a lower-case letter or space (else it is
        # plain): a text holding none of these characters (most questions) holds none of the phrases.
        # (A phrase of no such character, only spaces, disables the test.)
        odd = [frozenset(c for c in key if not ("a" <= c <= "z" or c == " ")) for key in punctuated]
        self._punct_chars: frozenset[str] | None = frozenset().union(*odd) if all(odd) else None
        self._punct_re = (
            re.compile("|".join(_whole(k) for k in sorted(punctuated, key=len, reverse=True)))
            if punctuated
            else None
        )
        suffixes = {k.lower(): v.lower() for k, v in (number_suffixes or NUMBER_SUFFIXES).items()}
        self._number_re = re.compile(
            r"(\d+(?:[.,]\d+)*)\s?("
            + "|".join(map(re.escape, sorted(suffixes, key=len, reverse=True)))
            + r")\b"
        )
        self._suffixes = suffixes
        self._tokens: dict[str, tuple[str, ...]] = {}

    def expand(self, text: str) -> str:
        """Lower-cased text with punctuated aliases and number forms spelled out, accents dropped."""
        text = normalise(text).lower()
        if not text.isascii():
            text = unaccented(text)
        text = self._number_re.sub(self._number_form, text)
        # Most texts hold none of the punctuated aliases: a substring test each (in C) skips the regex
        # (three times faster on paragraphs than even the first-character pattern).
        if (
            self._punct_re is not None
            and (self._punct_chars is None or not self._punct_chars.isdisjoint(text))
            and holds_any(text, self._punctuated)
        ):
            text = self._punct_re.sub(lambda m: f" {self._punctuated[m.group(0)]} ", text)
        return text

    def _number_form(self, match: re.Match[str]) -> str:
        """A suffixed number in the form texts write it: thousands as digits ("463k" -> "463,000"),
        larger scales spelled out ("2.5bn" -> "2.5 billion")."""
        number, scale = match.group(1), self._suffixes[match.group(2)]
        if scale == "thousand":
            try:
                value = Decimal(number.replace(",", "")) * 1000
            except InvalidOperation:  # "1.2.3k": not one number, left spelled out
                return f"{number} {scale}"
            if value == value.to_integral_value():
                return f"{int(value):,}"
        return f"{number} {scale}"

    def words(self, text: str) -> list[str]:
        """Lower-cased, alias-expanded surface words of ``text``, possessives dropped, stop words kept."""
        raw = _surface(self.expand(text))
        if not self._longest or self._starts.isdisjoint(raw):
            return raw
        out: list[str] = []
        starts = self._starts
        done = 0  # the words before this one are in ``out``
        # Only the few words that start an alias are looked at (found once, in a comprehension); the
        # words between the aliases found are copied as runs.
        for i in [i for i, word in enumerate(raw) if word in starts]:
            if i < done:
                continue
            for n in range(min(self._longest, len(raw) - i), 0, -1):
                found = self._plain.get(tuple(raw[i : i + n]))
                if found is not None:
                    out.extend(raw[done:i])
                    out.extend(found)
                    done = i + n
                    break
        out.extend(raw[done:])
        return out

    def tokenize(self, text: str) -> list[str]:
        """The index's tokens for ``text``: surface words without stop words, stemmed."""
        return [stem(w) for w in self.words(text) if w not in STOP_WORDS]


def _whole(key: str) -> str:
    r"""A pattern matching ``key`` as a whole word (not inside another word or after '&').

    The check before a key is written after its first character (``r(?<![\w&]r)&d``, not
    ``(?<![\w&])r&d``): a pattern starting with characters lets the regex engine skip every position
    that cannot start a key, ten times faster over a corpus than one starting with the check.
    """
    head, rest = re.escape(key[0]), re.escape(key[1:])
    before = rf"(?<![\w&]{head})" if key[0].isalnum() else ""
    return head + before + rest + (r"(?![\w&])" if key[-1].isalnum() else "")


@lru_cache(maxsize=1)
def default_rules() -> TextRules:
    """The rules of a knowledge base without an alias file: built-in aliases and the gazetteer's demonyms.

    Built on first use (the gazetteer's data takes ~0.3 s to load); ``Composer`` uses these very
    rules when it has no alias file, so ``tokenize`` here and the index agree token for token.
    """
    from knowledge.entities import gazetteer

    return TextRules(ALIASES, gazetteer().demonyms)


def words(text: str) -> list[str]:
    """``TextRules.words`` with the default rules (built-in aliases, demonyms)."""
    return default_rules().words(text)


def tokenize(text: str) -> list[str]:
    """``TextRules.tokenize`` with the default rules (the index's tokens for ``text``)."""
    return default_rules().tokenize(text)


# Sentence boundaries: end punctuation, optional closing quote or bracket, then a capital, digit or quote.
_ABBREVIATIONS = (
    "U.S.",
    "U.K.",
    "e.g.",
    "i.e.",
    "Mr.",
    "Ms.",
    "Dr.",
    "No.",
    "St.",
    "Inc.",
    "Co.",
    "vs.",
    "etc.",
)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9•])")


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences, keeping abbreviations such as "U.S." inside their sentence."""
    text = " ".join(paragraph.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        head = text[start : match.start()]
        if head.endswith(_ABBREVIATIONS):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


# Currencies by the words that name them (a question "in euros" is not answered in yuan and dollars).
CURRENCIES = {
    word: currency
    for currency, words in (
        ("yuan", "yuan renminbi rmb"),
        ("dollars", "dollar dollars usd $"),
        ("euros", "euro euros eur €"),
        ("pounds", "pound pounds sterling £"),
        ("yen", "yen"),
        ("crowns", "crown crowns"),
        ("rupees", "rupee rupees"),
    )
    for word in words.split()
}
CURRENCY_RE = re.compile(
    r"[$€£]|\b(?:" + "|".join(w for w in CURRENCIES if w.isalpha()) + r")\b", re.IGNORECASE
)


def currencies(text: str) -> set[str]:
    """The currencies ``text`` gives figures in, by name ("yuan", "dollars", ...)."""
    return {CURRENCIES[m.group(0).lower()] for m in CURRENCY_RE.finditer(text)}
