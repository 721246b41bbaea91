"""The explanation of a decision adds up to its probability."""

from __future__ import annotations

import math
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
