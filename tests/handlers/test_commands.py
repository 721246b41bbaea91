"""handlers.commands: parsing, every subcommand, admin checks, the rate limit and error handling."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.services import Services
from handlers import commands
from handlers.blocks import SHARE_ACTION_ID
from knowledge import KnowledgeError
from tests.handlers.conftest import ADMIN, USER, Recorder, texts


@pytest.mark.parametrize(
    ("line", "name", "rest", "canonical"),
    [
        ("", "help", "", "help"),
        ("rank", "rank", "", "rank"),
        ("RANK", "rank", "", "rank"),
        ("rank of China in the GII?", "ask", "rank of China in the GII?", "rank of China in the GII?"),
        ("ask  What is it?", "ask", "What is it?", "ask What is it?"),
        ("What is it?", "ask", "What is it?", "What is it?"),
        ("facts", "facts", "", "facts"),
        ("facts R&D spending", "facts", "R&D spending", "facts R&D spending"),
        ("sources", "sources", "", "sources"),
        ("reload now", "reload", "now", "reload now"),
        ("stats", "stats", "", "stats"),
    ],
)
def test_parse(line: str, name: str, rest: str, canonical: str) -> None:
    sub, got_rest, got_canonical = commands.parse(line)
    assert (sub.name, got_rest, got_canonical) == (name, rest, canonical)


def test_every_subcommand_has_help_from_its_docstring() -> None:
    for sub in commands.SUBCOMMANDS.values():
        assert sub.help and sub.example.startswith("/innov")


def test_handle_command_acks_an_ephemeral_answer_with_a_share_button(services: Services) -> None:
    ack = Recorder()
    commands.handle_command(ack, {"text": "What is China's GII rank?", "user_id": USER}, services)
    [reply] = ack.calls
    assert reply["response_type"] == "ephemeral"
    assert "China ranks 11th in the Global Innovation Index (2024)." in texts(reply)
    button = reply["blocks"][-1]["elements"][0]
    assert button["action_id"] == SHARE_ACTION_ID and button["value"] == "What is China's GII rank?"


def test_handle_command_never_lets_an_exception_reach_slack(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(commands, "run_subcommand", _boom)
    ack = Recorder()
    with caplog.at_level(logging.ERROR):
        commands.handle_command(ack, {"text": "rank", "user_id": USER}, services)
    assert "something went wrong" in ack.last["text"]
    assert "Traceback" not in ack.last["text"] and "secret detail" not in ack.last["text"]
    assert any(r.exc_info for r in caplog.records)


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("secret detail")


def test_a_failing_service_is_logged_and_the_user_gets_an_apology(
    services: Services, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(services, "answer", _boom)
    with caplog.at_level(logging.ERROR, logger="innov.handlers.commands"):
        reply = commands.run_subcommand("ask anything", USER, services)
    assert reply.private and "something went wrong" in reply.text and "secret detail" not in reply.text
    assert caplog.records[-1].exc_info is not None


def test_a_knowledge_error_is_a_friendly_reply(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(question: str, **_: Any) -> Any:
        raise KnowledgeError("index missing at /srv/secret/path")

    monkeypatch.setattr(services, "answer", fail)
    reply = commands.run_subcommand("ask anything", USER, services)
    assert reply.private and "could not answer" in reply.text and "/srv/secret" not in reply.text


def test_a_question_error_says_what_to_do(services: Services) -> None:
    reply = commands.run_subcommand("ask " + "x" * 5000, USER, services)
    assert reply.private and "too long" in reply.text


def test_non_admins_are_refused_naming_the_admins(make_services: Callable[..., Services]) -> None:
    services = make_services(innov_admins="U0ADMIN,U0OTHER")
    for name in ("reload", "stats"):
        reply = commands.run_subcommand(name, USER, services)
        assert reply.private and "Only admins" in reply.text
        assert "<@U0ADMIN>" in reply.text and "<@U0OTHER>" in reply.text


def test_admin_commands_run_only_where_the_reply_stays_private(services: Services) -> None:
    reply = commands.run_subcommand("stats", ADMIN, services, via="mention")
    assert "slash command" in reply.text
    assert "Uptime" in commands.run_subcommand("stats", ADMIN, services, via="slash").text
    assert "Uptime" in commands.run_subcommand("stats", ADMIN, services, via="dm").text


def test_admin_reload_is_logged_with_the_user_id(
    make_services: Callable[..., Services], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    from tests.handlers.conftest import SEEDS

    shutil.copytree(SEEDS, tmp_path / "kb")
    services = make_services(innov_knowledge_dir=tmp_path / "kb")
    with caplog.at_level(logging.INFO, logger="innov.handlers.commands"):
        reply = commands.run_subcommand("reload", ADMIN, services)
    assert "Reloaded (no changes)" in reply.text
    assert any("admin action" in r.getMessage() and ADMIN in r.getMessage() for r in caplog.records)


def test_rate_limit_comes_before_the_answer(make_services: Callable[..., Services]) -> None:
    services = make_services(innov_rate_limit=1)
    assert "11th" in commands.run_subcommand("What is China's GII rank?", USER, services).text
    slow = commands.run_subcommand("What is China's GII rank?", USER, services)
    assert slow.private and slow.text.startswith("Slow down — try again in ") and slow.text.endswith(" s.")
    assert "/innov rank" in commands.run_subcommand("help", USER, services).text  # help is never limited


def test_browsing_never_counts_against_the_question_limit(make_services: Callable[..., Services]) -> None:
    services = make_services(innov_rate_limit=1)
    for _ in range(30):
        for line in ("rank", "facts", "facts robots", "sources", "help"):
            assert not commands.run_subcommand(line, USER, services).text.startswith("Slow down")
        # An empty `ask` gets its usage hint and costs nothing either.
        assert commands.run_subcommand("ask", USER, services).text.startswith("Ask me something")
    # The one question a minute is still there, untouched by all that browsing.
    assert "11th" in commands.run_subcommand("What is China's GII rank?", USER, services).text
    assert commands.run_subcommand("What is China's GII rank?", USER, services).text.startswith("Slow down")


def test_facts_pages_by_facts_not_blocks(services: Services) -> None:
    total = len(services.kb.snapshot.facts)
    first = commands.run_subcommand("facts", USER, services)
    assert first.text.startswith(f"*Facts 1–15 of {total}*")
    assert sum(1 for b in first.blocks if b["type"] == "section") == 16  # heading + 15 facts
    last = commands.run_subcommand("facts", USER, services, offset=10_000)  # clamped to the last page
    start = (total - 1) // 15 * 15 + 1
    assert last.text.startswith(f"*Facts {start}–{total} of {total}*")
    labels = [e["text"]["text"] for b in last.blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["◀ Previous"]
    assert "blocks" not in first.text


def test_an_unanswered_question_is_counted_for_curators(services: Services) -> None:
    for _ in range(3):
        commands.run_subcommand("Where does Canada rank in the GII?", USER, services)
    commands.run_subcommand("What is China's GII rank?", USER, services)  # answered: not counted
    queue = services.feedback.queue(kb_version=services.kb.version)
    [declined] = queue.declined
    assert declined.count == 3 and declined.text == "where does canada rank in the gii"


def test_a_question_in_another_language_gets_a_note(services: Services) -> None:
    for question in ("中国的全球创新指数排名是多少？", "¿Cuál es el ranking de China en innovación?"):
        reply = commands.run_subcommand(question, USER, services)
        assert "innov answers questions in English" in reply.text
    assert (
        "in English" not in commands.run_subcommand("Where does Canada rank in the GII?", USER, services).text
    )


def test_answers_carry_their_feedback_reference(services: Services) -> None:
    reply = commands.run_subcommand("What is China's GII rank?", USER, services)
    assert reply.feedback is not None and '"ref":"gii-rank"' in reply.feedback
    assert commands.run_subcommand("rank", USER, services).feedback is None  # browsing: nothing to vote on


def test_slow_down_rounds_up_to_whole_seconds() -> None:
    assert commands.slow_down(0.2).text == "Slow down — try again in 1 s."
    assert commands.slow_down(5.01).text == "Slow down — try again in 6 s."


def test_facts_about_an_unknown_topic(services: Services) -> None:
    reply = commands.run_subcommand("facts <!channel> zebras", USER, services)
    assert "No facts about" in reply.text and "&lt;!channel&gt;" in reply.text and reply.share is None


def test_ask_without_a_question_explains(services: Services) -> None:
    assert "Ask me something" in commands.run_subcommand("ask", USER, services).text
