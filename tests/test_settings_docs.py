"""Where settings are documented: the README's settings table and ``.env.example`` match what innov reads."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

GUNICORN_SETTINGS = {"WEB_CONCURRENCY", "HOST"}
"""Read from the environment by the runner, not by ``Settings``."""
ENVIRONMENT_ONLY = {
    "INNOV_VECTOR_DIR": "knowledge/semantic.py",
    "INNOV_MODEL_CACHE": "knowledge/derived_model.py",
}
"""Read from the environment by the module named (a build's child process inherits it), not by ``Settings``."""


def readme_settings_rows() -> list[list[str]]:
    """The variables named in each row of the README's settings table (section "Configuration")."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = line.split("|")[1]
        rows.append(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return rows


def test_the_readme_settings_table_lists_each_setting_once() -> None:
    named = [name for row in readme_settings_rows() for name in row]
    duplicates = sorted({name for name in named if named.count(name) > 1})
    assert duplicates == [], f"listed in more than one row of README's settings table: {duplicates}"
    expected = {name.upper() for name in Settings.model_fields} | GUNICORN_SETTINGS | set(ENVIRONMENT_ONLY)
    assert set(named) == expected


def test_the_settings_read_outside_settings_are_still_read_there() -> None:
    for name, module in ENVIRONMENT_ONLY.items():
        assert f'os.environ.get("{name}")' in (ROOT / module).read_text(encoding="utf-8"), (name, module)
    runner = (ROOT / "bot" / "runner.py").read_text(encoding="utf-8")
    for name in GUNICORN_SETTINGS:
        assert f"os.environ.get('{name}'" in runner or f'os.environ.get("{name}"' in runner, name


def test_env_example_names_every_setting() -> None:
    """Each setting appears in ``.env.example``, set (``NAME=``) or, where an empty value would mean
    something else, as a commented example (``# NAME=``)."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    expected = {name.upper() for name in Settings.model_fields} | GUNICORN_SETTINGS | set(ENVIRONMENT_ONLY)
    assert expected - named == set()


def compose_v1_values(text: str) -> dict[str, str]:
    """``.env`` as docker-compose 1.x reads an ``env_file``: python-dotenv 0.x's ``dotenv_values`` (compose
    1.29 pins ``python-dotenv<1``), whose unquoted value is the rest of the line after ``=`` and its
    spaces, cut at the first ``#`` that follows whitespace. So ``KEY=   # note`` is the value ``# note``:
    the spaces before the ``#`` were taken with the ``=``."""
    values = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = re.fullmatch(r"(?:export\s+)?([^=#\s]+)\s*=[ \t]*(.*)", stripped)
        assert match is not None, f"compose would not read this line: {line!r}"
        key, rest = match.groups()
        if rest[:1] in ("'", '"'):
            quoted = re.match(rf"{rest[0]}([^{rest[0]}\\]*){rest[0]}", rest)
            assert quoted is not None, f"a quoted value compose reads differently: {line!r}"
            values[key] = quoted.group(1)
        else:
            values[key] = re.sub(r"\s+#.*", "", rest).rstrip()
    return values


def test_env_example_reads_the_same_in_compose_v1_and_python_dotenv(monkeypatch: pytest.MonkeyPatch) -> None:
    from dotenv import dotenv_values

    example = ROOT / ".env.example"
    compose = compose_v1_values(example.read_text(encoding="utf-8"))
    dotenv = dotenv_values(
        example
    )  # what innov itself reads from .env (pydantic-settings uses python-dotenv)
    assert compose == dotenv
    # Copied to .env as it is, it configures the local console: every value is valid, under either reader.
    for name in list(os.environ):
        if name.startswith(("SLACK_", "INNOV_", "REDIS_URL", "PORT", "LOG_LEVEL")):
            monkeypatch.delenv(name)
    for name, value in compose.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not settings.has_slack and settings.redis_url is None
    assert Settings(_env_file=example).model_dump() == settings.model_dump()  # type: ignore[call-arg]
