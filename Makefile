# The project's interface: make run, make test, make bench (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
# Links in mail and calendar feeds point here (crm/core/urls.py); `make run PORT=8000` moves them along.
CRM_BASE_URL ?= http://127.0.0.1:$(PORT)
export CRM_BASE_URL
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/crm_test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run install dev-install system-deps test test-sqlite test-postgres bench lint format migration clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
dev-install: $(VENV)/.dev-installed

# Debian packages the app and its tests use: Chromium for browser tests, a Latin+Cyrillic+CJK font
# for PDFs and screenshots, poppler for PDF checks. Installed only when missing, and only as root.
SYSTEM_PACKAGES := chromium fonts-wqy-microhei poppler-utils
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $$missing"; apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else echo "Missing Debian packages: $$missing (install them with apt-get)"; fi; \
	fi

## run: set up, migrate, seed an empty database, print the demo logins and serve on http://127.0.0.1:$(PORT)
run: install
	$(FLASK) db upgrade
	$(FLASK) seed
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C stops it)"
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) --access-logfile - wsgi:app

## test: the whole suite on SQLite, then on PostgreSQL at $(TEST_DATABASE_URL)
test: dev-install system-deps test-sqlite test-postgres

test-sqlite:
	TEST_DATABASE_URL= $(BIN)/pytest

test-postgres:
	@if $(BIN)/python -m tools.pg_ready "$(TEST_DATABASE_URL)"; then \
	  TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
	  echo "CI: PostgreSQL must be reachable, as the suite runs on both engines." >&2; exit 1; \
	else \
	  echo "Skipped the PostgreSQL run (CI would fail): start PostgreSQL or set TEST_DATABASE_URL." >&2; \
	fi

## bench: generate data at scale on SQLite and PostgreSQL and time the pages (results in bench/results.txt)
bench: dev-install
	$(BIN)/python -m bench

lint: dev-install
	$(BIN)/ruff check crm tests bench tools
	$(BIN)/ruff format --check crm tests bench tools

format: dev-install
	$(BIN)/ruff format crm tests bench tools
	$(BIN)/ruff check --fix crm tests bench tools

## migration: autogenerate a migration from the models (make migration m="what changed")
migration: install
	$(FLASK) db migrate -m "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
