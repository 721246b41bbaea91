"""Opening the knowledge base a process serves: from its files or its saved index, with the build's
limits, falling back to the last good saved index while the files are broken; and settling the memory
after each swap (:func:`settle_memory`)."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from typing import Any

from bot.settings import Settings
from knowledge import BuildLimits, KnowledgeBase, KnowledgeLoadError, Limits, embedding

# Logged under the services' name, as before this module was split from bot.services.
logger = logging.getLogger("bot.services")


def open_knowledge(settings: Settings, *, isolated: bool = False) -> KnowledgeBase:
    """The knowledge base ``settings`` describe: its saved index mapped, or built (in a child process
    with the build limits when ``isolated``), saved and mapped. Raises ``KnowledgeLoadError``."""
    return KnowledgeBase(settings.innov_knowledge_dir, **_knowledge_options(settings, isolated=isolated))


def open_knowledge_or_last_good(
    settings: Settings, *, isolated: bool = False
) -> tuple[KnowledgeBase, KnowledgeLoadError | None]:
    """The files' knowledge base, or when they are broken the last good saved index and why the files
    did not load (its problems are also in ``kb.problems``).

    Raises ``KnowledgeLoadError`` (file:line problems) when the files are broken and nothing was saved.
    """
    try:
        return open_knowledge(settings, isolated=isolated), None
    except KnowledgeLoadError as exc:
        last_good = KnowledgeBase.last_good(
            settings.innov_knowledge_dir,
            problems=exc.problems,
            **_knowledge_options(settings, isolated=isolated),
        )
        if last_good is None:
            raise
        return last_good, exc


def open_serving_knowledge(settings: Settings) -> KnowledgeBase:
    """The knowledge base a server starts with: the files' (built aside with limits), or, when the
    files are broken, the last good saved index with their problems in ``kb.problems``. Its memory is
    settled now and after every reload (``settle_memory``).

    Raises ``KnowledgeLoadError`` (file:line problems) when the files are broken and nothing was saved.
    """
    kb, problems = open_knowledge_or_last_good(settings, isolated=True)
    if problems is not None:
        logger.error(
            "the knowledge files do not load; serving the last good saved index %s:\n%s", kb.version, problems
        )
    kb.after_swap = settle_memory
    settle_memory()
    return kb


def _knowledge_options(settings: Settings, *, isolated: bool) -> dict[str, Any]:
    # How answers use meaning, for this process and the build's child process.
    embedding.configure(
        embedding.SemanticConfig(
            settings.innov_semantic, settings.innov_embedding_model, settings.innov_semantic_max_passages
        )
    )
    return {
        "index_dir": settings.innov_index_dir,
        "limits": Limits(settings.innov_max_file_bytes, settings.innov_max_kb_bytes),
        "isolated": isolated,
        "build_limits": BuildLimits(
            settings.innov_build_memory_mb * 1024 * 1024, settings.innov_build_seconds
        ),
    }


def _glibc() -> ctypes.CDLL | None:
    """The C library, when it is glibc (the only one with ``malloc_trim``)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()


def settle_memory() -> None:
    """After the serving knowledge base changed (loaded in the master, or reloaded): free what the old
    one and the load left behind, and keep the new one out of the cyclic collector's reach.

    The knowledge base is hundreds of thousands of long-lived objects at 100k passages: without the
    freeze every full collection walks them all (a pause of milliseconds in some answer) and, before a
    fork, touches pages the workers would otherwise share. The load's temporary buffers, freed, stay in
    the C heap until ``malloc_trim`` hands them back (about 40 MB at 100k passages).
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
