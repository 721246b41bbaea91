"""``innov serve``: Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP under gunicorn (threads)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from bot.settings import Settings
from knowledge import KnowledgeBase

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

WSGIApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]

logger = logging.getLogger("innov.runner")

GUNICORN_THREADS = 8
"""Threads per gunicorn worker; workers come from ``WEB_CONCURRENCY`` (gunicorn's own default, 1)."""


class GunicornServer(BaseApplication):  # gunicorn ships no type hints: BaseApplication is Any
    """gunicorn, configured in code, serving the WSGI app ``factory`` builds in each worker after the fork.

    Building per worker matters: the services' Redis connections and reload-listener thread must
    not be shared across a fork.
    """

    def __init__(
        self,
        factory: Callable[[], WSGIApp],
        options: dict[str, Any],
        on_exit: Callable[[], None] | None = None,
    ) -> None:
        self._factory = factory
        self._options = options
        self._on_exit = on_exit
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)
        if self._on_exit is not None:
            on_exit = self._on_exit
            self.cfg.set("worker_exit", lambda server, worker: on_exit())

    def load(self) -> WSGIApp:
        return self._factory()


def gunicorn_options(
    port: int, *, threads: int = GUNICORN_THREADS, log_level: str = "info"
) -> dict[str, Any]:
    """gunicorn settings for innov: threaded workers, keep-alive, quiet access log."""
    return {
        "bind": f"{os.environ.get('HOST', '0.0.0.0')}:{port}",
        "worker_class": "gthread",
        "threads": threads,
        "keepalive": 30,
        "timeout": 30,
        "graceful_timeout": 10,
        "loglevel": log_level.lower(),
        "accesslog": None,
        "proc_name": "innov",
    }


def serve(settings: Settings) -> None:
    """Run the Slack bot until stopped: Socket Mode with ``SLACK_APP_TOKEN``, else HTTP on ``PORT``."""
    # Fail fast, in the parent, on a broken knowledge base (with no last good index) or missing credentials.
    kb = serving_knowledge(settings)
    if settings.slack_bot_token is None:
        raise SystemExit("innov serve: SLACK_BOT_TOKEN is not set (run `innov console` to try innov locally)")
    if settings.slack_app_token is not None:
        _serve_socket_mode(settings, kb)
    else:
        _serve_http(settings, kb)


def serving_knowledge(settings: Settings) -> KnowledgeBase:
    """The knowledge base, built (in a child process with limits) or mapped once, in the parent.

    gunicorn workers inherit it after the fork and share its mapped pages: no worker reads the files
    at start, so a broken edit cannot stop a restarted worker from booting. Over a broken directory
    this is the last good saved index (its problems in /healthz); ``KnowledgeLoadError`` when none.
    """
    from bot.services import open_serving_knowledge

    return open_serving_knowledge(settings)


def _worker_knowledge(kb: KnowledgeBase) -> KnowledgeBase:
    """In a (re)started worker: the inherited knowledge, moved to the last good saved index if newer."""
    try:
        kb.adopt_last_good()
    except Exception:  # the inherited snapshot serves whatever happens to the saved one
        logger.exception("could not map the last good knowledge index; serving %s", kb.version)
    return kb


def _serve_socket_mode(settings: Settings, kb: KnowledgeBase) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.services import Services

    assert settings.slack_app_token is not None
    services = Services(settings, kb=kb)
    services.start()
    try:
        app = build_app(settings, services)
        logger.info("innov: Socket Mode, knowledge base %s", services.kb.version)
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    finally:
        services.close()


def _serve_http(settings: Settings, kb: KnowledgeBase) -> None:
    if settings.slack_signing_secret is None:
        raise SystemExit(
            "innov serve: SLACK_SIGNING_SECRET is not set; HTTP mode needs it "
            "(or set SLACK_APP_TOKEN to use Socket Mode)"
        )
    from bot.services import Services
    from bot.web import create_wsgi_app

    built: list[Services] = []

    def factory() -> WSGIApp:
        services = Services(settings, kb=_worker_knowledge(kb))
        services.start()
        built.append(services)
        logger.info("innov: HTTP on port %d, knowledge base %s", settings.port, services.kb.version)
        return create_wsgi_app(settings, services)

    def close() -> None:
        for services in built:
            services.close()

    options = gunicorn_options(settings.port, log_level=settings.log_level)
    options.setdefault("workers", default_workers())
    GunicornServer(factory, options, on_exit=close).run()


def default_workers() -> int:
    """``WEB_CONCURRENCY``, else one worker per core: answering is CPU-bound and holds the GIL, and the
    workers share the mapped knowledge index, so a worker costs little memory."""
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else max(1, os.cpu_count() or 1)
