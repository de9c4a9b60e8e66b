# Two entry points: `make demo` (install and run the demo) and `make test` (install and run every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test test-fast test-e2e lint chromium translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --config-settings editable_mode=compat -e .
	touch $@

$(VENV)/.dev: requirements-dev.lock pyproject.toml tests/fixtures/sinergi_testrule/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --config-settings editable_mode=compat -e . -e tests/fixtures/sinergi_testrule
	touch $(VENV)/.runtime $@

demo: $(VENV)/.runtime
	$(BIN)/sinergi demo

test: $(VENV)/.dev chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy scoring
	$(BIN)/python -m pytest tests --ignore=tests/e2e -q
	$(BIN)/python -m pytest tests/e2e -q

# The same suite minus the browser, for the PostgreSQL + Redis run of .ci/run.
test-fast: $(VENV)/.dev
	$(BIN)/python -m pytest tests --ignore=tests/e2e -q

test-e2e: $(VENV)/.dev chromium
	$(BIN)/python -m pytest tests/e2e -q

# Browser tests drive Debian's chromium; install it when we may (root with apt), else say what is missing.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); \
	  else \
	    echo "Browser tests need Chromium at $(CHROMIUM): install Debian's 'chromium' package (or set CHROMIUM=...)."; exit 1; \
	  fi; \
	fi

translations: $(VENV)/.dev
	mkdir -p var
	$(BIN)/pybabel extract -F app/translations/babel.cfg -k lazy -o var/messages.pot app templates
	$(BIN)/pybabel update -i var/messages.pot -d app/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) var/tmp
