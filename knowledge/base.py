"""The knowledge base: load a directory whole, validate it, and swap it in one step.

A ``Snapshot`` is one immutable, fully validated load of the knowledge directory. ``KnowledgeBase``
holds the current snapshot; ``reload()`` builds the next one aside and swaps it in only when every file
is good, so a broken edit keeps the old knowledge serving and reports ``file:line: message``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.aliases import ALIASES_FILE, AliasTable, load_aliases
from knowledge.composer import Composer
from knowledge.corpus import ArticleError, load_article
from knowledge.errors import KnowledgeLoadError, Problem
from knowledge.facts import FACTS_FILE, load_facts
from knowledge.models import Answer, Article, Fact, Passage, Source

ARTICLE_GLOB = "*.md"


def knowledge_files(directory: Path) -> list[Path]:
    """The files that make up a knowledge base: its articles and, if present, facts and aliases."""
    files = sorted(directory.glob(ARTICLE_GLOB))
    for name in (FACTS_FILE, ALIASES_FILE):
        if (directory / name).is_file():
            files.append(directory / name)
    return files


def content_version(files: list[Path], root: Path) -> str:
    """A content hash of the files (names and bytes): replicas with the same files agree on it."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class Snapshot:
    """One validated load of the knowledge directory; never changes once built."""

    version: str
    directory: Path
    articles: dict[str, Article]
    passages: tuple[Passage, ...]
    facts: dict[str, Fact]
    loaded_at: float = field(default_factory=time.time)
    composer: Composer = field(repr=False, compare=False, default=None)  # type: ignore[assignment]
    aliases: AliasTable = field(default_factory=AliasTable, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.composer is None:
            composer = Composer(
                self.articles, self.passages, list(self.facts.values()), self.version, self.aliases
            )
            object.__setattr__(self, "composer", composer)

    def answer(self, question: str) -> Answer:
        """Facts first, then the best passage, else an honest 'none' (see ``knowledge.composer``)."""
        return self.composer.answer(question)

    def ranking_facts(self) -> list[Fact]:
        """The facts curators marked ``rank: true``, in file order, each ranking once (what ``/innov rank``
        shows): a later fact with the same figure from another article is a second source, not a line."""
        shown: list[Fact] = []
        for fact in self.facts.values():
            if fact.rank and not any(_same_figure(fact, other) for other in shown):
                shown.append(fact)
        return shown

    def sources_for(self, fact: Fact) -> list[Source]:
        """The fact's source, then every other article that states the same figure."""
        others = [f for f in self.facts.values() if f.id != fact.id and _same_figure(fact, f)]
        return [self.source_of(fact)] + [self.source_of(f) for f in others if f.source != fact.source]

    def find_facts(self, topic: str | None) -> list[Fact]:
        """Facts about a topic, best first; all facts when ``topic`` is empty."""
        return self.composer.find_facts(topic)

    def source_of(self, fact: Fact) -> Source:
        """The fact's source article as a citation carrying the fact's quote."""
        return self.composer.source_of(fact)

    def sources(self) -> list[Source]:
        """Every article of the corpus as a citation, in id order."""
        return [a.source() for a in self.articles.values()]


def load_snapshot(directory: Path) -> Snapshot:
    """Load and validate a whole knowledge directory; raise ``KnowledgeLoadError`` listing every problem."""
    directory = Path(directory)
    if not directory.is_dir():
        raise KnowledgeLoadError(
            [
                Problem(
                    str(directory),
                    0,
                    "knowledge directory not found; set INNOV_KNOWLEDGE_DIR to a folder of *.md",
                )
            ]
        )
    files = knowledge_files(directory)
    article_files = [f for f in files if f.suffix == ".md"]
    if not article_files:
        raise KnowledgeLoadError(
            [Problem(str(directory), 0, "no articles (*.md) in the knowledge directory")]
        )
    version = content_version(files, directory)
    problems: list[Problem] = []
    articles: dict[str, Article] = {}
    passages: list[Passage] = []
    for path in article_files:
        try:
            article, article_passages = load_article(path)
        except ArticleError as exc:
            problems.append(exc.problem)
            continue
        if article.id in articles:
            problems.append(
                Problem(
                    str(path), 2, f"duplicate article id {article.id!r} (also {articles[article.id].path})"
                )
            )
            continue
        articles[article.id] = article
        passages.extend(article_passages)
    facts: list[Fact] = []
    facts_path = directory / FACTS_FILE
    if facts_path.is_file():
        facts, fact_problems = load_facts(facts_path, articles)
        problems.extend(fact_problems)
    aliases = AliasTable()
    aliases_path = directory / ALIASES_FILE
    if aliases_path.is_file():
        aliases, alias_problems = load_aliases(aliases_path)
        problems.extend(alias_problems)
    if problems:
        raise KnowledgeLoadError(problems)
    return Snapshot(version, directory, articles, tuple(passages), {f.id: f for f in facts}, aliases=aliases)


def check_directory(directory: Path) -> list[Problem]:
    """Every problem in a knowledge directory (empty when it would load)."""
    try:
        load_snapshot(directory)
    except KnowledgeLoadError as exc:
        return exc.problems
    return []


@dataclass(frozen=True)
class ReloadReport:
    """What a reload changed."""

    old_version: str
    new_version: str
    articles: int
    passages: int
    facts: int
    seconds: float
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def changed_anything(self) -> bool:
        return self.old_version != self.new_version


class KnowledgeBase:
    """The knowledge the bot serves: a current ``Snapshot``, replaced atomically by ``reload()``."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self._snapshot = load_snapshot(self.directory)
        self._reload_lock = threading.Lock()

    @property
    def snapshot(self) -> Snapshot:
        """The snapshot serving now; hold on to it to answer several things from one version."""
        return self._snapshot

    @property
    def version(self) -> str:
        return self._snapshot.version

    def answer(self, question: str) -> Answer:
        """Answer from the current snapshot."""
        return self._snapshot.answer(question)

    def reload(self) -> ReloadReport:
        """Load the directory aside and swap it in; on any problem raise and keep the old snapshot."""
        with self._reload_lock:
            started = time.perf_counter()
            old = self._snapshot
            new = load_snapshot(self.directory)
            # A single reference assignment: readers see the old snapshot or the new one, never a mix.
            self._snapshot = new
            seconds = time.perf_counter() - started
        return ReloadReport(
            old_version=old.version,
            new_version=new.version,
            articles=len(new.articles),
            passages=len(new.passages),
            facts=len(new.facts),
            seconds=seconds,
            added=tuple(k for k in new.facts if k not in old.facts),
            removed=tuple(k for k in old.facts if k not in new.facts),
            changed=tuple(
                k
                for k in new.facts
                if k in old.facts and _fact_content(new.facts[k]) != _fact_content(old.facts[k])
            ),
        )


def _same_figure(a: Fact, b: Fact) -> bool:
    return a.value == b.value and a.unit == b.unit and a.rank == b.rank


def _fact_content(fact: Fact) -> Fact:
    return fact.model_copy(update={"line": 0})
