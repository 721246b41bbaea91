"""``innov eval``'s options refused as a user would meet them (a second attack run), as real processes:
one clear line and exit 2, never a traceback or a run that cannot end."""

from __future__ import annotations

import json
import os
import resource
import subprocess
from pathlib import Path

import pytest

from tests.bot.test_cli_edges import INNOV, ROOT, env, innov


@pytest.mark.parametrize("option", ["--max-wrong", "--min-declined", "--min-answerable"])
@pytest.mark.parametrize("value", ["-1", "-3", "two", "1.5"])
def test_a_count_gate_takes_a_whole_number_of_0_or_more(option: str, value: str) -> None:
    # `--max-wrong -1` failed every run ("more than -1 wrong"), `--min-declined -3` passed every run.
    done = innov("eval", "eval/dev_qa.json", option, value)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and option in stderr and "Traceback" not in stderr
    assert not done.stdout  # refused at parse time: nothing was evaluated


def test_a_count_gate_of_0_is_taken() -> None:
    done = innov("eval", "eval/dev_qa.json", "--max-wrong", "0", "--min-declined", "0")
    assert done.returncode == 0, done.stderr
    assert b"gates passed: declined 4/4 (at least 0), wrong 0 (at most 0)" in done.stdout


@pytest.mark.parametrize("value", ["100000", "21", "1", "0", "-2", "five"])
def test_cv_outside_2_to_20_folds_is_refused_at_once(value: str) -> None:
    # `--cv 100000` refitted fold after empty fold for ever.
    done = innov("eval", "eval/dev_qa.json", "--cv", value)
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "argument --cv:" in stderr
    assert ("give 2 to 20 folds" if value != "five" else "not a whole number") in stderr
    assert not done.stdout and "Traceback" not in stderr


def test_cv_with_more_folds_than_questions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "three.json"
    path.write_text(json.dumps({"items": [{"q": f"question {n}", "abstain": True} for n in range(3)]}))
    done = innov("eval", str(path), "--cv", "4")
    assert done.returncode == 2 and not done.stdout
    assert done.stderr.decode() == "innov eval: --cv 4: 3 questions make at most 3 folds (each needs one)\n"


def test_fit_into_a_directory_is_refused_before_fitting(tmp_path: Path) -> None:
    # (An IsADirectoryError traceback, after the whole fit.)
    done = innov("eval", "eval/dev_qa.json", "--fit", str(tmp_path))
    assert done.returncode == 2 and not done.stdout
    assert done.stderr.decode() == (
        f"innov eval: cannot write {tmp_path}: it is a directory; give the model file's path, such as "
        f"{tmp_path / 'model.json'}\n"
    )


def test_fit_where_no_file_can_be_made_is_refused_before_fitting() -> None:
    # /proc takes no new file, not even from root (the tests may run as root, whom modes do not stop).
    done = innov("eval", "eval/dev_qa.json", "--fit", "/proc/innov-model.json")
    stderr = done.stderr.decode()
    assert done.returncode == 2 and not done.stdout and len(stderr.splitlines()) == 1
    assert stderr.startswith("innov eval: cannot write /proc/innov-model.json: cannot create a file in /proc")


def test_fit_into_a_fifo_is_refused_without_waiting_for_a_reader(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    done = innov("eval", "eval/dev_qa.json", "--fit", str(fifo))
    assert done.returncode == 2 and b"a FIFO, not a file" in done.stderr


@pytest.mark.parametrize("content", ["[]", '{"items": []}'])
@pytest.mark.parametrize("option", [[], ["--fit", "model.json"], ["--cv", "2"]])
def test_a_qa_file_with_no_questions_is_refused(tmp_path: Path, content: str, option: list[str]) -> None:
    # (`--fit` on an empty set: "TypeError: 'numpy.float64' object does not support item assignment"; a
    # plain eval of one passed, 0/0, exit 0, as if a gate had been met.)
    path = tmp_path / "empty.json"
    path.write_text(content)
    if option and option[0] == "--fit":
        option = ["--fit", str(tmp_path / option[1])]
    done = innov("eval", str(path), *option)
    assert done.returncode == 2 and not done.stdout
    assert done.stderr.decode() == f'innov eval: cannot read {path}: no questions: "items" is empty\n'
    assert not (tmp_path / "model.json").exists()


def test_an_expected_answer_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nulls.json"
    path.write_text('{"items": [{"q": "what is china\'s gii rank", "expect": [null]}]}')
    done = innov("eval", str(path))
    assert done.returncode == 2
    assert done.stderr.decode().endswith('item 1: "expect" must be a list of non-empty strings\n')


def test_fit_on_questions_with_no_candidate_at_all_says_there_is_nothing_to_fit_on(tmp_path: Path) -> None:
    # Every question is gibberish: no candidate, so no row to fit on (the same numpy traceback).
    path = tmp_path / "gibberish.json"
    path.write_text(json.dumps([{"q": "zzqx blorf vumple", "abstain": True}]))
    done = innov("eval", str(path), "--fit", str(tmp_path / "model.json"), INNOV_SEMANTIC="off")
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in stderr
    assert stderr == "innov eval: nothing to fit on: no question of 1 has a candidate answer to learn from\n"
    assert not (tmp_path / "model.json").exists()


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ('{"q": "china gii rank", "expect": []}', 'needs either "expect"'),  # passed whatever was answered
        ('{"q": "china gii rank"}', 'needs either "expect"'),
        ('{"q": "china gii rank", "abstain": "false"}', '"abstain" must be true or false'),  # read as true
        ('{"q": "china gii rank", "abstain": true, "expect": ["11th"]}', "not both"),
    ],
)
def test_an_item_that_cannot_fail_or_says_two_things_is_refused(tmp_path: Path, item: str, says: str) -> None:
    path = tmp_path / "items.json"
    path.write_text(f'{{"items": [{item}]}}')
    done = innov("eval", str(path))
    assert done.returncode == 2 and says in done.stderr.decode(), done.stderr


def test_fit_onto_a_full_device_says_so_in_one_line() -> None:
    # (An OSError traceback from write_text, after the whole fit: an attack run.)
    done = innov("eval", "eval/dev_qa.json", "--fit", "/dev/full")
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in stderr
    assert "innov eval: cannot write /dev/full: No space left on device\n" in stderr


def test_a_fit_that_cannot_be_written_whole_leaves_the_old_model_untouched(tmp_path: Path) -> None:
    """Written beside the target and renamed over it: a size limit hit mid-write left a truncated
    decision file, and every command then ended in a JSONDecodeError traceback (an attack run)."""
    target = tmp_path / "decision.json"
    old = (ROOT / "knowledge" / "decision.json").read_text(encoding="utf-8")
    target.write_text(old, encoding="utf-8")

    def limit() -> None:  # (in the child only: a file it writes stops at 1 KiB)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    done = subprocess.run(
        [*INNOV, "eval", "eval/dev_qa.json", "--fit", str(target)],
        capture_output=True,
        env=env(),
        cwd=ROOT,
        timeout=120,
        check=False,
        preexec_fn=limit,
    )
    stderr = done.stderr.decode()
    assert done.returncode == 2 and "Traceback" not in stderr, stderr
    assert f"innov eval: cannot write {target}: File too large" in stderr
    assert target.read_text(encoding="utf-8") == old
    assert [p.name for p in tmp_path.iterdir()] == ["decision.json"]  # (no half-written file left beside it)
