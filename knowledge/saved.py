"""The saved index: a built knowledge base on disk, named by its content hash, memory-mapped on start-up.

Layout: ``<index dir>/<kb version>-<signature>/`` holds ``meta.json`` (articles' metadata, facts, names),
``vocab.txt`` (one term a line) and one ``.npy`` file per array (BM25 postings and weights, passage text,
sentence term ids). The signature covers the format number and the source of every module that shapes
what is saved (tokenizer, parser, index), so a code change can never map an index it did not write.
A directory is written aside and renamed into place in one step; a reader sees all of it or none.

``last-good-<directory hash>`` names the saved index that last loaded for one knowledge directory: a
worker that restarts, or ``innov serve`` over a directory broken since, maps it instead of failing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.aliases import AliasTable
from knowledge.derived_model import DERIVED_SHA256
from knowledge.embedding import DIMENSION, MODEL_ID, default_embedder
from knowledge.entities import Gazetteer, gazetteer
from knowledge.files import is_version
from knowledge.index import BM25Index, Vocabulary
from knowledge.models import Article, Fact
from knowledge.passages import PassageParts, PassageStore, SentenceTable
from knowledge.semantic import UnitVectors

logger = logging.getLogger("innov.knowledge.saved")

FORMAT = 5  # 4: segment flags are 16 bits; 5: segment vectors int8 with a scale per row
INDEX_DIR_NAME = ".innov-index"
# Arrays smaller than this are read into memory; larger ones are mapped and shared between processes.
MMAP_MIN_BYTES = 4 * 1024 * 1024
_CHECK_CHUNK_BYTES = 8 * 1024 * 1024  # a multiple of every item size
KEEP_SAVED = 4  # saved indexes kept per index directory (besides every last-good one)
_ARRAYS = (
    "idf",
    "indptr",
    "docs",
    "weights",
    "p_article",
    "p_number",
    "p_heading",
    "seg_ptr",
    "text",
    "text_ptr",
    "term_ptr",
    "terms",
    "seg_flags",
    "seg_chars",
)
# Modules whose code decides what a saved index holds (dotted below ``knowledge``). Each knowledge module
# one of them imports is signed too, or in ``UNSIGNED_IMPORTS``: ``tests/knowledge/test_saved.py`` checks,
# so a module split out of a signed one is not left out of the fingerprint. (The answer path,
# ``knowledge.answering``, reads a saved index and shapes nothing in it.)
SIGNED_MODULES = (
    "text",
    "traits",
    "aliases",
    "entities",
    "corpus",
    "facts",
    "files",
    "index",
    "passages",
    "saved",
    "models",
    "embedding",
    "derived_model",
    "semantic",
)
# Imported by signed modules, shaping nothing saved: error types, and the parallel map of a build (whose
# merged result is the single pass's).
UNSIGNED_IMPORTS = frozenset(("errors", "forked"))


class SavedIndexError(Exception):
    """A saved index is missing, from other code, or damaged: rebuild instead."""


@dataclass(frozen=True)
class SavedKnowledge:
    """What a saved index restores: everything a ``Snapshot`` needs, without reading a knowledge file."""

    version: str
    articles: dict[str, Article]
    facts: list[Fact]
    parts: PassageParts
    path: Path
    mapped: bool
    aliases: AliasTable
    places: Gazetteer  # the gazetteer the index was built with: no package data to load at start
    vectors: UnitVectors | None = None  # the units' embeddings (None: built lexical-only)


@lru_cache(maxsize=1)
def signature() -> str:
    """Format number and code fingerprint of the saved index (the second half of its name)."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    # Built with the embedding model or without: an index built lexical-only is rebuilt once the model is here.
    # (The model that runs is the derived one: a new derivation is a new signature.)
    digest.update((DERIVED_SHA256 if default_embedder() is not None else "lexical").encode())
    here = Path(__file__).resolve().parent
    for name in SIGNED_MODULES:
        digest.update((here / f"{name.replace('.', '/')}.py").read_bytes())
    return digest.hexdigest()[:10]


def default_index_dir(directory: Path) -> Path:
    """``.innov-index/`` beside the knowledge directory when writable, else a user cache directory."""
    beside = Path(directory).resolve().parent / INDEX_DIR_NAME
    candidates = [beside]
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    candidates.append(Path(cache_home) / "innov" / "index")
    candidates.append(Path(tempfile.gettempdir()) / f"innov-index-{os.getuid()}")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            if os.access(candidate, os.W_OK):
                return candidate
        except OSError:
            continue
    return candidates[-1]


def saved_path(index_dir: Path, version: str) -> Path:
    """Where the index of ``version`` is saved (``SavedIndexError`` for what is no version: "../x")."""
    if not is_version(version):
        raise SavedIndexError(f"no saved index for {version[:40]!r}: not a knowledge version")
    return Path(index_dir) / f"{version}-{signature()}"


def save(
    index_dir: Path,
    version: str,
    articles: dict[str, Article],
    facts: list[Fact],
    parts: PassageParts,
    aliases: AliasTable | None = None,
    places: Gazetteer | None = None,
    vectors: UnitVectors | None = None,
) -> Path:
    """Write the built knowledge base under its version, atomically; return its directory.

    ``places`` is the gazetteer the passages were tokenized with (default: this process's).
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    places = places if places is not None else gazetteer()
    final = saved_path(index_dir, version)
    if (final / "meta.json").is_file():
        return final
    store = parts.passages
    index, sentences = parts.index, parts.sentences
    arrays = {
        "idf": index.idf_array,
        "indptr": index.indptr,
        "docs": index.docs,
        "weights": index.weights,
        "p_article": store.article,
        "p_number": store.number,
        "p_heading": store.has_heading,
        "seg_ptr": store.seg_ptr,
        "text": store.text,
        "text_ptr": store.text_ptr,
        "term_ptr": sentences.term_ptr,
        "terms": sentences.terms,
        "seg_flags": sentences.flags,
        "seg_chars": sentences.chars,
    }
    if vectors is not None:
        arrays.update({f"vec_{name}": getattr(vectors, name) for name in UnitVectors.ARRAYS})
    meta = {
        "format": FORMAT,
        "signature": signature(),
        "version": version,
        "size": index.size,
        "articles": [a.model_dump(mode="json", exclude={"text", "raw"}) for a in articles.values()],
        "article_ids": store.article_ids,
        "facts": [f.model_dump(mode="json") for f in facts],
        "names": sorted(parts.names),
        "subject_terms": sorted(parts.subject_terms),
        "surface": parts.surface,
        "aliases": (aliases or AliasTable()).aliases,
        "numbers": (aliases or AliasTable()).numbers,
        "alias_lines": (aliases or AliasTable()).lines,
        "aliases_path": (aliases or AliasTable()).path,
        "places": places.places,
        "demonyms": places.demonyms,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "semantic": MODEL_ID if vectors is not None else None,
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=index_dir))
    tmp.chmod(0o755)  # mkdtemp makes it private; other processes of the deployment map it too
    try:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        (tmp / "vocab.txt").write_text("\n".join(index.vocabulary.terms), encoding="utf-8")
        # meta.json last: its presence marks a complete directory.
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / "meta.json").is_file():  # not "another process saved it first"
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _prune(index_dir)
    return final


def load(index_dir: Path, version: str) -> SavedKnowledge:
    """Map the saved index of ``version``; ``SavedIndexError`` when there is none or it is unusable."""
    path = saved_path(index_dir, version)
    meta_file = path / "meta.json"
    if not meta_file.is_file():
        raise SavedIndexError(f"no saved index at {path}")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("signature") != signature() or meta["version"] != version:
            raise SavedIndexError(f"{path} was saved by other code (format or signature differ)")
        sizes = sum((path / f"{name}.npy").stat().st_size for name in _ARRAYS)
        mapped = sizes >= MMAP_MIN_BYTES
        # Plain ndarray views of the mapping: numpy's memmap subclass makes every slice cost microseconds.
        arrays = {
            name: np.load(path / f"{name}.npy", mmap_mode="r" if mapped else None, allow_pickle=False).view(
                np.ndarray
            )
            for name in _ARRAYS
        }
        vocab_text = (path / "vocab.txt").read_text(encoding="utf-8")
        vocabulary = Vocabulary(vocab_text.split("\n") if vocab_text else [])
        size = int(meta["size"])
        _check_shapes(path, arrays, len(vocabulary), size, len(meta["article_ids"]))
        vectors = _vectors(path, meta, int(arrays["seg_ptr"][-1]), mapped)
        articles = {
            a["id"]: Article.model_construct(**_article_fields(a), text="", raw="") for a in meta["articles"]
        }
        facts = [Fact.model_construct(**_fact_fields(f)) for f in meta["facts"]]
        surface = {str(w): int(n) for w, n in meta["surface"].items()}
        aliases = AliasTable(
            {str(k): str(v) for k, v in meta["aliases"].items()},
            {str(k): str(v) for k, v in meta["numbers"].items()},
            {str(k): int(v) for k, v in meta["alias_lines"].items()},
            meta["aliases_path"],
        )
        places = Gazetteer(
            {str(k): str(v) for k, v in meta["places"].items()},
            {str(k): str(v) for k, v in meta["demonyms"].items()},
        )
    except SavedIndexError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, IndexError) as exc:
        # (An emptied or overwritten .npy file is an EOFError from numpy; an empty array an IndexError.)
        raise SavedIndexError(f"{path} is damaged ({type(exc).__name__}: {exc})") from exc
    index = BM25Index.from_arrays(
        vocabulary, arrays["idf"], arrays["indptr"], arrays["docs"], arrays["weights"], size
    )
    store = PassageStore(
        meta["article_ids"],
        arrays["p_article"],
        arrays["p_number"],
        arrays["p_heading"],
        arrays["seg_ptr"],
        arrays["text"],
        arrays["text_ptr"],
    )
    sentences = SentenceTable(
        vocabulary,
        arrays["seg_ptr"],
        arrays["term_ptr"],
        arrays["terms"],
        arrays["seg_flags"],
        arrays["seg_chars"],
    )
    parts = PassageParts(
        store, index, sentences, frozenset(meta["names"]), frozenset(meta["subject_terms"]), surface
    )
    return SavedKnowledge(version, articles, facts, parts, path, mapped, aliases, places, vectors)


def _vectors(path: Path, meta: dict[str, Any], segments: int, mapped: bool) -> UnitVectors | None:
    """The saved embeddings, checked against the segments and facts (None when built lexical-only)."""
    if meta.get("semantic") != MODEL_ID:
        return None
    loaded = {
        name: np.load(path / f"vec_{name}.npy", mmap_mode="r" if mapped else None, allow_pickle=False).view(
            np.ndarray
        )
        for name in UnitVectors.ARRAYS
    }
    vectors = UnitVectors(**loaded)
    facts = len(meta["facts"])
    scale = vectors.segment_scale
    ok = (
        vectors.segments.shape == (segments, DIMENSION)
        and vectors.segments.dtype == np.int8
        and scale.shape == (segments,)
        and scale.dtype == np.float32
        # (A unit vector's largest component is at most 1, so its scale at most 1/127.)
        and bool(np.all((scale >= 0) & (scale <= 1.0 / 127 + 1e-6)))
        and vectors.pair_norms.shape == (segments,)
        and vectors.facts.shape == (facts, DIMENSION) == vectors.topics.shape
        and vectors.centroids.shape[1:] == (DIMENSION,)
        and all(
            getattr(vectors, n).dtype == np.float32 for n in ("pair_norms", "facts", "topics", "centroids")
        )
        and len(vectors.list_ptr) == len(vectors.centroids) + 1
        and int(vectors.list_ptr[-1]) == len(vectors.list_segments)
        and (not len(vectors.list_segments) or int(vectors.list_segments.max()) < segments)
    )
    if not ok:
        raise ValueError("inconsistent arrays: embeddings")
    return vectors


def _check_shapes(path: Path, arrays: dict[str, np.ndarray], terms: int, size: int, articles: int) -> None:
    """The arrays agree with each other, so no answer can index outside one of them."""
    a = arrays

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise ValueError(f"inconsistent arrays: {what}")

    def within(name: str, limit: int) -> bool:
        low, high = _bounds(path / f"{name}.npy")
        return low >= 0 and high < limit

    need(len(a["idf"]) == terms and len(a["indptr"]) == terms + 1, "vocabulary")
    need(int(a["indptr"][-1]) == len(a["docs"]) == len(a["weights"]), "postings")
    need(within("docs", size), "posting ids")
    need(len(a["p_article"]) == len(a["p_number"]) == len(a["p_heading"]) == size, "passages")
    need(len(a["seg_ptr"]) == size + 1, "segments")
    segments = int(a["seg_ptr"][-1])
    need(len(a["text_ptr"]) == segments + 1 and int(a["text_ptr"][-1]) == len(a["text"]), "text")
    need(len(a["seg_flags"]) == len(a["seg_chars"]) == segments, "segment flags")
    need(len(a["term_ptr"]) == segments + 1 and int(a["term_ptr"][-1]) == len(a["terms"]), "terms")
    need(within("terms", terms), "term ids")
    need(within("p_article", articles), "articles")


def _bounds(file: Path) -> tuple[int, int]:
    """The smallest and largest value of a saved integer array (0, -1 when empty), read from its file in
    chunks: through reads, not the mapping, so checking leaves none of a large array resident here."""
    lows: list[int] = []
    highs: list[int] = []
    with file.open("rb") as f:
        major, _ = np.lib.format.read_magic(f)
        read_header = (
            np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        )
        dtype = read_header(f)[2]
        while chunk := f.read(_CHECK_CHUNK_BYTES):
            values = np.frombuffer(chunk, dtype=dtype)
            lows.append(int(values.min()))
            highs.append(int(values.max()))
    return (min(lows), max(highs)) if lows else (0, -1)


def _article_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    if fields.get("published"):
        fields["published"] = dt.date.fromisoformat(fields["published"])
    return fields


def _fact_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    fields["topics"] = tuple(fields.get("topics") or ())
    return fields


def discard(index_dir: Path, version: str) -> None:
    """Remove a damaged saved index (a process that mapped it keeps its pages until it lets go)."""
    path = saved_path(index_dir, version)
    trash = path.with_name(f".discarded-{path.name}-{os.getpid()}")
    try:
        os.rename(path, trash)  # one step, so no reader sees a half-deleted directory
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


# -- the last good index of a knowledge directory ----------------------------------------------------------


def _pointer(index_dir: Path, directory: Path) -> Path:
    key = hashlib.sha1(str(Path(directory).resolve()).encode()).hexdigest()[:10]
    return Path(index_dir) / f"last-good-{key}"


def mark_last_good(index_dir: Path, directory: Path, version: str) -> None:
    """Record ``version`` as the knowledge directory's last good index (atomically)."""
    pointer = _pointer(index_dir, directory)
    tmp = pointer.with_name(f".{pointer.name}.{os.getpid()}")
    try:
        tmp.write_text(version, encoding="utf-8")
        os.replace(tmp, pointer)
    except OSError as exc:
        logger.warning("cannot record the last good knowledge index in %s: %s", index_dir, exc)


def marked_good_since(index_dir: Path, directory: Path, version: str, since: float) -> bool:
    """Whether the directory's files loaded as ``version`` after ``since`` (a ``time.time()``): its last good
    pointer names that version and was written later."""
    pointer = _pointer(index_dir, directory)
    try:
        return pointer.stat().st_mtime > since and last_good(index_dir, directory) == version
    except OSError:
        return False


def last_good(index_dir: Path, directory: Path) -> str | None:
    """The version of the directory's last good saved index, if one was recorded."""
    try:
        return _pointer(index_dir, directory).read_text(encoding="utf-8").strip()[:64] or None
    except OSError:
        return None


def _prune(index_dir: Path) -> None:
    """Keep the newest ``KEEP_SAVED`` saved indexes and every last-good one; a mapped one stays readable."""
    try:
        keep = {p.read_text(encoding="utf-8").strip() for p in index_dir.glob("last-good-*")}
        saved = sorted(
            (p for p in index_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in saved[KEEP_SAVED:]:
            if old.name.rsplit("-", 1)[0] not in keep:
                shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        logger.debug("could not prune saved indexes in %s: %s", index_dir, exc)
