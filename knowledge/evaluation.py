"""Scoring a QA file (the format of eval/dev_qa.json) against a snapshot, and the data to calibrate on."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from knowledge.base import Snapshot
from knowledge.composer import Composer
from knowledge.decide import DecisionModel, RankModel, fit, reliability
from knowledge.errors import QuestionError
from knowledge.models import Source


def passes(item: Mapping[str, Any], text: str, sources: Sequence[Source]) -> bool:
    """Whether an answer (text and cited sources) satisfies an answerable item."""
    if item.get("abstain"):
        return False
    folded = text.casefold()
    titles = [s.title.casefold() for s in sources]
    expect_ok = not item.get("expect") or any(str(e).casefold() in folded for e in item["expect"])
    source_ok = not item.get("sources") or any(
        str(frag).casefold() in t for frag in item["sources"] for t in titles
    )
    return expect_ok and source_ok


def evaluate(snapshot: Snapshot, items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Score a QA set: an item passes when its answer holds an expected string and cites a matching source,
    or, for ``abstain`` items, when the answer is ``none``. ``wrong`` counts answers that fail their item
    (an answered abstain item included); ``decisions`` holds each best candidate's features, probability
    and whether answering with it would have been right (what ``calibration`` and ``fit`` use)."""
    results: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    composer = snapshot.composer
    for item in items:
        question = str(item["q"])
        abstain = bool(item.get("abstain"))
        try:
            decision = composer.decide(_checked(question))
        except QuestionError as exc:
            results.append({"q": question, "ok": False, "abstain": abstain, "error": str(exc)})
            continue
        answer = composer.render(decision)
        best = decision.best
        label = best is not None and passes(item, best.text, best.sources)
        decisions.append(
            {
                "q": question,
                "abstain": abstain,
                # (An answer read from front matter has no features: nothing to fit or calibrate.)
                "features": dict(best.features) if best and best.features else None,
                "probability": decision.probability,
                "label": label,
            }
        )
        ok = not answer.answered if abstain else answer.answered and passes(item, answer.text, answer.sources)
        results.append(
            {
                "q": question,
                "ok": ok,
                "abstain": abstain,
                "kind": answer.kind,
                "text": answer.text,
                "score": round(answer.score, 3),
                "normalised": answer.normalised,
            }
        )
    answerable = [r for r in results if not r["abstain"]]
    abstain_items = [r for r in results if r["abstain"]]
    answered = [r for r in answerable if r.get("kind") not in (None, "none")]
    correct = sum(r["ok"] for r in results)
    wrong = sum(1 for r in results if r.get("kind") not in (None, "none") and not r["ok"])
    return {
        "kb_version": snapshot.version,
        "total": len(results),
        "correct": correct,
        "accuracy": correct / len(results) if results else 0.0,
        "answerable": {
            "total": len(answerable),
            "correct": sum(r["ok"] for r in answerable),
            "answered": len(answered),
        },
        "abstain": {"total": len(abstain_items), "correct": sum(r["ok"] for r in abstain_items)},
        "wrong": wrong,
        "failures": [r for r in results if not r["ok"]],
        "decisions": decisions,
    }


def calibration(decisions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The reliability table of a run: confidence bucket -> share of best candidates that were right."""
    rows = [d for d in decisions if d["features"] is not None]
    return reliability([d["probability"] for d in rows], [bool(d["label"]) for d in rows])


def fit_decisions(decisions: Sequence[Mapping[str, Any]], ranker: RankModel | None = None) -> DecisionModel:
    """Fit the decision model on evaluated decisions (items with no candidate at all carry no signal)."""
    rows = [d for d in decisions if d["features"] is not None]
    return fit([d["features"] for d in rows], [bool(d["label"]) for d in rows], ranker=ranker)


def fit_model(snapshot: Snapshot, items: Sequence[Mapping[str, Any]]) -> tuple[DecisionModel, Snapshot]:
    """Fit the decision on QA items (the ranking weights are kept as they are in the data file).

    Returns the model and a snapshot answering with it (to report figures of the fitted model).
    """
    decisions = evaluate(snapshot, items)["decisions"]
    model = fit_decisions(decisions, snapshot.composer.model.ranker)
    return model, _with_model(snapshot, model)


def _with_model(snapshot: Snapshot, model: DecisionModel) -> Snapshot:
    c = snapshot.composer
    composer = Composer(c.articles, c.passages, c.facts, c.version, snapshot.aliases, model=model)
    return dataclasses.replace(snapshot, composer=composer)


def _checked(question: str) -> str:
    from knowledge.composer import check_question

    return check_question(question)
