"""Where settings are documented: the README's settings table and ``.env.example`` match what innov reads."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

GUNICORN_SETTINGS = {"WEB_CONCURRENCY", "HOST"}
"""Read from the environment by the runner, not by ``Settings``."""


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
    expected = {name.upper() for name in Settings.model_fields} | GUNICORN_SETTINGS
    assert set(named) == expected
