PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test quick bench clean fuzz

$(BIN)/awslint-rules: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(BIN)/awslint-rules
	$(BIN)/awslint-rules examples/ ; test $$? -le 1

# -rs: the summary lists every skipped test with its reason (the corpus tests need ../shared).
test: $(BIN)/awslint-rules
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest -rs

# Everything but the tests marked slow (real cfn-lint, pre-commit and SAM translator runs, the
# corpus, hypothesis): under 30 s on 2 cores, for the edit-test loop. `make test` runs them all.
quick: $(BIN)/awslint-rules
	$(BIN)/ruff check src tests scripts
	$(BIN)/python -m pytest -rs -m "not slow"

bench: $(BIN)/awslint-rules
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python scripts/benchmark.py

# The long hypothesis profile, then the mutation fuzzer, in one time budget (FUZZ_SECONDS, default
# 300), with a progress line every 10 s; see scripts/fuzz.py.
fuzz: $(BIN)/awslint-rules
	$(BIN)/python scripts/fuzz.py --seconds $${FUZZ_SECONDS:-300} --seed $${FUZZ_SEED:-0}

clean:
	rm -rf $(VENV) build src/*.egg-info
