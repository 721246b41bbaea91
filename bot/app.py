"""The Bolt app: a Web API client with retry handlers, ``process_before_response=True``, innov's listeners."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

import handlers
from bot.background import BoundedExecutor
from bot.rate_limits import FairRateLimitHandler
from bot.settings import Settings
from bot.slack_api import SlackApi, bot_from_payload

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger("innov.app")

SLACK_LIBRARY_LOGGERS = ("slack_bolt", "slack_sdk")
"""The Slack libraries' own loggers: at DEBUG they write request and response bodies."""
INNOV_SLACK_LOGGERS = ("innov.bolt", "innov.slack_sdk")
"""The loggers innov hands to Bolt and the Web API client. Not given a level: Bolt copies this logger's
level onto ``logging.getLogger("innov")``, which would silence every ``innov.*`` line, so a filter
holds them at WARNING instead."""


class _WarningsOnly(logging.Filter):
    """Drops records below WARNING (request bodies and payload dumps are logged below it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_WARNINGS_ONLY = _WarningsOnly()


class _UndecodableResponses(logging.Filter):
    """Drops slack-sdk's own "Failed to decode Slack API response" (an HTML error page's text, logged at
    ERROR): the failed call reaches its caller, which logs it once, in one line with the HTTP status."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to decode Slack API response")


_UNDECODABLE = _UndecodableResponses()


def quiet_slack_loggers(log_level: str) -> None:
    """Keep the Slack libraries below WARNING out of the log, except when innov itself runs at DEBUG:
    no request body ever reaches a log at INFO."""
    debug = log_level.upper() == "DEBUG"
    for name in SLACK_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    if _UNDECODABLE not in logging.getLogger("innov.slack_sdk").filters:
        logging.getLogger("innov.slack_sdk").addFilter(_UNDECODABLE)
    for name in INNOV_SLACK_LOGGERS:
        logger_ = logging.getLogger(name)
        if debug:
            logger_.removeFilter(_WARNINGS_ONLY)
        elif _WARNINGS_ONLY not in logger_.filters:
            logger_.addFilter(_WARNINGS_ONLY)


def retry_number(request: BoltRequest) -> int:
    """Slack's retry count for this delivery: ``X-Slack-Retry-Num`` (HTTP; Bolt maps Socket Mode's
    ``retry_attempt`` onto the same header), 0 for a first delivery."""
    raw = (request.headers.get("x-slack-retry-num") or ["0"])[0]
    return int(raw) if raw.isascii() and raw.isdigit() else 0


def mark_retries(
    context: BoltContext, request: BoltRequest, next: Callable[[], BoltResponse]
) -> BoltResponse:
    """Global middleware: ``context["retry_num"]`` for the claims, which treat retries with suspicion."""
    context["retry_num"] = retry_number(request)
    return next()


def repeated_field(request: BoltRequest) -> str | None:
    """A field that a form-encoded body (slash commands, interactivity) holds more than once, or None.

    Slack never repeats one, and readers disagree on which of two wins (Bolt keeps the last, others the
    first), so a body with two ``user_id`` fields could be checked as one user and run as another.
    """
    raw = request.raw_body
    if not raw or raw.lstrip().startswith("{"):  # JSON (events) or Socket Mode: nothing form-encoded
        return None
    seen: set[str] = set()
    for name, _ in parse_qsl(raw, keep_blank_values=True):
        if name in seen:
            return name
        seen.add(name)
    return None


def refuse_repeated_fields(request: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Global middleware: a form body with a repeated field gets 400, and no listener sees it."""
    name = repeated_field(request)
    if name is not None:
        logger.warning("refused a signed request whose form body repeats the field %.40r", name)
        return BoltResponse(status=400, body='{"error": "a field appears twice"}')
    return next()


SERVER_ERROR_RETRIES = 2
"""Further attempts of a Web API call that Slack answered with 500 or 503."""


OBJECT_FIELDS = ("user", "team", "channel", "container", "view", "message")
"""Fields of an interactive payload that Slack always sends as objects, when it sends them."""


def malformed_field(body: dict[str, Any]) -> str | None:
    """A field of an interactive payload (``block_actions``, ``view_submission``, shortcuts) that is not the
    shape Slack sends (``"user": "U1"`` instead of an object; ``actions`` not a list of objects), or None.
    Events are read by their own listeners, which refuse an unreadable event themselves."""
    if body.get("type") in (None, "event_callback", "url_verification"):
        return None
    for name in OBJECT_FIELDS:
        if name in body and not isinstance(body[name], dict):
            return name
    actions = body.get("actions")
    if actions is not None and not (isinstance(actions, list) and all(isinstance(a, dict) for a in actions)):
        return "actions"
    return None


def refuse_malformed_payloads(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
    """Global middleware: an interactive payload of the wrong shape gets 400, and no listener sees it."""
    name = malformed_field(body)
    if name is not None:
        logger.warning(
            "refused a signed %.40s payload whose %r is not the shape Slack sends", body.get("type"), name
        )
        return BoltResponse(status=400, body='{"error": "a field is not the shape Slack sends"}')
    return next()


def retry_handlers() -> list[RetryHandler]:
    """How the Web API client retries.

    429 (``Retry-After`` honoured, within ``bot.rate_limits``' limits: never for an automatic reply, one
    waiting call per channel, a few in all), connection failures, and Slack answering 500 or 503
    (slack-sdk's ``ServerErrorRetryHandler``: :data:`SERVER_ERROR_RETRIES` more attempts, 0.5 s then
    about 1 s apart) are retried. A server error is usually Slack failing before it posted, so without a
    retry the reply was lost; the rare one after it posted can give a duplicate, as Slack's own retries
    of events can. A last failure reaches the caller, which logs it once.
    """
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        FairRateLimitHandler(max_retry_count=3),
    ]


def build_client(settings: Settings) -> WebClient:
    """A ``WebClient`` for ``SLACK_API_URL`` with the bot token and innov's retry handlers."""
    if settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN is not set: innov needs a bot token (xoxb-...) to talk to Slack")
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("innov.slack_sdk"),
    )


def _without_token(client: WebClient) -> WebClient:
    """A copy of ``client`` (base URL, timeout, retries, logger) that holds no token."""
    return WebClient(
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=list(client.retry_handlers or []),
        logger=client.logger,
    )


@contextmanager
def _bot_token_hidden_from_bolt() -> Iterator[None]:
    """Bolt's ``App`` reads ``SLACK_BOT_TOKEN`` from the environment even when given a client (and then
    logs that the token will be unused); innov gives it the client alone, so the variable is out of
    sight while the app is built. Nothing else reads it then: settings were read before."""
    token = os.environ.pop("SLACK_BOT_TOKEN", None)
    try:
        yield
    finally:
        if token is not None:
            os.environ["SLACK_BOT_TOKEN"] = token


def build_app(
    settings: Settings,
    services: Services,
    *,
    client: WebClient | None = None,
    background: BoundedExecutor | None = None,
    slack: SlackApi | None = None,
) -> App:
    """The Bolt app with every innov listener registered; building it makes no network call.

    ``process_before_response=True``: slash commands are answered in the request (Bolt's default runner
    polls for ``ack()`` in 10 ms steps); Web API work runs in lazy listeners. No acknowledgement waits
    for the Web API: the token is not verified at construction (``token_verification_enabled=False``)
    and each request is authorized by ``slack``'s authorizer, which knows the token and the bot and calls
    nothing (``bot.slack_api``; it is built on ``client``, else on a client for the settings). Bolt gets
    a client and no token (``token`` would be unused, and Bolt would say so at every start).
    ``background`` runs the lazy listeners; pass one to drain it on shutdown.
    """
    quiet_slack_loggers(settings.log_level)
    executor = background or BoundedExecutor()
    slack = slack or SlackApi(client or build_client(settings))
    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    with _bot_token_hidden_from_bolt():
        app = App(
            name="innov",
            # Bolt's own client carries no token: each request's copy gets the one the authorizer returns.
            client=_without_token(slack.client),
            signing_secret=signing_secret,
            process_before_response=True,
            token_verification_enabled=False,
            before_authorize=bot_from_payload,
            authorize=slack.authorizer(),
            # innov is single-workspace: no OAuth flow even if SLACK_CLIENT_ID/SECRET happen to be set.
            oauth_settings=None,
            listener_executor=executor,
            logger=logging.getLogger("innov.bolt"),
        )
    app.middleware(refuse_repeated_fields)
    app.middleware(refuse_malformed_payloads)
    app.middleware(mark_retries)
    handlers.register(app, services, executor)

    @app.error
    def log_error(error: Exception, body: dict[str, Any]) -> None:
        # Listeners catch their own errors; this is for Bolt's middleware and anything that slipped through.
        logger.error("unhandled error on a %s request", body.get("type", "?"), exc_info=error)

    return app
