"""The ``innov`` command line (DESIGN.md's CLI contract)."""

from __future__ import annotations

import argparse
import importlib.metadata
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from dotenv import load_dotenv
from pydantic import ValidationError

from bot import logs, qa
from bot.cli_args import MAX_CV_FOLDS, count, days, folds, fraction, seconds
from bot.settings import Settings
from knowledge import (
    MAX_QUESTION_CHARS,
    Answer,
    KnowledgeBase,
    KnowledgeError,
    KnowledgeLoadError,
    QuestionError,
    Snapshot,
    embedding,
)
from knowledge.curation import curation_warnings
from knowledge.evaluation import FitError, cross_validate, evaluate, fit_model
from knowledge.files import unread_near_misses

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2
STDIN_LINE_CHARS = MAX_QUESTION_CHARS + 2
"""Characters of a stdin line ``innov ask`` holds at once: a question at its longest, a line break, and
one more to tell a longer line (refused as too long, and never held whole)."""
STDIN_DROP_CHARS = 16 * 1024 * 1024
"""Characters of an over-long line read and dropped before ``innov ask`` stops reading stdin: a line with
no end (``< /dev/zero``) is refused, instead of being read for ever."""


def _format_answer(answer: Answer) -> str:
    """One line: the answer, then its sources."""
    if not answer.answered:
        line = f"{answer.text} Try `innov rank` or ask about China's innovation ecosystem."
        if answer.related:
            nearby = " | ".join(f"{text} (Source: {source.citation()})" for text, source in answer.related)
            line += f" Not the answer, but related: {nearby}"
        return line
    cited = "; ".join(s.citation() for s in answer.sources)
    return f"{answer.text} (Source: {cited})"


def _load(settings: Settings) -> KnowledgeBase:
    from bot.knowledge_loading import open_knowledge

    return open_knowledge(settings)


def cmd_ask(settings: Settings, question: Sequence[str], as_json: bool, stdin: TextIO, out: TextIO) -> int:
    """Answer one question, or one per stdin line (blank lines skipped)."""
    snapshot = _load(settings).snapshot
    if question:
        # An argument that is not UTF-8 reaches Python as lone surrogates ("gii \xff rank"), which the JSON
        # output would write back as the raw byte: read as U+FFFD, as stdin's are (the question check
        # refuses it as binary input, in valid UTF-8).
        asked = " ".join(question).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return _ask_one(snapshot, asked, as_json, out)
    if stdin is None:  # (`innov ask <&-`: no standard input at all)
        print("innov ask: no question given and no standard input to read questions from", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(stdin, io.TextIOWrapper):
        # Invalid UTF-8 becomes U+FFFD, which the question check refuses as binary input, line by line,
        # instead of a UnicodeDecodeError traceback that loses the questions after it.
        stdin.reconfigure(errors="replace")
    if stdin.isatty():
        print("innov ask: reading questions from stdin, one per line (Ctrl-D to end)", file=sys.stderr)
    status, seen = EXIT_OK, 0
    for raw, over in _bounded_lines(stdin):
        line = raw.rstrip("\r\n")  # (a refused line's JSON shows the question without its line break)
        seen += bool(over or line.strip())
        if over > STDIN_DROP_CHARS:
            error = (
                f"the question is too long (over {STDIN_DROP_CHARS:,} characters and no line break): ask in at "
                f"most {MAX_QUESTION_CHARS:,}; stopped reading stdin"
            )
            return max(status, _refuse(line, error, as_json, out))
        if over:
            error = f"the question is too long ({over:,} characters): ask in at most {MAX_QUESTION_CHARS:,}"
            status = max(status, _refuse(line, error, as_json, out))
        elif line.strip():
            status = max(status, _ask_one(snapshot, line, as_json, out))
    if not seen:  # (`innov ask < /dev/null` printed nothing and exited 0: nothing was asked)
        print("innov ask: no question given, and standard input held none", file=sys.stderr)
    return status if seen else EXIT_USAGE


def _bounded_lines(stdin: TextIO) -> Iterator[tuple[str, int]]:
    """stdin's lines, each read ``STDIN_LINE_CHARS`` at a time at most: ``(line, 0)``, or, for a line
    longer than that, ``(its start, how many characters it had)``, the rest read and dropped piece by
    piece, up to ``STDIN_DROP_CHARS`` (past that, the count so far: ``innov ask < /dev/zero`` never ends
    its line). ``for line in stdin`` held a whole line first: that took 2.4 GB in 10 s."""
    while line := stdin.readline(STDIN_LINE_CHARS):
        if len(line) < STDIN_LINE_CHARS or line.endswith("\n"):
            yield line, 0
            continue
        seen = len(line)
        rest = ""
        while (
            seen <= STDIN_DROP_CHARS
            and (rest := stdin.readline(STDIN_LINE_CHARS))
            and not rest.endswith("\n")
        ):
            seen += len(rest)
        yield line, seen + len(rest.rstrip("\n"))


def _refuse(question: str, error: str, as_json: bool, out: TextIO) -> int:
    if as_json:
        print(json.dumps({"question": question[:200], "error": error}, ensure_ascii=False), file=out)
    else:
        print(f"error: {error}", file=out)
    return EXIT_FAIL


def _ask_one(snapshot: Snapshot, question: str, as_json: bool, out: TextIO) -> int:
    try:
        answer = snapshot.answer(question)
    except QuestionError as exc:
        return _refuse(question, str(exc), as_json, out)
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
                "text": f.shown,
                "value": f.value,
                "unit": f.unit,
                "as_of": f.as_of,
                "sources": [s.model_dump(mode="json") for s in snapshot.sources_for(f)],
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
            cited = "; ".join(s.citation() for s in snapshot.sources_for(fact))
            print(
                f"• {fact.shown} (Sources: {cited})" if ";" in cited else f"• {fact.shown} (Source: {cited})",
                file=out,
            )
    return EXIT_OK


def cmd_check(settings: Settings, out: TextIO) -> int:
    """Validate the knowledge directory: one ``file:line: message`` per problem.

    A good directory's index is saved on the way (``INNOV_INDEX_DIR``), so a deployment that runs
    ``innov check`` first never pays the cold build on its first start.
    """
    # Files not read though they look meant to be (facts.yml, x.markdown): they may be why it fails.
    unread = unread_near_misses(settings.innov_knowledge_dir)
    try:
        snapshot = _load(settings).snapshot
    except KnowledgeLoadError as exc:
        for problem in exc.problems:
            print(problem, file=out)
        for warning in unread:
            print(f"warning: {warning}", file=out)
        return EXIT_FAIL
    print(
        f"ok: {len(snapshot.articles)} articles, {len(snapshot.passages)} passages, "
        f"{len(snapshot.facts)} facts (version {snapshot.version})",
        file=out,
    )
    print(f"semantic: {snapshot.composer.semantic}", file=out)
    status = embedding.semantic_status()
    if not status.enabled:
        print(f"  why: {status.detail}", file=out)
    for warning in [*unread, *curation_warnings(snapshot)]:
        print(f"warning: {warning}", file=out)
    return EXIT_OK


def cmd_eval(settings: Settings, paths: Sequence[Path], args: argparse.Namespace, out: TextIO) -> int:
    """Run QA files and print accuracy, abstention and wrong-answer figures (and gate on them)."""
    sets = []
    for path in paths:
        try:
            sets.append((path, qa.read_qa_file(path)))
        except (OSError, ValueError) as exc:
            print(f"innov eval: cannot read {path}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    everything = [item for _, items in sets for item in items]
    if (refusal := qa.fit_refusal(args, everything)) is not None:
        print(f"innov eval: {refusal}", file=sys.stderr)
        return EXIT_USAGE
    snapshot = _load(settings).snapshot
    try:
        if args.cv:
            # Held-out figures of the fit: each fold answered by a model fitted on the other folds.
            t = cross_validate(snapshot, everything, args.cv)
            print(
                f"{args.cv}-fold cross-validation of the fit: answerable {t['right']}/{t['answerable']} "
                f"right, declined {t['declined']}/{t['abstain']}, wrong {t['wrong']}/{t['total']}",
                file=out,
            )
        if args.fit:
            # Fit first, then report the figures of the fitted model.
            model, snapshot = fit_model(snapshot, everything)
            try:
                qa.write_atomically(args.fit, json.dumps(model.to_json(), indent=2) + "\n")
            except OSError as exc:
                print(f"innov eval: cannot write {args.fit}: {exc.strerror or exc}", file=sys.stderr)
                return EXIT_USAGE
            print(
                f"fitted on {len(everything)} questions; threshold {model.threshold:.2f}; wrote {args.fit}",
                file=out,
            )
    except FitError as exc:
        print(f"innov eval: {exc}", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    decisions: list[dict[str, object]] = []
    for path, items in sets:
        report = evaluate(snapshot, items)
        decisions.extend(report["decisions"])
        checked = qa.gates(args, report)
        for missed, why, _ in checked:
            if missed:
                print(f"innov eval: {path}: {why}", file=sys.stderr)
                status = EXIT_FAIL
        if args.json:
            report = {k: v for k, v in report.items() if k != "decisions"}
            print(json.dumps({"file": str(path), **report}, ensure_ascii=False, indent=2), file=out)
            continue
        if len(sets) > 1:
            print(f"== {path}", file=out)
        qa.print_report(report, checked, args.verbose, out)
    if args.calibration:
        qa.print_calibration(decisions, out)
    return status


def _version() -> str:
    try:
        return importlib.metadata.version("innov")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout without installing
        return "unknown"


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
    if (database := _redis_database_problem(settings.redis_url)) is not None:
        print(f"innov reload: {database}", file=sys.stderr)
        return EXIT_USAGE
    unread = [f"warning: {w}" for w in unread_near_misses(settings.innov_knowledge_dir)]
    try:
        # Validating here also saves the index: replicas that see INNOV_INDEX_DIR map it, no rebuild.
        version = _load(settings).version
    except KnowledgeLoadError as exc:
        print(*exc.problems, *unread, sep="\n", file=out)
        print("innov reload: the knowledge files are broken; no replica was asked to reload", file=sys.stderr)
        return EXIT_FAIL
    if unread:
        print(*unread, sep="\n", file=out)
    from bot.fleet import broadcast_reload
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


SETTINGS_HELP = (
    "Settings (Slack credentials, REDIS_URL, INNOV_KNOWLEDGE_DIR, ...) come from the environment or a .env "
    'file in the current directory: each one is described in README.md, "Configuration", and in '
    ".env.example."
)


def build_parser() -> argparse.ArgumentParser:
    """The ``innov`` parser; each subcommand's parser is its namespace's ``command_parser`` (for errors)."""
    parser = argparse.ArgumentParser(
        prog="innov", description="Short, sourced answers about China's innovation.", epilog=SETTINGS_HELP
    )
    parser.add_argument("--version", action="version", version=f"innov {_version()}")
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
    feedback = commands.add_parser(
        "feedback", help="the curator queue: declined questions and answers with 👎 (from Redis)"
    )
    feedback.add_argument("--json", action="store_true", help="one JSON object")
    feedback.add_argument(
        "--since", type=days, metavar="DAYS", help="only the last DAYS days (default: all kept)"
    )
    commands.add_parser("check", help="validate the knowledge base")
    ev = commands.add_parser("eval", help="run a QA file and print accuracy and abstention")
    ev.add_argument("file", type=Path, nargs="+", help="one or more QA files")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--min-accuracy", type=fraction, default=0.0, help="exit 1 below this accuracy (0..1)")
    ev.add_argument("--min-answerable", type=count, help="exit 1 if fewer answerable items are right")
    ev.add_argument("--min-declined", type=count, help="exit 1 if fewer abstain items are declined")
    ev.add_argument("--max-wrong", type=count, help="exit 1 if more answers are wrong")
    ev.add_argument("--calibration", action="store_true", help="print the reliability table")
    ev.add_argument(
        "--verbose",
        action="store_true",
        help="list every miss (otherwise only when a gate fails) and why each question was declined",
    )
    ev.add_argument(
        "--fit",
        type=Path,
        metavar="PATH",
        help="refit the ranking and the answer decision and write them to PATH",
    )
    ev.add_argument(
        "--cv",
        type=folds,
        metavar="K",
        help=f"first print K-fold cross-validated figures of the fit (K from 2 to {MAX_CV_FOLDS})",
    )
    reload = commands.add_parser(
        "reload", help="validate, ask every replica (through Redis) to reload, report"
    )
    reload.add_argument("--timeout", type=seconds, default=60.0, help="seconds to wait for the replicas")
    # (`/innov help` is what Slack users type: `innov help` prints this help rather than an error.)
    commands.add_parser("help", help="this help")
    for sub in commands.choices.values():
        sub.set_defaults(command_parser=sub)
    return parser


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line's arguments. An option the subcommand does not take is reported with that
    subcommand's usage (argparse leaves unrecognised arguments to the top-level parser)."""
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``innov`` console script; returns the exit code."""
    try:
        return _main(argv, stdin, out)
    except BrokenPipeError:
        # `innov rank --json | head`: the reader left. End quietly, as head's other writers do; point
        # stdout at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _show_progress(done: int, total: int) -> None:
    end = "\n" if done >= total else ""
    print(f"\rembedding the knowledge base: {done}/{total} sentences", end=end, file=sys.stderr, flush=True)


def _main(argv: Sequence[str] | None, stdin: TextIO | None, out: TextIO | None) -> int:
    args = parse_arguments(argv)
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    if args.command == "help":
        build_parser().print_help(out)
        return EXIT_OK
    # `.env` for what is read from the environment outside ``Settings`` too (HOST, WEB_CONCURRENCY,
    # INNOV_VECTOR_DIR, and the build's child process): the environment itself wins over the file.
    load_dotenv(Path(".env"), override=False)
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"innov: {setting_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    server = args.command == "serve" or (args.command is None and settings.has_slack)
    console = args.command == "console" or (args.command is None and not settings.has_slack)
    # The console's log shares its terminal with the transcript: only warnings, unless LOG_LEVEL says.
    level = "WARNING" if console and "log_level" not in settings.model_fields_set else settings.log_level
    logs.configure(level, json_lines=server)
    if not server and sys.stderr.isatty():
        # A first build embeds every sentence (seconds on the seeds, minutes at 10k passages): say how far.
        embedding.set_build_progress(_show_progress)
    try:
        match args.command:
            case "ask":
                return cmd_ask(settings, args.question, args.json, stdin, out)
            case "rank":
                return cmd_rank(settings, args.json, out)
            case "feedback":
                return cmd_feedback(settings, args.json, args.since, out)
            case "check":
                return cmd_check(settings, out)
            case "eval":
                return cmd_eval(settings, args.file, args, out)
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


def _redis_database_problem(url: str) -> str | None:
    """``REDIS_URL`` names a database its server does not have (one line), else None."""
    from bot.redis_store import database_problem

    return database_problem(url)


def setting_error(exc: ValidationError) -> str:
    """The first bad setting, in one line that names it as it is set (``REDIS_URL``, not ``redis_url``),
    without pydantic's "Value error," prefix; its value is never shown (it may be a secret)."""
    error = exc.errors()[0]
    name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message if message.startswith(name) else f"{name}: {message}"


def _console(settings: Settings, stdin: TextIO, out: TextIO) -> int:
    from bot.console import run_console
    from bot.knowledge_loading import open_knowledge_or_last_good
    from bot.services import Services

    if settings.redis_url is not None:
        from bot.redis_store import database_problem

        if (problem := database_problem(settings.redis_url)) is not None:
            print(f"innov console: {problem}", file=sys.stderr)  # (as `innov serve` refuses it)
            return EXIT_USAGE
    if stdin.isatty() and out.isatty():
        # On a terminal, log lines would land between the replies: they go to a file instead.
        log_path = Path(tempfile.gettempdir()) / f"innov-console-{os.getuid()}.log"
        logs.configure_file(settings.log_level, log_path)
        print(f"(logs: {log_path})", file=out)
    # Like a server, the console answers from the last good saved index while the files are broken,
    # and says so (`innov ask` and `innov check` fail instead: they are how a curator checks an edit).
    kb, problems = open_knowledge_or_last_good(settings)
    if problems is not None:
        print(
            f"innov: the knowledge files do not load; answering from the last good saved index {kb.version} "
            f"until they do:\n{problems}",
            file=sys.stderr,
        )
    services = Services(settings, kb=kb)
    try:
        run_console(settings, services, stdin, out)
    finally:
        services.close()
    return EXIT_OK


def cmd_feedback(settings: Settings, as_json: bool, since_days: float | None, out: TextIO) -> int:
    """Print the curator queue kept in Redis: declined questions (count, last asked), then disliked answers."""
    import datetime as dt
    import time

    from bot.feedback import REASONS, Feedback, one_line
    from bot.redis_store import RedisStore

    if since_days is not None and since_days <= 0:
        print("innov feedback: --since takes a positive number of days", file=sys.stderr)
        return EXIT_USAGE
    if not settings.redis_url:
        print(
            "innov feedback: REDIS_URL is not set; without Redis, feedback lives in the bot process's memory "
            "only: see it with `/innov stats` or on the App Home tab.",
            file=sys.stderr,
        )
        return EXIT_FAIL
    if (problem := _redis_database_problem(settings.redis_url)) is not None:
        print(f"innov feedback: {problem}", file=sys.stderr)
        return EXIT_USAGE
    store = RedisStore(settings.redis_url, timeout=2.0)
    try:
        if not store.ping():
            print(f"innov feedback: Redis at {store.where} is unreachable", file=sys.stderr)
            return EXIT_FAIL
        since = time.time() - since_days * 86400 if since_days is not None else None
        queue = Feedback(store, enabled=settings.innov_feedback).queue(since=since, limit=1000)
    finally:
        store.close()
    if as_json:
        print(json.dumps(queue.to_json(), ensure_ascii=False), file=out)
        return EXIT_OK

    def when(at: float) -> str:
        return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")

    scope = f"the last {since_days:g} days" if since_days is not None else "everything kept (90 days)"
    print(
        f"Curator queue, {scope}{'' if queue.enabled else ' (INNOV_FEEDBACK=off: nothing new is recorded)'}",
        file=out,
    )
    # What users typed is printed on one line each (line breaks as ␤): a note cannot print queue lines.
    print(f"Declined questions ({len(queue.declined)}):", file=out)
    for d in queue.declined:
        print(
            f"  {d.count:>4}x  {one_line(d.example)}  (last asked {when(d.last_asked)}, version {d.kb_version})",
            file=out,
        )
    print(f"Answers with 👎 ({len(queue.disliked)}):", file=out)
    for a in queue.disliked:
        reasons = ", ".join(f"{REASONS.get(r, r).lower()} {n}" for r, n in sorted(a.reasons.items()))
        what = one_line(f"{a.answer.kind} {a.answer.ref}".strip())
        print(
            f"  👎 {a.down} 👍 {a.up}  [{what}] {one_line(a.answer.question)}  (version {a.answer.kb_version})",
            file=out,
        )
        if reasons:
            print(f"      reasons: {reasons}", file=out)
        for note in a.notes:
            print(f"      note: {one_line(note)}", file=out)
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
