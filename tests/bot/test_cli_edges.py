"""The rough edges of ``innov`` a new user hit (issue 10, section 8), run as real processes."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INNOV = [sys.executable, "-c", "from bot.cli import main; raise SystemExit(main())"]


def env(**values: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "INNOV_", "REDIS_URL", "LOG_LEVEL"))
    }
    return {**clean, "PYTHONPATH": str(ROOT), "INNOV_KNOWLEDGE_DIR": str(ROOT / "seeds"), **values}


def innov(*args: str, stdin: bytes = b"", **values: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*INNOV, *args],
        input=stdin,
        capture_output=True,
        env=env(**values),
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_a_reader_that_leaves_early_ends_the_output_quietly() -> None:
    # Far more output than a pipe holds, read one line, then the reader goes (as `| head -1` does).
    process = subprocess.Popen(
        [*INNOV, "ask", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env(),
        cwd=ROOT,
    )
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError):  # innov stops reading once its output is gone
            process.stdin.write(b"what is china's gii rank\n" * 3000)  # type: ignore[union-attr]
            process.stdin.close()  # type: ignore[union-attr]

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    assert process.stdout.readline().startswith(b"{")
    process.stdout.close()
    assert process.wait(timeout=60) == 0
    writer.join(timeout=5)
    stderr = process.stderr.read().decode()
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_version() -> None:
    done = innov("--version")
    assert done.returncode == 0 and done.stdout.decode().startswith("innov ")


def test_help_as_a_command_prints_the_help() -> None:
    """`/innov help` is what Slack users know: `innov help` prints the commands, not an error."""
    done = innov("help")
    shown = done.stdout.decode()
    assert done.returncode == 0, done.stderr
    assert shown.startswith("usage: innov") and "ask" in shown and "reload" in shown


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"items": [', "not JSON: Expecting value at line 1"),
        (b'{"questions": []}', '"items"'),
        (b'{"items": [{"q": "gii rank", "expect": ["11th"]}, {"question": "x"}]}', "item 2 has no question"),
        (b'{"items": [{"q": "gii rank", "expect": "11th"}]}', 'item 1: "expect" must be a list'),
        (b"\xff\xfe", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deep"),  # (a RecursionError traceback)
    ],
)
def test_eval_names_what_is_wrong_with_a_malformed_file(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "qa.json"
    path.write_bytes(content)
    done = innov("eval", str(path))
    assert done.returncode == 2
    stderr = done.stderr.decode()
    assert says in stderr and "Traceback" not in stderr and len(stderr.splitlines()) == 1


@pytest.mark.parametrize("value", ["1.5", "-0.1", "90", "abc"])
def test_min_accuracy_outside_0_to_1_is_refused(value: str) -> None:
    done = innov("eval", "eval/dev_qa.json", "--min-accuracy", value)
    assert done.returncode == 2 and b"--min-accuracy" in done.stderr


def test_invalid_utf8_on_stdin_gets_the_binary_input_error_and_the_rest_are_answered() -> None:
    done = innov("ask", stdin=b"what is china's gii rank\n\xff\xfe\xfd\nwhat is china's gii rank\n")
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 1
    assert len(lines) == 3 and "binary data" in lines[1] and "11th" in lines[0] and "11th" in lines[2]
    assert b"Traceback" not in done.stderr


def test_a_refused_stdin_line_is_echoed_without_its_line_break() -> None:
    done = innov("ask", "--json", stdin=b"\xff\xfe bad utf8\n")
    assert json.loads(done.stdout.decode().splitlines()[0])["question"] == "\ufffd\ufffd bad utf8"


@pytest.mark.parametrize("stdin", [b"", b"\n  \n\n"])
def test_ask_with_nothing_on_stdin_says_nothing_was_asked(stdin: bytes) -> None:
    # `innov ask < /dev/null` printed nothing and exited 0, as if every question had been answered.
    done = innov("ask", stdin=stdin)
    assert done.returncode == 2 and done.stdout == b""
    assert b"no question given" in done.stderr and b"Traceback" not in done.stderr


def test_ask_on_a_terminal_says_it_reads_stdin() -> None:
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [*INNOV, "ask"], stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(), cwd=ROOT
    )
    os.close(secondary)
    try:
        time.sleep(0.2)
        os.write(primary, b"\x04")  # Ctrl-D at the start of a line: end of input
        _, stderr = process.communicate(timeout=60)
    finally:
        os.close(primary)
    assert b"reading questions from stdin" in stderr


def test_a_malformed_redis_url_is_one_clear_line() -> None:
    done = innov("check", REDIS_URL="localhost:6379")
    stderr = done.stderr.decode()
    assert done.returncode == 2 and len(stderr.splitlines()) == 1
    assert "REDIS_URL must look like redis://" in stderr


def test_an_unknown_log_level_is_one_clear_line() -> None:
    done = innov("check", LOG_LEVEL="LOUD")
    stderr = done.stderr.decode()
    assert done.returncode == 2 and len(stderr.splitlines()) == 1
    assert "LOG_LEVEL" in stderr and "DEBUG, INFO, WARNING" in stderr
    assert "Value error" not in stderr


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis://127.0.0.1:6379/abc", "the database"),
        ("redis://127.0.0.1:6379/-1", "the database"),
        ("redis://127.0.0.1:6379/1/2", "the database"),
        ("redis://127.0.0.1:6379/0?db=x", "the database"),
        ("unix:///run/redis.sock?db=two", "the database"),
        ("redis://127.0.0.1:abc/0", "the port"),
        ("redis://127.0.0.1:99999/0", "the port"),
        ("localhost:6379", "must look like redis://"),
    ],
)
def test_a_mistyped_redis_url_is_refused_in_one_line_naming_the_setting(url: str, says: str) -> None:
    # redis-py would read a database it cannot parse as database 0: the curator queue would look empty.
    done = innov("feedback", REDIS_URL=url)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("innov: REDIS_URL") and says in stderr
    assert "Value error" not in stderr and "bad setting: redis_url" not in stderr


def test_a_test_redis_that_is_down_stops_the_suite_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/bot/test_store.py"],
        capture_output=True,
        env={**env(), "INNOV_TEST_REDIS_URL": "redis://127.0.0.1:1/0"},
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    output = (done.stdout + done.stderr).decode()
    assert done.returncode == 3, output
    assert "INNOV_TEST_REDIS_URL=redis://127.0.0.1:1/0 does not answer" in output
    assert "failed" not in output and time.monotonic() - started < 30


def test_a_subcommand_s_unknown_option_prints_that_subcommand_s_usage() -> None:
    done = innov("ask", "--bogus", "hi")
    stderr = done.stderr.decode()
    assert done.returncode == 2
    assert stderr.startswith("usage: innov ask [-h] [--json]"), stderr
    assert "innov ask: error: unrecognized arguments: --bogus" in stderr
    done = innov("eval", "eval/dev_qa.json", "--min-acuracy", "1")
    assert done.stderr.decode().startswith("usage: innov eval") and done.returncode == 2


def test_help_names_where_the_settings_are_documented() -> None:
    done = innov("--help")
    stdout = done.stdout.decode()
    assert done.returncode == 0
    assert "README.md" in stdout and '"Configuration"' in stdout and ".env.example" in stdout


@pytest.mark.parametrize("argument", [b"gii rank \xed\xa0\x80", b"\xff"])
def test_an_argument_that_is_not_utf8_gets_the_binary_input_error(argument: bytes) -> None:
    # Python keeps an argument's undecodable bytes as lone surrogates (U+DC80-U+DCFF).
    done = subprocess.run(
        [*(os.fsencode(a) for a in INNOV), b"ask", argument],
        capture_output=True,
        env=env(),
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert b"binary data or control characters" in done.stdout and b"Traceback" not in done.stderr


def test_an_over_long_stdin_line_is_refused_and_the_next_one_answered() -> None:
    done = innov("ask", stdin=b"x" * 5_000_000 + b"\nwhat is china's gii rank\n")
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 1 and len(lines) == 2
    assert lines[0] == "error: the question is too long (5,000,000 characters): ask in at most 2,000"
    assert "11th" in lines[1] and b"Traceback" not in done.stderr


def test_ask_reading_an_endless_line_refuses_it_and_stops() -> None:
    # `innov ask < /dev/zero` held the whole line (2.4 GB in 10 s); then, read with a bound, it dropped the
    # line piece by piece for ever, waiting for a line break. Now it refuses past STDIN_DROP_CHARS and ends.
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            [*INNOV, "ask"], stdin=zero, capture_output=True, env=env(), cwd=ROOT, timeout=120, check=False
        )
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stdout.decode().splitlines() == [
        "error: the question is too long (over 16,777,216 characters and no line break): ask in at most 2,000;"
        " stopped reading stdin"
    ]
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null"])
def test_eval_refuses_a_file_that_is_not_a_regular_file(path: str) -> None:
    done = innov("eval", path)
    assert done.returncode == 2
    assert b"not a regular file" in done.stderr and b"Traceback" not in done.stderr


def test_eval_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    # Opening a FIFO blocks until a writer comes: `innov eval` on one hung for ever (second attack run).
    fifo = tmp_path / "questions.json"
    os.mkfifo(fifo)
    done = innov("eval", str(fifo))  # (in a subprocess with a timeout: a regression hangs, not the suite)
    assert done.returncode == 2
    assert b"not a regular file" in done.stderr and b"Traceback" not in done.stderr


def test_eval_refuses_a_file_over_the_bound_unread(tmp_path: Path) -> None:
    from bot import qa

    path = tmp_path / "big.json"
    with path.open("wb") as file:
        file.truncate(qa.MAX_QA_FILE_BYTES + 1)  # sparse: no disk, and not read
    done = innov("eval", str(path))
    assert done.returncode == 2 and b"larger than 16 MiB" in done.stderr


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "0", "abc"])
def test_a_reload_timeout_that_is_not_a_positive_number_of_seconds_is_refused(value: str) -> None:
    done = innov("reload", "--timeout", value)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "--timeout" in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()[-1]) < 200


def test_eval_of_a_directory_says_so(tmp_path: Path) -> None:
    done = innov("eval", str(tmp_path))
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "a directory" in stderr and "Errno" not in stderr


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "0", "-3", "soon", "1e308", "1e6"])
def test_feedback_since_is_a_number_of_days_above_0(value: str) -> None:
    # (1e308 printed "since": -Infinity, which is not JSON; 1e6 a negative epoch: an attack run.)
    done = innov("feedback", "--since", value)
    assert done.returncode == 2 and b"--since" in done.stderr and b"Traceback" not in done.stderr


def test_ask_with_no_standard_input_at_all_says_so() -> None:
    done = subprocess.run(
        [*INNOV, "ask"],
        stdin=None,
        capture_output=True,
        env=env(),
        cwd=ROOT,
        timeout=60,
        close_fds=True,
        preexec_fn=lambda: os.close(0),
    )
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "no standard input" in stderr and "Traceback" not in stderr


def test_a_piped_console_keeps_info_lines_out_of_its_transcript() -> None:
    """A console fed from a pipe logs warnings only unless LOG_LEVEL is set (a vote's INFO line landed
    in a new user's transcript)."""
    lines = b"/innov what is china's gii rank\nup\nquit\n"
    quiet = innov("console", stdin=lines)
    assert quiet.returncode == 0 and "11th" in quiet.stdout.decode()
    assert " INFO " not in quiet.stderr.decode(), quiet.stderr.decode()
    chatty = innov("console", stdin=lines, LOG_LEVEL="INFO")
    assert " INFO " in chatty.stderr.decode()


def test_a_question_argument_that_is_not_utf8_gets_json_that_is() -> None:
    """`innov ask --json "gii \\xff rank"` wrote the raw 0xFF byte back inside its JSON (an attack run)."""
    done = subprocess.run(
        [*INNOV, "ask", "--json", os.fsdecode(b"gii \xff rank")],
        capture_output=True,
        env=env(),
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    reply = json.loads(done.stdout.decode("utf-8"))  # (strict: a stray byte raises here)
    assert reply["question"] == "gii \ufffd rank" and "binary data" in reply["error"]
