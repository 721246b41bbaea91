"""Slack's Web API as innov sees it: who the bot is, and whether Slack can be reached with its token.

Nothing Slack sends to innov waits for the Web API. Bolt authorizes each request with
:meth:`SlackApi.authorizer`, which answers from what is already known (the bot token, and the bot's
user id from the last ``auth.test`` or from the payload's ``authorizations``) and never calls Slack, so
a fake token or a network blip cannot turn a signed request into an HTTP 500 ("dispatch_failed" in
Slack): slash commands are still answered in the HTTP response, and only replies that must be posted
through the Web API wait for it to come back.

``auth.test`` runs in the background when a server starts (one attempt of at most
:data:`CHECK_SECONDS`) and again whenever ``/healthz`` is asked and the last check is older than
:attr:`SlackApi.recheck_seconds`. ``/healthz`` reports ``"slack_api": true | false | null`` (null: not
checked yet) with ``"slack_api_error"`` when false; the log says when it becomes unreachable or is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger("innov.slack")

CHECK_SECONDS = 3.0
"""How long one ``auth.test`` may take (a server's start waits for the first one at most this long)."""
_PROBE_LOGGER = logging.getLogger("innov.slack.auth_test")
# The SDK logs each failed attempt at ERROR; the check's own warning says it once, in innov's words.
_PROBE_LOGGER.setLevel(logging.CRITICAL)
PAYLOAD_BOT_USER = "innov_payload_bot_user_id"
"""Context key: the bot's user id as the request's payload states it (``authorizations``)."""


class SlackApi:
    """The bot's identity and the Web API's reachability, learnt with ``auth.test`` off the request path."""

    recheck_seconds = 60.0

    def __init__(self, client: WebClient) -> None:
        """``client`` carries the bot token; ``auth.test`` uses a copy with a short timeout, no retries."""
        self.client = client
        self._probe = WebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=int(CHECK_SECONDS),
            retry_handlers=[],  # one attempt: the next check is the retry
            logger=_PROBE_LOGGER,
        )
        self._lock = threading.Lock()
        self._checking = False
        self.reachable: bool | None = None
        """Whether the last ``auth.test`` succeeded; None before the first one."""
        self.error: str | None = None
        self.checked_at: float | None = None  # time.monotonic() of the last check
        self.team_id: str | None = None
        self.enterprise_id: str | None = None
        self.bot_user_id: str | None = None
        self.bot_id: str | None = None

    # -- checking ------------------------------------------------------------------------------------------
    def check(self) -> bool:
        """Call ``auth.test`` now (at most :data:`CHECK_SECONDS`); True when Slack accepted the token."""
        try:
            response = self._probe.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error", "error") if exc.response is not None else "error"
            self._record(False, f"refused the bot token ({error}): check SLACK_BOT_TOKEN")
            return False
        except Exception as exc:  # URLError, timeouts, DNS, TLS: Slack cannot be reached from here
            reason = getattr(exc, "reason", None) or exc
            self._record(False, f"unreachable at {self.client.base_url} ({type(exc).__name__}: {reason})")
            return False
        self.team_id = response.get("team_id")
        self.enterprise_id = response.get("enterprise_id")
        self.bot_user_id = response.get("user_id")
        self.bot_id = response.get("bot_id")
        self._record(True, None)
        return True

    def _record(self, reachable: bool, error: str | None) -> None:
        before = self.reachable
        self.reachable, self.error, self.checked_at = reachable, error, time.monotonic()
        if not reachable and (before is not False):
            logger.warning(
                "Slack's Web API %s; slash commands are still answered in the HTTP response, but replies "
                "posted through the Web API (mentions, DMs, Home, shares) fail until it works",
                error,
            )
        elif reachable and before is not True:
            logger.info(
                "Slack's Web API %s: bot %s in team %s",
                "is reachable again" if before is False else "accepted the bot token",
                self.bot_user_id,
                self.team_id,
            )

    def refresh(self, max_age: float) -> None:
        """Check again in the background if the last check is older than ``max_age`` s (never blocks)."""
        with self._lock:
            fresh = self.checked_at is not None and time.monotonic() - self.checked_at < max_age
            if self._checking or fresh:
                return
            self._checking = True

        def run() -> None:
            try:
                self.check()
            finally:
                with self._lock:
                    self._checking = False

        threading.Thread(target=run, name="innov-slack-check", daemon=True).start()

    def health(self) -> dict[str, Any]:
        """What ``/healthz`` says about Slack (and a background re-check when the last one is old)."""
        self.refresh(self.recheck_seconds)
        body: dict[str, Any] = {"slack_api": self.reachable}
        if self.reachable is False:
            body["slack_api_error"] = self.error
        return body

    # -- Bolt ------------------------------------------------------------------------------------------------
    def authorizer(self) -> Callable[..., AuthorizeResult]:
        """Bolt's ``authorize``: the bot token and what is known of the bot, with no Web API call."""

        def authorize(
            enterprise_id: str | None, team_id: str | None, user_id: str | None, context: BoltContext
        ) -> AuthorizeResult:
            return AuthorizeResult(
                enterprise_id=enterprise_id or self.enterprise_id,
                team_id=team_id or self.team_id,
                bot_token=self.client.token,
                bot_user_id=self.bot_user_id or context.get(PAYLOAD_BOT_USER),
                bot_id=self.bot_id,
                user_id=user_id,
            )

        return authorize


def bot_from_payload(
    context: BoltContext, body: dict[str, Any], next: Callable[[], BoltResponse]
) -> BoltResponse:
    """Bolt's ``before_authorize``: the bot's user id from an event's ``authorizations``, for the
    authorizer to use until ``auth.test`` has answered."""
    for authorization in body.get("authorizations") or []:
        if isinstance(authorization, dict) and authorization.get("is_bot") and authorization.get("user_id"):
            context[PAYLOAD_BOT_USER] = str(authorization["user_id"])
            break
    return next()
