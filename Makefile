# camreg: `make demo` runs the main job on SQLite, `make test` runs every check on both databases.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PYTEST_ARGS ?=

.PHONY: install install-test demo test lint typecheck contracts migrations-check pytest bench samples clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "camreg needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e . 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c 'import api.cli.main'
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	bash scripts/install-system-deps.sh
	$(BIN)/pip install -q -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c 'import api.cli.main, playwright, schemathesis'
	touch $@ $(STAMP)

install: $(STAMP)  ## Create .venv with camreg in it.

install-test: $(TEST_STAMP)  ## Install with the test extras and the system packages tests need.

demo: install  ## Migrate, import samples, create an admin, serve on http://127.0.0.1:8000.
	$(BIN)/camreg demo

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy .

contracts: install-test
	$(BIN)/lint-imports

migrations-check: install-test
	mkdir -p var && rm -f var/alembic-check.db
	$(BIN)/alembic upgrade head >/dev/null && $(BIN)/alembic check
	rm -f var/alembic-check.db

pytest: install-test
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-mosquitto.sh
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck contracts migrations-check pytest  ## Every check, on SQLite and PostgreSQL.

bench: install-test  ## Benchmarks (never part of make test).
	bash scripts/ensure-postgres.sh
	$(BIN)/python benchmarks/run_all.py

samples: install  ## Regenerate samples/cameras.csv and samples/areas.geojson.
	$(BIN)/python scripts/generate_samples.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
