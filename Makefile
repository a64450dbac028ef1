# The project's interface: make run, make test, make bench (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
HOST ?= 127.0.0.1
WORKERS ?= 4
# Links in mail and calendar feeds point here (crm/core/urls.py); `make run PORT=8000` moves them along.
CRM_BASE_URL ?= http://127.0.0.1:$(PORT)
export CRM_BASE_URL
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/crm_test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run serve install dev-install system-deps translations test test-sqlite test-postgres bench bench-interchange load lint format migration clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt
	touch $@

# The compiled catalogues the app reads, made from the .po files kept in the repository.
TRANSLATIONS := crm/translations
LANGUAGES := zh_Hans_CN ru en
MO_FILES := $(foreach l,$(LANGUAGES),$(TRANSLATIONS)/$(l)/LC_MESSAGES/messages.mo)
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS) -l $*

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed $(MO_FILES)
dev-install: $(VENV)/.dev-installed $(MO_FILES)

## translations: extract every marked string into the template, update each language's catalogue, compile them
translations: $(VENV)/.installed
	@mkdir -p $(TRANSLATIONS)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 --no-wrap --sort-by-file \
	  --project "TSCC CRM" -o $(TRANSLATIONS)/messages.pot crm templates
	@for l in $(LANGUAGES); do \
	  if [ -f $(TRANSLATIONS)/$$l/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel -q update --no-wrap --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$l; \
	  else $(BIN)/pybabel -q init --no-wrap -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l $$l; fi; \
	done
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

# Debian packages the app and its tests use: Chromium for browser tests, a Latin+Cyrillic+CJK font
# for PDFs and screenshots, the PDF's fallback fonts (other scripts, emoji, rare ideographs), poppler for PDF
# checks, LibreOffice Calc and Writer to open exports and Word files as a user would. Installed only when
# missing, and only as root.
SYSTEM_PACKAGES := wrk chromium fonts-wqy-microhei fonts-dejavu-core fonts-symbola fonts-hanazono poppler-utils libreoffice-calc-nogui libreoffice-writer-nogui
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

## serve: production serving: migrate, then gunicorn (WORKERS workers on HOST:PORT) against PostgreSQL at DATABASE_URL, with SECRET_KEY and TRUSTED_PROXIES from the environment (see README)
serve: install
	@if [ -z "$$DATABASE_URL" ]; then \
	  echo "make serve needs DATABASE_URL=postgresql://user@host:5432/dbname (make run serves the SQLite demo)." >&2; exit 1; fi
	@case "$$DATABASE_URL" in postgres://*|postgresql://*|postgresql+psycopg://*) ;; \
	  *) echo "make serve runs on PostgreSQL: DATABASE_URL must start with postgresql:// (make run serves SQLite)." >&2; exit 1;; esac
	@if [ -z "$$SECRET_KEY" ]; then \
	  echo 'make serve needs SECRET_KEY, at least 32 random characters kept across restarts: python3 -c "import secrets; print(secrets.token_hex(32))"' >&2; exit 1; fi
	CRM_ENV=production $(FLASK) db upgrade
	CRM_ENV=production $(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - wsgi:app

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

## bench: generate data at scale on SQLite and PostgreSQL and time the pages and spreadsheets (results in bench/results.txt)
bench: dev-install
	$(BIN)/python -m bench

## load: bench-scale data on SQLite and PostgreSQL served by gunicorn (2 workers) under wrk, LOAD_SECONDS (30) a page (results in bench/load-results.txt)
load: dev-install system-deps
	$(BIN)/python -m bench.load

## bench-interchange: only the spreadsheets: import 10,000 experts, export 100,000 ledger entries, on both engines
bench-interchange: dev-install
	$(BIN)/python -m bench interchange

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
