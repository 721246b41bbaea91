"""The App Home tab: published with ``views.publish`` when a user opens it, and re-published with an
answer (example buttons) or a reload report (admins' Reload button) at the top.

Every answer comes from :func:`handlers.commands.run_subcommand`, the same path as ``/innov``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.ports import log_request, slack_api_error
from handlers import blocks, views
from handlers.blocks import Reply
from handlers.commands import run_subcommand
from handlers.listening import guarded, queued

if TYPE_CHECKING:
    from slack_bolt import Ack, App

    from bot.ports import Background, Services

logger = logging.getLogger("innov.handlers.home")


def acknowledge(ack: Callable[..., Any]) -> None:
    """Acknowledge at once; the view is published by a lazy listener."""
    ack()


def home_data(user_id: str, services: Services, shown: Reply | None = None) -> views.HomeData:
    """Everything the Home tab shows ``user_id`` (admins also get stats and the curator queue)."""
    snapshot = services.kb.snapshot
    is_admin = services.settings.is_admin(user_id)
    return views.HomeData(
        version=snapshot.version,
        loaded_at=snapshot.loaded_at,
        articles=len(snapshot.articles),
        facts=len(snapshot.facts),
        ranking=[(f, tuple(snapshot.sources_for(f))) for f in snapshot.ranking_facts()],
        sources=snapshot.sources(),
        is_admin=is_admin,
        stats=blocks.stats_reply(services.stats()) if is_admin else None,
        queue=services.feedback.queue(kb_version=snapshot.version) if is_admin else None,
        shown=shown,
    )


def publish(client: WebClient, user_id: str, services: Services, shown: Reply | None = None) -> str:
    """Publish ``user_id``'s Home tab (with ``shown`` at the top, if given)."""
    try:
        client.views_publish(user_id=user_id, view=views.home_view(home_data(user_id, services, shown)))
    except SlackApiError as exc:
        slack_api_error("views.publish")
        logger.error("views.publish for %s failed: %s", user_id, exc.response.get("error", exc))
        return "error: views.publish failed"
    return "published"


def opened(event: dict[str, Any], client: WebClient, services: Services) -> str:
    """``app_home_opened``: publish the Home tab (the Messages tab needs nothing)."""
    if event.get("tab", "home") != "home":
        return "ignored: messages tab"
    user_id = str(event.get("user") or "")
    if not user_id:
        return "ignored: no user"
    return publish(client, user_id, services)


def example_pressed(body: dict[str, Any], client: WebClient, services: Services) -> str:
    """An example question's button: answer it through the usual path and show it at the top of Home."""
    user_id = (body.get("user") or {}).get("id", "")
    question = str(((body.get("actions") or [{}])[0]).get("value") or "")
    reply = views.finish(run_subcommand(f"ask {question}", user_id, services, via="home"), share=False)
    return publish(client, user_id, services, shown=reply)


def reload_pressed(body: dict[str, Any], client: WebClient, services: Services) -> str:
    """The admins' Reload button: the same check and report as ``/innov reload``, shown at the top of Home."""
    user_id = (body.get("user") or {}).get("id", "")
    reply = run_subcommand("reload", user_id, services, via="home")
    return publish(client, user_id, services, shown=reply)


def register(app: App, services: Services, background: Background) -> None:
    """Wire the Home tab: ``app_home_opened``, the example questions' buttons and the admins' Reload.

    ``app_home_opened`` is queued on ``background`` (:func:`handlers.listening.queued`): a full queue drops it (logged) and Slack
    still gets 200, since it would retry a 500 (Bolt's lazy listeners answer 500 when the queue is full).
    """

    def home_example(body: dict[str, Any], client: WebClient) -> None:
        with log_request("home example", user=(body.get("user") or {}).get("id")) as record:
            record["outcome"] = guarded(lambda: example_pressed(body, client, services))

    def home_reload(body: dict[str, Any], client: WebClient) -> None:
        with log_request("home reload", user=(body.get("user") or {}).get("id")) as record:
            record["outcome"] = guarded(lambda: reload_pressed(body, client, services))

    def home_arrived(ack: Ack, event: dict[str, Any], client: WebClient) -> None:
        ack()

        def work() -> str:
            return guarded(lambda: opened(event, client, services))

        queued(background, "app_home_opened", work, user=event.get("user"))

    app.event("app_home_opened")(home_arrived)
    app.action(re.compile(rf"^{views.HOME_ASK_ACTION}_\d+$"))(ack=acknowledge, lazy=[home_example])
    app.action(views.HOME_RELOAD_ACTION)(ack=acknowledge, lazy=[home_reload])
