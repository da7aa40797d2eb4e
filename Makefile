# The two commands of the README: `make demo` and `make test`. Both create .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# pip-compile and pip-audit live in a venv of their own, so they neither land in the app's
# environment nor in the lock they write.
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed

.PHONY: install demo test lint deps lock audit format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# Loads the CDNOW demo data into the default SQLite file (app.yaml) and prints a tour.
demo: $(STAMP)
	$(BIN)/crm demo

# The whole suite, on SQLite and, when CRM_TEST_POSTGRES_URL is set, on PostgreSQL too.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every third-party import declared in pyproject.toml, every declared dependency imported.
deps: $(STAMP)
	$(BIN)/deptry .

$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip pip-tools pip-audit
	@touch $(TOOLS_STAMP)

# requirements.lock: every package, pinned with its hashes, resolved from pyproject.toml
# (with the dev extra). Refresh it after changing a dependency, and to pick up fixes.
lock: $(TOOLS_STAMP)
	$(TOOLS)/bin/pip-compile --quiet --extra dev --generate-hashes --strip-extras \
	  --allow-unsafe --no-emit-index-url --no-emit-find-links --output-file requirements.lock \
	  pyproject.toml

# Known vulnerabilities in the locked versions (needs the network: PyPI's advisory data).
audit: $(TOOLS_STAMP)
	$(TOOLS)/bin/pip-audit --requirement requirements.lock --disable-pip --progress-spinner off

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python benchmarks/import_purchases.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache
