"""Thread follow-ups: does a short question stand alone, or does it continue the thread's previous question?

"and what about patents?", "what about beijing?" and "and in 2024?" mean little alone; after "How many
robotics patents does Beijing hold?" they are clear. :func:`understand` decides, from the words alone,
whether a question leans on the one before it, and if so writes the question it stands for: the
previous question with the new place swapped in ("... does Shanghai's robotics industry hold?"), or
the previous question with the follow-up added ("What is China's GII rank — in 2024?"). A question
that names its own subject is answered as asked.

:func:`in_thread` then checks an added follow-up against what it would get: "and what about
opportunities?" after a question on challenges, read as "... challenges — opportunities?", gets the
challenges answer again, which says nothing of opportunities. A follow-up whose own content words the
answer does not hold is a new subject and is answered as its own question; the thread's subject only
decides between answers that hold them. A bare fragment ("in dollars?") names no subject: when the
thread's question is declined, it is declined with it. Pure: no Slack, no Redis.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass

from knowledge.base import Snapshot
from knowledge.normalise import united_states
from knowledge.text import STOP_WORDS, stem, tokenize, words

# A follow-up often opens with a connective ("and", "what about", as typed: "wat abt", "how bout"); it is
# then short by nature.
_WHAT_ABOUT = r"(?:what|wat|wht|how)\s+(?:about|abt|bout)"
_LEAD_RE = re.compile(
    r"^\s*(?:(?:and|also|but|so|or|plus|then|ok|okay)\b[\s,]*)*"
    rf"(?:{_WHAT_ABOUT}|what\s+of|same\s+(?:for|in|with)|and\s+for)?\b[\s,:]*",
    re.IGNORECASE,
)
_OPENS_WITH_CONNECTIVE_RE = re.compile(
    rf"^\s*(?:(?:ok|okay|so)\b[\s,]*)?(?:and|also|but|or|plus|{_WHAT_ABOUT}|what\s+of|same\s+(?:for|in|with))\b",
    re.IGNORECASE,
)
# Words that point back at the previous question's subject.
_POINTERS = frozenset(
    {"it", "its", "they", "them", "their", "there", "that", "this", "those", "these", "same"}
)
MAX_CONNECTIVE_TERMS = 4
"""A follow-up that opens with a connective has at most this many content terms."""
MAX_POINTER_TERMS = 3
"""A follow-up that points back ("when did it start?") has at most this many content terms."""
MAX_BARE_TERMS = 1
"""A bare fragment ("patents?", "in 2024?") has at most this many content terms."""
_THE_STATES_RE = re.compile(r"\bthe states\b", re.IGNORECASE)  # (the country, in a follow-up)
MAX_UNDERSTOOD_CHARS = 600
"""An understood question is at most this long, so chains of follow-ups stay bounded."""

_NAMES_BY_VERSION: dict[str, frozenset[str]] = {}


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How a question was understood in its thread."""

    asked: str
    understood: str
    previous: str | None = None
    subject: str = ""
    """What the next follow-up in the thread builds on: the question as understood, except after an
    appended follow-up ("… — and patents?"), whose thread keeps its previous subject, so follow-ups
    never pile up into one long question."""
    added: str = ""
    """The follow-up's own words when they were added to the previous question ("patents"), else empty."""

    @property
    def uses_context(self) -> bool:
        """Whether the previous question's subject was used."""
        return self.understood != self.asked


def names_of(snapshot: Snapshot) -> frozenset[str]:
    """The proper names of a snapshot's corpus, as lower-case words (computed once per knowledge version)."""
    names = _NAMES_BY_VERSION.get(snapshot.version)
    if names is None:
        # The words of the corpus whose term the knowledge base treats as a name (written capitalised
        # mid-sentence: places, bodies, people), as they are typed.
        composer = snapshot.composer
        names = frozenset(
            w for w in composer.surface_words if stem(w) in composer.names and w not in STOP_WORDS
        )
        if len(_NAMES_BY_VERSION) >= 4:
            _NAMES_BY_VERSION.clear()
        _NAMES_BY_VERSION[snapshot.version] = names
    return names


def stands_alone(question: str) -> bool:
    """Whether ``question`` makes sense without the thread's previous question."""
    terms = tokenize(question)
    surface = set(words(question))
    if _OPENS_WITH_CONNECTIVE_RE.match(question) and len(terms) <= MAX_CONNECTIVE_TERMS:
        return False
    if surface & _POINTERS and len(terms) <= MAX_POINTER_TERMS:
        return False
    return not (len(terms) <= MAX_BARE_TERMS and len(surface) <= 4)


def understand(
    question: str,
    previous: str | None,
    names: frozenset[str] = frozenset(),
    places: Container[str] = frozenset(),
    aliases: Mapping[str, str] | None = None,
) -> FollowUp:
    """``question`` as understood after ``previous`` (the thread's last question, if any).

    ``names`` are the proper names the knowledge base knows (:func:`names_of`): a follow-up naming one
    ("what about beijing?") takes the place of the one the previous question named; ``aliases`` (the
    knowledge base's: "america" is the United States) name places too.
    """
    asked = " ".join(question.split())
    if not previous or not asked or stands_alone(asked):
        return FollowUp(asked=asked, understood=asked, previous=previous, subject=asked)
    core = _LEAD_RE.sub("", asked, count=1).strip().rstrip("?.!").strip() or asked.rstrip("?.!")
    base = " ".join(previous.split()).rstrip("?.! ")
    swapped = _swap_name(base, core, names, places, aliases or {})
    understood = swapped if swapped is not None else f"{base} — {core}"
    understood = f"{understood[:MAX_UNDERSTOOD_CHARS]}?"
    subject = understood if swapped is not None else previous
    added = core if swapped is None else ""
    return FollowUp(asked=asked, understood=understood, previous=previous, subject=subject, added=added)


def in_thread(question: str, previous: str | None, snapshot: Snapshot) -> FollowUp:
    """``question`` as answered in a thread whose last question was ``previous`` (what handlers call).

    As :func:`understand` reads it, except that a follow-up added to the previous question ("and what
    about opportunities?") keeps that reading only when the answer it gets holds the follow-up's own
    content words; otherwise it is a change of subject and is answered as asked, on its own. So the
    thread's subject is a tie-breaker: between the answer with it and the answer without it, both
    holding the words asked about, the thread's wins; it never buys an answer to another question. A
    follow-up pointing back ("when did it start?") and a place swapped in are read with the thread.
    """
    composer = snapshot.composer
    rules = getattr(composer, "rules", None)
    read = understand(
        question, previous, names_of(snapshot), composer.places.places, getattr(rules, "aliases", None)
    )
    if not read.added or set(words(read.asked)) & _POINTERS:
        return read
    tokenize_ = _tokenizer(snapshot)
    own = set(tokenize_(read.added))
    if not own or all(term.isdigit() for term in own):
        return read  # ("and in 2020?": a year alone is no new subject; the thread's question asks it)
    answer = snapshot.answer(read.understood)
    if answer.answered and own <= set(tokenize_(answer.text)):
        return read
    if not answer.answered and len(own) <= MAX_BARE_TERMS:
        # A bare fragment ("in dollars?") names no subject of its own: after a question the articles do
        # not answer ("... the US spend on r&d?") it asks that question still, and is declined with it.
        # Asked alone it got whatever mentions dollars (AstraZeneca's 2.5 billion U.S. dollars).
        return read
    return FollowUp(asked=read.asked, understood=read.asked, previous=previous, subject=read.asked)


def _tokenizer(snapshot: Snapshot) -> Callable[[str], list[str]]:
    """The knowledge base's own tokenizer (its aliases: "R&D" is research and development), else the
    default one."""
    rules = getattr(snapshot.composer, "rules", None)
    found = getattr(rules, "tokenize", None)
    return found if callable(found) else tokenize


def _swap_name(
    base: str,
    core: str,
    names: frozenset[str],
    places: Container[str] = frozenset(),
    aliases: Mapping[str, str] | None = None,
) -> str | None:
    """The previous question with its one proper name replaced by the follow-up's, if both have one (a
    place by the previous question's one place: "and japan?" after "what's China's GII rank"). A place of
    two or three words ("the United States", "the US", "south korea") is one name."""
    core = _THE_STATES_RE.sub("the United States", united_states(core))
    core = " ".join(_place_alias(w, places, aliases or {}) for w in core.split())
    new = list(dict.fromkeys(_names_in(core, names, places)))  # ("the united states of america": one)
    base = united_states(base)
    old = list(dict.fromkeys(_names_in(base, names, places)))
    if len(new) == 1 and len(old) > 1 and new[0] in places:
        old = [w for w in old if w in places]
    if len(new) != 1 or len(old) != 1 or new == old:
        return None
    # Other content words in the follow-up ("beijing patents") change more than the place: add them.
    named = set(new[0].split())
    if any(w not in names and w not in named and w not in STOP_WORDS for w in words(core)):
        return None
    replacement = " ".join(part[:1].upper() + part[1:] for part in new[0].split())
    swapped, count = re.subn(rf"\b{re.escape(old[0])}\b", replacement, base, flags=re.IGNORECASE)
    if not count:  # only its possessive typed without the apostrophe: the new name's possessive
        swapped, count = re.subn(rf"\b{re.escape(old[0])}s\b", f"{replacement}'s", base, flags=re.IGNORECASE)
    return swapped if count else None


def _place_alias(word: str, places: Container[str], aliases: Mapping[str, str]) -> str:
    """``word`` written out when the alias table says it is a place ("america": "united states")."""
    meant = aliases.get(word.lower().strip("?.!,"))
    return meant if meant is not None and meant in places else word


def _names_in(text: str, names: frozenset[str], places: Container[str]) -> list[str]:
    """The proper names of ``text`` in order, a place of two or three words ("united states") as one, a
    name's possessive typed without its apostrophe as the name."""
    typed = words(text)
    found: list[str] = []
    i = 0
    while i < len(typed):
        for size in (3, 2):
            phrase = " ".join(typed[i : i + size])
            if len(typed) - i >= size and phrase in places:
                found.append(phrase)
                i += size
                break
        else:
            if typed[i] in names:
                found.append(typed[i])
            elif _possessive(typed[i], names):  # ("chinas gii rank": a possessive without its apostrophe)
                found.append(typed[i][:-1])
            i += 1
    return found


def _possessive(word: str, names: frozenset[str]) -> bool:
    """``word`` is a name's possessive typed without its apostrophe ("chinas")."""
    return word.endswith("s") and len(word) > 3 and word[:-1] in names
