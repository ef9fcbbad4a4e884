# The two commands: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
# pip warns about every optional local index folder this machine lacks, and setuptools
# that pyproject.toml's ext-modules table (the C log parser) is still "experimental" (it
# has been read since 74.1, our floor); hide only those.
QUIET_PIP := 2>&1 | { grep -v -e '^WARNING: Location' -e 'BuildBackendWarning: .*ext-modules' \
	-e 'config = read_configuration(filepath' || true; }
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages: gettext compiles the translations; restic runs the backups;
# WeasyPrint needs pango and fonts-noto-cjk for Chinese PDFs; chromium drives the page
# tests; pdftotext (poppler-utils) reads PDFs back in tests. libvirt0 runs the compute
# driver; libvirt-dev and pkg-config build libvirt-python (pip runs after this step);
# iproute2 builds the network namespaces of the circuit-outage test; nginx sends its
# access log over syslog to the archive's listener in a test (bench/accesslogs.py installs
# goaccess itself). postgresql-client: pg_dump backs up the platform database (PostgreSQL runs).
# gcc and libc6-dev build the access-log import's C parser (src/yiyun/websites/combined.c).
RUNTIME_DEBS := gettext restic fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 gcc libc6-dev \
	libvirt0 libvirt-dev pkg-config
TEST_DEBS := chromium fonts-noto-cjk poppler-utils iproute2 nginx postgresql-client
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test install install-dev lint format test-sqlite test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip $(QUIET_PIP)

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock src/yiyun/websites/combined.c src/yiyun/websites/combined.h
	./scripts/debian-packages.sh $(RUNTIME_DEBS)
	$(BIN)/pip install -q -c requirements.lock -e . $(QUIET_PIP)
	$(BIN)/yiyun compilemessages --ignore=.venv --ignore=var -v 0
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	./scripts/debian-packages.sh $(TEST_DEBS)
	$(BIN)/pip install -q -c requirements.lock -e ".[dev]" $(QUIET_PIP)
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/yiyun demo

lint: install-dev
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench

format: install-dev
	$(BIN)/ruff format src bench
	$(BIN)/ruff check --fix src bench

test-sqlite: install-dev
	@echo "== pytest on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest -q -n 2 --dist loadfile

test-postgres: install-dev
	@if $(BIN)/python scripts/pg_reachable.py "$(PG_TEST_URL)"; then \
	  echo "== pytest on PostgreSQL ($(PG_TEST_URL)) =="; \
	  DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -q -n 2 --dist loadfile; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL at $(PG_TEST_URL) is not reachable, and CI requires the PostgreSQL run." >&2; exit 1; \
	else \
	  echo "SKIPPED the PostgreSQL run: nothing answers at $(PG_TEST_URL) (set PG_TEST_URL)."; \
	fi

test: lint test-sqlite test-postgres

# Run as modules from the repository root: as plain scripts, bench/ would come first on
# sys.path and bench/calendar.py would shadow the standard library's calendar.
BENCHES := calendar obligations accesslogs notices circuits datalife servicedesk contract_import billing
bench: install-dev
	for name in $(BENCHES); do $(BIN)/python -m bench.$$name; done

clean:
	rm -rf $(VENV) var/static
