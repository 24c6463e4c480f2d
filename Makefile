# The README's two commands. Both build .venv on a fresh machine with nothing but Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test reliability lint clean rules-page image-test

# The main job on the embedded default, as CI runs it: a copy of the example project
# whose target (a SQLite file, no server) is at version 3 with a change made by hand
# (drift: an index), and a pull request that adds a migration dbci warns about
# (staged/V4__add_order_status.sql). Build and check it (pipeline), render the report,
# deploy with the drift gate off, render the deploy's report, and say where they are.
DEMO := examples/demo
JOB := $(DEMO)/build/demo
demo: $(VENV)/.installed
	rm -rf $(DEMO)/build $(DEMO)/.dbci_cache $(DEMO)/dbci-report
	mkdir -p $(JOB)
	cp -R $(DEMO)/flyway.toml $(DEMO)/migrations $(JOB)/
	$(BIN)/dbci --project $(JOB) migrate --target 3
	$(BIN)/python -c "import sqlite3; sqlite3.connect('$(JOB)/build/demo.db').execute('CREATE INDEX customers_name_idx ON customers (name)')"
	cp $(DEMO)/staged/V4__add_order_status.sql $(JOB)/migrations/
	$(BIN)/dbci --project $(JOB) --report-dir dbci-report/check pipeline
	$(BIN)/dbci --project $(JOB) --report-dir dbci-report/check report
	$(BIN)/dbci --project $(JOB) --report-dir dbci-report/deploy deploy --no-fail-on-drift
	$(BIN)/dbci --project $(JOB) --report-dir dbci-report/deploy report
	$(BIN)/dbci --project $(JOB) info
	@echo
	@for stage in check deploy; do for f in comment.md summary.md report.html; do \
	  echo "$$stage: $(JOB)/dbci-report/$$stage/$$f"; done; done

# Install what the tests need, lint, type-check, and run the tests (PostgreSQL from
# DBCI_TEST_POSTGRES_URL, else an embedded server from the pgserver package).
test: $(VENV)/.installed-test
	$(BIN)/ruff check src tests entrypoint.py bench
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The reliability suite alone (also part of `make test`): concurrency, faults, bad input,
# secrets, injection, protected environments; it ends with its table of figures.
reliability: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/reliability -q $(PYTEST_ARGS)

# docs/rules.md, from the rule modules' docstrings (tests/test_rules_page.py checks it is current).
rules-page: $(VENV)/.installed
	$(BIN)/python -m dbci.analysis.rules_page > docs/rules.md

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# squawk (the PostgreSQL migration linter, npm's squawk-cli; a prebuilt binary) is the
# reference tests/test_migration_safety.py compares dbci's rules with; without npm that test
# says so (and fails under CI=true).
SQUAWK_VERSION := 2.66.0
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-audit --no-fund --prefix $(VENV)/squawk squawk-cli@$(SQUAWK_VERSION); fi
	touch $@

clean:
	rm -rf $(VENV) examples/demo/build examples/demo/.dbci_cache examples/demo/dbci-report

# The image as users get it: the Dockerfile built on a private Docker daemon (Debian's
# docker.io, installed when missing; its own data, no network settings touched; removed
# after) from a base made by debootstrap, then run as GitHub runs a Docker action and as
# GitLab runs a job on it, against DBCI_TEST_POSTGRES_URL's server. Needs root. Ends with a
# line of figures (size, build time, first line, pipeline and deploy times).
image-test: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/image -m image -p no:cacheprovider $(PYTEST_ARGS)
