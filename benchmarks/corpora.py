"""Benchmark knowledge directories on disk, and distinct questions for them.

Two kinds, each written as a real knowledge directory (the seed articles and facts, plus generated
articles of 100 passages), so start-up, reload and the saved index go through the real loading path:

* ``synthetic``: seed sentences with a share of their words swapped for other corpus words and numbers;
* ``zipf``: words drawn from a Zipf distribution over 30,000 made-up words, so the most common terms
  occur in most passages and a question touches far more postings (what a large real corpus does).

Questions are distinct (every one a cache miss), 5 to 8 terms, drawn from the same distribution.
Directories are cached under ``$TMPDIR/innov-bench/`` and rebuilt only when missing.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
PASSAGES_PER_ARTICLE = 100
ZIPF_VOCABULARY = 30_000
ZIPF_EXPONENT = 1.07
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
FORMAT = 2  # bump when the generators change, so cached directories are rewritten


def cache_root() -> Path:
    return Path(tempfile.gettempdir()) / "innov-bench"


def knowledge_dir(kind: str, size: int) -> Path:
    """The knowledge directory of ``kind`` with ``size`` passages in all (seeds included); written once."""
    target = cache_root() / f"{kind}-{size}-v{FORMAT}"
    if (target / ".complete").is_file():
        _copy_seeds(target)  # (the seeds may have changed since the corpus was written: a fact's quote)
        return target
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    _copy_seeds(target)
    seed_passages = _seed_passage_count()
    lines = (_zipf_passages if kind == "zipf" else _synthetic_passages)(max(0, size - seed_passages))
    for start in range(0, len(lines), PASSAGES_PER_ARTICLE):
        number = start // PASSAGES_PER_ARTICLE
        body = "\n\n".join(lines[start : start + PASSAGES_PER_ARTICLE])
        (target / f"{kind}-{number:05d}.md").write_text(
            f"---\nid: {kind}-{number:05d}\ntitle: {kind.title()} article {number}\n---\n{body}\n",
            encoding="utf-8",
        )
    (target / ".complete").write_text("ok")
    return target


def _copy_seeds(target: Path) -> None:
    """The seed articles, facts and aliases as they are now, into a generated corpus's directory."""
    for path in SEEDS.iterdir():
        if path.is_file() and not (
            (target / path.name).is_file() and (target / path.name).read_bytes() == path.read_bytes()
        ):
            shutil.copy(path, target / path.name)


def questions(kind: str, count: int = 100, seed: int = 11) -> list[str]:
    """``count`` distinct questions of 5 to 8 terms for a corpus of ``kind``."""
    rng = random.Random(seed)
    if kind == "zipf":
        words = _zipf_words()
        draw = _zipf_sampler(np.random.default_rng(seed))

        def make(n: int) -> list[str]:
            return [words[i] for i in draw(n)]

    else:
        sentences = _seed_sentences()

        def make(n: int) -> list[str]:
            candidates = [w.strip(".,;:()\"'’“”") for w in rng.choice(sentences).split() if len(w) > 3]
            return rng.sample(candidates, k=min(n, len(candidates)))

    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        terms = make(rng.randint(5, 8))
        question = "what about " + " ".join(terms).lower() + "?"
        if question not in seen:
            seen.add(question)
            out.append(question)
    return out


def _seed_sentences() -> list[str]:
    from knowledge import load_snapshot

    snapshot = load_snapshot(SEEDS, index_dir=cache_root() / "seed-index")
    return [s for p in snapshot.passages for s in p.sentences if len(s.split()) > 4]


def _seed_passage_count() -> int:
    from knowledge import load_snapshot

    return len(load_snapshot(SEEDS, index_dir=cache_root() / "seed-index").passages)


def _synthetic_passages(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    sentences = _seed_sentences()
    vocabulary = sorted({w for s in sentences for w in s.split() if w.isalpha()})
    out = []
    for _ in range(count):
        chosen = []
        for sentence in rng.sample(sentences, rng.randint(2, 4)):
            words = sentence.split()
            for i in range(len(words)):
                roll = rng.random()
                if roll < 0.2:
                    words[i] = rng.choice(vocabulary)
                elif roll < 0.23:
                    words[i] = str(rng.randint(1, 99_999))
            chosen.append(" ".join(words).rstrip(".") + ".")
        out.append(" ".join(chosen))
    return out


def _zipf_words() -> list[str]:
    rng = random.Random(3)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < ZIPF_VOCABULARY:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _zipf_sampler(rng: np.random.Generator) -> Callable[[int], np.ndarray]:
    ranks = np.arange(1, ZIPF_VOCABULARY + 1, dtype=np.float64)
    cumulative = np.cumsum(1.0 / ranks**ZIPF_EXPONENT)
    cumulative /= cumulative[-1]

    def draw(n: int) -> np.ndarray:
        return np.searchsorted(cumulative, rng.random(n))

    return draw


def _zipf_passages(count: int, seed: int = 5) -> list[str]:
    words = np.array(_zipf_words())
    rng = np.random.default_rng(seed)
    draw = _zipf_sampler(rng)
    out = []
    for _ in range(count):
        sentences = []
        for length in rng.integers(8, 21, size=int(rng.integers(3, 6))):
            chosen = words[draw(int(length))]
            sentences.append(" ".join(chosen).capitalize() + ".")
        out.append(" ".join(sentences))
    return out
