"""What the listener modules' ``register`` functions share: a run's unexpected error logged and made its
outcome, and the message a button was pressed on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

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
