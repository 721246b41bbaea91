"""Question normalisation: Slack noise out, typos corrected against the knowledge base's own words.

Two small stages, both pure:

* ``clean`` removes what Slack adds around a question: mentions and bot names, URLs, emoji, markdown
  marks, repeated punctuation, greetings and sign-offs ("hey team", "pls", "thx", "rn", "lol") and a
  leading imperative ("name ...", "list ..."). What is left is the question as a person meant it.
* ``Speller`` corrects a word the corpus does not know, of five or more letters, to the corpus word
  within a small edit distance when exactly one such word is closest ("inovation" -> "innovation").
  Shorter words are too ambiguous for edit distance ("chna" is one edit from "china" and from "cana");
  they are handled by the curated alias file only. The distance is rapidfuzz's optimal string
  alignment (a swap of two letters is one edit: "industires" -> "industries").
  A word that is ordinary English (``english_words``: wordfreq's list, Zipf frequency 3 or more) is
  never corrected, even when the corpus lacks it: "lunch" is not a typo of "launch"; only its other
  spelling is taken when the corpus writes it so ("centres" -> "centers"). A question gets at most
  ``SPELLER_LOOKUPS`` searches of the vocabulary; its other unknown words are left as typed, so no
  question costs more than a few milliseconds of spelling however many unknown words it holds.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from rapidfuzz.distance import OSA
from rapidfuzz.process import extract
from wordfreq import get_frequency_list

from knowledge.text import CARDINAL_WORDS, holds_any, might_hold

MIN_TYPO_LENGTH = 5
SPELLER_LOOKUPS = 8
"""Searches of the vocabulary one question may make (words met before are answered from a cache, free).

A search costs up to about a millisecond at 10k passages, so a question of hundreds of never-seen words
would cost most of a second of CPU: past this many, the question's other unknown words are left as typed.
Eight covers every typo of the evaluation questions (the most any of them holds is three)."""
LONG_WORD = 9  # words this long may be two edits away ("manufactring" is one, "tecnolgy" two)
# Below this length a one-letter substitution too often makes another real word ("perks" -> "parks",
# "gives" -> "given"): short words are corrected only for a missing, extra or swapped letter.
SUBSTITUTION_LENGTH = 7

# Words and phrases that are Slack phrasing, never subject matter.
NOISE_WORDS: frozenset[str] = frozenset(
    """
    hey hi hello hiya yo sup morning evening team folks guys all everyone anyone somebody someone quick q
    qq question pls plz please thx thanks thank ty tia cheers rn lol lmao asap btw fyi imo imho tbh idk
    ok okay um uh hmm gonna wanna curious wondering wonder anybody just ah oh so also again
    quick thoughts ya yeah yep article post blog piece mention mentioned mentions etc
    basically exactly actually briefly nowadays nutshell tldr eli5 nah ngl tho fr lemme kinda sorta dunno
    iirc afaik ikr smh hiii heyy
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_HI_TECH_RE = re.compile(r"\bhi\s+tech\b", re.IGNORECASE)
_MENTION_RE = re.compile(r"<[@#!][^>]*>|(?<!\w)@[\w.-]+")
# A Slack link ("<https://x.y|click here>"), label and all, like a bare URL.
_SLACK_LINK_RE = re.compile(r"<(?:https?://|mailto:)[^|>\s]*(?:\|[^>]*)?>", re.IGNORECASE)
_URL_RE = re.compile(r"<?https?://\S+>?|\bwww\.\S+")
# Characters that show as nothing, inside a word as well (zero-width space and joiners, word joiner,
# byte-order mark, soft hyphen): "ch\u200bina" is "china".
_INVISIBLE_RE = re.compile("[\u200b\u200c\u2060\ufeff\u00ad]")
_EMOJI_CODE_RE = re.compile(r":[a-z0-9_+-]+:")
_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_MARKDOWN_RE = re.compile(r"(?<!\w)[*_~`]+|[*_~`]+(?!\w)")
_MARKDOWN_MARKS = frozenset("*_~`")  # one of them is in every match of ``_MARKDOWN_RE``
_REPEATED_RE = re.compile(r"([?!.,])\1+")
_REPEATED_MARKS = ("??", "!!", "..", ",,")  # one of them is in every match of ``_REPEATED_RE``
# "what's guangdong planning on the robotics front": the idiom's "front" is not a subject.
_FRONT_RE = re.compile(r"\b(on|at) the ((?:\w+\s+){0,2}\w+) front\b", re.IGNORECASE)
# A phrasal verb split by its object ("what's holding china's scene back") reads as the whole verb before
# it ("holding back china's scene"), as the alias file and the articles write it.
# "what is guangxi treating as its main engine", "what does china see as ...": the verb of a view is how
# the asker puts it, while the articles state the view itself ("places AI as a key driver").
_REGARD_AS_RE = re.compile(
    r"\b(?:treat|treats|treating|treated|regard|regards|regarding|regarded|view|views|viewing|viewed|"
    r"see|sees|seeing|consider|considers|considering|considered)\b(?=(?:\s+[\w'’-]+){0,4}\s+as\b)",
    re.IGNORECASE,
)
# What each verb ``_REGARD_AS_RE`` matches starts with (see ``might_hold``).
_REGARD_VERBS = ("treat", "regard", "view", "see", "consider")
_SPLIT_VERB_RE = re.compile(r"\b(hold|holds|holding|held) ((?:[\w'’-]+\s+){1,4}?)back\b", re.IGNORECASE)
# "where does china sit / land / place / come in the gii": where it ranks in something (a position, not a
# place); the articles say "ranks".
_PLACED_IN_RE = re.compile(
    r"\b(where (?:does|do|did|will|would) (?:[\w'’&-]+\s+){1,4}?)(?:sit|land|place|come|fall|end up)(\s+(?:in|on))\b",
    re.IGNORECASE,
)
# A position asked in other words: "what number is china on the index", "how high is china in the gii",
# "china's gii spot" (the articles say "ranks"; "hot spot" is no position).
_POSITION_ASKED_RE = re.compile(
    r"\b(?:(what|which) (?:number|spot|place)|how (?:high|low|far up|far down))"
    r"(?= (?:is|are|was|were|does|do|did) )",
    re.IGNORECASE,
)
# A number of five digits or more typed without separators, in the articles' form ("10000" -> "10,000").
_BARE_NUMBER_RE = re.compile(r"(?<![\d.,])\d{5,}(?![\d]|[.,]\d)")
# "ten thousand" in figures, as the articles write it ("robots per ten thousand workers" -> "per 10,000
# workers"): a count word (``CARDINAL_WORDS``, and "one", which before "thousand" is no pronoun) right
# before "thousand".
_THOUSAND_WORDS: dict[str, int] = {"one": 1, **CARDINAL_WORDS}
_WORDS_THOUSAND_RE = re.compile(rf"\b({'|'.join(_THOUSAND_WORDS)}) thousand\b", re.IGNORECASE)


def _thousands(match: re.Match[str]) -> str:
    before = match.string[: match.start()].split()
    if before and before[-1].lower().strip("-") in _THOUSAND_WORDS:
        return match.group(0)  # ("twenty five thousand": a compound, left in words)
    return f"{_THOUSAND_WORDS[match.group(1).lower()]},000"


# "what number of robots ..." is "how many robots ...", which the count gate reads; "what amount of" is
# "how much".
_COUNT_ASKED_RE = re.compile(r"\b(?:what|which) (number|amount) of\b", re.IGNORECASE)
_SPOT_RE = re.compile(r"\b(?<!hot )spot\b", re.IGNORECASE)
_POSITION_WORDS = ("number", "amount", "spot", "place", "high", "low", "far")
# "where is china placed / positioned in the gii": the same, said of it.
_PLACED_AT_RE = re.compile(
    r"\b(where (?:is|are|was|were) (?:[\w'’&-]+\s+){1,4}?)(?:placed|positioned|situated)(\s+(?:in|on))\b",
    re.IGNORECASE,
)
# "where's china on the gii", "where is japan in the cluster ranking": a place on an index or a ranking is
# a position, as "where is china placed in the gii" is.
_RANKED_RE = re.compile(r"\branked?\b", re.IGNORECASE)
_WHERE_ON_INDEX_RE = re.compile(
    r"\b(where(?:'s|’s|s| is| are| was| were) (?:[\w'’&-]+\s+){1,4}?)((?:on|in|at)\s+(?:the\s+)?(?:[\w&-]+\s+){0,3}?"
    r"(?:gii|index|indexes|indices|ranking|rankings|league table|list|table|leaderboard|chart|charts)\b)",
    re.IGNORECASE,
)
# "who's heading wipo these days": when the asker means now, as the articles do.
_NOW_RE = re.compile(
    r"\b(?:these days|this days|right now|at the moment|as of now|as of today)\b", re.IGNORECASE
)
_NOW_WORDS = ("days", "now", "moment", "today")  # one of them is in every phrase ``_NOW_RE`` matches
_LEADING_RE = re.compile(
    r"^(?:(?:hey|hi|hello|morning|yo|ok|okay|so|quick (?:q|question|one)|question|(?:got )?any ideas?)\b"
    r"[\s,:;!.-]*)+",
    re.IGNORECASE,
)
_IMPERATIVE_RE = re.compile(
    r"^(?:(?:can|could) (?:you|someone|anyone) |does anyone know |do you know |anyone know )?"
    r"(?:please )?(?:name|list|tell me|show me|give me|explain|describe|remind me)\b[\s:,-]*",
    re.IGNORECASE,
)
# What follows a question's question mark, unless it goes on asking ("and japan's?", "in 2024", "per amnc",
# a second question): a remark ("china's gii rank? asking for a deck"), or what the question is about
# ("how many robots per 10k workers? germany"), which ``Analyser`` tells apart (``afterthought``).
_AFTERTHOUGHT_RE = re.compile(
    r"^(?P<asked>[^?]*\w[^?]*\?)\s+(?!(?:and|or|also|plus|but|vs|versus|compared|what|whats|what's|which|who|"
    r"whos|who's|where|when|why|how|is|are|was|were|does|do|did|has|have|can|could|will|would|should|in|"
    r"for|per|about|since|between|from|of|by|as|to|than|like|i\.e|e\.g)\b)[^?]*\w[^?]*$",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"[a-z]+")


def afterthought(text: str) -> tuple[str, str] | None:
    """``(the question, what follows its question mark)`` when something follows that does not go on
    asking; None otherwise."""
    match = _AFTERTHOUGHT_RE.match(text) if "? " in text else None
    return (match.group("asked"), text[match.end("asked") :].strip()) if match is not None else None


# A question with no lower-case letter and at least this many letters is shouted, not a string of names
# ("ZGC = ?" is an abbreviation asked about, and keeps its capitals).
SHOUTED_LETTERS = 8
# Zipf frequency (log10 of uses per billion words) from which a word counts as ordinary English: "lunch"
# is 4.7, "semiconductor" 3.5, while common misspellings stay below it ("goverment" 2.7, "reserch" 1.2).
ENGLISH_ZIPF = 3.0


# British and American spellings of one word ("centres"/"centers", "organisation"/"organization",
# "fuelled"/"fueled", "labour"/"labor") share one key: an English word the corpus writes the other way.
_SPELLING_VARIANTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"tre(s|d)?$"), r"ter\1"),
    (re.compile(r"(?<=[a-z]{2})is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"yse(s|d)?$"), r"yze\1"),
    (re.compile(r"our(s|ed|ing|ite|ites|able)?$"), r"or\1"),
    (re.compile(r"(?<=[aeiou])ll(ed|ing|er|ers)$"), r"l\1"),
    (re.compile(r"ogue(s)?$"), r"og\1"),
)


# Any variant's pattern: a word none of them matches is its own key (most words, so a vocabulary's keys
# cost one search a word instead of six substitutions).
_ANY_VARIANT_RE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _SPELLING_VARIANTS))


def spelling_key(word: str) -> str:
    """One form for a word's British and American spellings (see ``_SPELLING_VARIANTS``)."""
    if _ANY_VARIANT_RE.search(word) is None:
        return word
    for pattern, replacement in _SPELLING_VARIANTS:
        word = pattern.sub(replacement, word)
    return word


@lru_cache(maxsize=4)
def english_words(min_zipf: float = ENGLISH_ZIPF) -> frozenset[str]:
    """Lower-case English words at least ``min_zipf`` frequent, from wordfreq's bundled data (loaded once)."""
    # wordfreq buckets its list by frequency in centibels: bucket i holds words of frequency 10**(-i/100),
    # and Zipf = log10(frequency) + 9, so Zipf ``z`` is bucket 100 * (9 - z).
    buckets = get_frequency_list("en")[: round(100 * (9 - min_zipf)) + 1]
    words = frozenset(w for bucket in buckets for w in bucket if w.isalpha())
    # wordfreq keeps the whole list (hundreds of thousands of words, ~17 MB) in its own cache: this set
    # is all that is needed of it.
    get_frequency_list.cache_clear()
    return words


# "us" as the United States, not the pronoun: "US" in capitals, "the us", "us's", "us" as the subject of a
# question ("where does us rank", "us r&d spending"), "us vs china", "in us" ("how many robots per 10k
# workers in us": a question here asks of a country, not of its asker); "tell us" and "for us" stay pronouns,
# and "us dollars" / "us$" stay the currency the unit gate reads.
_US_CAPITAL_RE = re.compile(r"(?<![\w.])US(?![\w.])")
_US_RE = re.compile(
    r"(?i)(?:(?<=\bthe )|(?<=\bdoes )|(?<=\bdid )|(?<=\bis )|(?<=\bwas )|(?<=\bhas )|(?<=\bvs )"
    r"|(?<=\bvs\. )|(?<=\bversus )|(?<=\band )|(?<=\bthan )|(?<=\bin )|^)us(?=(?:'s|’s)?\b)(?!\s+(?:to|know|about)\b)(?!\s*(?:\$|dollars?\b|cents?\b))"
    r"|\bus(?=(?:'s|’s)\b)"
)
# "us" before a noun a country has ("total us r&d spending", "us gii rank", "compare us robot density"),
# unless a verb or preposition before it makes it the asker ("give us r&d figures", "for us tech firms").
_US_ATTRIBUTE_RE = re.compile(
    r"(?i)\b(?P<before>\w+\s+)?us(?=\s+(?:r&d|rd|gii|rank\w*|spend\w*|research|robot\w*|patent\w*|economy"
    r"|gdp|innovation|clusters?|budget|investment|position|score|government|govt)\b)"
)
_US_ASKER_BEFORE = frozenset(
    "tell give show help let send for to with brief ping update remind get bring teach ask of from".split()  # noqa: SIM905
)


def united_states(text: str) -> str:
    """Write the country out where "us" means it (see ``_US_RE``)."""
    text = _US_CAPITAL_RE.sub("United States", text)
    return _US_ATTRIBUTE_RE.sub(_us_before_noun, _US_RE.sub("United States", text))


def _us_before_noun(match: re.Match[str]) -> str:
    before = match.group("before") or ""
    if before.strip().lower() in _US_ASKER_BEFORE:
        return match.group(0)
    return f"{before}United States"


def unshout(text: str) -> str:
    """``text`` in lower case when it is typed in capitals ("WHATS THE OFFICIAL NAME OF THE 863 PROGRAMME"),
    else unchanged: shouted capitals say nothing (no word is a name for being capitalised), so a shouted
    question is understood as the same words in lower case, not as a string of unknown names."""
    if text.upper() != text or sum(c.isalpha() for c in text) < SHOUTED_LETTERS:
        return text
    return text.lower()


def clean(question: str) -> str:
    """The question without Slack noise: mentions, URLs, emoji, markdown, greetings, sign-offs."""
    # Each pattern runs only where a word or character it needs is there (a substring test in C): most
    # questions hold none of them, and a pattern starting at a word boundary tries every position.
    # (Invisible characters and emoji are all beyond ASCII: ASCII text, most questions, has none.)
    is_ascii = question.isascii()
    text = question if is_ascii else _INVISIBLE_RE.sub("", question)
    text = unshout(text)
    lowered = text.lower()
    if "<" in text:
        text = _SLACK_LINK_RE.sub(" ", text)
    if "<" in text or "@" in text:
        text = _MENTION_RE.sub(" ", text)
    if "http" in lowered or "www." in lowered:
        text = _URL_RE.sub(" ", text)
    if ":" in text:
        text = _EMOJI_CODE_RE.sub(" ", text)
    if not is_ascii:
        text = _EMOJI_RE.sub(" ", text)
    if not _MARKDOWN_MARKS.isdisjoint(text):
        text = _MARKDOWN_RE.sub(" ", text)
    if holds_any(text, _REPEATED_MARKS):
        text = _REPEATED_RE.sub(r"\1", text)
    if "front" in lowered:
        text = _FRONT_RE.sub(r"\1 \2", text)
    if "back" in lowered:
        text = _SPLIT_VERB_RE.sub(r"\1 back \2", text)
    if "as" in lowered and might_hold(text, _REGARD_VERBS):
        text = _REGARD_AS_RE.sub(" ", text)
    if lowered.startswith("where") or " where " in lowered:
        text = _PLACED_IN_RE.sub(r"\1rank\2", _PLACED_AT_RE.sub(r"\1ranked\2", text))
        if not _RANKED_RE.search(text):  # (not again: "placed" read as "ranked")
            text = _WHERE_ON_INDEX_RE.sub(r"\1ranked \2", text)
    text = _BARE_NUMBER_RE.sub(_with_separators, text)
    if "thousand" in lowered:
        text = _WORDS_THOUSAND_RE.sub(_thousands, text)
    if holds_any(lowered, _POSITION_WORDS):
        text = _COUNT_ASKED_RE.sub(_asked_count, text)
        text = _SPOT_RE.sub("rank", _POSITION_ASKED_RE.sub(_asked_position, text))
    if holds_any(lowered, _NOW_WORDS):
        text = _NOW_RE.sub(" ", text)
    if "us" in lowered:
        text = united_states(text)
    text = " ".join(text.split())
    text = _LEADING_RE.sub("", text)
    text = _IMPERATIVE_RE.sub("", text)
    if "hi " in lowered:
        text = _HI_TECH_RE.sub("hi-tech", text)  # (not the greeting: "hi tech firms")
    kept = [w for w in text.split(" ") if w.strip(",.!?;:-").lower() not in NOISE_WORDS]
    return " ".join(kept).strip(" ,;:-")


def _with_separators(match: re.Match[str]) -> str:
    return f"{int(match.group(0)):,}"


def _asked_count(match: re.Match[str]) -> str:
    return "how many" if match.group(1).lower() == "number" else "how much"


def _asked_position(match: re.Match[str]) -> str:
    return f"{match.group(1) or 'what'} rank"


class Speller:
    """Corrects long unknown words to the one nearest word of a vocabulary (a knowledge base's words)."""

    def __init__(
        self,
        vocabulary: Iterable[str] | Mapping[str, int],
        protected: Iterable[str] = (),
        same: Callable[[str], str] | None = None,
        known: frozenset[str] = frozenset(),
    ) -> None:
        self.vocabulary = frozenset(w for w in vocabulary if w.isalpha())
        # How often the corpus uses each word: between equally close words, a clearly commoner one wins
        # (as symspell does), e.g. "provices" -> "provinces" in a corpus about provinces.
        self._counts: Mapping[str, int] = vocabulary if isinstance(vocabulary, Mapping) else {}
        # Closest words that ``same`` maps together (forms of one stem: "enterprise", "enterprises") are
        # one answer, not an ambiguity.
        self._same = same
        # Words that are right as they are even if the corpus lacks them (stop words, places).
        self.protected = frozenset(protected) | self.vocabulary
        # Ordinary words of the language (``english_words``): right as they are, looked up apart so the
        # large shared set is not copied per speller.
        self.known = known
        self._variants = {spelling_key(w): w for w in sorted(self.vocabulary, reverse=True)}
        self._choices = sorted(w for w in self.vocabulary if len(w) >= MIN_TYPO_LENGTH - 1)
        # The choices a word of each length can be within its limit of (see ``_near``), built on first use.
        self._near_choices: dict[tuple[int, int], list[str]] = {}
        self._cache: dict[str, str] = {}
        self.lookups: int | None = SPELLER_LOOKUPS
        """Searches a question may make (None: no bound); see ``SPELLER_LOOKUPS``."""
        # What is left of the question's searches, per thread: ``correct_text`` starts a question, and the
        # ``correct`` calls after it (the composer's look at the question's capitalised words) draw on it too.
        self._left = threading.local()

    def _near(self, length: int, limit: int) -> list[str]:
        """The choices at most ``limit`` letters longer or shorter than ``length``, in the choices' order.

        An edit changes a word's length by at most one letter, so no other choice is within ``limit``
        edits: searching these alone finds what searching all finds (~28k words, ~3 ms a word), and in the
        same order, so equally close choices come back as they would (in their order in the choices).
        """
        near = self._near_choices.get((length, limit))
        if near is None:
            near = [w for w in self._choices if abs(len(w) - length) <= limit]
            self._near_choices[length, limit] = near
        return near

    def correct(self, word: str) -> str:
        """``word``, or the unique closest vocabulary word within the allowed edit distance."""
        if len(word) < MIN_TYPO_LENGTH or word in self.protected or not word.isalpha():
            return word
        if word in self.known:  # right as it is, or the corpus's spelling of it ("centres" -> "centers")
            return self._variants.get(spelling_key(word), word)
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if word.endswith("in") and word + "g" in self.known:
            return word + "g"  # (a dropped g, as typed: "puttin", "makin'" -> "putting", "making")
        if self.lookups is not None:
            left = getattr(self._left, "n", None)
            left = self.lookups if left is None else min(left, self.lookups)
            if left <= 0:  # the question has had its searches: the rest of its words stay as typed
                return word
            self._left.n = left - 1
        limit = 2 if len(word) >= LONG_WORD else 1
        found = extract(word, self._near(len(word), limit), scorer=OSA.distance, score_cutoff=limit, limit=3)
        best = word
        if found:
            nearest = min(score for _, score, _ in found)
            closest = [
                choice
                for choice, score, _ in found
                if score == nearest
                and (
                    len(word) >= SUBSTITUTION_LENGTH
                    or len(choice) != len(word)
                    or sorted(choice) == sorted(word)
                )
            ]
            if len(closest) == 1 or (closest and self._same and len({self._same(c) for c in closest}) == 1):
                best = sorted(closest)[0]
            elif len(closest) > 1 and self._counts:
                ranked = sorted(closest, key=lambda c: -self._counts.get(c, 0))
                if self._counts.get(ranked[0], 0) >= 2 * max(1, self._counts.get(ranked[1], 0)):
                    best = ranked[0]
        if len(self._cache) < 65536:
            self._cache[word] = best
        return best

    def correct_text(self, text: str) -> tuple[str, dict[str, str]]:
        """``text`` with each correctable word replaced; also the corrections made (typo -> word).

        One call is one question: it may search the vocabulary for at most ``lookups`` of its words (the
        first unknown ones, in order), and ``correct`` calls that follow it in the same thread share them.
        """
        self._left.n = self.lookups
        lowered = text.lower()
        corrections: dict[str, str] = {}
        # Each distinct word once, in order; short and known words (most) are right as they are, and
        # a text with nothing to correct (most questions) is not rewritten.
        protected = self.protected
        for word in dict.fromkeys(_WORD_RE.findall(lowered)):
            if len(word) >= MIN_TYPO_LENGTH and word not in protected:
                fixed = self.correct(word)
                if fixed != word:
                    corrections[word] = fixed
        if not corrections:
            return lowered, corrections
        return _WORD_RE.sub(lambda m: corrections.get(m.group(0), m.group(0)), lowered), corrections
