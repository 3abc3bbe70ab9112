# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test ci pg lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Opens the app on the default store (created with the Ariège reference data on first run).
run: $(STAMP)
	$(BIN)/suivi-sts

## Runs every test, the linters and the layer contracts.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

## CI: starts a throw-away PostgreSQL on 127.0.0.1 (installed if missing), then `make test` with
## the server required (PostgreSQL tests fail instead of being skipped).
ci:
	bash .ci/run

## Starts the test PostgreSQL server and prints the URL to export as SUIVI_STS_TEST_PG_URL.
pg:
	bash .ci/start-postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
