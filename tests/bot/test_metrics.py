"""The knowledge version gauge across reloads, in a single process and in a server's multiprocess mode."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from bot import metrics


def test_a_reload_in_multiprocess_mode_warns_of_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """prometheus-client cannot remove a label in multiprocess mode and warned ("Removal of labels has not
    been implemented in multi-process mode") on every reload of a served fleet (an attack run)."""
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        metrics.set_knowledge_version("aaaaaaaaaaaa")
        metrics.set_knowledge_version("bbbbbbbbbbbb")
    assert metrics.KNOWLEDGE_INFO.labels(version="aaaaaaaaaaaa")._value.get() == 0  # (not served: 0)
    assert metrics.KNOWLEDGE_INFO.labels(version="bbbbbbbbbbbb")._value.get() == 1


def test_a_reload_in_one_process_drops_the_old_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    metrics.set_knowledge_version("cccccccccccc")
    metrics.set_knowledge_version("dddddddddddd")
    shown = {s.labels["version"] for m in metrics.KNOWLEDGE_INFO.collect() for s in m.samples}
    assert "cccccccccccc" not in shown and "dddddddddddd" in shown
