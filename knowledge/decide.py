"""The decision: a logistic model over a candidate's features says how likely the answer is right.

The parameters live in a data file (``knowledge/decision.json``), not in code: ``innov eval FILE...
--fit PATH`` refits them on QA files and writes the file, and the threshold in it is chosen on the
same data (out of fold) as the lowest at which at most ``WRONG_RATE`` of the questions are answered wrongly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from knowledge.errors import KnowledgeLoadError, Problem

DECISION_FILE = Path(__file__).with_name("decision.json")
# A wrong answer costs a team far more than an honest "not in the knowledge base": the threshold is the
# lowest at which, out of fold, at most this share of the fitting questions is answered wrongly, counting
# one standard error over the wrong answers counted.
WRONG_RATE = 0.03
FOLDS = 5
# The threshold is chosen on the wrong answers averaged over this many deals of the rows to folds.
REPEATS = 10
L2 = 2.0

# The decision's features. Left out after 5-fold cross-validation on the fitting sets (each made the
# held-out cost worse): "content_terms" (log number of known content words) and "unknown_name" (always 0
# for a candidate: a question with an unknown capitalised name has no candidates at all).
FEATURES: tuple[str, ...] = (
    "coverage",  # IDF-weighted share of the question's known content words the candidate holds
    "matched_share",  # share of the question's known content words it holds (unweighted)
    "unknown_share",  # share of the question's words the knowledge base never uses (after spelling)
    "margin",  # ranking score over the best different candidate
    "type_ok",  # 1 when the answer holds what the question asks for (number, year, name, place)
    "type_asked",  # 1 when the question asks for a type of answer at all
    "constraint_missing",  # a year or edition of the question the candidate does not state
    "is_fact",  # a curated fact rather than a passage
    "bm25",  # retrieval score relative to the best retrieved (0..1)
    "entities",  # number of named things the question and candidate agree on
    "missed_max",  # weight share of the heaviest question term the candidate lacks
    "cosine",  # meaning: the question's cosine with the candidate (sentence embeddings)
    "cos_margin",  # its cosine over the best cosine of a candidate saying something else
)


class RankFeatures(NamedTuple):
    """What orders the candidates of one question (a linear score fitted like the decision, on all
    candidates). Built in one place (``knowledge.answering.features.rank_features``); its fields, in
    order, are ``RANK_FEATURES``."""

    coverage: float
    matched_share: float
    type_ok: float
    constraint_missing: float
    is_fact: float
    bm25: float
    two_sentences: float  # a two-sentence passage window (it must earn its place)
    length: float  # log of the candidate's length in characters
    cosine: float  # the question's cosine with the candidate


RANK_FEATURES: tuple[str, ...] = RankFeatures._fields
# Until a ranker is fitted: coverage first, then the asked-for type, facts over passages.
DEFAULT_RANKER: dict[str, float] = {
    "coverage": 1.0,
    "type_ok": 0.15,
    "constraint_missing": -0.3,
    "is_fact": 0.05,
    "bm25": 0.1,
    "two_sentences": -0.1,
}


@dataclass(frozen=True)
class RankModel:
    """A linear score over ``RANK_FEATURES``; the best-scoring candidate is the one described to the decision."""

    weights: Mapping[str, float]

    def score(self, features: Mapping[str, float]) -> float:
        """The candidate's ranking score (higher is better)."""
        return sum(w * features.get(name, 0.0) for name, w in self.weights.items())


@dataclass(frozen=True)
class DecisionModel:
    """Logistic regression: ``p = 1 / (1 + exp(-(bias + weights · features)))``; answer when p >= threshold."""

    weights: Mapping[str, float]
    bias: float
    threshold: float
    ranker: RankModel = RankModel(DEFAULT_RANKER)
    # The model fitted without meaning (cosine features 0), used where the embedding model is not here.
    lexical: DecisionModel | None = None

    def probability(self, features: Mapping[str, float]) -> float:
        """The calibrated probability that the candidate with these features answers the question."""
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_json(self) -> dict[str, object]:
        """The data file's content."""
        out: dict[str, object] = {
            "about": "Logistic answer decision fitted by `innov eval ... --fit`; see knowledge/decide.py.",
            "features": list(FEATURES),
            "weights": {k: round(v, 6) for k, v in self.weights.items()},
            "bias": round(self.bias, 6),
            "threshold": round(self.threshold, 4),
            "ranker": {k: round(v, 6) for k, v in self.ranker.weights.items()},
        }
        if self.lexical is not None:
            out["lexical"] = self.lexical.to_json()
        return out


def load_model(path: Path = DECISION_FILE) -> DecisionModel:
    """The decision model stored at ``path``. A file that cannot be read, is not JSON or lacks a weight is
    one ``KnowledgeLoadError`` naming it (a truncated write once made every command end in a traceback)."""
    try:
        return _model(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        problem = Problem(str(path), exc.lineno, f"the decision model is damaged ({exc.msg}); {_RESTORE}")
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(str(path), 0, f"the decision model cannot be read ({exc}); {_RESTORE}")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        problem = Problem(
            str(path), 0, f"the decision model is damaged ({type(exc).__name__}: {exc}); {_RESTORE}"
        )
    raise KnowledgeLoadError([problem])


_RESTORE = "restore it (git checkout knowledge/decision.json) or refit it (docs/answering.md, Refitting)"


def _model(data: Mapping[str, Any]) -> DecisionModel:
    return DecisionModel(
        weights={k: float(v) for k, v in data["weights"].items()},
        bias=float(data["bias"]),
        threshold=float(data["threshold"]),
        ranker=RankModel({k: float(v) for k, v in data.get("ranker", DEFAULT_RANKER).items()}),
        lexical=_model(data["lexical"]) if "lexical" in data else None,
    )


def _logistic(
    rows: Sequence[Mapping[str, float]], labels: Sequence[bool], names: Sequence[str]
) -> tuple[dict[str, float], float]:
    """L2-regularised logistic regression by Newton steps on standardised features; (weights, bias)."""
    x = np.array([[r.get(f, 0.0) for f in names] for r in rows], dtype=float)
    y = np.array(labels, dtype=float)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / std])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * L2
    penalty[0, 0] = 1e-6  # (not zero: separable data would make the Hessian singular)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    weights = {f: float(w[i + 1] / std[i]) for i, f in enumerate(names)}
    bias = float(w[0] - sum(w[i + 1] * mean[i] / std[i] for i in range(len(names))))
    return weights, bias


def fit(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[bool],
    vetoed: Sequence[bool] | None = None,
    questions: int | None = None,
    ranker: RankModel | None = None,
) -> DecisionModel:
    """Fit weights by L2-regularised logistic regression (Newton steps) and choose the threshold on
    out-of-fold probabilities: the lowest at which at most ``WRONG_RATE`` of the ``questions`` would be
    answered wrongly, one standard error over the count (a wrong answer costs a team far more than an
    honest decline).

    ``labels`` say whether answering with that candidate would have been right; ``vetoed`` rows are never
    answered (a hard gate declines them whatever their probability).
    """
    weights, bias = _logistic(rows, labels, FEATURES)
    blocked = list(vetoed) if vetoed is not None else [False] * len(rows)
    total = questions if questions is not None else len(rows)
    # Out-of-fold probabilities of wrong candidates a gate lets through, for several ways of dealing the
    # rows to folds: one split's count at a threshold moves by a question or two with the split.
    held_out = [
        [
            p
            for p, label, veto in zip(_out_of_fold(rows, labels, repeat), labels, blocked, strict=True)
            if not label and not veto
        ]
        for repeat in range(REPEATS)
    ]
    threshold = 0.95
    for candidate in np.arange(0.95, 0.19, -0.01):
        wrong = sum(sum(1 for p in wrongs if p >= candidate) for wrongs in held_out) / REPEATS
        # (One standard error above the count, as a Poisson count's: on questions never fitted, the
        # rate ran above the folds' own, as the gates were written from the fitting sets' failures.)
        if wrong + math.sqrt(wrong) > WRONG_RATE * total:
            break
        threshold = float(candidate)
    return DecisionModel(weights, bias, round(threshold, 2), ranker or RankModel(DEFAULT_RANKER))


def _out_of_fold(rows: Sequence[Mapping[str, float]], labels: Sequence[bool], repeat: int = 0) -> list[float]:
    """Each row's probability under a model fitted without its fold: rows dealt to folds in turn, in file
    order for ``repeat`` 0 and in a fixed shuffled order (seeded by ``repeat``) otherwise."""
    order = list(range(len(rows)))
    if repeat:
        order = np.random.default_rng(repeat).permutation(len(rows)).tolist()
    fold_of = [0] * len(rows)
    for position, i in enumerate(order):
        fold_of[i] = position % FOLDS
    out = [0.0] * len(rows)
    for fold in range(FOLDS):
        train = [i for i in range(len(rows)) if fold_of[i] != fold]
        if not any(labels[i] for i in train) or all(labels[i] for i in train):
            continue
        weights, bias = _logistic([rows[i] for i in train], [labels[i] for i in train], FEATURES)
        model = DecisionModel(weights, bias, 0.5)
        for i in range(len(rows)):
            if fold_of[i] == fold:
                out[i] = model.probability(rows[i])
    return out


def fit_ranker(questions: Sequence[Sequence[tuple[Mapping[str, float], bool]]]) -> RankModel:
    """Ranking weights by L2-regularised logistic regression over every candidate of the given questions
    (each a list of (ranking features, answers the question)); only the order they give matters."""
    rows = [features for question in questions for features, _ in question]
    labels = [label for question in questions for _, label in question]
    if not rows or all(labels) or not any(labels):
        return RankModel(DEFAULT_RANKER)
    weights, _ = _logistic(rows, labels, RANK_FEATURES)
    return RankModel(weights)


def reliability(probabilities: Sequence[float], labels: Sequence[bool], buckets: int = 10) -> list[dict]:
    """Confidence bucket -> number of candidates and share correct (the calibration table)."""
    rows = []
    for b in range(buckets):
        low, high = b / buckets, (b + 1) / buckets
        inside = [
            label
            for p, label in zip(probabilities, labels, strict=True)
            if low <= p < high or (b == buckets - 1 and p == 1.0)
        ]
        mean_p = [p for p in probabilities if low <= p < high or (b == buckets - 1 and p == 1.0)]
        rows.append(
            {
                "bucket": f"{low:.1f}-{high:.1f}",
                "n": len(inside),
                "mean_confidence": round(sum(mean_p) / len(mean_p), 3) if mean_p else None,
                "share_correct": round(sum(inside) / len(inside), 3) if inside else None,
            }
        )
    return rows
