"""The derived model: deterministic from the pinned file, checked by sha256, int8 in memory, close vectors."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from knowledge import derived_model, embedding
from knowledge.derived_model import DERIVED_SHA256, DerivationError, derive
from knowledge.embedding import Embedder, EmbeddingUnavailable, SemanticConfig

SENTENCES = [
    "How many industrial robots per 10,000 workers does China have?",
    "Shenzhen's R&D spending rose to 5.8% of its GDP in 2023.",
    "Where does China rank in the Global Innovation Index?",
    "The semiconductor fund raised 344 billion yuan.",
]


@pytest.fixture(scope="module")
def pinned() -> Path:
    return embedding.model_file()


@pytest.fixture(scope="module")
def derived_bytes(pinned: Path) -> bytes:
    return derive(pinned.read_bytes())


def test_the_derivation_is_deterministic_and_gives_the_checked_file(
    pinned: Path, derived_bytes: bytes
) -> None:
    assert hashlib.sha256(derived_bytes).hexdigest() == DERIVED_SHA256
    assert derive(pinned.read_bytes()) == derived_bytes


def test_the_derived_model_keeps_its_weights_int8(derived_bytes: bytes) -> None:
    model = onnx.load_from_string(derived_bytes)
    onnx.checker.check_model(model)
    floats = [t for t in model.graph.initializer if numpy_helper.to_array(t).dtype == np.float32]
    assert sum(numpy_helper.to_array(t).nbytes for t in floats) < 3_000_000  # scales, biases, norms
    assert sum(node.op_type == "MatMulNBits" for node in model.graph.node) == 36  # 6 layers of 6
    initializers = {t.name for t in model.graph.initializer}
    # Nothing dequantizes a whole weight (what onnxruntime would fold into float32): only gathered rows.
    assert not [node for node in model.graph.node if node.op_type == "Cast" and node.input[0] in initializers]


def test_its_vectors_are_those_of_the_pinned_file_within_rounding(
    pinned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNOV_MODEL_CACHE", str(tmp_path))
    embedder = Embedder(pinned)
    assert embedder.model.parent == tmp_path
    derived = embedder.encode(SENTENCES)
    import onnxruntime as ort

    as_before = ort.InferenceSession(
        str(pinned), providers=["CPUExecutionProvider"]
    )  # the pinned file itself
    original = np.stack([embedder._run([text], as_before)[0] for text in SENTENCES])
    cosines = (derived * original).sum(axis=1)
    assert cosines.min() >= 0.999


def test_the_derived_file_is_kept_and_a_damaged_one_derived_again(
    pinned: Path, derived_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counted(source: bytes) -> bytes:
        calls.append(1)
        return derived_bytes

    monkeypatch.setattr(derived_model, "derive", counted)
    path = derived_model.derived_model(pinned, tmp_path / "cache")
    assert derived_model.sha256_of(path) == DERIVED_SHA256 and len(calls) == 1
    assert derived_model.derived_model(pinned, tmp_path / "cache") == path and len(calls) == 1
    path.write_bytes(b"damaged" * 1000)
    assert derived_model.derived_model(pinned, tmp_path / "cache") == path and len(calls) == 2
    assert derived_model.sha256_of(path) == DERIVED_SHA256
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_a_derivation_that_is_not_the_checked_file_gives_lexical_only_said_clearly(
    pinned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNOV_MODEL_CACHE", str(tmp_path))
    monkeypatch.setattr(derived_model, "derive", lambda source: b"another onnx writes other bytes")
    with pytest.raises(DerivationError, match="not the expected one"):
        derived_model.derived_model(pinned, tmp_path)
    try:
        embedding.configure(SemanticConfig(model=pinned))
        assert embedding.default_embedder() is None
        status = embedding.semantic_status()
        assert not status.enabled and "derived from the pinned file is not the expected one" in status.detail
    finally:
        embedding.configure(SemanticConfig.from_env())
    assert not list(tmp_path.glob("*.onnx"))  # nothing unchecked is kept


def test_a_model_of_another_shape_is_not_rewritten(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    weight = numpy_helper.from_array(np.ones((4, 3), np.int8), "w")
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["w"], ["wf"], to=TensorProto.FLOAT),
            helper.make_node("Relu", ["wf"], ["out"]),
        ],
        "odd",
        [],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [4, 3])],
        [weight],
    )
    with pytest.raises(DerivationError, match="not followed by a Mul"):
        derive(helper.make_model(graph).SerializeToString())


def test_an_unwritable_cache_falls_back_to_a_temporary_directory(
    pinned: Path, derived_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("INNOV_MODEL_CACHE", str(blocked / "cache"))
    monkeypatch.setattr(derived_model, "derive", lambda source: derived_bytes)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(embedding.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    path = embedding._derived(pinned)
    assert path.parent.parent == tmp_path / "tmp" and derived_model.sha256_of(path) == DERIVED_SHA256


def test_without_the_onnx_package_the_runtime_is_said_missing(
    pinned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(source: bytes) -> bytes:
        raise ModuleNotFoundError("No module named 'onnx'", name="onnx")

    monkeypatch.setenv("INNOV_MODEL_CACHE", str(tmp_path))
    monkeypatch.setattr(derived_model, "derive", missing)
    with pytest.raises(EmbeddingUnavailable, match=r"not installed \(onnx\)"):
        Embedder(pinned)


def test_a_derived_file_changed_after_its_check_is_not_run(
    pinned: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNOV_MODEL_CACHE", str(tmp_path))
    embedder = Embedder(pinned)
    embedder.model.write_bytes(embedder.model.read_bytes()[:-1] + b"x")
    with pytest.raises(EmbeddingUnavailable, match="changed after it was checked"):
        embedder.encode_one("Where does China rank in the Global Innovation Index?")


def test_a_temporary_directory_another_could_write_is_not_used(
    pinned: Path, derived_bytes: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("INNOV_MODEL_CACHE", str(blocked / "cache"))
    monkeypatch.setattr(derived_model, "derive", lambda source: derived_bytes)
    monkeypatch.setattr(embedding.tempfile, "gettempdir", lambda: str(tmp_path))
    shared = tmp_path / f"innov-model-{os.getuid()}"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(EmbeddingUnavailable, match="no writable directory"):
        embedding._derived(pinned)
