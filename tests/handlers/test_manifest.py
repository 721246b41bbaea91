"""manifest.yml declares every surface the handlers serve (a mismatch would silently break one)."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers import views

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text(encoding="utf-8"))


def test_direct_messages_and_the_home_tab_are_enabled() -> None:
    home = MANIFEST["features"]["app_home"]
    assert home == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_home_opened", "app_mention", "message.im"} <= set(events)
    assert "im:history" in MANIFEST["oauth_config"]["scopes"]["bot"]


def test_the_find_sources_shortcut_is_declared_with_the_handlers_callback_id() -> None:
    [shortcut] = MANIFEST["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == views.FIND_SOURCES_SHORTCUT
    assert len(shortcut["name"]) <= 25 and len(shortcut["description"]) <= 150
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert "commands" in MANIFEST["oauth_config"]["scopes"]["bot"]  # shortcuts need the commands scope
