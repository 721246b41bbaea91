"""The explanation of a decision adds up to its probability."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from knowledge.base import load_snapshot
from knowledge.explain import explain, main


def test_contributions_add_up_to_the_probability(seeds_dir: Path) -> None:
    composer = load_snapshot(seeds_dir).composer
    out = explain(composer, "what is china's gii rank")
    assert out["answered"] is True
    assert "11th" in out["best"]["text"]
    logit = out["bias"] + sum(f["contribution"] for f in out["features"].values())
    assert math.isclose(1 / (1 + math.exp(-logit)), out["probability"], abs_tol=1e-3)


def test_a_declined_question_shows_its_understanding(seeds_dir: Path) -> None:
    out = explain(load_snapshot(seeds_dir).composer, "where does japan rank in the gii")
    assert out["answered"] is False
    assert ["japan"] in out["places"]


def test_command_line_prints_json(seeds_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["gii rank pls", "--kb", str(seeds_dir)]) == 0
    assert '"normalised": "gii rank"' in capsys.readouterr().out


def test_every_decline_says_which_gate_or_threshold_declined_it(seeds_dir: Path) -> None:
    composer = load_snapshot(seeds_dir).composer
    named = (
        "no candidate",
        "type:",
        "given:",
        "attribute:",
        "count:",
        "figure:",
        "restates:",
        "list:",
        "year:",
        "bare:",
        "meaning:",
        "unit:",
        "threshold:",
        "expansion:",
        "front matter:",
        "index:",
        "sector:",
        "first:",
        "most:",
        "negation:",
    )
    declined = 0
    for path in sorted((seeds_dir.parent / "eval").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
            decision = composer.decide(str(item["q"]))
            if decision.answer:
                assert decision.reason == "", item["q"]
            else:
                assert decision.reason.startswith(named), (item["q"], decision.reason)
                declined += 1
    assert declined > 100


def test_explain_prints_the_reason_of_a_decline_a_gate_made(seeds_dir: Path) -> None:
    composer = load_snapshot(seeds_dir).composer
    # Scored above the threshold, declined by a veto: the explanation names it.
    out = explain(composer, "who's the ceo of zhipu ai")
    assert out["answered"] is False and out["probability"] > composer.model.threshold
    # (The best candidate names WIPO's head, of something else: a passage saying more than the fact on
    # Zhipu AI and Kimi, which it keeps its place over.)
    assert out["declined because"] == "attribute: the best candidate says who heads it of something else"
    typed = explain(composer, "what year did the belt and road initiative launch")
    assert (
        typed["declined because"] == "type: the question asks for a year and the best candidate states none"
    )
    threshold = explain(composer, "anyone up for lunch at 12:30?")
    assert threshold["declined because"].startswith("threshold: probability 0.0")


def test_command_line_says_what_is_wrong_in_one_line(seeds_dir: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """An empty question or a missing knowledge directory ended in a traceback (the second attack run)."""
    assert main(["--kb", str(seeds_dir), "", "what is china's gii rank"]) == 1
    captured = capsys.readouterr()
    assert "the question is empty" in captured.err and "Traceback" not in captured.err
    assert '"11th"' in captured.out or "11th" in captured.out  # (the other question is still explained)
    assert main(["--kb", str(tmp_path / "none"), "x"]) == 1
    assert "knowledge directory not found" in capsys.readouterr().err


def test_a_reader_that_leaves_early_ends_the_output_quietly(seeds_dir: Path) -> None:
    """`python -m knowledge.explain ... | head` ended with a BrokenPipeError traceback (a new user's run)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "knowledge.explain", *(["gii rank"] * 200), "--kb", str(seeds_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=seeds_dir.parent,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"{")
    process.stdout.close()  # (200 explanations are far more than a pipe holds)
    assert process.wait(timeout=120) == 0
    stderr = process.stderr.read().decode()
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr[-2000:]
