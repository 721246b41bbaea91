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


def test_a_worker_s_metrics_file_being_created_fails_no_scrape_and_no_health_probe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """prometheus-client creates a worker's file, then sizes it: read in between, the empty file raised
    struct.error for the whole directory, and ``/healthz`` (which reads the problem count from it) answered
    500 while a second worker started (a CI run; prometheus/client_python#1199)."""
    from prometheus_client.mmap_dict import MmapedDict, mmap_key

    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    # One worker's file, as prometheus-client writes it: 3 problems in the knowledge files ...
    name = metrics.KNOWLEDGE_PROBLEMS_NAME
    written = MmapedDict(str(tmp_path / "gauge_livemostrecent_1001.db"))
    written.write_value(mmap_key(name, name, [], [], "problems"), 3.0, 1.0)
    written.close()
    # ... and another's, created this instant and not yet sized.
    (tmp_path / "gauge_livemostrecent_1002.db").write_bytes(b"")
    assert metrics.knowledge_problems(0) == 3
    assert b"innov_knowledge_problems 3.0" in metrics.render()
