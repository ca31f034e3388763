# Two commands for a newcomer:  make run   and   make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test setup setup-dev compile db lint translations check-translations clean bench bench-quick

# Set everything up, then serve the app with the demo competition at http://127.0.0.1:$(PORT)
run: setup compile db
	FLASK_DEBUG=1 $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The same set-up, then the whole test suite (browser tests skip without /usr/bin/chromium)
test: setup-dev compile
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

compile: setup
	$(BIN)/python scripts/i18n.py compile >/dev/null

# Apply the migrations (SQLite file in instance/ unless DATABASE_URL says otherwise),
# seed the demo competition into an empty database, and print the demo accounts.
db: setup
	FLASK_DEBUG=1 $(BIN)/flask db upgrade
	FLASK_DEBUG=1 $(BIN)/flask demo --if-empty

lint: setup-dev
	$(BIN)/ruff check .

translations: setup
	$(BIN)/python scripts/i18n.py update

check-translations: setup
	$(BIN)/python scripts/i18n.py check

clean:
	rm -rf $(VENV) instance translations/*/LC_MESSAGES/*.mo

# Benchmarks: every figure beside its reference, written to bench/RESULTS.md.
# Needs wrk (apt-get install wrk) and PostgreSQL ($BENCH_DATABASE_URL, default local "bench").
bench: setup-dev compile
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk is missing: benchmark 2 will be skipped"
	$(BIN)/python -m bench.run --size full

bench-quick: setup-dev compile
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk is missing: benchmark 2 will be skipped"
	$(BIN)/python -m bench.run --size quick --output /tmp/bench-quick.md
