"""The ``innov`` command line (DESIGN.md's CLI contract)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from bot import logs
from bot.settings import Settings
from knowledge import Answer, KnowledgeBase, KnowledgeError, KnowledgeLoadError, QuestionError, Snapshot
from knowledge.evaluation import evaluate

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


def _format_answer(answer: Answer) -> str:
    """One line: the answer, then its sources."""
    if not answer.answered:
        return f"{answer.text} Try `innov rank` or ask about China's innovation ecosystem."
    cited = "; ".join(s.citation() for s in answer.sources)
    return f"{answer.text} (Source: {cited})"


def _load(settings: Settings) -> KnowledgeBase:
    from bot.services import open_knowledge

    return open_knowledge(settings)


def cmd_ask(settings: Settings, question: Sequence[str], as_json: bool, stdin: TextIO, out: TextIO) -> int:
    """Answer one question, or one per stdin line (blank lines skipped)."""
    snapshot = _load(settings).snapshot
    if question:
        return _ask_one(snapshot, " ".join(question), as_json, out)
    status = EXIT_OK
    for line in stdin:
        if line.strip():
            status = max(status, _ask_one(snapshot, line, as_json, out))
    return status


def _ask_one(snapshot: Snapshot, question: str, as_json: bool, out: TextIO) -> int:
    try:
        answer = snapshot.answer(question)
    except QuestionError as exc:
        if as_json:
            print(json.dumps({"question": question[:200], "error": str(exc)}, ensure_ascii=False), file=out)
        else:
            print(f"error: {exc}", file=out)
        return EXIT_FAIL
    print(json.dumps(answer.to_json(), ensure_ascii=False) if as_json else _format_answer(answer), file=out)
    return EXIT_OK


def cmd_rank(settings: Settings, as_json: bool, out: TextIO) -> int:
    """The ranking facts with their sources."""
    snapshot = _load(settings).snapshot
    facts = snapshot.ranking_facts()
    if as_json:
        rows = [
            {
                "id": f.id,
                "text": f.answer,
                "value": f.value,
                "unit": f.unit,
                "as_of": f.as_of,
                "sources": [snapshot.source_of(f).model_dump(mode="json")],
                "kb_version": snapshot.version,
            }
            for f in facts
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2), file=out)
    elif not facts:
        print(
            "No ranking facts in the knowledge base (mark facts with `rank: true` in facts.yaml).", file=out
        )
    else:
        for fact in facts:
            print(f"• {fact.answer} (Source: {snapshot.source_of(fact).citation()})", file=out)
    return EXIT_OK


def cmd_check(settings: Settings, out: TextIO) -> int:
    """Validate the knowledge directory: one ``file:line: message`` per problem.

    A good directory's index is saved on the way (``INNOV_INDEX_DIR``), so a deployment that runs
    ``innov check`` first never pays the cold build on its first start.
    """
    try:
        snapshot = _load(settings).snapshot
    except KnowledgeLoadError as exc:
        for problem in exc.problems:
            print(problem, file=out)
        return EXIT_FAIL
    print(
        f"ok: {len(snapshot.articles)} articles, {len(snapshot.passages)} passages, "
        f"{len(snapshot.facts)} facts (version {snapshot.version})",
        file=out,
    )
    return EXIT_OK


def cmd_eval(settings: Settings, path: Path, as_json: bool, min_accuracy: float, out: TextIO) -> int:
    """Run a QA file and print accuracy and abstention figures."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["items"] if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(i, dict) and "q" in i for i in items):
            raise ValueError("expected {'items': [{'q': ...}, ...]}")
    except (OSError, ValueError, KeyError) as exc:
        print(f"innov eval: cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = evaluate(_load(settings).snapshot, items)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2), file=out)
    else:
        a, b = report["answerable"], report["abstain"]
        print(f"accuracy: {report['correct']}/{report['total']} ({report['accuracy']:.1%})", file=out)
        print(
            f"answerable: {a['correct']}/{a['total']} correct, {a['answered']}/{a['total']} answered",
            file=out,
        )
        print(f"abstention: {b['correct']}/{b['total']} correctly declined", file=out)
        for failure in report["failures"]:
            got = failure.get("error") or f"[{failure['kind']}] {failure['text']}"
            print(f"FAIL {failure['q']!r}: got {got}", file=out)
    return EXIT_OK if report["accuracy"] >= min_accuracy else EXIT_FAIL


def cmd_reload(settings: Settings, out: TextIO, timeout: float = 60.0) -> int:
    """Validate the files here, ask every replica (through Redis) to reload, print each one's outcome.

    Exit 0 only when every replica reached answered and reloaded; 1 when the files are broken, Redis
    cannot be reached, a replica failed, or none answered within ``timeout`` seconds.
    """
    if not settings.redis_url:
        print(
            "innov reload: REDIS_URL is not set, so there is no fleet to reach; "
            "use `/innov reload` in Slack (or restart) to reload a single process.",
            file=sys.stderr,
        )
        return EXIT_FAIL
    try:
        # Validating here also saves the index: replicas that see INNOV_INDEX_DIR map it, no rebuild.
        version = _load(settings).version
    except KnowledgeLoadError as exc:
        for problem in exc.problems:
            print(problem, file=out)
        print("innov reload: the knowledge files are broken; no replica was asked to reload", file=sys.stderr)
        return EXIT_FAIL
    from bot.services import broadcast_reload
    from bot.store import StoreUnavailable

    try:
        reached, outcomes = broadcast_reload(settings, version=version, timeout=timeout)
    except StoreUnavailable as exc:
        print(f"innov reload: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if reached == 0:
        print(
            "innov reload: no replica is listening (is `innov serve` running with this REDIS_URL?)", file=out
        )
        return EXIT_FAIL
    status = EXIT_OK
    for outcome in sorted(outcomes, key=lambda o: str(o.get("replica"))):
        served = outcome.get("version")
        if outcome.get("ok") and served == version:
            print(
                f"{outcome['replica']}: ok, {outcome.get('old_version')} -> {served} "
                f"({outcome.get('seconds', 0):.2f} s)",
                file=out,
            )
            continue
        status = EXIT_FAIL
        if outcome.get("ok"):
            print(f"{outcome['replica']}: serves {served}, not {version} (its files differ)", file=out)
        else:
            problems = "; ".join(str(p) for p in outcome.get("problems") or []) or "unknown error"
            print(f"{outcome['replica']}: FAILED, still serving {served}: {problems}", file=out)
    missing = reached - len(outcomes)
    if missing > 0:
        status = EXIT_FAIL
        print(f"{missing} replica(s) did not answer within {timeout:g} s", file=out)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="innov", description="Short, sourced answers about China's innovation."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "serve", help="run the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)"
    )
    commands.add_parser("console", help="a local console that shows what Slack would show")
    ask = commands.add_parser("ask", help="answer a question (or one per stdin line)")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("question", nargs="*", help="the question; omit to read questions from stdin")
    rank = commands.add_parser("rank", help="the ranking facts")
    rank.add_argument("--json", action="store_true")
    commands.add_parser("check", help="validate the knowledge base")
    ev = commands.add_parser("eval", help="run a QA file and print accuracy and abstention")
    ev.add_argument("file", type=Path)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--min-accuracy", type=float, default=0.0, help="exit 1 below this accuracy (0..1)")
    reload = commands.add_parser(
        "reload", help="validate, ask every replica (through Redis) to reload, report"
    )
    reload.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the replicas")
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``innov`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"innov: bad setting: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return EXIT_USAGE
    server = args.command == "serve" or (args.command is None and settings.has_slack)
    logs.configure(settings.log_level, json_lines=server)
    try:
        match args.command:
            case "ask":
                return cmd_ask(settings, args.question, args.json, stdin, out)
            case "rank":
                return cmd_rank(settings, args.json, out)
            case "check":
                return cmd_check(settings, out)
            case "eval":
                return cmd_eval(settings, args.file, args.json, args.min_accuracy, out)
            case "reload":
                return cmd_reload(settings, out, args.timeout)
            case "serve":
                from bot.runner import serve

                serve(settings)
                return EXIT_OK
            case "console":
                return _console(settings, stdin, out)
            case _:
                if settings.has_slack:
                    from bot.runner import serve

                    serve(settings)
                    return EXIT_OK
                return _console(settings, stdin, out)
    except KnowledgeLoadError as exc:
        print(f"innov: the knowledge base did not load:\n{exc}", file=sys.stderr)
        return EXIT_FAIL
    except KnowledgeError as exc:
        print(f"innov: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return EXIT_FAIL


def _console(settings: Settings, stdin: TextIO, out: TextIO) -> int:
    from bot.console import run_console
    from bot.services import Services

    services = Services(settings)
    try:
        run_console(settings, services, stdin, out)
    finally:
        services.close()
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
