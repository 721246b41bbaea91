"""Is a question written in English, and is a message a question at all? innov reads English only, and
volunteers answers only to questions.

A cheap, dependency-free guess, used only to add a hint to an unanswered question: most letters outside
the Latin alphabet (Chinese, Cyrillic, ...), or several words of which none is a common English word
("¿Cuál es el ranking de China?").
"""

from __future__ import annotations

import re

from knowledge.text import STOP_WORDS

MIN_WORDS = 4
"""Fewer Latin-script words than this are not judged ("China GII rank" is English enough)."""

_WORD_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


def looks_english(text: str) -> bool:
    """False when ``text`` is most likely not English; True when it is, or when there is too little to tell."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return True
    foreign = sum(1 for c in letters if not ("a" <= c.lower() <= "z"))
    if foreign / len(letters) >= 0.5:  # (half: "WIPO 代表什么" is a question in Chinese)
        return False
    found = [w.lower() for w in _WORD_RE.findall(text)]
    if len(found) < MIN_WORDS:
        return True
    return any(w in STOP_WORDS for w in found)


# What opens a question: a question word, the verb of a yes/no question, or a request to tell.
_OPENER_WORDS = """what whats what's what're wat wats which who whos who's who're whom whose where wheres where's
where're when whens when's why whys why's how hows how's how'd how're hw is isnt isn't are arent aren't was were
do does doesnt doesn't did didnt didn't can could will wont won't would should has hasnt hasn't have had any
anyone anybody tell explain name list give gimme show describe define summarise summarize wondering wonder
curious"""
QUESTION_OPENERS = frozenset(_OPENER_WORDS.split())
# Words before the opener that change nothing: "hey", "so", "btw", "quick q:".
_PREFIX_WORDS = "hey hi hello yo so ok okay btw also and but quick q question pls please um i"
QUESTION_PREFIXES = frozenset(_PREFIX_WORDS.split())
# "What a year: ..." exclaims; a link's "?" (".../page?id=42") asks nothing; Slack's <...> markup is no word.
_EXCLAIMS_RE = re.compile(r"^\W*what an?\b", re.IGNORECASE)
_LINK_RE = re.compile(r"<[^>]*>|\bhttps?://\S+", re.IGNORECASE)
_OPENER_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


def reads_as_question(text: str) -> bool:
    """Whether a message asks something: it holds a question mark (not a link's), or it opens (after "hey",
    "so", ...) with a question word, a yes/no verb or a request ("tell me", "list", "wondering ...").
    "DeepSeek is down again", "Beijing" and "What a year: ..." do not: chatter in a channel is not asking
    innov."""
    text = _LINK_RE.sub(" ", text.replace("\u2019", "'"))
    if "?" in text or "\uff1f" in text:
        return True
    if _EXCLAIMS_RE.match(text):
        return False
    for word in _OPENER_RE.findall(text.lower()):
        if word in QUESTION_OPENERS:
            return True
        if word not in QUESTION_PREFIXES:
            return False
    return False
