"""``innov console``: the Slack handlers behind a line prompt, printing what Slack would show.

Lines starting with ``/innov`` are slash commands, ``@innov ...`` are mentions, ``reply ...`` continues
the last mention's thread (a follow-up), ``dm ...`` is a direct message, ``up`` / ``down [reason]``
vote on the last answer, ``share`` presses the Share button, ``press N`` (or ``next`` / ``prev``)
presses the numbered button N of the last reply showing numbered buttons (facts pages, the Home tab's
example questions and Reload), ``home`` shows the Home tab, and anything else is a message in a
channel. They go through the very handler functions Bolt calls (``handlers.commands``,
``handlers.events``, ``handlers.actions``, ``handlers.home``) with the payloads Slack would send, and a
``WebClient`` whose API calls print instead of reaching Slack, so what is printed is what Slack would
receive. The console is one person trying innov: it applies no per-user rate limit.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.settings import Settings
from handlers import COMMAND, actions, commands, events, home, views
from handlers.blocks import SHARE_ACTION_ID, unescape

if TYPE_CHECKING:
    from bot.services import Services

CONSOLE_USER = "U0CONSOLE"
"""The user the console speaks as (add it to ``INNOV_ADMINS`` to try ``/innov reload`` and ``stats``)."""
CONSOLE_BOT = "U0INNOV"
CONSOLE_CHANNEL = "C0CONSOLE"
CONSOLE_HOME_VIEW = "V0CONSOLEHOME"
PROMPT = "innov> "
NO_RATE_LIMIT = 1_000_000
"""Questions a minute in the console: one person trying innov is not rate limited (Slack users are)."""

CONNECT_HINT = (
    "To connect a Slack workspace: create an app from manifest.yml (api.slack.com/apps > Create New App > "
    "From a manifest), install it, put SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for "
    'Socket Mode) in .env, then run `innov` again — see README, "Connect to Slack".'
)

_MENTION_RE = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
_MENTION_PREFIX_RE = re.compile(r"^@innov\b[:,]?\s*", re.IGNORECASE)


def render(message: dict[str, Any]) -> str:
    """A Slack message or view (``text``/``blocks``) as the plain text a person would read in the Slack
    client; buttons the console presses by number show it (``[1 Next ▶]``, see :func:`numbered_buttons`)."""
    numbers = {id(button): n for n, button in enumerate(numbered_buttons(message), start=1)}
    lines: list[str] = []
    for block in message.get("blocks") or []:
        kind = block.get("type")
        if kind == "section":
            lines.append(block.get("text", {}).get("text", ""))
        elif kind == "context":
            lines.append("  " + " | ".join(e.get("text", "") for e in block.get("elements", [])))
        elif kind == "header":
            lines.append(block.get("text", {}).get("text", "").upper())
        elif kind == "divider":
            lines.append("  ---")
        elif kind == "input":
            element = block.get("element", {})
            options = " / ".join(o.get("text", {}).get("text", "") for o in element.get("options", []))
            label = block.get("label", {}).get("text", "")
            lines.append(f"  {label} {f'[{options}]' if options else '[text]'}")
        elif kind == "actions":
            lines.append("  " + _actions_line(block, numbers))
    if not lines:
        lines.append(str(message.get("text", "")))
    return _display("\n".join(lines))


_WORDS = {f"{views.FACTS_PAGE_ACTION}_prev": "prev", f"{views.FACTS_PAGE_ACTION}_next": "next"}
"""Buttons the console also presses by a word."""


def numbered_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a message or view that ``press N`` presses, in order (N counts from 1): every
    button but Share and 👍 / 👎, which have their own words (``share``, ``up``, ``down``)."""
    own_words = {SHARE_ACTION_ID, views.VOTE_UP_ACTION, views.VOTE_DOWN_ACTION}
    return [
        element
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
        if element.get("type", "button") == "button" and element.get("action_id") not in own_words
    ]


def _actions_line(block: dict[str, Any], numbers: dict[int, int]) -> str:
    """An actions block as its buttons and how to press them in the console."""
    elements = block.get("elements", [])
    ids = {e.get("action_id") for e in elements}
    labels = []
    pressed_by: list[int] = []
    for element in elements:
        label = element.get("text", {}).get("text", "")
        number = numbers.get(id(element))
        if number is not None:
            pressed_by.append(number)
            label = f"{number} {label}"
        labels.append(f"[{label}]")
    if views.VOTE_UP_ACTION in ids:
        hint = "type `up`, or `down [wrong_figure|wrong_source|out_of_date|other] [note]`"
    elif SHARE_ACTION_ID in ids:
        hint = "type `share` to press"
    else:
        presses = ""
        if pressed_by:
            first, last = pressed_by[0], pressed_by[-1]
            presses = f"`press {first}`" + (f" to `press {last}`" if last != first else "")
        words = " / ".join(f"`{_WORDS[i]}`" for i in sorted(ids & _WORDS.keys(), reverse=True))
        hint = "type " + ", or ".join(part for part in (presses, words) if part)
    return " ".join(labels) + f"  ({hint})"


def _display(mrkdwn: str) -> str:
    names = {CONSOLE_BOT: "innov", CONSOLE_USER: "you"}
    shown = _MENTION_RE.sub(lambda m: "@" + (m.group(2) or names.get(m.group(1), m.group(1))), mrkdwn)
    return unescape(shown)


@dataclass(frozen=True)
class Button:
    """A numbered button the console showed, with where it was (what a press's payload says)."""

    number: int
    label: str
    action_id: str
    value: str
    where: dict[str, Any]
    """The payload's ``container`` and ``channel`` (a message) or ``view`` (the Home tab)."""


class Screen:
    """What the console printed last that can be pressed: the numbered buttons of the last message or
    view that had any (they stay pressable until another one replaces them)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.buttons: list[Button] = []

    def show(self, heading: str, message: dict[str, Any], where: dict[str, Any]) -> None:
        """Print ``message`` under ``heading``; its numbered buttons become the ones ``press`` presses."""
        found = numbered_buttons(message)
        if found:
            self.buttons = [
                Button(
                    n,
                    str(b.get("text", {}).get("text", "")),
                    str(b["action_id"]),
                    str(b.get("value", "")),
                    where,
                )
                for n, b in enumerate(found, start=1)
            ]
        _print(self.out, heading, render(message))


def message_place(channel: str, ts: str, *, ephemeral: bool) -> dict[str, Any]:
    """A press payload's ``container`` and ``channel`` for a button on a message."""
    container = {"type": "message", "channel_id": channel, "message_ts": ts, "is_ephemeral": ephemeral}
    return {"container": container, "channel": {"id": channel}}


HOME_PLACE: dict[str, Any] = {
    "container": {"type": "view", "view_id": CONSOLE_HOME_VIEW},
    "view": {"id": CONSOLE_HOME_VIEW, "type": "home"},
}
"""A press payload's ``container`` and ``view`` for a button on the Home tab."""


class ConsoleClient(WebClient):
    """A ``WebClient`` whose Web API calls print the message instead of sending it."""

    def __init__(self, out: TextIO, screen: Screen | None = None) -> None:
        super().__init__(token="xoxb-console", base_url="http://127.0.0.1:9/")
        self._out = out
        self.screen = screen or Screen(out)
        self._ts = itertools.count(1)
        self.last_feedback: str | None = None  # the 👍 / 👎 value of the last answer shown

    def api_call(
        self,
        api_method: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        **_: Any,
    ) -> SlackResponse:
        args = {**(data or {}), **(json or {})}
        blocks = args.get("blocks")
        if isinstance(blocks, str):  # the SDK serialises blocks for form-encoded calls
            args["blocks"] = _loads(blocks)
        self.last_feedback = _button_value(args, views.VOTE_UP_ACTION) or self.last_feedback
        ts = f"{time.time():.0f}.{next(self._ts):06d}"
        channel = str(args.get("channel", ""))
        if api_method == "chat.postMessage":
            where = "in the thread" if args.get("thread_ts") else "in the channel"
            if channel.startswith("D"):
                where = "in the DM"
            self.screen.show(f"innov ({where}):", args, message_place(channel, ts, ephemeral=False))
        elif api_method == "chat.postEphemeral":
            self.screen.show("innov (only visible to you):", args, message_place(channel, ts, ephemeral=True))
        elif api_method in ("views.publish", "views.open"):
            view = args.get("view")
            view = _loads(view) if isinstance(view, str) else view or {}
            heading = "innov (Home tab):" if api_method == "views.publish" else "innov (a form opens):"
            self.screen.show(heading, view, HOME_PLACE)
        else:
            _print(self._out, f"innov called {api_method}", "")
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=api_method,
            req_args={},
            data={"ok": True, "channel": args.get("channel"), "ts": ts, "message_ts": ts},
            headers={},
            status_code=200,
        )


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return []


def _print(out: TextIO, heading: str, body: str) -> None:
    out.write(heading + ("\n" + _indent(body) if body else "") + "\n")
    out.flush()


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


class _Console:
    """State of one console session: the fake Slack ids, the message clock, the last share button."""

    def __init__(self, services: Services, out: TextIO) -> None:
        self.services = services
        self.out = out
        self.client = ConsoleClient(out)
        self.screen = self.client.screen
        self.context = BoltContext({"bot_user_id": CONSOLE_BOT})
        self.clock = itertools.count(1)
        self.last_share: str | None = None
        self.last_thread: str | None = None  # the last mention's thread, for `reply`

    def ts(self) -> str:
        return f"{int(time.time())}.{next(self.clock):06d}"

    def slash(self, text: str) -> None:
        ack = Ack()
        command = {
            "command": COMMAND,
            "text": text,
            "user_id": CONSOLE_USER,
            "user_name": "you",
            "channel_id": CONSOLE_CHANNEL,
        }
        commands.handle_command(ack, command, self.services)
        body = ack.response.body if ack.response is not None else ""
        message = _loads(body) if body.startswith("{") else {"text": body}
        self.last_share = _share_value(message)
        self.client.last_feedback = _button_value(message, views.VOTE_UP_ACTION) or self.client.last_feedback
        place = message_place(CONSOLE_CHANNEL, self.ts(), ephemeral=True)
        self.screen.show("innov (only visible to you):", message, place)

    def mention(self, text: str, thread_ts: str | None = None) -> None:
        ts = self.ts()
        event = {
            "type": "app_mention",
            "user": CONSOLE_USER,
            "text": f"<@{CONSOLE_BOT}> {text}",
            "ts": ts,
            "channel": CONSOLE_CHANNEL,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        self.last_thread = thread_ts or ts
        events.answer_mention(self._envelope(event), self.context, self.client, self.services)
        # Slack also delivers the same message as a `message` event; it must not get a second reply.
        events.handle_message(
            self._envelope({**event, "type": "message", "channel_type": "channel"}),
            self.context,
            self.client,
            self.services,
        )

    def message(self, text: str) -> None:
        event = {
            "type": "message",
            "user": CONSOLE_USER,
            "text": text,
            "ts": self.ts(),
            "channel": CONSOLE_CHANNEL,
            "channel_type": "channel",
        }
        outcome = events.handle_message(self._envelope(event), self.context, self.client, self.services)
        if not outcome.startswith("replied"):
            _print(self.out, f"(no reply — {outcome})", "")

    def reply(self, text: str) -> None:
        """A mention in the last mention's thread (a follow-up)."""
        if self.last_thread is None:
            _print(self.out, "(no thread yet: mention innov first with `@innov <question>`)", "")
            return
        self.mention(text, thread_ts=self.last_thread)

    def dm(self, text: str) -> None:
        event = {
            "type": "message",
            "user": CONSOLE_USER,
            "text": text,
            "ts": self.ts(),
            "channel": "D0CONSOLE",
            "channel_type": "im",
        }
        events.handle_message(self._envelope(event), self.context, self.client, self.services)

    def vote(self, words: list[str]) -> None:
        """``up`` or ``down [reason] [note...]`` on the last answer, as the buttons and the modal would."""
        if self.client.last_feedback is None:
            _print(self.out, "(nothing to vote on yet: ask a question first)", "")
            return
        kind = words[0].lower()
        action = views.VOTE_UP_ACTION if kind == "up" else views.VOTE_DOWN_ACTION
        body = {
            "type": "block_actions",
            "user": {"id": CONSOLE_USER},
            "channel": {"id": CONSOLE_CHANNEL},
            "container": {"type": "message", "channel_id": CONSOLE_CHANNEL},
            "trigger_id": "console.trigger",
            "actions": [{"action_id": action, "value": self.client.last_feedback}],
        }
        actions.vote(Ack(), body, self.client, self.services)
        actions.vote_thanks(body, self._respond, self.services)
        if kind == "down" and len(words) > 1:
            ref = self.client.last_feedback
            values = {
                views.REASON_BLOCK: {views.REASON_ACTION: {"selected_option": {"value": words[1]}}},
                views.NOTE_BLOCK: {views.NOTE_ACTION: {"value": " ".join(words[2:]) or None}},
            }
            view = {"private_metadata": ref, "state": {"values": values}}
            ack = Ack()
            actions.feedback_submitted(ack, {"user": {"id": CONSOLE_USER}}, view, self.services)
            errors = _loads(ack.response.body).get("errors") if ack.response and ack.response.body else None
            if errors:
                _print(self.out, "(the form says: " + "; ".join(errors.values()) + ")", "")
            else:
                _print(self.out, "(form sent)", views.vote_thanks("down", words[1]))

    def home(self) -> None:
        home.publish(self.client, CONSOLE_USER, self.services)

    def share(self) -> None:
        if self.last_share is None:
            _print(self.out, "(nothing to share: run a /innov command whose reply has a Share button)", "")
            return
        body = {
            "type": "block_actions",
            "user": {"id": CONSOLE_USER},
            "channel": {"id": CONSOLE_CHANNEL},
            "container": {"type": "message", "channel_id": CONSOLE_CHANNEL, "is_ephemeral": True},
            "actions": [{"action_id": SHARE_ACTION_ID, "value": self.last_share}],
        }
        actions.share(body, self.client, self._respond, self.services)
        self.last_share = None

    def press(self, word: str) -> None:
        """``press N``, ``next`` or ``prev``: the button of the last reply with numbered buttons, pressed
        with the payload Slack would send to the handler Bolt would call (``handlers.register``)."""
        buttons = self.screen.buttons
        if word.isdigit():
            found = [b for b in buttons if b.number == int(word)]
        else:
            found = [b for b in buttons if _WORDS.get(b.action_id) == word]
        if not found:
            if not buttons:
                shown = "no numbered buttons yet: try `/innov facts` or `home`"
            else:
                shown = f"its buttons: {', '.join(f'{b.number} {b.label}' for b in buttons)}"
            what = f"button {word}" if word.isdigit() else f"`{word}` button"
            _print(self.out, f"(no {what} on the last reply; {shown})", "")
            return
        button = found[0]
        body = {
            "type": "block_actions",
            "user": {"id": CONSOLE_USER},
            "trigger_id": "console.trigger",
            **button.where,
            "actions": [{"type": "button", "action_id": button.action_id, "value": button.value}],
        }
        action = button.action_id
        if action.startswith(views.FACTS_PAGE_ACTION):
            actions.facts_page(body, self._responder(button.where), self.services)
        elif action.startswith(views.HOME_ASK_ACTION):
            home.example_pressed(body, self.client, self.services)
        elif action == views.HOME_RELOAD_ACTION:
            home.reload_pressed(body, self.client, self.services)
        else:
            _print(self.out, f"(the console cannot press {button.label!r})", "")

    def _responder(self, where: dict[str, Any]) -> Callable[..., None]:
        """A ``respond`` for a press on a message (``where``): what it sends may replace that message."""
        ephemeral = bool(where["container"].get("is_ephemeral"))

        def respond(text: str = "", **kwargs: Any) -> None:
            shown = ["only visible to you"] if ephemeral else []
            if kwargs.get("replace_original"):
                shown.append("in place of that reply")
            heading = f"innov ({', '.join(shown or ['in the channel'])}):"
            self.screen.show(heading, {"text": text, **kwargs}, where)

        return respond

    def _respond(self, text: str = "", delete_original: bool | None = None, **kwargs: Any) -> None:
        if delete_original:
            _print(self.out, "(the ephemeral reply is removed)", "")
        elif kwargs.get("response_type") == "in_channel":
            _print(self.out, "innov (in the channel):", render({"text": text, **kwargs}))
        else:
            _print(self.out, "innov (only visible to you):", render({"text": text, **kwargs}))

    def _envelope(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"type": "event_callback", "event_id": f"Ev{event['ts'].replace('.', '')}", "event": event}


def _share_value(message: dict[str, Any]) -> str | None:
    """The value of the reply's "Share in channel" button, if it has one."""
    return _button_value(message, SHARE_ACTION_ID)


def _button_value(message: dict[str, Any], action_id: str) -> str | None:
    """The value of the message's button with ``action_id``, if it has one."""
    for block in message.get("blocks") or []:
        for element in block.get("elements") or [] if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return str(element.get("value", ""))
    return None


def _line_reader(stdin: TextIO, stdout: TextIO, interactive: bool) -> Callable[[], str]:
    """A function returning the next line ("" at the end). On a terminal it is ``input()`` with readline:
    arrow keys, history and line editing; otherwise plain ``readline()`` (pipes, tests)."""
    if interactive and stdin is sys.stdin and stdout is sys.stdout:
        # Importing readline gives input() line editing and history; a Python built without it (some
        # minimal images) still has plain input().
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401

        def prompt() -> str:
            try:
                return input(PROMPT) + "\n"
            except EOFError:
                return ""

        return prompt

    def plain() -> str:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        return stdin.readline()

    return plain


def run_console(settings: Settings, services: Services, stdin: TextIO, stdout: TextIO) -> int:
    """Read lines from ``stdin`` until EOF or ``quit``, printing innov's replies to ``stdout``."""
    snapshot = services.kb.snapshot
    interactive = stdin.isatty()
    stdout.write(
        f"innov console — knowledge base {snapshot.version}: {len(snapshot.articles)} articles, "
        f"{len(snapshot.facts)} facts; meaning {snapshot.composer.semantic}.\n"
        "Type `/innov help`, `/innov <question>`, `@innov <question>` (answered in a thread), `reply <text>` "
        "(a follow-up in that thread), `dm <question>`, `up` / `down [reason] [note]` (vote on the last "
        "answer), `share`, `press N` (or `next` / `prev`) for a numbered button, `home`, or a plain message "
        f"(auto-replies {'on' if settings.auto_replies_in(CONSOLE_CHANNEL) else 'off'} here: "
        f"channel {CONSOLE_CHANNEL}). `quit` or Ctrl-D to leave. You are {CONSOLE_USER}; "
        "no rate limit here (INNOV_RATE_LIMIT applies in Slack).\n"
        f"{CONNECT_HINT}\n"
    )
    stdout.flush()
    # One person trying innov: no per-user rate limit (INNOV_RATE_LIMIT is for a workspace's users).
    services.settings = services.settings.model_copy(update={"innov_rate_limit": NO_RATE_LIMIT})
    console = _Console(services, stdout)
    read_line = _line_reader(stdin, stdout, interactive)
    while True:
        line = read_line()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if text.lower() in {"quit", "exit", ":q"}:
            break
        if text.split()[0].lower() == COMMAND:
            console.slash(text[len(COMMAND) :].strip())
        elif _MENTION_PREFIX_RE.match(text):
            console.mention(_MENTION_PREFIX_RE.sub("", text, count=1))
        elif text.lower() == "share":
            console.share()
        elif text.lower() in {"next", "prev"}:
            console.press(text.lower())
        elif text.split()[0].lower() == "press" and len(text.split()) == 2:
            console.press(text.split()[1].lower())
        elif text.lower() == "home":
            console.home()
        elif text.split()[0].lower() in {"up", "down"}:
            console.vote(text.split())
        elif text.split()[0].lower() in {"reply", "dm"} and len(text.split()) > 1:
            rest = text.split(maxsplit=1)[1]
            console.reply(rest) if text.split()[0].lower() == "reply" else console.dm(rest)
        elif text.lower() in {
            "reply",
            "dm",
        }:  # (alone it read as a channel message, "not in an auto-reply channel")
            _print(stdout, f"(type `{text.lower()} <question>`)", "")
        else:
            console.message(text)
    if interactive:
        stdout.write("\n")
    return 0
