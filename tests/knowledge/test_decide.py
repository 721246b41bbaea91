"""The fitted decision: logistic regression, a cost-chosen threshold, a reliability table, a data file."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from knowledge.decide import DECISION_FILE, DecisionModel, _out_of_fold, fit, load_model, reliability
from knowledge.errors import KnowledgeLoadError


def synthetic(n: int = 400) -> tuple[list[dict[str, float]], list[bool]]:
    """Right answers have high coverage, wrong ones low, with overlap (so the fit is not trivial)."""
    rng = random.Random(7)
    rows, labels = [], []
    for _ in range(n):
        right = rng.random() < 0.5
        coverage = min(1.0, max(0.0, rng.gauss(0.8 if right else 0.45, 0.15)))
        rows.append({"coverage": coverage, "unknown_share": rng.random() * (0.2 if right else 0.5)})
        labels.append(right)
    return rows, labels


def test_fit_learns_that_more_coverage_means_more_likely_right() -> None:
    rows, labels = synthetic()
    model = fit(rows, labels)
    assert model.weights["coverage"] > 0
    assert model.weights["unknown_share"] < 0
    assert model.probability({"coverage": 0.95}) > model.probability({"coverage": 0.3})


def test_the_threshold_weighs_a_wrong_answer_above_a_decline() -> None:
    rows, labels = synthetic()
    model = fit(rows, labels)
    # Answering costs more when wrong than declining costs when right: the bar sits above even odds.
    assert model.threshold > 0.5


def test_the_threshold_is_chosen_on_several_deals_of_the_rows_to_folds_and_is_repeatable() -> None:
    rows, labels = synthetic()
    # Each deal predicts every row from a model fitted without it; the deals differ from each other.
    deals = [_out_of_fold(rows, labels, repeat) for repeat in range(3)]
    assert all(len(deal) == len(rows) and all(0.0 < p < 1.0 for p in deal) for deal in deals)
    assert deals[0] != deals[1] != deals[2]
    # The deals are seeded: the same rows give the same probabilities, and the same fitted model.
    assert deals[1] == _out_of_fold(rows, labels, 1)
    assert fit(rows, labels) == fit(rows, labels)


def test_the_fitted_probabilities_are_calibrated_on_their_data() -> None:
    rows, labels = synthetic(2000)
    model = fit(rows, labels)
    table = reliability([model.probability(r) for r in rows], labels)
    for row in table:
        if row["n"] >= 100:
            assert abs(row["share_correct"] - row["mean_confidence"]) < 0.1, row


def test_reliability_buckets_cover_every_probability() -> None:
    table = reliability([0.0, 0.05, 0.55, 1.0], [False, False, True, True])
    assert [r["n"] for r in table] == [2, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert table[9]["share_correct"] == 1.0 and table[1]["share_correct"] is None


def test_the_model_round_trips_through_its_data_file(tmp_path: Path) -> None:
    rows, labels = synthetic()
    model = fit(rows, labels)
    path = tmp_path / "decision.json"
    path.write_text(json.dumps(model.to_json()), encoding="utf-8")
    loaded = load_model(path)
    assert isinstance(loaded, DecisionModel)
    assert abs(loaded.probability(rows[0]) - model.probability(rows[0])) < 1e-4
    assert loaded.threshold == round(model.threshold, 4)


def test_the_shipped_decision_file_loads() -> None:
    model = load_model(DECISION_FILE)
    assert 0.0 < model.threshold < 1.0 and model.weights and model.ranker.weights


@pytest.mark.parametrize(
    ("content", "line", "says"),
    [
        # (Truncated mid-file: the decoder's line, the last one written.)
        (
            DECISION_FILE.read_text(encoding="utf-8")[:500],
            DECISION_FILE.read_text(encoding="utf-8")[:500].count("\n") + 1,
            "the decision model is damaged (Expecting",
        ),
        ('{"weights": {"cosine": "high"}, "bias": 0, "threshold": 0.6}', 0, "ValueError"),
        ("[]", 0, "TypeError"),
    ],
)
def test_a_damaged_decision_file_is_one_problem_naming_it(
    tmp_path: Path, content: str, line: int, says: str
) -> None:
    """A truncated write left a file every command then died reading, with a JSONDecodeError traceback (an
    attack run): it is a knowledge load problem naming the file, which the commands print in one line."""
    path = tmp_path / "decision.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeLoadError) as caught:
        load_model(path)
    (problem,) = caught.value.problems
    assert problem.file == str(path) and problem.line == line
    assert says in problem.message and "git checkout knowledge/decision.json" in problem.message
