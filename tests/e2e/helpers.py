"""Small readers for the Slack messages the tests get back."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
from typing import Any

from tests.blockkit import check_message

SECTION_LIMIT = 3000
BLOCK_LIMIT = 50


def all_text(message: dict[str, Any]) -> str:
    """``text`` plus every text inside the blocks, one per line."""
    parts = [str(message.get("text", ""))]
    for block in message.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(str(block["text"].get("text", "")))
        for element in block.get("elements", []):
            text = element.get("text")
            parts.append(str(text.get("text", "")) if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def share_value(message: dict[str, Any]) -> str | None:
    """The "Share in channel" button's value, if the message has the button."""
    for block in message.get("blocks") or []:
        if block.get("type") != "actions":
            continue
        for element in block.get("elements", []):
            if element.get("action_id") == "innov_share":
                return str(element["value"])
    return None


def assert_within_slack_limits(message: dict[str, Any]) -> None:
    """3,000 characters a section or context element, 50 blocks a message (and the rest of
    ``tests.blockkit``'s checks)."""
    check_message(message)
    blocks = message.get("blocks") or []
    assert len(blocks) <= BLOCK_LIMIT
    for block in blocks:
        if isinstance(block.get("text"), dict):
            assert len(block["text"]["text"]) <= SECTION_LIMIT
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                assert len(element["text"]) <= SECTION_LIMIT
            if element.get("type") == "button":
                assert len(element["value"]) <= 2000


def health(port: int, timeout: float = 2.0) -> dict[str, Any] | None:
    """``GET /healthz`` of a server on ``port``: its JSON when it answers 200, else None."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        body = response.read()
        conn.close()
    except OSError:
        return None
    return dict(json.loads(body)) if response.status == 200 else None


def stop(process: subprocess.Popen[Any], grace: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within ``grace`` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
