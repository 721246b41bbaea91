"""bot.slack_api: which 429s are waited out, so one rate-limited channel never holds every worker."""

from __future__ import annotations

import json

from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState

from bot.rate_limits import FairRateLimitHandler, posted_channel, volunteered


def post(channel: str, method: str = "chat.postMessage") -> HttpRequest:
    body = json.dumps({"channel": channel, "text": "hi"}).encode()
    return HttpRequest(
        method="POST", url=f"https://slack.com/api/{method}", headers={}, body_params=None, data=body
    )


def too_many(retry_after: str = "0") -> HttpResponse:
    return HttpResponse(status_code=429, headers={"Retry-After": [retry_after]}, data=b"{}")


def test_a_429_is_waited_out_by_one_call_per_channel_and_a_few_in_all() -> None:
    handler = FairRateLimitHandler(max_waiting=2)
    first, second = RetryState(), RetryState()
    assert posted_channel(post("C1")) == "C1" and posted_channel(post("C1", "views.open")) is None
    assert handler.can_retry(state=first, request=post("C1"), response=too_many())
    assert not handler.can_retry(state=RetryState(), request=post("C1"), response=too_many())  # C1 waits
    assert handler.can_retry(state=second, request=post("C2"), response=too_many())
    assert not handler.can_retry(state=RetryState(), request=post("C3"), response=too_many())  # two wait
    assert handler.waiting == 2
    handler.prepare_for_next_attempt(state=first, request=post("C1"), response=too_many())  # waited
    assert handler.waiting == 1
    assert handler.can_retry(state=RetryState(), request=post("C3"), response=too_many())


def test_a_volunteered_post_never_waits_and_other_errors_are_not_this_handlers() -> None:
    handler = FairRateLimitHandler()
    with volunteered():
        assert not handler.can_retry(state=RetryState(), request=post("C1"), response=too_many())
        # What is not a post (a view, a lookup) may still wait.
        assert handler.can_retry(state=RetryState(), request=post("C1", "views.open"), response=too_many())
    ok = HttpResponse(status_code=500, headers={}, data=b"")
    assert not handler.can_retry(state=RetryState(), request=post("C2"), response=ok)
