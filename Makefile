# `make run` and `make test` are the whole set-up: each creates .venv and installs into it on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint check eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/innov

lint: $(VENV)/.installed
	$(BIN)/ruff check knowledge bot handlers tests benchmarks
	$(BIN)/ruff format --check knowledge bot handlers tests benchmarks
	$(BIN)/mypy

check: $(VENV)/.installed
	$(BIN)/innov check

eval: $(VENV)/.installed
	$(BIN)/innov eval eval/dev_qa.json --min-accuracy 1.0

test: lint check eval
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
