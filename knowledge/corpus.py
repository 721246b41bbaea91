"""Articles: front matter, boilerplate removal by rule, and paragraph-sized passages.

An article file is ``---``-delimited YAML front matter (``title`` required; ``id``, ``publisher``,
``published``, ``url`` optional) followed by the article text as published. Page furniture that such
sites wrap around an article is removed by the rules below, never by hand-editing the file, so an
admin who drops in another article from the same kind of site gets the same cleaning.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from knowledge.errors import Problem
from knowledge.files import FRONT_MATTER_SHAPE, DecodeProblem, decode, load_yaml, yaml_problem
from knowledge.models import Article, Passage
from knowledge.text import split_sentences

# Whole lines that are page furniture, not article text (matched after whitespace is collapsed).
BOILERPLATE_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"leave a reply",  # comment form
        r"please enter your (comment|name|email)( here)?!?",
        r"(no|\d+) comments?",
        r"must read",
        r"about the author",
        r"related (posts|articles)",
        r"share this( article)?:?",
        r"welcome to ?home",  # navigation crumb ("Welcome toHome")
        r"home ?[>»/|].*",  # breadcrumb trail
        r"hot topics|latest news|trending( now)?",  # section crumbs
        r".{0,60}\blogo",  # logo alt text ("China Barometer logo")
        r".{0,200}\bphoto: ?[^.]{0,60}",  # photo captions ("... Photo: VCG")
    )
)
# "Source:MK sports time:2025-03-06 20:30:36": the publisher and date line of news sites.
_SOURCE_LINE_RE = re.compile(
    r"^source:\s*(?P<publisher>.+?)\s+time:\s*(?P<date>\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$",
    re.IGNORECASE,
)
# "【MK sport】" site tags that spam mirrors prepend to titles and splice into the text.
_SITE_TAG_RE = re.compile(r"【([^】]{1,40})】")
# A heading: a short line without sentence punctuation at its end (or ending in a colon).
_HEADING_RE = re.compile(r"^(?:\d+\.\s*)?[^.!?]{1,90}:?$")
# A heading's section number ("3. Emerging Innovation Ecosystems"): its place in the article, no figure of
# it (a "how many" question is not answered by a section's number).
_SECTION_NUMBER_RE = re.compile(r"^\d+\.\s*")
_BULLET_RE = re.compile(r"^(?:[•·\-*–]|\d{1,2}[.)](?=\s))\s*")

PASSAGE_MAX_WORDS = 120


class FrontMatter(BaseModel):
    """The metadata header of an article file."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    title: str
    publisher: str | None = None
    published: dt.date | None = None
    url: str | None = None

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
            raise ValueError("id must be letters, digits, '-', '_' or '.' (it is used in citations and URLs)")
        return value

    @field_validator("url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://", value):
            raise ValueError("url must start with http:// or https:// (leave it out when unknown)")
        return value


def split_front_matter(raw: str) -> tuple[str, str, int]:
    """Return (front matter YAML, body, the body's first line number); raise ValueError if malformed."""
    lines = raw.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ValueError("missing front matter: the file must start with a '---' line, then 'title: ...'")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 2
    raise ValueError("front matter is not closed: add a '---' line after the metadata")


def clean_lines(body: str, title: str) -> tuple[list[str], dict[str, str]]:
    """Strip boilerplate from an article body; return its kept lines and metadata the text states."""
    stated: dict[str, str] = {}
    tags = {m.group(1).strip() for m in _SITE_TAG_RE.finditer(body)}
    title_key = _simplify(title)  # once per article, not once per line
    kept: list[str] = []
    for raw_line in body.splitlines():
        line = " ".join(_SITE_TAG_RE.sub("", raw_line).split())
        if not line:
            if kept and kept[-1]:
                kept.append("")
            continue
        source = _SOURCE_LINE_RE.match(line)
        if source:
            stated.setdefault("publisher", source.group("publisher"))
            stated.setdefault("published", source.group("date"))
            continue
        if any(p.fullmatch(line) for p in BOILERPLATE_LINES):
            continue
        if _simplify(line) == title_key or (kept and line == kept[-1]):
            continue
        for tag in tags:
            # A site tag spliced into running text ("advisory body,MK sport known as") is spam too.
            line = re.sub(rf"(?<=[,;:])\s*{re.escape(tag)}\s+", " ", line)
        kept.append(line)
    while kept and not kept[-1]:
        kept.pop()
    return kept, stated


_NON_WORD_RE = re.compile(r"\W+")


def _simplify(text: str) -> str:
    """Letters and digits only, casefolded: how a title line is recognised in the body."""
    return _NON_WORD_RE.sub("", text).casefold()


def _is_heading(line: str) -> bool:
    return bool(_HEADING_RE.match(line)) and len(line.split()) <= 12 and not line.startswith(("•", "·", "*"))


def make_passages(article_id: str, lines: list[str]) -> list[Passage]:
    """Paragraph-sized passages that keep sentence boundaries; long paragraphs are split between sentences."""
    passages: list[Passage] = []
    heading: str | None = None
    for line in lines:
        if not line:
            continue
        if _is_heading(line):
            heading = _SECTION_NUMBER_RE.sub("", line).rstrip(":")
            continue
        sentences = split_sentences(_BULLET_RE.sub("", line))
        chunk: list[str] = []
        chunk_words = 0
        for sentence in sentences:
            sentence_words = len(sentence.split())
            if chunk and chunk_words + sentence_words > PASSAGE_MAX_WORDS:
                passages.append(_passage(article_id, len(passages), chunk, heading))
                chunk, chunk_words = [], 0
            chunk.append(sentence)
            chunk_words += sentence_words
        if chunk:
            passages.append(_passage(article_id, len(passages), chunk, heading))
    return passages


def _passage(article_id: str, number: int, sentences: list[str], heading: str | None) -> Passage:
    # Built here from checked parts: skip pydantic's validation (a fifth of a 100k-passage build).
    return Passage.model_construct(
        id=f"{article_id}#{number}", article_id=article_id, sentences=tuple(sentences), heading=heading
    )


def load_article(path: Path, data: bytes | None = None) -> tuple[Article, list[Passage]]:
    """Clean one article file (``data``: its bytes, already read safely; else the file is read).

    Raises ``ArticleError`` naming the file and line on bad input.
    """
    try:
        raw = decode(path, path.read_bytes() if data is None else data)
    except DecodeProblem as exc:
        raise ArticleError(exc.problem) from exc
    try:
        header_text, body, body_line = split_front_matter(raw)
    except ValueError as exc:
        raise ArticleError(Problem(str(path), 1, str(exc))) from exc
    try:
        header = load_yaml(header_text) or {}
    except yaml.YAMLError as exc:
        raise ArticleError(
            yaml_problem(
                str(path),
                exc,
                first_line=2,
                what="front matter is not valid YAML",
                text=header_text,
                shape=FRONT_MATTER_SHAPE,
            )
        ) from exc
    if not isinstance(header, dict):
        raise ArticleError(Problem(str(path), 2, "front matter must be 'key: value' lines"))
    try:
        meta = FrontMatter.model_validate(header)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "front matter"
        raise ArticleError(
            Problem(str(path), _key_line(header_text, field), f"{field}: {first['msg']}")
        ) from exc
    lines, stated = clean_lines(body, meta.title)
    if not any(lines):
        raise ArticleError(Problem(str(path), body_line, "the article has no text after its front matter"))
    published = meta.published
    if published is None and "published" in stated:
        published = dt.date.fromisoformat(stated["published"])
    article = Article(
        id=meta.id or path.stem,
        title=meta.title,
        publisher=meta.publisher or stated.get("publisher"),
        published=published,
        url=meta.url,
        text="\n".join(lines),
        raw=body,
        path=str(path),
    )
    return article, make_passages(article.id, lines)


def _key_line(header_text: str, key: str) -> int:
    for number, line in enumerate(header_text.splitlines(), start=2):
        if line.startswith(f"{key}:"):
            return number
    return 1


class ArticleError(Exception):
    """One article file is broken; carries its ``Problem``."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))
