"""The documentation's shape: README.md stays short, every example of output is one ``make docs``
regenerates (``docs/examples.py``), and every relative link leads somewhere.

Running the examples takes a minute and starts servers, so this test does not: it checks that each
marked example is well formed and holds the output of its own command, and that no output block sits
outside a marker (where ``make docs`` would never refresh it).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_MAX_BYTES = 15_000
DOCS = ("docs/answering.md", "docs/operations.md", "docs/curating.md", "benchmarks/README.md")
FENCE_RE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.DOTALL | re.MULTILINE)
# A knowledge version as examples show it ("knowledge base 449e8f693f1f", "kb_version": "449e8f693f1f").
VERSION_RE = re.compile(r"(?:knowledge base |\"kb_version\": \")([0-9a-f]{12})\b")
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def examples_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_examples", ROOT / "docs" / "examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (dataclasses look their module up while the class is built)
    spec.loader.exec_module(module)
    return module


def markdown_files() -> list[Path]:
    """The files ``make docs`` regenerates: README.md, docs/*.md and benchmarks/README.md."""
    return list(examples_module().markdown_files())


def test_the_documents_are_there_and_make_docs_regenerates_them() -> None:
    for name in ("README.md", *DOCS):
        assert ROOT / name in markdown_files(), name
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^docs: .*\n\t\$\(BIN\)/python docs/examples\.py$", makefile, re.MULTILINE)


def test_readme_is_at_most_15_kb() -> None:
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; move detail to docs/"


def test_the_readme_s_examples_show_the_seeds_as_they_are() -> None:
    """The README's examples run over seeds/: a knowledge version they show that is not the seeds' own
    means a knowledge file changed and `make docs` was not run (a new user's output then differs)."""
    from knowledge.base import read_files

    current = read_files(ROOT / "seeds").version
    module = examples_module()
    text = README.read_text(encoding="utf-8")
    shown = {v for e in module.find_examples(text, README.name) for v in VERSION_RE.findall(e.block)}
    assert shown, "no example in README.md shows the knowledge version"
    assert shown == {current}, (
        f"README.md shows version {sorted(shown)}, the seeds are {current}: run `make docs`"
    )


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_example_is_well_formed_and_shows_its_own_command(path: Path) -> None:
    module = examples_module()
    text = path.read_text(encoding="utf-8")
    examples = module.find_examples(text, path.name)  # raises on a malformed marker
    for example in examples:
        block = module.BLOCK_RE.fullmatch(example.block)
        lines = block.group("text").split("\n")
        assert lines[0] == example.shown, f"{path.name}:{example.line}: not regenerated (run `make docs`)"
        assert len(lines) > 2, f"{path.name}:{example.line}: no output (run `make docs`)"
        if example.typed:  # the console's transcript shows each typed line after its prompt
            shown = [line[len(module.PROMPT) :] for line in lines if line.startswith(module.PROMPT)]
            assert shown == example.typed, f"{path.name}:{example.line}: run `make docs`"
    assert text.count("<!-- example:") == len(examples)
    assert text.count(module.CLOSE) == len(examples)


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_output_outside_a_marked_example(path: Path) -> None:
    """A block showing a command's output (``$ command`` or a console prompt) is a marked example."""
    module = examples_module()
    text = path.read_text(encoding="utf-8")
    marked = [(e.start, e.end) for e in module.find_examples(text, path.name)]
    for fence in FENCE_RE.finditer(text):
        body = fence.group("body")
        if body.startswith("$ ") or module.PROMPT in body:
            inside = any(start <= fence.start() < end for start, end in marked)
            line = text.count("\n", 0, fence.start()) + 1
            assert inside, (
                f"{path.name}:{line}: output outside <!-- example: ... --> (make docs cannot refresh it)"
            )


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    found = set()
    text = FENCE_RE.sub("", path.read_text(encoding="utf-8"))
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", "")).replace(" ", "-")
        found.add(slug)
    return found


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    text = FENCE_RE.sub("", path.read_text(encoding="utf-8"))
    for target in LINK_RE.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        assert linked.exists(), f"{path.name}: link to {target}: no such file"
        if fragment and linked.suffix == ".md":
            assert fragment in anchors(linked), f"{path.name}: link to {target}: no such heading"
