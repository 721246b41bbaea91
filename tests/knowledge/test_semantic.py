"""The dense channel: the real embedding model over real knowledge files (no stand-in for the model)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge import base, embedding, load_snapshot
from knowledge.embedding import Embedder, EmbeddingUnavailable, SemanticConfig
from knowledge.semantic import VectorStore, segment_texts
from tests.knowledge.conftest import write_kb

pytestmark = pytest.mark.skipif(embedding.default_embedder() is None, reason="embedding model not installed")


@pytest.fixture(scope="module")
def seeds() -> base.Snapshot:
    return load_snapshot(Path(__file__).resolve().parents[2] / "seeds")


def test_the_dense_channel_finds_a_sentence_sharing_no_word_with_the_question(tiny_kb: Path) -> None:
    composer = load_snapshot(tiny_kb).composer
    question = "which waterway stretches farthest"  # the text: "The longest river ... 800 kilometres long"
    q = composer.analyse(question)
    assert composer.dense is not None
    hits = composer.meaning.hits(q.meaning, None)
    assert hits is not None
    best = segment_texts(composer.passages)[hits.top_segments[0]]
    assert "longest river" in best
    assert not set(q.terms) & set(composer.rules.tokenize(best))  # no word in common
    texts = [composer.materialise(c).text for c in composer.candidates(q)]
    assert any("longest river" in t for t in texts)


def test_meaning_answers_a_paraphrase_the_words_alone_do_not(seeds: base.Snapshot) -> None:
    answer = seeds.answer("how big is astrazeneca's bet on the capital")
    assert answer.answered and "2.5 billion" in answer.text
    assert answer.sources and "opening-up" in answer.sources[0].title


def test_cosine_and_its_margin_are_ranking_and_decision_features(seeds: base.Snapshot) -> None:
    decision = seeds.composer.decide("where does china place in the global innovation index")
    assert decision.best is not None
    assert 0.5 < decision.best.features["cosine"] <= 1.0
    assert "cos_margin" in decision.best.features
    assert seeds.composer.model.weights["cosine"] > 0 and seeds.composer.model.ranker.weights["cosine"] > 0


NOISE = ("hey team ", "quick q: ", "pls ", "yo ", "")
TAIL = (" thx", " lol", " 🙏", "??", " rn", "")
ANSWERED = (
    "how many high-tech enterprises does china have",
    "how many robots per 10,000 workers does china have",
    "how much is astrazeneca investing in beijing",
    "what is zhongguancun known as",
    "how many provinces prioritized artificial intelligence",
)


def _typo(word: str, at: int) -> str:
    """Two neighbouring letters swapped, inside the word (a long word: the speller's job)."""
    at = 1 + at % (len(word) - 3)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(ANSWERED),
    st.sampled_from(NOISE),
    st.sampled_from(TAIL),
    st.integers(min_value=0, max_value=50),
    st.booleans(),
)
def test_a_typo_or_a_noise_word_never_changes_the_answer(
    seeds: base.Snapshot, question: str, before: str, after: str, where: int, typo: bool
) -> None:
    clean = seeds.answer(question)
    assert clean.answered
    words = question.split()
    if typo:
        long = [i for i, w in enumerate(words) if len(w) >= 7 and w.isalpha()]
        i = long[where % len(long)]
        words[i] = _typo(words[i], where)
    noisy = seeds.answer(before + " ".join(words) + after)
    assert (noisy.kind, noisy.text) == (clean.kind, clean.text)


def test_a_corrupt_model_file_gives_the_lexical_only_mode_said_everywhere(
    tmp_path: Path, tiny_kb: Path
) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"not a model at all" * 100)
    with pytest.raises(EmbeddingUnavailable, match="not the pinned file"):
        Embedder(bad)
    try:
        embedding.configure(SemanticConfig(model=bad))
        assert embedding.default_embedder() is None
        status = embedding.semantic_status()
        assert not status.enabled and "not the pinned file" in status.detail
        snapshot = load_snapshot(tiny_kb, index_dir=tmp_path / "index")
        assert snapshot.composer.dense is None
        assert snapshot.composer.semantic.startswith("off (lexical-only: the embedding model could not")
        assert str(bad) not in snapshot.composer.semantic  # /healthz shows this: no path to anyone
        answer = snapshot.answer("How many robots per 10,000 workers does Ruritania have?")
        assert answer.answered and "300" in answer.text  # lexical answers go on
    finally:
        embedding.configure(SemanticConfig.from_env())
    assert embedding.default_embedder() is not None


def test_a_missing_model_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(EmbeddingUnavailable, match="not found"):
        Embedder(tmp_path / "nowhere.onnx")


def test_embeddings_are_reused_across_a_reload_that_leaves_an_article_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = embedding.default_embedder()
    assert real is not None
    embedded: list[str] = []

    class Recording:
        """The real embedder, recording what it is asked to embed (disk reuse happens before it)."""

        def encode(self, texts: list[str], progress: object = None) -> np.ndarray:
            embedded.extend(texts)
            return real.encode(texts)

        def encode_one(self, text: str) -> np.ndarray:
            return real.encode_one(text)

    monkeypatch.setattr(base, "default_embedder", lambda: Recording())
    monkeypatch.delenv("INNOV_VECTOR_DIR", raising=False)  # beside this test's own index
    kb = write_kb(tmp_path / "kb")
    index = tmp_path / "index"
    base.build_and_save(kb, index)
    first = len(embedded)
    assert first > 10
    embedded.clear()
    rivers = kb / "rivers.md"
    rivers.write_text(rivers.read_text().replace("800 kilometres", "810 kilometres"), encoding="utf-8")
    base.build_and_save(kb, index)
    assert embedded == ["The longest river in Ruritania is the Zenda, which is 810 kilometres long."]
    assert VectorStore(index).file.is_file()


def test_builds_sharing_a_vector_store_at_once_each_read_every_text_s_own_vector(tmp_path: Path) -> None:
    """Builders that share a store (replicas on one directory, a check beside a serve) write it at once,
    with the same number of texts in other orders: each must get back the vector of each text it asks
    for, never a vector another build stored in that row."""

    def vector_of(text: str) -> np.ndarray:
        seed = int.from_bytes(VectorStore.key(text)[:4], "little")
        vector = np.random.default_rng(seed).standard_normal(embedding.DIMENSION).astype(np.float32)
        return vector / np.linalg.norm(vector)

    class ByHash:
        """An embedder whose vector is a function of the text, so any mix-up shows."""

        def encode(self, texts: list[str], progress: object = None) -> np.ndarray:
            return np.stack([vector_of(t) for t in texts])

    texts = [f"sentence number {i} about robots" for i in range(60)]
    store = VectorStore(tmp_path)
    failures: list[str] = []

    def build(worker: int) -> None:
        rng = np.random.default_rng(worker)
        for _ in range(25):
            # the same number of texts each time, some new, in another order: rows move between writes
            chosen = [texts[i] for i in rng.permutation(len(texts))[:40]] + [f"new {worker} {rng.random()}"]
            got = store.encode(ByHash(), chosen)  # type: ignore[arg-type]
            for text, vector in zip(chosen, got, strict=True):
                if not np.allclose(vector, vector_of(text), atol=1e-6):
                    failures.append(text)

    threads = [threading.Thread(target=build, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(store._read()) > 60


def test_the_saved_index_holds_the_embeddings_and_maps_them(tmp_path: Path) -> None:
    kb = write_kb(tmp_path / "kb")
    built = load_snapshot(kb, index_dir=tmp_path / "index").composer
    mapped = load_snapshot(kb, index_dir=tmp_path / "index").composer
    assert built.vectors is not None and mapped.vectors is not None
    assert np.array_equal(built.vectors.segments, mapped.vectors.segments)
    assert mapped.vectors.segments.dtype == np.int8  # a quarter of float32's mapped pages
    assert mapped.semantic.startswith("on (")


def test_int8_segment_vectors_keep_every_cosine_within_0_002(seeds: base.Snapshot) -> None:
    from knowledge.semantic import COSINE_BLOCK, UnitVectors, quantized_rows

    embedder = seeds.composer.embedder
    assert embedder is not None
    texts = segment_texts(seeds.composer.passages)
    exact = embedder.encode(texts)  # float32 unit vectors (an empty heading: a zero row)
    exact = np.vstack([exact] * (COSINE_BLOCK // len(exact) + 2))  # more rows than one block
    exact[5] = 0.0  # (an empty heading's row)
    quantized, scale = quantized_rows(exact)
    assert quantized.dtype == np.int8 and quantized.nbytes * 4 == exact.nbytes
    empty = np.zeros(0, np.float32)
    vectors = UnitVectors(quantized, scale, empty, exact[:0], exact[:0], exact[:0], empty, empty)
    question = embedder.encode(["how much is astrazeneca putting into beijing"])[0]
    every = vectors.cosines(question)
    assert np.abs(every - exact @ question).max() < 0.002
    rows = np.array([len(exact) - 1, 0, COSINE_BLOCK + 3, 7])  # any order, across blocks
    assert np.array_equal(vectors.cosines(question, rows), every[rows])
    assert not quantized[5].any() and every[5] == 0.0


def test_an_inverted_file_search_still_finds_the_paraphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from knowledge import semantic

    monkeypatch.setattr(semantic, "EXACT_MAX_UNITS", 50)  # the seeds' few hundred segments: an inverted file
    seeds_dir = Path(__file__).resolve().parents[2] / "seeds"
    built = load_snapshot(seeds_dir, index_dir=tmp_path / "index")
    mapped = load_snapshot(seeds_dir, index_dir=tmp_path / "index")
    for snapshot in (built, mapped):
        vectors = snapshot.composer.vectors
        assert vectors is not None and len(vectors.centroids) > 0
        answer = snapshot.answer("how big is astrazeneca's bet on the capital")
        assert answer.answered and "2.5 billion" in answer.text


FORKED = """
import os, sys
from pathlib import Path
from knowledge import embedding, load_snapshot
embedding.forks_workers()  # what innov serve's gunicorn master says before loading
snapshot = load_snapshot(Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
assert "onnxruntime" not in sys.modules, "the forking master imported onnxruntime"
pid = os.fork()
if pid == 0:  # a worker: answers with meaning, then exits the ordinary way (exit handlers run)
    answer = snapshot.answer("how big is astrazeneca's bet on the capital")
    sys.exit(0 if "2.5 billion" in answer.text else 3)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_worker_forked_from_the_master_answers_with_meaning_and_exits_cleanly(tmp_path: Path) -> None:
    """gunicorn's master loads the knowledge base and forks: a worker must embed, and exit without the
    abort onnxruntime's exit handlers give a child of a process that had imported it."""
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    done = subprocess.run(
        [sys.executable, "-c", FORKED, str(seeds), str(tmp_path / "index")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr


def test_above_the_passage_limit_a_knowledge_base_is_lexical_only(tmp_path: Path) -> None:
    try:
        embedding.configure(SemanticConfig(max_passages=2))
        composer = load_snapshot(write_kb(tmp_path / "kb"), index_dir=tmp_path / "index").composer
        assert composer.dense is None and "INNOV_SEMANTIC_MAX_PASSAGES=2" in composer.semantic
    finally:
        embedding.configure(SemanticConfig.from_env())


def test_freed_heap_memory_is_handed_back_on_glibc() -> None:
    # (What a worker does once its model session is loaded: ~55 MB of the load's scratch memory.)
    import platform

    from knowledge.embedding import release_freed_memory

    expected = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
    assert release_freed_memory() is expected
