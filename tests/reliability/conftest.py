"""The reliability suite reuses the end-to-end fixtures: the app over real HTTP, the Web API stub, Redis."""

from __future__ import annotations

from tests.e2e.conftest import bot, kb_dir, settings, settings_factory, start_app, stub

__all__ = ["bot", "kb_dir", "settings", "settings_factory", "start_app", "stub"]
