"""Console mode: the same handlers behind a line prompt, driven through standard input."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.console import CONSOLE_CHANNEL, CONSOLE_USER, run_console
from bot.services import Services
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def console(settings: Settings, lines: list[str]) -> str:
    services = Services(settings)
    out = io.StringIO()
    try:
        assert run_console(settings, services, io.StringIO("\n".join(lines) + "\n"), out) == 0
    finally:
        services.close()
    return out.getvalue()


def test_the_console_routes_slash_mentions_messages_and_share(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        slack_bot_token=None, innov_auto_reply_channels=CONSOLE_CHANNEL, innov_admins=CONSOLE_USER
    )
    out = console(
        settings,
        [
            "/innov rank",
            "share",
            "/innov What is China's GII rank?",
            "@innov how many robots does China have per 10,000 workers?",
            "lunch at noon anyone?",
            "How much does China spend on R&D?",
            "/innov reload",
            "/innov ask <!channel> GII rank",
            "quit",
            "/innov this line is never read",
        ],
    )
    # The start-up lines say what to type and how to connect a workspace.
    assert "To connect a Slack workspace" in out and "manifest.yml" in out
    # Slash command: ephemeral, with sources and a share button; `share` posts it to the channel.
    assert "innov (only visible to you):" in out and "[Share in channel]" in out
    assert "China ranks 11th in the Global Innovation Index (2024)." in out
    assert "Source: Focus on tech innovations to elevate China’s advancement — MK sports, 2025-03-06" in out
    assert "innov (in the channel):" in out and "Shared by @you" in out
    # Mention: answered in the thread; its `message` twin gets no second reply.
    assert "innov (in the thread):\n    _Question:_ how many robots" in out and "470" in out
    # Plain messages: quiet unless confident, then a threaded reply.
    assert "(no reply — quiet: not confident" in out
    assert out.count("innov (in the thread):") == 2
    # Admin reload works for the console user listed in INNOV_ADMINS.
    assert "Reloaded (no changes)" in out
    # What Slack would show for an escaped channel mention: the literal text.
    assert "_Question:_ <!channel> GII rank" in out
    assert "this line is never read" not in out


def test_the_console_in_a_quiet_channel_explains_why_it_stays_silent(
    settings_factory: Callable[..., Settings],
) -> None:
    out = console(
        settings_factory(slack_bot_token=None, innov_auto_reply_channels=""), ["What is China's GII rank?"]
    )
    assert "auto-replies off here" in out
    assert "(no reply — quiet: channel not in INNOV_AUTO_REPLY_CHANNELS)" in out


def test_dm_or_reply_alone_asks_for_the_question(settings_factory: Callable[..., Settings]) -> None:
    # ("dm" alone read as a channel message: "quiet: channel not in INNOV_AUTO_REPLY_CHANNELS", an attack run.)
    out = console(settings_factory(slack_bot_token=None), ["dm", "reply"])
    assert "(type `dm <question>`)" in out and "(type `reply <question>`)" in out
    assert "INNOV_AUTO_REPLY_CHANNELS)" not in out


def test_innov_console_runs_as_a_subprocess(kb_dir: Path, tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "INNOV_", "REDIS_URL"))
    }
    env.update({"INNOV_KNOWLEDGE_DIR": str(kb_dir), "INNOV_AUTO_REPLY_CHANNELS": CONSOLE_CHANNEL})
    innov = Path(sys.executable).with_name("innov")
    command = [str(innov)] if innov.exists() else [sys.executable, "-m", "bot.cli"]
    result = subprocess.run(
        [*command, "console"],
        input="/innov rank\n@innov What is China's GII rank?\n/innov stats\n",
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,  # no .env here: the environment alone configures it
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "To connect a Slack workspace" in result.stdout
    assert "China ranks 11th in the Global Innovation Index (2024)." in result.stdout
    assert "innov (in the thread):" in result.stdout
    assert "Only admins can run `/innov stats`" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_console_offers_dms_follow_ups_votes_and_the_home_tab(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(slack_bot_token=None, innov_admins=CONSOLE_USER)
    out = console(
        settings,
        [
            "up",  # nothing to vote on yet
            "@innov How many robots per 10,000 workers does China have?",
            "reply and what about patents?",
            "down wrong_figure the share is different",
            "dm What is China's GII rank?",
            "up",
            "/innov Where does Canada rank in the GII?",
            "/innov stats",
            "home",
        ],
    )
    assert "(nothing to vote on yet" in out
    assert "↪ Following up on: _How many robots per 10,000 workers does China have?_" in out
    assert "190,000 patents" in out
    assert "innov (a form opens):" in out and "What was wrong with the answer?" in out
    assert "Thanks — recorded as _wrong figure_" in out
    assert "innov (in the DM):" in out and "Thanks — your 👍 is recorded." in out
    assert "*1×* | Where does Canada rank in the GII? | last " in out
    assert "| wrong figure 1 |" in out and "“the share is different”" in out
    assert "innov (Home tab):" in out and "Reload knowledge base" in out


def test_a_follow_up_that_changes_the_subject_does_not_repeat_the_last_answer(
    settings_factory: Callable[..., Settings],
) -> None:
    out = console(
        settings_factory(slack_bot_token=None),
        [
            "@innov What challenges does China's innovation ecosystem face?",
            "reply and what about opportunities?",
        ],
    )
    challenges = "it also faces challenges. These include concerns regarding intellectual property"
    assert out.count(challenges) == 1  # the challenges answer is not given again
    assert "_Question:_ and what about opportunities?" in out and "opportunities" in out.split(challenges)[1]
    assert "↪ Following up on" not in out  # answered as its own question


def test_the_console_presses_the_buttons_it_shows(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(slack_bot_token=None, innov_admins=CONSOLE_USER)
    out = console(settings, ["/innov facts", "next", "press 2", "prev", "home", "press 1", "press 9"])
    pages = out.split("innov (only visible to you")
    # `/innov facts`: the first page, its Next button numbered; `next` turns the page in place.
    assert "*Facts 1–15 of 62*" in pages[1] and "[1 Next ▶]" in pages[1] and "`next`" in pages[1]
    assert "*Facts 16–30 of 62*" in pages[2] and "[1 ◀ Previous] [2 Next ▶]" in pages[2]
    assert ", in place of that reply):" in pages[2]
    assert "*Facts 31–45 of 62*" in pages[3]  # `press 2`: that page's button 2, Next
    assert "*Facts 16–30 of 62*" in pages[4]  # `prev`
    # The Home tab's example questions are numbered buttons; `press 1` answers one at the top of Home.
    home = out.split("innov (Home tab):")
    assert "[1 What is China's GII rank?]" in home[1] and "(type `press 1` to `press 3`)" in home[1]
    assert "China ranks 11th in the Global Innovation Index (2024)." in home[2].split("Where China ranks")[0]
    assert "(no button 9 on the last reply; its buttons: 1 What is China's GII rank?" in out
    assert "(no reply — quiet" not in out


def test_the_console_applies_no_rate_limit(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(slack_bot_token=None, innov_rate_limit=1)
    out = console(settings, ["/innov What is China's GII rank?"] * 3 + ["@innov What is China's GII rank?"])
    assert "Slow down" not in out and out.count("China ranks 11th") == 4
    assert "no rate limit here" in out
