"""What the listener modules' ``register`` functions share: a run logged as one request with its outcome,
work queued on the background queue, a run's unexpected error logged and made its outcome, and the message
a button was pressed on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.ports import BackgroundQueueFull, log_request

if TYPE_CHECKING:
    from bot.ports import Background

logger = logging.getLogger("innov.handlers")


def guarded(work: Callable[[], str]) -> str:
    """Run a listener's work; an unexpected error is logged with its traceback and becomes the outcome."""
    try:
        return work()
    except Exception:
        logger.exception("listener failed")
        return "error"


def message_ts(body: dict[str, Any]) -> str | None:
    """The ``ts`` of the message whose button was pressed."""
    return (body.get("container") or {}).get("message_ts")


def logged(kind: str, work: Callable[[], str], **fields: Any) -> Callable[[], None]:
    """``work`` as one request log line of ``kind`` whose outcome is what ``work`` returns."""

    def run() -> None:
        with log_request(kind, **fields) as record:
            record["outcome"] = work()

    return run


def outcome(kind: str, what: str, **fields: Any) -> None:
    """Log a request of ``kind`` that ends here, with ``what`` as its outcome."""
    logged(kind, lambda: what, **fields)()


def queued(background: Background, kind: str, work: Callable[[], str], **fields: Any) -> None:
    """Queue work that was asked for; a full queue drops it (logged; ``submit`` counts it) and the request
    still gets 200: Slack retries a 500, which would only add to the flood."""
    try:
        background.submit(logged(kind, work, **fields))
    except BackgroundQueueFull:
        outcome(kind, "dropped: background queue full", **fields)
