"""Structured logs: JSON lines, one per handled request, level from ``LOG_LEVEL``.

Each HTTP request and each lazy listener run opens a request record (:func:`request`); code deeper down
adds what it learned with :func:`note` (the answer's kind, whether the cache served it, ...) and the
record is written as one ``innov.request`` line when the request ends. Questions themselves are never
logged at INFO: only their length. Secrets never reach a log line (settings hold them as ``SecretStr``).
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

request_logger = logging.getLogger("innov.request")
_HANDLER_NAME = "innov"

_current: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "innov_request", default=None
)


def json_formatter() -> logging.Formatter:
    """A server's log line: one JSON object with ``ts``, ``level``, ``logger``, ``message`` and any extras
    (gunicorn's own logger uses it too, see ``bot.runner.JsonGunicornLogger``)."""
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
    )


def configure(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Send every log record to stderr, as JSON lines (servers) or plain text (the CLI and console)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(json_formatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    # Replace only our own handler, so calling this twice (tests, the CLI) never doubles a line.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(level.upper())


def configure_file(level: str, path: Path) -> None:
    """Send every log record to ``path`` (plain text) instead of the terminal: the interactive console's
    replies are then not interleaved with log lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    root.setLevel(level.upper())


@contextmanager
def request(kind: str, level: int = logging.INFO, **fields: Any) -> Iterator[dict[str, Any]]:
    """Collect one request's facts and log them as a single line when it ends (even if it fails).

    ``level``: probes such as ``/healthz`` log at DEBUG so they do not drown the requests that matter.
    """
    outer = _current.get()
    if outer is not None:
        # Already inside a request (a slash command within its HTTP request): one line, not two.
        outer.update(fields)
        yield outer
        return
    record: dict[str, Any] = {"request": kind, **fields}
    token = _current.set(record)
    started = time.perf_counter()
    try:
        yield record
    finally:
        _current.reset(token)
        record["ms"] = round((time.perf_counter() - started) * 1000, 3)
        request_logger.log(level, "%s", kind, extra=record)


def note(**fields: Any) -> None:
    """Add facts to the request being handled on this thread (a no-op outside one)."""
    record = _current.get()
    if record is not None:
        record.update(fields)
