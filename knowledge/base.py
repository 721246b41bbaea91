"""The knowledge base: load a directory whole, validate it, save its index, and swap it in one step.

A ``Snapshot`` is one immutable, fully validated load of the knowledge directory. ``KnowledgeBase``
holds the current snapshot. There is one way to load (STYLE §9): read the files safely and hash them;
if a saved index of that content exists, map it (no parsing, no build); otherwise build (in a child
process with memory and time limits when ``isolated``), save the index under its content hash, and map
it. ``reload()`` does the same aside and swaps only a fully validated result in, so a broken edit keeps
the old knowledge serving and reports ``file:line: message``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from knowledge import saved, settle
from knowledge.aliases import ALIASES_FILE, AliasTable, load_aliases, text_rules
from knowledge.composer import Composer, check_question
from knowledge.corpus import ArticleError, load_article
from knowledge.embedding import build_progress, default_embedder
from knowledge.errors import KnowledgeLoadError, Problem
from knowledge.facts import load_facts
from knowledge.files import (
    FACTS_FILE,
    KnowledgeFiles,
    Limits,
    is_knowledge_name,
    read_knowledge_files,
    unread_near_misses,
)
from knowledge.forked import in_slices
from knowledge.models import Answer, Article, Fact, Passage, Source
from knowledge.passages import PassageParts, build_passage_parts
from knowledge.semantic import UnitVectors, VectorStore, build_vectors, dense_fits

logger = logging.getLogger("innov.knowledge")
# From this many article files they are parsed on every core (``knowledge.forked``).
PARALLEL_MIN_FILES = 200


@dataclass(frozen=True)
class Snapshot:
    """One validated load of the knowledge directory; never changes once built."""

    version: str
    directory: Path
    articles: dict[str, Article]
    passages: Sequence[Passage]
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
            object.__setattr__(self, "passages", composer.passages)

    @classmethod
    def from_saved(cls, directory: Path, knowledge: saved.SavedKnowledge) -> Snapshot:
        """The snapshot a saved index restores (only the small fact index is built)."""
        composer = Composer.from_parts(
            knowledge.articles,
            knowledge.facts,
            knowledge.version,
            knowledge.parts,
            knowledge.aliases,
            knowledge.places,
            knowledge.vectors,
        )
        return cls(
            knowledge.version,
            Path(directory),
            knowledge.articles,
            knowledge.parts.passages,
            {f.id: f for f in knowledge.facts},
            composer=composer,
            aliases=knowledge.aliases,
        )

    def answer(self, question: str) -> Answer:
        """Facts first, then the best passage, else an honest 'none' (see ``knowledge.composer``)."""
        return self.composer.answer(question)

    def understood(self, question: str) -> str:
        """The question as understood (``Answer.normalised``) without answering it: what a cached answer,
        kept without any question text, is served with."""
        return self.composer.analyser.phrasing(check_question(question)).normalised.lower()

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


def read_files(directory: Path, limits: Limits | None = None) -> KnowledgeFiles:
    """The knowledge files, read safely; ``KnowledgeLoadError`` when any cannot be read or none exist."""
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
    files = read_knowledge_files(directory, limits)
    if files.problems:
        raise KnowledgeLoadError(list(files.problems))
    if not files.articles:
        raise KnowledgeLoadError(
            [Problem(str(directory), 0, "no articles (*.md) in the knowledge directory")]
        )
    return files


def parse(files: KnowledgeFiles) -> tuple[dict[str, Article], list[Passage], list[Fact], AliasTable]:
    """Parse and validate every file; ``KnowledgeLoadError`` listing every problem."""
    problems: list[Problem] = []
    articles: dict[str, Article] = {}
    passages: list[Passage] = []
    loaded = in_slices(
        partial(_load_articles, contents=files.contents), files.articles, minimum=PARALLEL_MIN_FILES
    )
    for path, result in zip(files.articles, (r for run in loaded for r in run), strict=True):
        if isinstance(result, Problem):
            problems.append(result)
            continue
        article, article_passages = result
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
    facts_path = files.directory / FACTS_FILE
    if facts_path in files.contents:
        facts, fact_problems = load_facts(facts_path, articles, files.contents[facts_path])
        problems.extend(fact_problems)
    aliases = AliasTable()
    aliases_path = files.directory / ALIASES_FILE
    if aliases_path in files.contents:
        aliases, alias_problems = load_aliases(aliases_path, files.contents[aliases_path])
        problems.extend(alias_problems)
    if problems:
        raise KnowledgeLoadError(problems)
    # The articles' text was needed to check the facts' quotes; the snapshot keeps only their metadata.
    articles = {aid: a.model_copy(update={"text": "", "raw": ""}) for aid, a in articles.items()}
    return articles, passages, facts, aliases


def _load_articles(
    paths: Sequence[Path], contents: Mapping[Path, bytes]
) -> list[tuple[Article, list[Passage]] | Problem]:
    """Each article file parsed, or the problem that stops it (a value: results may cross a pipe)."""
    out: list[tuple[Article, list[Passage]] | Problem] = []
    for path in paths:
        try:
            out.append(load_article(path, contents[path]))
        except ArticleError as exc:
            out.append(exc.problem)
    return out


def build_and_save(directory: Path, index_dir: Path, limits: Limits | None = None) -> str:
    """Build the knowledge base from its files and save its index; the version saved (raises on problems).

    This is what the child process of an isolated build runs (``knowledge.build``).
    """
    files = read_files(directory, limits)
    try:
        saved.load(index_dir, files.version)
        return files.version  # built before (by another worker, replica or `innov check`)
    except saved.SavedIndexError:
        pass
    articles, passages, facts, aliases = parse(files)
    parts = build_passage_parts(articles, passages, text_rules(aliases))
    del passages
    saved.save(
        index_dir, files.version, articles, facts, parts, aliases, vectors=_embedded(parts, facts, index_dir)
    )
    return files.version


def _embedded(parts: PassageParts, facts: list[Fact], index_dir: Path) -> UnitVectors | None:
    """The units' embeddings (reusing those kept in ``index_dir``), or None when lexical-only."""
    embedder = default_embedder()
    if embedder is None or not dense_fits(len(parts.passages)):
        return None
    return build_vectors(parts.passages, facts, embedder, VectorStore(index_dir), build_progress())


def open_saved(directory: Path, index_dir: Path, version: str) -> Snapshot | None:
    """The snapshot of a saved index, or None (logged once) when it is missing or unusable."""
    try:
        knowledge = saved.load(index_dir, version)
    except saved.SavedIndexError as exc:
        if "no saved index" not in str(exc):
            logger.warning("ignoring a saved knowledge index: %s; rebuilding", exc)
            saved.discard(index_dir, version)  # so the rebuild can save a good one in its place
        return None
    return Snapshot.from_saved(directory, knowledge)


def load_snapshot(
    directory: Path,
    *,
    index_dir: Path | None = None,
    limits: Limits | None = None,
    isolated: bool = False,
    build_limits: BuildLimits | None = None,
) -> Snapshot:
    """Load a whole knowledge directory: map its saved index, or build, save and map it.

    Raises ``KnowledgeLoadError`` listing every problem. ``isolated`` builds in a child process with
    ``build_limits`` (what a server does); otherwise in this process (the CLI and tests). Files still being
    written are waited for, and a load during which one changed is made again (``knowledge.settle``).
    """
    directory = Path(directory)
    if index_dir is None:
        read_files(directory, limits)  # first: no index directory is made for a directory not there
    index_dir = Path(index_dir) if index_dir is not None else saved.default_index_dir(directory)
    deadline = time.monotonic() + settle.PATIENCE_SECONDS
    while True:
        before = settle.settled(directory, deadline)
        try:
            snapshot, read_version, mapped = _load_once(directory, index_dir, limits, isolated, build_limits)
        except KnowledgeLoadError:
            if not settle.changed_since(directory, before):
                raise
            snapshot, read_version, mapped = None, "", False  # problems of a file being written: again
        changed = settle.changed_since(directory, before)
        if snapshot is not None and not changed and snapshot.version == read_version:
            break
        if time.monotonic() >= deadline:
            raise KnowledgeLoadError(settle.still_changing(directory, changed))
        logger.info(
            "knowledge files changed while they were read (%s); reading them again", ", ".join(changed)
        )
    if mapped:
        saved.mark_last_good(index_dir, directory, snapshot.version)
    return snapshot


def _load_once(
    directory: Path,
    index_dir: Path,
    limits: Limits | None,
    isolated: bool,
    build_limits: BuildLimits | None,
) -> tuple[Snapshot, str, bool]:
    """One read of the files and the snapshot of what was read (mapped, or built and mapped), the version
    the read gave (a child build reads the files again: another version means they changed), and whether
    the snapshot is a saved index (not a build served from memory)."""
    files = read_files(directory, limits)
    snapshot = open_saved(directory, index_dir, files.version)
    if snapshot is None:
        if isolated:
            from knowledge.build import build_in_child

            version = build_in_child(directory, index_dir, limits or Limits(), build_limits or BuildLimits())
        else:
            version = _build_here(directory, index_dir, files)
        snapshot = open_saved(directory, index_dir, version)
        if snapshot is None:  # the index directory is not writable: serve the build from memory
            if isolated:
                raise KnowledgeLoadError(
                    [Problem(str(index_dir), 0, "cannot write the saved index; set INNOV_INDEX_DIR")]
                )
            articles, passages, facts, aliases = parse(files)
            snapshot = Snapshot(
                files.version, directory, articles, tuple(passages), {f.id: f for f in facts}, aliases=aliases
            )
            return snapshot, files.version, False
    return snapshot, files.version, True


def _may_have_saved(directory: Path) -> bool:
    """Whether a saved index of ``directory`` can exist in the default place: the directory is there, and
    it holds knowledge files or an index directory is already beside it. (Choosing the default place
    makes it, so it is not chosen merely to look for an index that was never saved.)"""
    if not directory.is_dir():
        return False
    if (directory.resolve().parent / saved.INDEX_DIR_NAME).is_dir():
        return True
    try:
        return any(is_knowledge_name(entry.name) for entry in os.scandir(directory))
    except OSError:
        return False


def _build_here(directory: Path, index_dir: Path, files: KnowledgeFiles) -> str:
    articles, passages, facts, aliases = parse(files)
    parts = build_passage_parts(articles, passages, text_rules(aliases))
    try:
        saved.save(
            index_dir,
            files.version,
            articles,
            facts,
            parts,
            aliases,
            vectors=_embedded(parts, facts, index_dir),
        )
    except OSError as exc:
        logger.warning("cannot save the knowledge index in %s (%s): serving it from memory", index_dir, exc)
    return files.version


@dataclass(frozen=True)
class BuildLimits:
    """Limits of a build in a child process: address space and wall-clock time."""

    memory_bytes: int = 3 * 1024**3
    seconds: float = 300.0


def check_directory(directory: Path, limits: Limits | None = None) -> list[Problem]:
    """Every problem in a knowledge directory (empty when it would load)."""
    try:
        parse(read_files(directory, limits))
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
    # What answers by meaning are now ("on (...)", "off: ... lexical-only"), and before the reload.
    semantic: str = ""
    semantic_before: str = ""
    # What the serving layer adds for whoever asked (the bot: "the other replicas could not be told").
    notice: str = ""
    # Files of the directory not read though they look meant to be (``unread_near_misses``).
    warnings: tuple[str, ...] = ()

    @property
    def changed_anything(self) -> bool:
        return self.old_version != self.new_version


class KnowledgeBase:
    """The knowledge the bot serves: a current ``Snapshot``, replaced atomically by ``reload()``.

    ``problems`` lists what is wrong with the files on disk while an older snapshot keeps serving
    (empty when the files on disk are what serves).
    """

    def __init__(
        self,
        directory: Path | str,
        *,
        index_dir: Path | str | None = None,
        limits: Limits | None = None,
        isolated: bool = False,
        build_limits: BuildLimits | None = None,
        snapshot: Snapshot | None = None,
    ) -> None:
        """Load ``directory`` (raises ``KnowledgeLoadError``), or serve ``snapshot`` as given."""
        self.directory = Path(directory)
        self._index_dir = Path(index_dir) if index_dir is not None else None
        self.limits = limits or Limits()
        self.isolated = isolated
        self.build_limits = build_limits or BuildLimits()
        self.problems: tuple[Problem, ...] = ()
        self._problems_at = time.time()  # when ``problems`` were found (a ``time.time()``)
        self._reload_lock = threading.Lock()
        # Run after every swap (reload, adoption): a server frees the old snapshot's memory here.
        self.after_swap: Callable[[], None] | None = None
        self._snapshot = snapshot if snapshot is not None else self._load()
        self._snapshot.composer.warm()

    @classmethod
    def last_good(
        cls,
        directory: Path | str,
        *,
        index_dir: Path | str | None = None,
        problems: Sequence[Problem] = (),
        **options: object,
    ) -> KnowledgeBase | None:
        """The knowledge base of the directory's last good saved index (files on disk unread), or None.

        ``problems`` are what is wrong with the files now; they are kept in ``problems`` for /healthz.
        """
        directory = Path(directory)
        if index_dir is None and not _may_have_saved(directory):
            return None  # looking must not make an empty .innov-index/ (default_index_dir creates it)
        index = Path(index_dir) if index_dir is not None else saved.default_index_dir(directory)
        version = saved.last_good(index, directory)
        snapshot = open_saved(directory, index, version) if version else None
        if snapshot is None:
            return None
        kb = cls(directory, index_dir=index, snapshot=snapshot, **options)  # type: ignore[arg-type]
        kb.problems = tuple(problems)
        kb._problems_at = time.time()
        return kb

    @property
    def index_dir(self) -> Path:
        """Where saved indexes are kept: as given, else ``.innov-index/`` beside the knowledge directory
        (or a cache directory), chosen (and made) only once there is knowledge to save."""
        if self._index_dir is None:
            self._index_dir = saved.default_index_dir(self.directory)
        return self._index_dir

    def _load(self) -> Snapshot:
        return load_snapshot(
            self.directory,
            index_dir=self._index_dir,
            limits=self.limits,
            isolated=self.isolated,
            build_limits=self.build_limits,
        )

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
            try:
                new = self._load()
            except KnowledgeLoadError as exc:
                self.problems = tuple(exc.problems)
                self._problems_at = time.time()
                raise
            self.problems = ()
            report = self._swap(new, started)
            unread = tuple(str(p) for p in unread_near_misses(self.directory))
            report = replace(report, warnings=unread)
        self._settle()
        return report

    def adopt(self, version: str) -> ReloadReport | None:
        """Map the saved index of ``version`` (another worker or replica built it); None if there is none.

        The files are not read: a worker catching up with its fleet serves exactly what was validated.
        """
        with self._reload_lock:
            started = time.perf_counter()
            if self.problems and saved.marked_good_since(
                self.index_dir, self.directory, version, self._problems_at
            ):
                self.problems = ()  # these files loaded as ``version`` since the problems were found
            if self._snapshot.version == version:
                return _report(self._snapshot, self._snapshot, 0.0)
            new = open_saved(self.directory, self.index_dir, version)
            if new is None:
                return None
            report = self._swap(new, started)
        self._settle()
        return report

    def _swap(self, new: Snapshot, started: float) -> ReloadReport:
        """Serve ``new``, warmed first (see ``Composer.warm``); the report of the change."""
        new.composer.warm()
        report = _report(self._snapshot, new, time.perf_counter() - started)
        # A single reference assignment: readers see the old snapshot or the new one, never a mix.
        self._snapshot = new
        return report

    def _settle(self) -> None:
        """Run ``after_swap``, once no reference here keeps the old snapshot alive."""
        if self.after_swap is not None:
            self.after_swap()

    def adopt_last_good(self) -> ReloadReport | None:
        """Map the directory's last good saved index when it is not the one serving (a worker's start)."""
        version = saved.last_good(self.index_dir, self.directory)
        if version is None or version == self.version:
            return None
        return self.adopt(version)


def _report(old: Snapshot, new: Snapshot, seconds: float) -> ReloadReport:
    return ReloadReport(
        old_version=old.version,
        new_version=new.version,
        articles=len(new.articles),
        passages=len(new.passages),
        facts=len(new.facts),
        seconds=seconds,
        semantic=new.composer.semantic,
        semantic_before=old.composer.semantic,
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
