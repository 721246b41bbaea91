"""``knowledge.evaluation`` refuses a fit or cross-validation with nothing to work on, in words, rather
than looping over empty folds or failing inside numpy."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.base import load_snapshot
from knowledge.evaluation import FitError, cross_validate, fit_decisions


def test_no_decision_with_a_candidate_is_nothing_to_fit_on() -> None:
    with pytest.raises(FitError, match="nothing to fit on: no question of 2 has a candidate"):
        fit_decisions([{"features": None, "label": False}, {"features": None, "label": False}])


@pytest.mark.parametrize(
    ("items", "folds", "says"),
    [
        (3, 4, "4 folds of 3 questions"),
        (3, 1, "1 folds of 3"),
        (1, 2, "nothing to cross-validate"),
        (0, 2, "nothing to cross-validate"),
    ],
)
def test_cross_validation_refuses_folds_that_would_be_empty(
    tiny_kb: Path, items: int, folds: int, says: str
) -> None:
    questions = [{"q": f"question {n}", "abstain": True} for n in range(items)]
    with pytest.raises(FitError, match=says):
        cross_validate(load_snapshot(tiny_kb), questions, folds)
