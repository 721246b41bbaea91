"""``innov eval``'s QA files and report: reading a file, the gates asked for, the figures and the misses.

With ``--verbose`` every miss is listed, and every decline says why (``Decision.reason``: the gate or
the threshold that declined), whether the question was to be declined or not.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from knowledge.evaluation import calibration
from knowledge.files import write_whole

MAX_QA_FILE_BYTES = 16 * 1024 * 1024
"""Largest QA file ``innov eval`` reads: the biggest set is 34 KB, and 16 MiB would hold some 100,000
questions. ``innov eval /dev/zero`` read 2 GB into memory before this bound."""


def _read_bounded(path: Path) -> bytes:
    """A regular file's bytes, at most ``MAX_QA_FILE_BYTES``; ``ValueError`` for anything else (a device
    such as ``/dev/zero``, a pipe, a socket) or a larger file, before it is read."""
    # Opened without blocking (a FIFO's open waits for a writer), then checked on what was opened.
    if os.path.isdir(path):
        raise ValueError("a directory: a QA file is a JSON file on disk")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file: a QA file is a JSON file on disk")
        too_large = ValueError(f"larger than {MAX_QA_FILE_BYTES // (1024 * 1024)} MiB: not a QA file")
        if info.st_size > MAX_QA_FILE_BYTES:
            raise too_large
        raw = file.read(MAX_QA_FILE_BYTES + 1)  # (a file still growing stops here too)
    if len(raw) > MAX_QA_FILE_BYTES:
        raise too_large
    return raw


def read_qa_file(path: Path) -> list[dict[str, object]]:
    """The items of a QA file (``{"items": [{"q": ..., "expect": [...], ...}]}`` or a bare list).

    Raises ``ValueError`` naming what is wrong: not a regular file or too large (``_read_bounded``), the
    JSON error with its line and column, or the first item that is not an object with a non-empty
    string ``q``.
    """
    try:
        data = json.loads(_read_bounded(path).decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except RecursionError:  # ``[[[[...]]]]`` past the interpreter's depth: no QA file nests so
        raise ValueError("not a QA file: JSON nested too deep") from None
    if isinstance(data, dict):
        if "items" not in data:
            raise ValueError('expected an object with "items": [{"q": "...", "expect": ["..."]}, ...]')
        data = data["items"]
    if not isinstance(data, list):
        raise ValueError(f'"items" must be a list of questions, not {type(data).__name__}')
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise ValueError(f'item {number} is {type(item).__name__}, not an object with a "q"')
        if not isinstance(item.get("q"), str) or not item["q"].strip():
            raise ValueError(f'item {number} has no question: "q" must be a non-empty string')
        for key in ("expect", "sources"):
            if key in item and (
                not isinstance(item[key], list)
                or not all(isinstance(s, str) and s.strip() for s in item[key])
            ):
                raise ValueError(f'item {number}: "{key}" must be a list of non-empty strings')
        abstain = item.get("abstain", False)
        if not isinstance(abstain, bool):
            raise ValueError(f'item {number}: "abstain" must be true or false')
        if abstain == bool(item.get("expect")):  # (an item with neither passes whatever is answered)
            raise ValueError(
                f'item {number} needs either "expect" (what a right answer holds) or "abstain": true, not '
                + ("both" if abstain else "neither")
            )
    if not data:
        raise ValueError('no questions: "items" is empty')
    return data


def fit_refusal(args: argparse.Namespace, items: Sequence[Mapping[str, Any]]) -> str | None:
    """Why ``--cv`` or ``--fit`` cannot be done on ``items``, in one line, before anything is loaded or
    fitted; None when they can (or were not asked for)."""
    if args.cv and args.cv > len(items):
        most = plural(len(items), "fold", "folds")
        return f"--cv {args.cv}: {plural(len(items), 'question', 'questions')} make at most {most} (each needs one)"
    return unwritable(args.fit) if args.fit else None


def unwritable(path: Path) -> str | None:
    """Why the model file ``path`` cannot be written, in one line; None when it can (a file is created
    and removed beside it to know: a directory's mode bits do not say for root or a read-only mount)."""
    if path.is_dir():
        return f"cannot write {path}: it is a directory; give the model file's path, such as {path / 'model.json'}"
    if path.exists() and stat.S_ISFIFO(path.stat().st_mode):
        return f"cannot write {path}: a FIFO, not a file (writing would wait for a reader)"
    if not path.parent.is_dir():
        return f"cannot write {path}: {path.parent} is not a directory"
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".innov-fit-"):
            pass
    except OSError as exc:
        return f"cannot write {path}: cannot create a file in {path.parent} ({exc.strerror or exc})"
    return None


def gates(args: argparse.Namespace, report: Mapping[str, Any]) -> list[tuple[bool, str, str]]:
    """The gates asked for on the command line: (whether it failed, why it failed, its figure)."""
    a, b = report["answerable"], report["abstain"]
    found = []
    if args.min_accuracy > 0:
        found.append(
            (
                report["accuracy"] < args.min_accuracy,
                f"accuracy below {args.min_accuracy}",
                f"accuracy {report['correct']}/{report['total']} (at least {args.min_accuracy:.0%})",
            )
        )
    if args.min_answerable is not None:
        found.append(
            (
                a["correct"] < args.min_answerable,
                f"answerable right below {args.min_answerable}",
                f"answerable right {a['correct']}/{a['total']} (at least {args.min_answerable})",
            )
        )
    if args.min_declined is not None:
        found.append(
            (
                b["correct"] < args.min_declined,
                f"declined below {args.min_declined}",
                f"declined {b['correct']}/{b['total']} (at least {args.min_declined})",
            )
        )
    if args.max_wrong is not None:
        found.append(
            (
                report["wrong"] > args.max_wrong,
                f"more than {args.max_wrong} wrong",
                f"wrong {report['wrong']} (at most {args.max_wrong})",
            )
        )
    return found


def print_report(
    report: Mapping[str, Any],
    checked: Sequence[tuple[bool, str, str]],
    verbose: bool,
    out: TextIO,
) -> None:
    """One QA file's figures; its misses when ``verbose`` or a gate in ``checked`` failed (else how many
    there are), and with ``verbose`` every decline's reason."""
    a, b = report["answerable"], report["abstain"]
    print(f"accuracy: {report['correct']}/{report['total']} ({report['accuracy']:.1%})", file=out)
    print(f"answerable: {a['correct']}/{a['total']} correct, {a['answered']}/{a['total']} answered", file=out)
    print(f"abstention: {b['correct']}/{b['total']} correctly declined", file=out)
    print(f"wrong answers: {report['wrong']}/{report['total']}", file=out)
    failed = any(missed for missed, _, _ in checked)
    # A passing gate prints its figures; the misses are listed when asked for, or when a gate fails.
    misses = report["failures"]
    if verbose or failed:
        for failure in misses:
            got = failure.get("error") or f"[{failure['kind']}] {failure['text']}"
            why = f" (declined: {failure['reason']})" if failure.get("reason") else ""
            print(f"FAIL {failure['q']!r}: got {got}{why}", file=out)
    elif misses:
        why = "the gates passed; " if checked else ""
        print(f"{plural(len(misses), 'miss', 'misses')} not listed ({why}--verbose lists them)", file=out)
    if verbose:
        # The questions declined as they should be, and why each was.
        for declined in report.get("declined", ()):
            print(f"declined {declined['q']!r}: {declined['reason']}", file=out)
    if checked and not failed:
        print(f"gates passed: {', '.join(figure for _, _, figure in checked)}", file=out)


def print_calibration(decisions: Sequence[Mapping[str, Any]], out: TextIO) -> None:
    """The reliability table of a run: confidence bucket -> share of best candidates that were right."""
    print("calibration (best candidate per question; bucket: n, mean confidence, share correct):", file=out)
    for row in calibration(decisions):
        share = "-" if row["share_correct"] is None else f"{row['share_correct']:.2f}"
        mean = "-" if row["mean_confidence"] is None else f"{row['mean_confidence']:.2f}"
        print(f"  {row['bucket']}: n={row['n']:3d}  confidence={mean}  correct={share}", file=out)


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def write_atomically(path: Path, text: str) -> None:
    """``text`` as the whole of ``path``, or ``path`` untouched: written beside it and renamed over it, so
    a full disk or a size limit mid-write never leaves a truncated decision file (every command reads it).
    A path that is not a regular file (``/dev/stdout``) is written in place: nothing can be renamed over it."""
    if path.exists() and not path.is_file():
        path.write_text(text, encoding="utf-8")
        return
    write_whole(path, lambda out: out.write(text.encode("utf-8")))
