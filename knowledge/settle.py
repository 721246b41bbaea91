"""Knowledge files that are still being written are not loaded half-written.

An editor that writes a file in place, a slow copy or a script writing ``facts.yaml`` in pieces leaves it
partial for a while, and a partial ``facts.yaml`` cut at a fact boundary is valid YAML with fewer facts:
it would load, pass every check and be served. So a load first waits until no knowledge file has changed
for :data:`SETTLE_SECONDS` (:func:`settled`), and after reading and building it checks that no file
changed meanwhile (:func:`changed_since`); if one did, it loads again. Files still changing after
:data:`PATIENCE_SECONDS` are refused with a problem naming them (:func:`still_changing`).

A change is seen in a file's size, modification time or inode (an atomic rename gives a new inode), or in
the set of files. Writers should write atomically (a temporary file in the same directory, then a rename
over the old one): readers then see the old file or the new one, never a part.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Mapping
from pathlib import Path

from knowledge.errors import KnowledgeLoadError, Problem
from knowledge.files import is_knowledge_name

SETTLE_SECONDS = 1.0
"""How long the knowledge files must have been left alone before a load reads them."""
PATIENCE_SECONDS = 10.0
"""How long a load waits for the files to settle and stay settled while it builds, before refusing."""

Stamp = tuple[int, int, int]
"""A file's size, modification time (ns) and inode."""


def stamps(directory: Path) -> dict[str, Stamp]:
    """The stamp of every knowledge file in ``directory`` (symlinks followed; unreadable ones left out)."""
    found: dict[str, Stamp] = {}
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return found
    for entry in entries:
        name = entry.name
        if not is_knowledge_name(name):
            continue
        try:
            info = os.stat(entry.path)
        except OSError:
            continue
        found[name] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return found


def changed_between(before: Mapping[str, Stamp], after: Mapping[str, Stamp]) -> list[str]:
    """The names of the files added, removed or changed from ``before`` to ``after``, sorted."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def changed_since(directory: Path, before: Mapping[str, Stamp]) -> list[str]:
    """The knowledge files of ``directory`` that changed since ``before`` was taken."""
    return changed_between(before, stamps(directory))


def settled(directory: Path, deadline: float, *, settle: float | None = None) -> dict[str, Stamp]:
    """The files' stamps once none of them has changed for ``settle`` seconds (default
    :data:`SETTLE_SECONDS`); ``KnowledgeLoadError`` naming the files still changing at ``deadline``
    (``time.monotonic()``)."""
    settle = SETTLE_SECONDS if settle is None else settle
    while True:
        before = stamps(directory)
        newest = max((mtime for _, mtime, _ in before.values()), default=0) / 1e9
        quiet = time.time() - newest
        if quiet >= settle:
            return before
        # Wait out the rest of the quiet time (at most ``settle``: a modification time in the future, from
        # a skewed clock, is waited for once, then the files count as settled if they stayed the same).
        wait = min(settle - quiet, settle)
        if time.monotonic() + wait > deadline:
            recent = [n for n, (_, mtime, _) in before.items() if time.time() - mtime / 1e9 < settle]
            raise KnowledgeLoadError(still_changing(directory, recent))
        time.sleep(wait)
        if stamps(directory) == before:
            return before


def still_changing(directory: Path, names: Collection[str]) -> list[Problem]:
    """The problems of files that kept changing while a load waited for them."""
    message = (
        f"changed while it was read (still changing after {PATIENCE_SECONDS:g} s), so it may be half "
        "written: write knowledge files atomically (write a temporary file, then rename it over this "
        "one) and reload again"
    )
    return [Problem(str(directory / name), 0, message) for name in sorted(names) or ["."]]
