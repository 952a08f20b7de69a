PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/awslint-rules: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/awslint-rules
	$(BIN)/awslint-rules examples/ ; test $$? -le 1

test: $(BIN)/awslint-rules
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest

bench: $(BIN)/awslint-rules
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python scripts/benchmark.py

clean:
	rm -rf $(VENV) build src/*.egg-info
