"""How innov's Web API calls wait out Slack's rate limits (429) without one channel holding up the others.

Slack limits posts per channel (about one a second) and answers 429 with a ``Retry-After``. Waiting it
out holds the background worker that made the call, so a flood of posts to one channel could hold every
worker while every other channel's replies wait (issue 21). Here a 429 is waited out (then retried, as
slack-sdk's ``RateLimitErrorRetryHandler`` does) only when:

* the post was asked for, not volunteered: an automatic reply (:func:`volunteered`) never waits;
* no other call of this process is already waiting on the same channel, and fewer than
  :data:`MAX_WAITING` calls are waiting in all, so most workers always serve other channels.

Otherwise the 429 reaches the caller as a ``SlackApiError``, which backs the channel off (fleet-wide,
``Services.back_off``) and, for a reply that was asked for, answers the asker privately instead.
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RateLimitErrorRetryHandler, RetryState

MAX_WAITING = 4
"""Calls of one process that may wait out a 429 at once (of 16 background workers), one per channel."""

_WAITING_ON = "innov_waiting_on"  # the call's RetryState: which channel's waiting slot it holds
_volunteered: contextvars.ContextVar[bool] = contextvars.ContextVar("innov_volunteered", default=False)


@contextmanager
def volunteered() -> Iterator[None]:
    """Web API calls made inside are volunteered (automatic replies): a 429 is never waited out."""
    token = _volunteered.set(True)
    try:
        yield
    finally:
        _volunteered.reset(token)


def posted_channel(request: HttpRequest) -> str | None:
    """The channel a ``chat.postMessage`` call posts to (None for any other call)."""
    if not request.url.rstrip("/").endswith("chat.postMessage"):
        return None
    params: dict[str, Any] = dict(request.body_params or {})
    if not params and request.data:
        raw = request.data.decode("utf-8", errors="replace")
        try:
            loaded = json.loads(raw)
            params = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            params = {k: v[0] for k, v in parse_qs(raw).items()}
    channel = params.get("channel")
    return str(channel) if channel else None


class FairRateLimitHandler(RateLimitErrorRetryHandler):
    """Retries a 429 after its ``Retry-After``, within the limits of the module docstring."""

    def __init__(self, max_retry_count: int = 3, max_waiting: int = MAX_WAITING) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_waiting = max_waiting
        self._lock = threading.Lock()
        self._waiting: Counter[str] = Counter()  # channel ("" for calls that are not posts) -> waiting calls

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        channel = posted_channel(request)
        if channel is not None and _volunteered.get():
            return False
        key = channel or ""
        with self._lock:
            if sum(self._waiting.values()) >= self.max_waiting or (channel and self._waiting[key] > 0):
                return False
            self._waiting[key] += 1
        state.custom_values = {**(state.custom_values or {}), _WAITING_ON: key}
        return True

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        try:
            super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)
        finally:
            key = str((state.custom_values or {}).pop(_WAITING_ON, ""))
            with self._lock:
                self._waiting[key] -= 1
                if self._waiting[key] <= 0:
                    del self._waiting[key]

    def __deepcopy__(self, memo: dict[int, Any]) -> FairRateLimitHandler:
        # Bolt deep-copies each lazy listener's request, its client included: every copy must count the
        # same waiting calls (and a lock cannot be copied anyway).
        return self

    @property
    def waiting(self) -> int:
        """Calls waiting out a 429 now."""
        with self._lock:
            return sum(self._waiting.values())


def retry_after(error: SlackApiError) -> float | None:
    """The seconds a 429 asks to wait (its ``Retry-After``), or None when the error is not a 429."""
    response = error.response
    if getattr(response, "status_code", None) != 429:
        return None
    headers = getattr(response, "headers", None) or {}
    for name, value in headers.items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(float(raw), 1.0)
            except (TypeError, ValueError):
                break
    return 1.0
