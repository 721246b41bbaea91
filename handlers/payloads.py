"""Small frozen models for the Slack payloads innov reads, so handlers never dig through raw dicts."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from handlers.blocks import unescape


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SlashCommand(_Payload):
    """A ``/innov ...`` invocation."""

    command: str = "/innov"
    text: str = ""
    user_id: str
    user_name: str = ""
    channel_id: str = ""
    team_id: str = ""
    response_url: str | None = None

    @classmethod
    def from_payload(cls, command: dict[str, Any]) -> SlashCommand:
        """Read Bolt's ``command`` argument; Slack's ``&lt;``-style escapes are undone."""
        model = cls.model_validate(command)
        return model.model_copy(update={"text": unescape(model.text).strip()})


class MessageEvent(_Payload):
    """An ``app_mention`` or ``message`` event, with the envelope's ``event_id``."""

    event_id: str = ""
    type: str
    subtype: str | None = None
    channel: str = ""
    channel_type: str | None = None
    user: str | None = None
    bot_id: str | None = None
    text: str = ""
    ts: str = ""
    thread_ts: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> MessageEvent:
        """Read an Events API envelope (``body``), keeping its ``event_id``."""
        event = dict(body.get("event") or {})
        event["event_id"] = body.get("event_id") or ""
        return cls.model_validate(event)

    @property
    def reply_thread(self) -> str:
        """The thread a reply belongs to: the thread's ``thread_ts``, else the message's own ``ts``."""
        return self.thread_ts or self.ts

    @property
    def is_direct(self) -> bool:
        """A direct message to the bot."""
        return self.channel_type == "im"

    def mentions(self, user_id: str | None) -> bool:
        """Whether the raw text mentions ``user_id`` (``<@U123>`` or ``<@U123|name>``)."""
        return bool(user_id) and f"<@{user_id}" in self.text

    def question(self, bot_user_id: str | None) -> str:
        """The text as a question: the bot's own mention removed, Slack's escapes undone."""
        text = self.text
        if bot_user_id:
            text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", " ", text)
        return " ".join(unescape(text).split())


class ShareAction(_Payload):
    """A press of the "Share in channel" button (a ``block_actions`` payload)."""

    user_id: str
    channel_id: str
    value: str
    response_url: str | None = None
    message_ts: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any], action: dict[str, Any] | None = None) -> ShareAction:
        """Read a ``block_actions`` body; the channel comes from ``channel`` or the ``container``."""
        container = body.get("container") or {}
        pressed = action or (body.get("actions") or [{}])[0]
        return cls(
            user_id=(body.get("user") or {}).get("id", ""),
            channel_id=(body.get("channel") or {}).get("id") or container.get("channel_id", ""),
            value=pressed.get("value") or "",
            response_url=body.get("response_url"),
            message_ts=container.get("message_ts"),
        )
