"""``innov eval``'s options refused as a user would meet them (a second attack run), as real processes:
one clear line and exit 2, never a traceback or a run that cannot end."""

from __future__ import annotations

import pytest

from tests.bot.test_cli_edges import innov


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
