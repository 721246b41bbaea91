"""Slack listeners for innov: thin adapters between Bolt and the bot's services (``bot.ports.Services``).

The listeners are plain module-level functions that take ``services`` as an argument, so they can be
imported and called without an ``App`` (the console does exactly that). Each listener module wires its
own to a Bolt app with its ``register`` (as in Bolt's starter template, ``listeners/<kind>/__init__.py``):
Bolt injects a listener's arguments by parameter name, so each is wrapped in a small closure that
supplies ``services`` and keeps Bolt's names, and each run is one request log line with its outcome
("replied", "duplicate: ...", "quiet: ..."), which explains why innov did or did not reply.
:func:`register` calls them all. (``handlers.views`` and ``handlers.blocks`` build Block Kit and listen to
nothing: the "What was wrong?" modal's submission is wired by ``handlers.actions``, with the 👎 that
opens it.) Of ``bot``, handlers import ``bot.ports`` alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import actions, commands, events, home, shortcuts
from handlers.commands import COMMAND

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.ports import Background, Services


def register(app: App, services: Services, background: Background) -> None:
    """Wire every innov listener to ``app``: the slash command, buttons, the modal, mentions, messages,
    the Home tab and the "Find sources" shortcut. ``background`` runs the events' work (the other lazy
    listeners reach it as Bolt's executor)."""
    commands.register(app, services)
    actions.register(app, services)
    events.register(app, services, background)
    home.register(app, services, background)
    shortcuts.register(app, services)


__all__ = ["COMMAND", "register"]
