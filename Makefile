# Two commands for a newcomer:  make run   and   make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run test setup setup-dev lock compile db lint translations check-translations clean bench bench-quick bench-tickets bench-jobs

# Set everything up, then serve the app with the demo competition at http://127.0.0.1:$(PORT)
run: setup compile db
	FLASK_DEBUG=1 $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# The same set-up, then the whole test suite (browser tests skip without /usr/bin/chromium),
# one worker per core, each on its own database: the tests of one file run in one worker.
# PYTEST_ARGS adds arguments (make test PYTEST_ARGS="tests/test_app.py -x");
# PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= auto
test: setup-dev compile
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed from the lock files: every package, direct or not, at one version and checked
# against its hashes. The requirements*.txt files list what the project asks for; after
# changing one, `make lock` brings the lock files up to date.
$(VENV)/.installed: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements.lock requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	touch $(VENV)/.installed $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

# Regenerate requirements.lock and requirements-dev.lock from requirements*.txt with
# pip-tools (in a venv of its own), for Python 3.11, keeping the versions already locked
# where the requirements allow. The hashes are those PyPI serves: the machine's pip
# configuration (extra indexes, find-links, constraints) is left out.
PIP_TOOLS := pip-tools==7.6.2
LOCK_VENV := $(VENV)/pip-tools
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT \
	PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile \
	--quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links --index-url https://pypi.org/simple
lock:
	@$(LOCK_VENV)/bin/pip-compile --version 2>/dev/null | grep -q "$(subst pip-tools==,version ,$(PIP_TOOLS))" || { \
		$(PYTHON) -m venv $(LOCK_VENV) && \
		env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(LOCK_VENV)/bin/pip install --quiet \
			--index-url https://pypi.org/simple "$(PIP_TOOLS)"; }
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --output-file requirements-dev.lock requirements-dev.txt

compile: setup
	$(BIN)/python scripts/i18n.py compile >/dev/null

# Apply the migrations (SQLite file in instance/ unless DATABASE_URL says otherwise),
# seed the demo competition into an empty database, and print the demo accounts.
db: setup
	FLASK_DEBUG=1 $(BIN)/flask db upgrade
	FLASK_DEBUG=1 $(BIN)/flask demo --if-empty

# Style and the flow of imports between the packages (pyproject.toml, [tool.importlinter]).
lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

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
	$(BIN)/python -m bench.bureau --size full --results
	$(BIN)/python -m bench.live --size full --results

bench-quick: setup-dev compile
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk is missing: benchmark 2 will be skipped"
	$(BIN)/python -m bench.run --size quick --output /tmp/bench-quick.md

# Benchmark 5 alone (admission tickets against a bare QR page), on a SQLite file: SIZE=quick|full
bench-tickets: setup-dev compile
	$(BIN)/python -m bench.tickets --size $(or $(SIZE),quick)

# A whole competition's tickets as one background job (SIZE=full: 10,000 tickets).
bench-jobs: setup-dev compile
	$(BIN)/python -m bench.jobs --size $(or $(SIZE),quick) --compare
