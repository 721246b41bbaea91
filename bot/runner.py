"""``innov serve``: Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP under gunicorn (threads)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from bot.settings import Settings
from knowledge import load_snapshot

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
    # Fail fast, in the parent, on a broken knowledge base or missing credentials.
    load_snapshot(settings.innov_knowledge_dir)
    if settings.slack_bot_token is None:
        raise SystemExit("innov serve: SLACK_BOT_TOKEN is not set (run `innov console` to try innov locally)")
    if settings.slack_app_token is not None:
        _serve_socket_mode(settings)
    else:
        _serve_http(settings)


def _serve_socket_mode(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_app
    from bot.services import Services

    assert settings.slack_app_token is not None
    services = Services(settings)
    services.start()
    try:
        app = build_app(settings, services)
        logger.info("innov: Socket Mode, knowledge base %s", services.kb.version)
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    finally:
        services.close()


def _serve_http(settings: Settings) -> None:
    if settings.slack_signing_secret is None:
        raise SystemExit(
            "innov serve: SLACK_SIGNING_SECRET is not set; HTTP mode needs it "
            "(or set SLACK_APP_TOKEN to use Socket Mode)"
        )
    from bot.services import Services
    from bot.web import create_wsgi_app

    built: list[Services] = []

    def factory() -> WSGIApp:
        services = Services(settings)
        services.start()
        built.append(services)
        logger.info("innov: HTTP on port %d, knowledge base %s", settings.port, services.kb.version)
        return create_wsgi_app(settings, services)

    def close() -> None:
        for services in built:
            services.close()

    GunicornServer(
        factory, gunicorn_options(settings.port, log_level=settings.log_level), on_exit=close
    ).run()
