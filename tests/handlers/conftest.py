"""Handler-test fixtures: real Services on the seed corpus, a Web API client that records instead of sending."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.services import Services
from bot.settings import Settings

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
ADMIN = "U0ADMIN"
USER = "U0ALICE"
BOT = "U0INNOV"
AUTO = "C0AUTO"
QUIET = "C0QUIET"


class RecordingClient(WebClient):
    """A ``WebClient`` that records each API call and answers ok (or the error it was told to)."""

    def __init__(self) -> None:
        super().__init__(token="xoxb-test", base_url="http://127.0.0.1:9/")
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: dict[str, str] = {}
        self._ts = itertools.count(1)

    def api_call(
        self,
        api_method: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        **_: Any,
    ) -> SlackResponse:
        args = {**(data or {}), **(json or {})}
        self.calls.append((api_method, args))
        error = self.errors.get(api_method)
        body: dict[str, Any] = {"ok": error is None, "ts": f"1.{next(self._ts)}"}
        if error:
            body["error"] = error
        response = SlackResponse(
            client=self,
            http_verb="POST",
            api_url=api_method,
            req_args={},
            data=body,
            headers={},
            status_code=200,
        )
        if error:
            raise SlackApiError(f"{api_method} failed", response)
        return response

    def posted(self, method: str = "chat.postMessage") -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]


class Recorder:
    """Stands in for ``ack`` or ``respond``: records every call's keyword arguments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            kwargs["text"] = args[0]
        self.calls.append(kwargs)

    @property
    def last(self) -> dict[str, Any]:
        return self.calls[-1]


def texts(message: dict[str, Any]) -> str:
    """Everything a message shows, one text per line."""
    parts = [str(message.get("text", ""))]
    for block in message.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def dumps(message: Any) -> str:
    return json.dumps(message, ensure_ascii=False)


@pytest.fixture
def make_services() -> Iterator[Callable[..., Services]]:
    made: list[Services] = []

    def make(**overrides: Any) -> Services:
        values: dict[str, Any] = {
            "slack_bot_token": None,
            "slack_signing_secret": None,
            "redis_url": None,
            "innov_admins": ADMIN,
            "innov_auto_reply_channels": AUTO,
            "innov_knowledge_dir": SEEDS,
            "innov_rate_limit": 10_000,
            "innov_channel_rate_limit": 10_000,
        }
        values.update(overrides)
        services = Services(Settings(_env_file=None, **values))  # type: ignore[call-arg]
        made.append(services)
        return services

    yield make
    for services in made:
        services.close()


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services()


@pytest.fixture
def client() -> RecordingClient:
    return RecordingClient()
