"""A path setting set but empty (``NAME=`` in ``.env`` or the environment) means unset: its default."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_KNOWLEDGE_DIR, Settings
from tests.bot.test_cli_edges import innov


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_knowledge_dir_in_the_environment_is_the_default(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNOV_KNOWLEDGE_DIR", value)
    assert Settings(_env_file=None).innov_knowledge_dir == DEFAULT_KNOWLEDGE_DIR == Path("seeds")  # type: ignore[call-arg]


def test_an_empty_knowledge_dir_in_an_env_file_is_the_default_as_the_index_dir_and_model_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("INNOV_KNOWLEDGE_DIR", "INNOV_INDEX_DIR", "INNOV_EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("INNOV_KNOWLEDGE_DIR=\nINNOV_INDEX_DIR=\nINNOV_EMBEDDING_MODEL=\n")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.innov_knowledge_dir == DEFAULT_KNOWLEDGE_DIR
    assert settings.innov_index_dir is None and settings.innov_embedding_model is None


def test_innov_check_with_an_empty_knowledge_dir_checks_the_default_not_the_current_directory(
    tmp_path: Path,
) -> None:
    # (It read the checkout itself: "README.md:1: missing front matter".)
    done = innov("check", INNOV_KNOWLEDGE_DIR="", INNOV_INDEX_DIR=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(b"ok: 5 articles") and b"README.md" not in done.stdout
