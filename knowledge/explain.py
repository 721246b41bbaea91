"""Why did it answer that? The decision for one question, laid open: ``python -m knowledge.explain``.

Prints (as JSON) how the question was understood (normalised text, weighted terms, names, places, the
type of answer wanted), the best candidate, each decision feature with its weight and its contribution
to the logit, the probability and the threshold, and for a decline which gate or threshold declined it
("declined because": ``knowledge.answering.gates``). No thresholds to read in code: the features say it.

    python -m knowledge.explain "how much is astrazeneca putting into beijing" [--kb seeds]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from knowledge.base import load_snapshot
from knowledge.composer import Composer, check_question
from knowledge.decide import FEATURES
from knowledge.errors import KnowledgeError, QuestionError


def explain(composer: Composer, question: str) -> dict[str, Any]:
    """The decision for ``question`` as plain data: understanding, best candidate, feature contributions."""
    decision = composer.decide(check_question(question))
    q = decision.question
    model = composer.model
    out: dict[str, Any] = {
        "question": q.text,
        "normalised": q.normalised,
        "terms": {t: round(w, 3) for t, w in q.weights.items()},
        "unknown": list(q.unknown),
        "names": sorted(q.names),
        "places": [sorted(e) for e in q.entities],
        "wants": q.wants,
        "answered": decision.answer,
        "declined because": decision.reason or None,
        "probability": round(decision.probability, 4),
        "threshold": model.threshold,
        "bias": model.bias,
    }
    best = decision.best
    if best is not None and not best.features:
        out["best"] = {"kind": best.kind, "text": best.text, "from": "a look-up (front matter, alias file)"}
    elif best is not None:
        features = best.features
        out["best"] = {"kind": best.kind, "text": best.text, "sources": [s.title for s in best.sources]}
        out["features"] = {
            name: {
                "value": round(features.get(name, 0.0), 4),
                "weight": model.weights.get(name, 0.0),
                "contribution": round(model.weights.get(name, 0.0) * features.get(name, 0.0), 4),
            }
            for name in FEATURES
        }
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: print the explanation of each question given."""
    parser = argparse.ArgumentParser(prog="python -m knowledge.explain", description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="+")
    parser.add_argument("--kb", type=Path, default=Path("seeds"), help="knowledge directory (default: seeds)")
    args = parser.parse_args(argv)
    try:
        composer = load_snapshot(args.kb).composer
    except KnowledgeError as exc:  # (one message, not a traceback: as `innov check` says it)
        print(f"python -m knowledge.explain: {exc}", file=sys.stderr)
        return 1
    status = 0
    for question in args.question:
        try:
            print(json.dumps(explain(composer, question), indent=2, ensure_ascii=False))
        except QuestionError as exc:
            print(f"python -m knowledge.explain: {question[:80]!r}: {exc}", file=sys.stderr)
            status = 1
    return status


def _run() -> int:
    try:
        return main()
    except BrokenPipeError:
        # `python -m knowledge.explain ... | head`: the reader left. End quietly, as `innov` does; point
        # stdout at /dev/null so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(_run())
