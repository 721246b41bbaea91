"""Scoring a QA file (the format of eval/dev_qa.json) against a snapshot, and the data to calibrate on."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from knowledge.base import Snapshot
from knowledge.composer import Composer
from knowledge.decide import DecisionModel, RankModel, fit, fit_ranker, reliability
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
    (an answered abstain item included); every declined result gives its ``reason``, ``declined`` lists
    the abstain items declined with theirs; ``decisions`` holds each best candidate's features, probability
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
                # Declined by a hard gate (type, attribute), whatever its probability.
                "vetoed": bool(decision.reason) and not decision.reason.startswith("threshold"),
            }
        )
        ok = not answer.answered if abstain else answer.answered and passes(item, answer.text, answer.sources)
        result = {
            "q": question,
            "ok": ok,
            "abstain": abstain,
            "kind": answer.kind,
            "text": answer.text,
            "score": round(answer.score, 3),
            "normalised": answer.normalised,
        }
        if not decision.answer:
            result["reason"] = decision.reason  # (every decline says why: the gate or the threshold)
        results.append(result)
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
        # The abstain items declined as they should be, each with its reason.
        "declined": [{"q": r["q"], "reason": r["reason"]} for r in results if r["ok"] and "reason" in r],
        "decisions": decisions,
    }


def calibration(decisions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The reliability table of a run: confidence bucket -> share of best candidates that were right."""
    rows = [d for d in decisions if d["features"] is not None]
    return reliability([d["probability"] for d in rows], [bool(d["label"]) for d in rows])


class FitError(ValueError):
    """A fit or cross-validation that cannot be done on these QA items (says why, in one line)."""


def fit_decisions(decisions: Sequence[Mapping[str, Any]], ranker: RankModel | None = None) -> DecisionModel:
    """Fit the decision model on evaluated decisions (items with no candidate at all carry no signal).

    ``FitError`` when no decision has a candidate: there is nothing to fit on (numpy's statistics of no
    rows were a ``TypeError`` traceback).
    """
    rows = [d for d in decisions if d["features"] is not None]
    if not rows:
        raise FitError(
            f"nothing to fit on: no question of {len(decisions)} has a candidate answer to learn from"
        )
    return fit(
        [d["features"] for d in rows],
        [bool(d["label"]) for d in rows],
        vetoed=[bool(d.get("vetoed")) for d in rows],
        questions=len(decisions),
        ranker=ranker,
    )


def ranking_rows(
    snapshot: Snapshot, items: Iterable[Mapping[str, Any]]
) -> list[list[tuple[dict[str, float], bool]]]:
    """Every candidate of every answerable item that some candidate answers: its ranking features and
    whether it answers the item (what ``fit_ranker`` learns from), one list per question."""
    composer = snapshot.composer
    out = []
    for item in items:
        if item.get("abstain") or not item.get("expect"):
            continue
        try:
            q = composer.analyse(_checked(str(item["q"])))
        except QuestionError:
            continue
        rows = []
        for candidate in composer.candidates(q) if q.terms else []:
            shown = composer.materialise(candidate)
            rows.append((candidate.ranking(), passes(item, shown.text, shown.sources)))
        if any(label for _, label in rows):
            out.append(rows)
    return out


def fit_model(snapshot: Snapshot, items: Sequence[Mapping[str, Any]]) -> tuple[DecisionModel, Snapshot]:
    """Fit the ranking on every candidate of the QA items, then the decision on the best candidates it ranks.

    Returns the model and a snapshot answering with it (to report figures of the fitted model).
    """
    model = _fit_one(snapshot, items)
    if snapshot.composer.dense is not None:
        # The same fit without meaning, for a deployment where the embedding model cannot load.
        lexical = _fit_one(_with_model(snapshot, snapshot.composer.model, embedder=None), items)
        model = dataclasses.replace(model, lexical=lexical)
    return model, _with_model(snapshot, model)


def _fit_one(snapshot: Snapshot, items: Sequence[Mapping[str, Any]]) -> DecisionModel:
    """The ranking, then the decision on the best candidates it ranks, for the snapshot's composer."""
    ranker = fit_ranker(ranking_rows(snapshot, items))
    ranked = _with_model(snapshot, dataclasses.replace(snapshot.composer.model, ranker=ranker, lexical=None))
    return fit_decisions(evaluate(ranked, items)["decisions"], ranker)


def cross_validate(snapshot: Snapshot, items: Sequence[Mapping[str, Any]], folds: int = 5) -> dict[str, int]:
    """Held-out figures of ``fit_model``: each fold is answered by a model fitted on the others.

    Items are dealt to folds in turn, so each fold mixes every QA file. ``FitError`` for fewer than 2
    folds or more folds than items: a fold with no item would be refitted for nothing.
    """
    if len(items) < 2:
        raise FitError(f"nothing to cross-validate: {len(items)} questions, and each of 2 folds needs one")
    if not 2 <= folds <= len(items):
        raise FitError(f"{folds} folds of {len(items)} questions: give 2 to {len(items)} folds")
    totals = {"answerable": 0, "right": 0, "abstain": 0, "declined": 0, "wrong": 0, "total": 0}
    for fold in range(folds):
        train = [item for i, item in enumerate(items) if i % folds != fold]
        test = [item for i, item in enumerate(items) if i % folds == fold]
        _, fitted = fit_model(snapshot, train)
        report = evaluate(fitted, test)
        totals["answerable"] += report["answerable"]["total"]
        totals["right"] += report["answerable"]["correct"]
        totals["abstain"] += report["abstain"]["total"]
        totals["declined"] += report["abstain"]["correct"]
        totals["wrong"] += report["wrong"]
        totals["total"] += report["total"]
    return totals


def _with_model(snapshot: Snapshot, model: DecisionModel, embedder: Any = True) -> Snapshot:
    c = snapshot.composer
    composer = Composer(
        c.articles,
        c.passages,
        c.facts,
        c.version,
        snapshot.aliases,
        model=model,
        parts=c.parts,
        places=c.places,
        vectors=c.vectors,
        embedder=c.embedder if embedder is True else embedder,
    )
    return dataclasses.replace(snapshot, composer=composer)


def _checked(question: str) -> str:
    from knowledge.composer import check_question

    return check_question(question)
