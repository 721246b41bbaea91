"""Scoring a QA file (the format of eval/dev_qa.json) against a snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from knowledge.base import Snapshot
from knowledge.errors import QuestionError


def evaluate(snapshot: Snapshot, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Score a QA set: an item passes when its answer holds an expected string and cites a matching source,
    or, for ``abstain`` items, when the answer is ``none``."""
    results: list[dict[str, Any]] = []
    for item in items:
        question = str(item["q"])
        try:
            answer = snapshot.answer(question)
        except QuestionError as exc:
            results.append(
                {"q": question, "ok": False, "abstain": bool(item.get("abstain")), "error": str(exc)}
            )
            continue
        if item.get("abstain"):
            ok = not answer.answered
        else:
            text = answer.text.casefold()
            titles = [s.title.casefold() for s in answer.sources]
            expect_ok = any(str(e).casefold() in text for e in item.get("expect", [])) or not item.get(
                "expect"
            )
            source_ok = not item.get("sources") or any(
                str(frag).casefold() in t for frag in item["sources"] for t in titles
            )
            ok = answer.answered and expect_ok and source_ok
        results.append(
            {
                "q": question,
                "ok": ok,
                "abstain": bool(item.get("abstain")),
                "kind": answer.kind,
                "text": answer.text,
            }
        )
    answerable = [r for r in results if not r["abstain"]]
    abstain = [r for r in results if r["abstain"]]
    answered = [r for r in answerable if r.get("kind") not in (None, "none")]
    correct = sum(r["ok"] for r in results)
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
        "abstain": {"total": len(abstain), "correct": sum(r["ok"] for r in abstain)},
        "failures": [r for r in results if not r["ok"]],
    }
