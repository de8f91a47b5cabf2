# Architecture Sandbox: `make run` serves the app, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.requirements.stamp
NPM_STAMP := node_modules/.package-lock.stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_TIMEOUT ?= 1200
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0

# DEBUG=0 refuses the development secret key: keep a generated one beside the venv.
ifeq ($(DEBUG),0)
ifeq ($(SECRET_KEY),)
export SECRET_KEY := $(shell mkdir -p $(VENV) && { test -s $(VENV)/.secret-key \
	|| od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > $(VENV)/.secret-key; } && cat $(VENV)/.secret-key)
endif
endif

.PHONY: help setup build run worker test lint format test-js test-py test-services chromium clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}'

# A Python >= 3.12 (Django 6 needs it): pyenv honours .python-version, then the usual names.
$(PY):
	@for candidate in $${PYTHON:-} python python3 python3.12 python3.13; do \
		if command -v "$$candidate" >/dev/null 2>&1 \
			&& "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
			echo "Creating $(VENV) with $$("$$candidate" --version)"; \
			"$$candidate" -m venv $(VENV) && exit 0; \
		fi; \
	done; \
	echo "ERROR: Python 3.12 or newer is needed (Django 6). Install it (e.g. 'pyenv install 3.12')" >&2; \
	echo "       or run 'make PYTHON=/path/to/python3.12 ...'." >&2; \
	exit 1

$(PIP_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(NPM_STAMP): package-lock.json package.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NPM_STAMP) ## build the front end (static/dist/main.js + main.css)
	npm run --silent build

setup: $(PIP_STAMP) build ## install everything, build, migrate and load the templates
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_templates

# Production mode (DEBUG=0) assumes HTTPS; this server speaks plain HTTP.
run: export HTTPS ?= 0
run: setup ## serve on http://127.0.0.1:8000 with Daphne (prints a demo account)
	$(PY) manage.py ensure_demo_user
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: setup ## run live simulations for web processes started with REDIS_URL + SIMULATION_RUNNERS=workers (docs/deploy.md)
	$(PY) manage.py runworker live-runner

lint: $(PIP_STAMP) $(NPM_STAMP) ## ruff check + ruff format --check, ESLint on the front end
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	npm run --silent lint

format: $(PIP_STAMP) ## rewrite the Python files with ruff format and fix what ruff can
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test-js: $(NPM_STAMP) ## node --test over static/src/**/*.test.js
	@files=$$(find static/src -name '*.test.js' | sort); \
	if [ -n "$$files" ]; then node --test $$files; else echo "No JavaScript tests found."; fi

chromium: ## install Debian's chromium for the browser tests when missing (or say what to install)
	@scripts/ensure-chromium

# pytest's exit code 5 means "no tests collected": that is a failure here, never a pass.
test-py: setup chromium ## the pytest suite on SQLite + the in-memory layer (browser tests last)
	timeout --signal=INT --kill-after=30 $(PYTEST_TIMEOUT) $(PY) -m pytest -q

# The second pass leaves out tests/simulation: the engine is pure Python and never imports
# Django (tests/simulation/test_isolation.py proves it), so a database or a channel layer
# cannot change those tests; running them twice cost CI about two minutes. It also leaves
# out tests/editor, the editor's browser tests: they drive its JavaScript; the server side
# they use (the design page, the document, catalog, validate and properties endpoints) is
# checked on PostgreSQL by tests/sandbox (saves, conflicts, concurrent saves); twice they
# cost about two more minutes of a CI that must stay under twenty.
test-services: setup chromium ## the suite again on PostgreSQL + Redis, the engine's aside (warns loudly when they are down)
	@if $(PY) -c "import socket; [socket.create_connection(a, 2).close() for a in (('127.0.0.1', 5432), ('127.0.0.1', 6379))]" 2>/dev/null; then \
		echo "== pytest on PostgreSQL ($(PG_URL)) + Redis ($(REDIS_TEST_URL))"; \
		DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
			timeout --signal=INT --kill-after=30 $(PYTEST_TIMEOUT) $(PY) -m pytest -q \
				--ignore=tests/simulation --ignore=tests/editor; \
	else \
		echo ""; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!! WARNING: PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not  !!"; \
		echo "!! reachable: the suite did NOT run on PostgreSQL + Redis.                !!"; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo ""; \
	fi

test: lint test-js test-py test-services ## everything: lint, JS tests, pytest on SQLite then on PostgreSQL + Redis

clean: ## remove the build output (keeps .venv and node_modules)
	rm -rf static/dist staticfiles
