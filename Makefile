# `make run` and `make test` are the whole set-up: each creates .venv and installs into it on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint check eval bench docs lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/innov

lint: $(VENV)/.installed
	$(BIN)/ruff check knowledge bot handlers tests benchmarks docs
	$(BIN)/ruff format --check knowledge bot handlers tests benchmarks docs
	$(BIN)/mypy

check: $(VENV)/.installed
	$(BIN)/innov check

# dev_qa must stay perfect; dev_qa2 (natural phrasing) and the paraphrase development sets are gated at
# today's figures (right answers at least, wrong answers at most): see docs/answering.md, "Refitting".
eval: $(VENV)/.installed
	$(BIN)/innov eval eval/dev_qa.json --min-accuracy 1.0
	$(BIN)/innov eval eval/dev_qa2.json --min-declined 28 --max-wrong 1 --min-answerable 52
	$(BIN)/innov eval eval/semantic_dev.json --min-answerable 18 --max-wrong 3
	$(BIN)/innov eval eval/semantic_dev2.json --min-answerable 40 --max-wrong 1
	$(BIN)/innov eval eval/semantic_dev3.json --min-answerable 34 --max-wrong 4
	$(BIN)/innov eval eval/semantic_dev4.json --min-answerable 38 --max-wrong 1
	$(BIN)/innov eval eval/semantic_dev5.json --min-answerable 30 --max-wrong 8

# Three workers on two cores: most of the suite's time is servers, subprocesses and Redis waiting, not CPU.
test: lint check eval
	$(BIN)/python -m pytest -q -n 3

# The image installs from requirements.lock; regenerate it after changing pyproject.toml's dependencies
# (tests/test_packaging.py fails while a requirement is missing from it or its pin does not satisfy it).
lock: $(VENV)/.installed
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks

# Every example of command output in README.md and docs/ is run again and rewritten (docs/examples.py).
docs: $(VENV)/.installed
	$(BIN)/python docs/examples.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
