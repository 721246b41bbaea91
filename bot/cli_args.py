"""argparse types of the ``innov`` command line: each refuses a value that cannot be meant, at parse
time, with argparse's usage line and exit 2."""

from __future__ import annotations

import argparse
import math

MAX_RELOAD_TIMEOUT = 3600.0
"""Longest ``innov reload --timeout``: a reload is a build of seconds to minutes, never hours."""
MAX_CV_FOLDS = 20
"""Most folds of ``innov eval --cv``: each fold is a whole refit (the seeds' QA sets take seconds a fold),
and more folds than 20 tell nothing 20 do not. (``cmd_eval`` also refuses more folds than questions.)"""


def _number(text: str, unit: str = "") -> float:
    """``text`` as a finite number (of ``unit``; argparse's error otherwise: ``nan``, ``inf``, ``1e400``)."""
    of = f" of {unit}" if unit else ""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number{of}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number{of}")
    return value


def seconds(text: str) -> float:
    """argparse type: a number of seconds above 0, at most ``MAX_RELOAD_TIMEOUT`` (``-1``, ``nan`` and
    ``inf`` are refused: a wait for a negative or undefined time would end at once or never)."""
    value = _number(text, "seconds")
    if not 0.0 < value <= MAX_RELOAD_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{text} must be above 0 s and at most {MAX_RELOAD_TIMEOUT:g} s")
    return value


MAX_DAYS = 36_500.0
"""Longest ``innov feedback --since``: a hundred years (``1e308`` days printed ``"since": -Infinity``, not
JSON, and ``1e6`` a negative epoch)."""


def days(text: str) -> float:
    """argparse type: a finite number of days, at most ``MAX_DAYS`` (``cmd_feedback`` refuses 0 and below)."""
    value = _number(text, "days")
    if value > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text} days is more than {MAX_DAYS:,.0f} (a hundred years)")
    return value


def fraction(text: str) -> float:
    """argparse type: a number from 0 to 1 (``innov eval --min-accuracy``)."""
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is outside 0..1 (e.g. 0.9 for 90%)")
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def count(text: str) -> int:
    """argparse type: a number of questions, 0 or more (``--max-wrong -1`` failed every run, and
    ``--min-declined -3`` passed every run)."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is a count of questions: 0 or more")
    return value


def folds(text: str) -> int:
    """argparse type: a number of cross-validation folds, from 2 to ``MAX_CV_FOLDS`` (``--cv 100000``
    refitted for ever, most folds empty)."""
    value = _whole(text)
    if not 2 <= value <= MAX_CV_FOLDS:
        raise argparse.ArgumentTypeError(f"give 2 to {MAX_CV_FOLDS} folds, not {text}")
    return value
