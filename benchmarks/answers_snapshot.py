"""Every QA question's answer as ``innov ask --json`` gives it, written as one JSON file to diff.

A speed change must not change an answer: run this before and after and compare the files.

    python -m benchmarks.answers_snapshot OUT.json                    # seeds, every eval/*.json question
    python -m benchmarks.answers_snapshot OUT.json --corpus zipf 10000  # a benchmark corpus, its questions
    python -m benchmarks.answers_snapshot NEW.json --compare OLD.json   # exit 1 and list what differs

Each answer keeps ``kind``, ``text``, ``sources``, ``score`` (4 places) and the related facts offered
with a decline, keyed by its question.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def questions(corpus: tuple[str, int] | None) -> tuple[Path, list[str]]:
    """The knowledge directory and the questions to answer over it."""
    if corpus is None:
        found: list[str] = []
        for path in sorted((ROOT / "eval").glob("*.json")):
            items = json.loads(path.read_text(encoding="utf-8"))["items"]
            found.extend(str(item["q"]) for item in items)
        return ROOT / "seeds", list(dict.fromkeys(found))
    from benchmarks import corpora

    kind, size = corpus
    return corpora.knowledge_dir(kind, size), corpora.questions(kind, count=300)


def answers(directory: Path, asked: list[str]) -> dict[str, Any]:
    """Question -> its answer's JSON (the fields a user sees)."""
    from knowledge import load_snapshot

    with tempfile.TemporaryDirectory(prefix="innov-answers-") as index_dir:
        composer = load_snapshot(directory, index_dir=Path(index_dir)).composer
        out: dict[str, Any] = {}
        for question in asked:
            answer = composer.answer(question)
            shown = answer.to_json()
            out[question] = {
                "kind": shown["kind"],
                "text": shown["text"],
                "sources": shown["sources"],
                "score": shown["score"],
                "related": [[text, source.model_dump(mode="json")] for text, source in answer.related],
            }
    return out


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """One line per question whose answer differs (or that only one file has)."""
    lines = []
    for question in sorted(set(old) | set(new)):
        if old.get(question) != new.get(question):
            lines.append(f"{question!r}:\n  old {old.get(question)}\n  new {new.get(question)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--corpus", nargs=2, metavar=("KIND", "SIZE"), help="a benchmark corpus instead")
    parser.add_argument("--compare", type=Path, help="a snapshot to compare with")
    args = parser.parse_args(argv)
    corpus = (args.corpus[0], int(args.corpus[1])) if args.corpus else None
    directory, asked = questions(corpus)
    result = answers(directory, asked)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(result)} answers written to {args.out}")
    if args.compare is None:
        return 0
    diff = differences(json.loads(args.compare.read_text(encoding="utf-8")), result)
    print("\n".join(diff) or f"no differences from {args.compare}")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
