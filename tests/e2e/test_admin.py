"""Admin subcommands over signed HTTP: refusals, reload (good and broken files), stats, audit log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.e2e.conftest import ADMIN, USER, Running
from tests.e2e.helpers import all_text, share_value

NEW_FACT = """
  - id: test-new-fact
    answer: China's total R&D expenditure ranks second in the world (added by a test).
    value: "second"
    topics: [test topic about expenditure]
    source: focus-on-tech-innovations
    quote: "with total R&D expenditure now ranking the second in the world"
"""


def slash(bot: Running, text: str, user: str) -> str:
    result = bot.slack.slash(text, user=user)
    assert result.status == 200
    message = result.json()
    assert message["response_type"] == "ephemeral"
    assert share_value(message) is None  # admin replies and refusals are never shareable
    return all_text(message)


def reload_report(bot: Running) -> str:
    """``/innov reload`` as an admin: an immediate "reloading" ack, then the report via the response_url."""
    before = len(bot.stub.calls("response_url"))
    assert "Reloading the knowledge base" in slash(bot, "reload", ADMIN)
    calls = bot.stub.wait_for("response_url", before + 1, timeout=30)
    follow_up = calls[before].args
    assert follow_up["response_type"] == "ephemeral" and follow_up["replace_original"] is False
    return all_text(follow_up)


@pytest.mark.parametrize("command", ["reload", "stats"])
def test_non_admins_are_refused_and_told_who_can(bot: Running, command: str) -> None:
    version = bot.services.kb.version
    text = slash(bot, command, USER)
    assert "Only admins" in text
    assert f"<@{ADMIN}>" in text
    assert bot.services.kb.version == version


def test_with_no_admins_configured_the_refusal_says_how_to_add_them(
    start_app: Callable[[Settings], Running], settings_factory: Callable[..., Settings]
) -> None:
    bot = start_app(settings_factory(innov_admins=""))
    assert "INNOV_ADMINS" in slash(bot, "reload", ADMIN)


def test_admin_reload_reports_counts_time_versions_and_fact_changes(
    bot: Running, kb_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = bot.services.kb.version
    facts = kb_dir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").rstrip() + "\n" + NEW_FACT, encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="innov.handlers"):
        text = reload_report(bot)
    new = bot.services.kb.version
    assert new != old
    assert f"`{old}` → `{new}`" in text
    assert "5 articles" in text and "passages" in text and "facts" in text
    assert " ms" in text
    assert "`test-new-fact`" in text and "Facts added* (1)" in text
    assert any(ADMIN in r.getMessage() and "reload" in r.getMessage() for r in caplog.records)
    # The new knowledge answers at once.
    assert "added by a test" in all_text(bot.slack.slash("facts test topic about expenditure").json())


def test_admin_reload_with_a_broken_file_names_it_and_keeps_the_old_base(bot: Running, kb_dir: Path) -> None:
    old = bot.services.kb.version
    facts = kb_dir / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    text = reload_report(bot)
    assert "Reload failed" in text
    assert "facts.yaml:" in text  # file:line
    assert f"still serving version `{old}`" in text
    assert bot.services.kb.version == old
    # The old base keeps answering.
    answer = all_text(bot.slack.slash("What is China's GII rank?").json())
    assert "China ranks 11th in the Global Innovation Index (2024)." in answer


def test_a_fact_whose_quote_is_not_in_its_source_is_named(bot: Running, kb_dir: Path) -> None:
    facts = kb_dir / "facts.yaml"
    broken = NEW_FACT.replace("with total R&D expenditure now ranking", "with a quote that is nowhere")
    facts.write_text(facts.read_text(encoding="utf-8").rstrip() + "\n" + broken, encoding="utf-8")
    text = reload_report(bot)
    assert "Reload failed" in text and "facts.yaml:" in text and "test-new-fact" in text


def test_admin_stats_shows_version_counts_uptime_and_answers_by_kind(bot: Running) -> None:
    bot.slack.slash("What is China's GII rank?")
    bot.slack.slash("Where does Canada rank in the GII?")
    text = slash(bot, "stats", ADMIN)
    assert bot.services.kb.version in text
    assert "articles" in text and "facts" in text
    assert "Uptime:" in text
    assert "fact:" in text and "none:" in text
