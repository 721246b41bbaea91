"""Reading the knowledge directory safely: regular files inside it, within size limits, never blocking.

A knowledge directory is edited by people and may hold anything: a symlink to ``/etc``, a FIFO that
never answers, ``/dev/zero``, a 2 GB log pasted by mistake. Only regular files are read; a symlink is
followed only when its target lies inside the directory; files are opened non-blocking and read up to a
cap; every OS error becomes a ``file:0: cannot read ...`` problem instead of an exception.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from knowledge.errors import Problem

ARTICLE_SUFFIX = ".md"
FACTS_FILE = "facts.yaml"
ALIASES_FILE = "aliases.yaml"
# 8 MiB per file and 1 GiB in all fit a 100k-passage knowledge base (about 60 MB of text) with room.
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much of the knowledge directory may be read."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_total_bytes: int = MAX_TOTAL_BYTES


@dataclass(frozen=True)
class KnowledgeFiles:
    """The bytes of every knowledge file that could be read, its content hash, and the problems met."""

    directory: Path
    contents: dict[Path, bytes]  # sorted: the articles by name, then facts.yaml and aliases.yaml
    version: str
    problems: tuple[Problem, ...]

    @property
    def articles(self) -> list[Path]:
        return [p for p in self.contents if p.suffix == ARTICLE_SUFFIX]


# Names that are never knowledge files, whatever they end with: hidden files (".name"; Emacs's lock symlink
# ".#name", dangling while the file is open, and Vim's swap files ".name.swp" start so too), Emacs's
# autosaves ("#name#") and backups ("name~"), and swap files wherever they are written.
NOT_KNOWLEDGE_PREFIXES = (".", "#")
NOT_KNOWLEDGE_SUFFIXES = ("~", ".swp", ".swx")


def is_knowledge_name(name: str) -> bool:
    """Whether a file of the knowledge directory is read: an article (``*.md``), the facts or the aliases.

    Hidden files and editor temporaries are not, and are passed over without a word: an editor makes
    them while a curator edits (Emacs's lock file is a dangling symlink), and reading one would fail
    every load, or serve a half-edited copy beside the file itself.
    """
    if name.startswith(NOT_KNOWLEDGE_PREFIXES) or name.endswith(NOT_KNOWLEDGE_SUFFIXES):
        return False
    return name.endswith(ARTICLE_SUFFIX) or name in (FACTS_FILE, ALIASES_FILE)


MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
"""What else Markdown files end with (any case): such a file is not read, and says so."""
_MEANT_AS = {FACTS_FILE: "the fact table is facts.yaml", ALIASES_FILE: "the aliases are aliases.yaml"}


def unread_near_misses(directory: Path) -> list[Problem]:
    """Files of ``directory`` that look meant as knowledge files but are not read, each with why (line 0):
    ``facts.yml`` or ``Facts.yaml`` (the fact table is ``facts.yaml``), ``x.markdown`` or ``x.MD``
    (articles are ``*.md``), a sub-folder holding Markdown files (only the top is read). They were passed
    over without a word, and a missing ``facts.yaml`` was
    all a curator heard. Hidden files and editor temporaries stay unmentioned (see ``is_knowledge_name``);
    an unreadable directory has none (its own problem is the load's)."""
    try:
        scanned = list(os.scandir(directory))
    except OSError:
        return []
    entries = sorted((e.name for e in scanned if not e.is_dir(follow_symlinks=False)), key=str.casefold)
    found = [
        Problem(
            str(directory / name), 0, f"not read: articles are *{ARTICLE_SUFFIX} at the top of the directory"
        )
        for name in sorted(
            e.name for e in scanned if e.is_dir(follow_symlinks=False) and _holds_articles(e.path)
        )
    ]
    for name in entries:
        if (
            is_knowledge_name(name)
            or name.startswith(NOT_KNOWLEDGE_PREFIXES)
            or name.endswith(NOT_KNOWLEDGE_SUFFIXES)
        ):
            continue
        stem, suffix = os.path.splitext(name.casefold())
        if suffix in (".yaml", ".yml") and f"{stem}.yaml" in _MEANT_AS:
            found.append(Problem(str(directory / name), 0, f"not read: {_MEANT_AS[stem + '.yaml']}"))
        elif suffix in MARKDOWN_SUFFIXES:
            found.append(Problem(str(directory / name), 0, f"not read: articles are *{ARTICLE_SUFFIX}"))
    return found


def _holds_articles(folder: str) -> bool:
    """A visible folder with Markdown files in it (a curator's sub-folder of articles: never read)."""
    if os.path.basename(folder).startswith(NOT_KNOWLEDGE_PREFIXES):
        return False
    try:
        return any(e.name.casefold().endswith(MARKDOWN_SUFFIXES) for e in os.scandir(folder) if e.is_file())
    except OSError:
        return False


def _order(path: Path) -> tuple[int, str]:
    # Articles first (by name), then the fact table and the aliases: the order the hash was always taken in.
    return ({FACTS_FILE: 1, ALIASES_FILE: 2}.get(path.name, 0), path.name)


def read_knowledge_files(directory: Path, limits: Limits | None = None) -> KnowledgeFiles:
    """Read every knowledge file of ``directory`` within ``limits``; never raises for a file's sake."""
    limits = limits or Limits()
    directory = Path(directory)
    problems: list[Problem] = []
    try:
        root = directory.resolve(strict=True)
        names = sorted(e.name for e in os.scandir(directory) if is_knowledge_name(e.name))
    except (OSError, RuntimeError) as exc:  # (RuntimeError: a symlink loop, on Python 3.11)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        problem = Problem(str(directory), 0, f"cannot read the knowledge directory: {why}")
        return KnowledgeFiles(directory, {}, "", (problem,))
    contents: dict[Path, bytes] = {}
    total = 0
    for name in sorted(names, key=lambda n: _order(Path(n))):
        path = directory / name
        data = _read_one(path, root, limits.max_file_bytes, problems)
        if data is None:
            continue
        total += len(data)
        if total > limits.max_total_bytes:
            problems.append(
                Problem(
                    str(path),
                    0,
                    f"cannot read: the knowledge base is over its {limits.max_total_bytes:,}-byte limit "
                    "(INNOV_MAX_KB_BYTES)",
                )
            )
            break
        contents[path] = data
    return KnowledgeFiles(directory, contents, content_hash(contents, directory), tuple(problems))


def _read_one(path: Path, root: Path, cap: int, problems: list[Problem]) -> bytes | None:
    """The bytes of one knowledge file, or None with a problem recorded."""
    try:
        info = os.lstat(path)
        target = path
        if stat.S_ISLNK(info.st_mode):
            try:
                target = path.resolve(strict=True)
            except RuntimeError:  # (Python 3.11 raises this for a loop; 3.13 an OSError)
                problems.append(Problem(str(path), 0, "cannot read: a symlink loop"))
                return None
            if not target.is_relative_to(root):
                problems.append(
                    Problem(str(path), 0, "cannot read: a symlink to outside the knowledge directory")
                )
                return None
            info = os.stat(target)
        if not stat.S_ISREG(info.st_mode):
            problems.append(
                Problem(str(path), 0, "cannot read: not a regular file (a FIFO, device or folder)")
            )
            return None
        if info.st_size > cap:
            problems.append(_too_big(path, info.st_size, cap))
            return None
        # O_NONBLOCK: a FIFO swapped in after the check cannot hang the reader; O_NOFOLLOW: nor a symlink.
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                problems.append(Problem(str(path), 0, "cannot read: not a regular file"))
                return None
            chunks: list[bytes] = []
            size = 0
            while size <= cap:
                chunk = os.read(fd, min(1 << 20, cap + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        problems.append(Problem(str(path), 0, f"cannot read: {exc.strerror or exc}"))
        return None
    if size > cap:
        problems.append(_too_big(path, size, cap))
        return None
    return b"".join(chunks)


def _too_big(path: Path, size: int, cap: int) -> Problem:
    return Problem(
        str(path),
        0,
        f"cannot read: {size:,} bytes is over the {cap:,}-byte limit per file (INNOV_MAX_FILE_BYTES)",
    )


VERSION_DIGITS = 12  # hex digits of a knowledge version
_HEX = frozenset("0123456789abcdef")


def content_hash(contents: dict[Path, bytes], root: Path) -> str:
    """A content hash of the files (names and bytes): replicas with the same files agree on it."""
    digest = hashlib.sha256()
    for path, data in contents.items():
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(data)
        digest.update(b"\0")
    return digest.hexdigest()[:VERSION_DIGITS]


def is_version(text: object) -> bool:
    """Whether ``text`` is a knowledge version as ``content_hash`` makes one (it names a saved index's
    directory: a version read from elsewhere, a broadcast or Redis, is checked before it is used)."""
    return isinstance(text, str) and len(text) == VERSION_DIGITS and all(c in _HEX for c in text)


def write_whole(path: Path, fill: Callable[[IO[bytes]], object]) -> None:
    """``path`` written whole or not at all: ``fill`` writes a file beside it, which is synced and renamed
    over it in one step, so a reader (another process, a full disk mid-write) never sees part of it.
    Readable by all, as a file the process writes itself would be (``mkstemp`` makes it private)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# Characters no article or YAML file is written with, which a reader would be served as they are: NUL and
# the other control characters (an ESC starts a terminal's colour codes), the marks that reorder text shown
# after them ("Trojan Source"), invisible ones (zero-width, a byte-order mark past the start, tag
# characters), and line breaks other than LF and CRLF (a lone CR or U+2028 cut a sentence in two). Tab,
# line feed and CRLF are text.
_CONTROL_RE = re.compile(
    "[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff"
    "\U000e0000-\U000e007f]|\r(?!\n)"
)


def decode(path: Path, data: bytes) -> str:
    """UTF-8 text of a knowledge file (a byte-order mark some editors write first is dropped);
    ``DecodeProblem`` names the line of the first bad byte, or of the first control character."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DecodeProblem(
            Problem(str(path), line, f"not UTF-8 text ({exc.reason}); save the file as UTF-8")
        ) from exc
    control = _CONTROL_RE.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        code = f"U+{ord(control.group()):04X}"
        raise DecodeProblem(Problem(str(path), line, f"a control character ({code}) is not text; remove it"))
    return text


class DecodeProblem(Exception):
    """A knowledge file is not UTF-8; carries its ``Problem``."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


# libyaml's C loader when the platform has it (about ten times faster than the pure-Python one).
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KEY_CHARS = 60  # a duplicate key as echoed in a problem: never a whole (possibly huge) key


class _KnowledgeLoader(_BASE_LOADER):
    """The safe loader (libyaml's when there is one), refusing a key given twice in one mapping.

    PyYAML keeps the last of two equal keys and drops the other without a word: a second ``facts:``
    block would silently replace every fact above it, a second ``topics:`` in a fact the first. Only
    the mapping's construction is Python's; parsing stays in C.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)  # (what PyYAML does first: '<<' merge keys become plain entries)
        first: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                mark = first.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: the constructor below says so in PyYAML's words
                continue
            if mark is not key_node.start_mark:
                raise DuplicateKey(key, key_node.start_mark, mark)
        return dict(super().construct_mapping(node, deep=deep))

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date or time, or a YAML error at its line: PyYAML raises a bare ``ValueError`` for an
        impossible one ("2025-02-30"), which no loader's ``YAMLError`` handler caught (a traceback)."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a real date or time ({exc})", node.start_mark
            ) from None


_KnowledgeLoader.add_constructor("tag:yaml.org,2002:timestamp", _KnowledgeLoader.construct_yaml_timestamp)

YAML_LOADER: Any = _KnowledgeLoader


def compose_yaml(text: str) -> yaml.Node | None:
    """The YAML node tree of ``text``, refusing anchors and aliases (``yaml.YAMLError`` otherwise).

    Knowledge files never need them, and aliases are how a 400-byte "billion laughs" file expands to
    gigabytes. The check runs over the parser's events, before anything is built.
    """
    for event in yaml.parse(text, Loader=YAML_LOADER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise AnchorRefused(event.start_mark)
    return yaml.compose(text, Loader=YAML_LOADER)


def load_yaml(text: str) -> Any:
    """Plain data from YAML ``text`` (anchors and aliases refused, see ``compose_yaml``)."""
    node = compose_yaml(text)
    if node is None:
        return None
    return YAML_LOADER(text).construct_document(node)


class DuplicateKey(yaml.YAMLError):
    """A key given twice in one mapping of a knowledge file (YAML would keep only the last)."""

    def __init__(self, key: Any, mark: Any, first: Any) -> None:
        self.problem_mark = mark
        self.context_mark = first
        shown = str(key)[:KEY_CHARS]
        self.problem = (
            f"the key {shown!r} is given twice in one mapping: YAML would keep the last and silently drop "
            "the other; merge them into one"
        )
        self.context = "first"
        super().__init__(self.problem)

    def __str__(self) -> str:
        return self.problem


class AnchorRefused(yaml.YAMLError):
    """YAML anchors and aliases are not allowed in knowledge files."""

    def __init__(self, mark: Any) -> None:
        self.problem_mark = mark
        self.problem = "anchors and aliases (& and *) are not allowed in knowledge files; write values out"
        super().__init__(self.problem)

    def __str__(self) -> str:
        return self.problem


@dataclass(frozen=True)
class YamlShape:
    """How a knowledge file's entries are laid out, for the plain sentence put before a YAML error."""

    entries: str
    """What the lines of the file are, as in "not indented like {entries} above it"."""
    layout: str
    """How one is written, as in "(each fact starts with '- id:')"."""


FACTS_SHAPE = YamlShape("the facts", "each fact starts with '- id:'")
ALIASES_SHAPE = YamlShape(
    "the aliases", "each is 'SHORT: what the articles say', indented under 'aliases:' or 'numbers:'"
)
FRONT_MATTER_SHAPE = YamlShape("the lines", "each line is 'key: value', at the start of the line")
_ANY_SHAPE = YamlShape("the lines", "the entries of one list or mapping start in the same column")


def yaml_problem(
    file: str,
    exc: yaml.YAMLError,
    *,
    first_line: int = 1,
    what: str = "not valid YAML",
    text: str | None = None,
    shape: YamlShape | None = None,
) -> Problem:
    """The problem a YAML error is, in one line, at the line to fix (``first_line``: the file line of the
    text's first line): a plain sentence saying what is wrong there, then PyYAML's own words.

    PyYAML marks where the problem was found (``problem_mark``) and, for some errors, where the construct
    it was reading began (``context_mark``). An unclosed bracket or quote is fixed where it opens (the
    problem is found later, at worst at the end of the file); a mis-indented entry or a tab where it is
    found (the block it breaks may have begun hundreds of lines above). The message names the other line
    too. ``text`` (the YAML parsed) and ``shape`` (how the file's entries look) make the sentence precise.
    """
    context = getattr(exc, "context", None) or ""
    problem = getattr(exc, "problem", None) or ""
    tab = "tab" in problem or "'\\t'" in problem
    unclosed = context.startswith(("while scanning", "while parsing a flow")) and not tab
    found, began = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    mark = (began or found) if unclosed else (found or began)
    line = first_line + (mark.line if mark else 0)
    message = problem or str(exc).splitlines()[0]
    if context:
        if unclosed and found is not None and found.line != getattr(mark, "line", None):
            message = f"{message} at line {first_line + found.line} ({context})"
        elif not unclosed and began is not None and began.line != getattr(mark, "line", None):
            message = f"{message} ({context} at line {first_line + began.line})"
        else:
            message = f"{message} ({context})"
    sentence = (
        None
        if isinstance(exc, AnchorRefused | DuplicateKey)
        else _plain_sentence(exc, mark, text, shape or _ANY_SHAPE)
    )
    if sentence:
        message = f"{sentence}; in YAML's words: {message}"
    return Problem(file, line, f"{what}: {message}")


def _plain_sentence(exc: yaml.YAMLError, mark: Any, text: str | None, shape: YamlShape) -> str | None:
    """What a curator would call the YAML error at ``mark``, in plain words, or None when unsure.

    PyYAML's C and Python parsers word some errors differently ("not allowed here" / "in this
    context"); both are recognised.
    """
    problem = (getattr(exc, "problem", None) or "").lower()
    context = (getattr(exc, "context", None) or "").lower()
    lines = text.splitlines() if text is not None else []
    source = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    column = mark.column if mark is not None else 0
    before = source[:column]
    at_start = not before.strip() or before.lstrip().startswith("- ") and ":" not in before
    indent = f"this line is not indented like {shape.entries} above it ({shape.layout})"
    if "tab" in problem or "'\\t'" in problem:
        return "this line is indented with a tab: indent with spaces only"
    if "expected '-' indicator" in problem or "expected <block end>" in problem:
        return indent
    if "did not find expected key" in problem:
        if at_start:
            return indent
        return (
            "the value on this line goes on after its closing quote or bracket: put the whole value in "
            "quotes (a ' inside '...' is written '')"
        )
    if "mapping values are not allowed" in problem:
        key = before.strip().removeprefix("- ")
        if key and ":" not in key and " " not in key:
            return indent
        return "this value holds ': ' (a colon and a space): put the whole value in quotes"
    if "end of stream" in problem and "quoted scalar" in context:
        return "a quote that opens on this line is never closed"
    if "expected ',' or ']'" in problem:
        return "a '[' list that opens on this line is not closed with ']' (or an item needs quotes)"
    if "expected ',' or '}'" in problem:
        return "a '{' that opens on this line is not closed with '}' (or a value needs quotes)"
    if "could not find expected ':'" in problem:
        return "this line has no ':' after its name (each line is 'name: value')"
    if "unknown escape character" in problem:
        return "a backslash in this double-quoted value starts no escape YAML knows: use single quotes"
    if "cannot start any token" in problem or "unknown directive" in problem or "undefined" in problem:
        start = source[column : column + 1] if source else ""
        shown = f"'{start}'" if start.strip() else "this character"
        return f"a value cannot start with {shown}: put the whole value in quotes"
    return None
