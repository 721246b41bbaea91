"""A small Block Kit validator used by every surface test: messages, Home tab views and modals.

Two layers: the limits Slack documents, checked here explicitly (so a failure names the limit), and
slack_sdk's own Block Kit models (``Block.parse`` / ``View``), whose ``validate_json`` enforces the
per-field limits the SDK knows about.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT = 3000  # section text, context element, mrkdwn anywhere
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
ID = 255  # action_id, block_id, callback_id
ACTIONS_ELEMENTS = 25
CONTEXT_ELEMENTS = 10
MODAL_TITLE = 24  # title, submit, close
PRIVATE_METADATA = 3000
OPTION_TEXT = 75
OPTION_VALUE = 150
MESSAGE_TEXT = 40_000


def _texts(obj: Any) -> list[dict[str, Any]]:
    """Every text object (``{"type": "mrkdwn"|"plain_text", "text": ...}``) inside ``obj``."""
    found: list[dict[str, Any]] = []
    if isinstance(obj, dict):
        if obj.get("type") in ("mrkdwn", "plain_text") and isinstance(obj.get("text"), str):
            found.append(obj)
        for value in obj.values():
            found.extend(_texts(value))
    elif isinstance(obj, list):
        for item in obj:
            found.extend(_texts(item))
    return found


def check_blocks(blocks: list[dict[str, Any]], limit: int) -> None:
    """Slack's limits on a list of blocks (``limit``: 50 for a message, 100 for a view)."""
    assert isinstance(blocks, list)
    assert len(blocks) <= limit, f"{len(blocks)} blocks > {limit}"
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(block_ids) == len(set(block_ids)), f"duplicate block_id in {block_ids}"
    for block in blocks:
        kind = block["type"]
        assert kind in {"section", "context", "actions", "divider", "header", "input", "image"}, kind
        assert len(block.get("block_id", "")) <= ID
        for text in _texts(block):
            assert text["text"], f"empty text in {kind}"
            assert len(text["text"]) <= TEXT, f"text of {len(text['text'])} chars in {kind}"
        if kind == "header":
            assert len(block["text"]["text"]) <= HEADER_TEXT
        if kind == "context":
            assert 1 <= len(block["elements"]) <= CONTEXT_ELEMENTS
        if kind == "actions":
            elements = block["elements"]
            assert 1 <= len(elements) <= ACTIONS_ELEMENTS
            action_ids = [e["action_id"] for e in elements]
            assert len(action_ids) == len(set(action_ids)), f"duplicate action_id in {action_ids}"
            for element in elements:
                assert len(element["action_id"]) <= ID
                if element["type"] == "button":
                    assert len(element["text"]["text"]) <= BUTTON_TEXT
                    assert len(element.get("value", "")) <= BUTTON_VALUE
        if kind == "input":
            element = block["element"]
            assert len(element["action_id"]) <= ID
            for option in element.get("options", []):
                assert len(option["text"]["text"]) <= OPTION_TEXT
                assert len(option["value"]) <= OPTION_VALUE
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def check_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message (``ack``/``respond``/``chat.postMessage`` arguments) within Slack's limits; returns it."""
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    check_blocks(blocks, MESSAGE_BLOCKS)
    assert len(str(message.get("text", ""))) <= MESSAGE_TEXT
    return message


def check_view(view: dict[str, Any]) -> dict[str, Any]:
    """A Home tab or modal view within Slack's limits; returns it."""
    if isinstance(view, str):
        view = json.loads(view)
    assert view["type"] in {"home", "modal"}
    check_blocks(view["blocks"], VIEW_BLOCKS)
    assert len(view.get("callback_id", "")) <= ID
    assert len(view.get("private_metadata", "")) <= PRIVATE_METADATA
    if view["type"] == "modal":
        for key in ("title", "submit", "close"):
            if key in view:
                assert len(view[key]["text"]) <= MODAL_TITLE, f"modal {key} too long"
    View(**view).validate_json()
    return view
