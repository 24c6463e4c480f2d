# The README's two commands. Both build .venv on a fresh machine with nothing but Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test reliability lint clean

# The main job on the embedded default: build the example project on a throwaway database,
# check its pending migrations (code analysis), migrate them into SQLite, show info.
demo: $(VENV)/.installed
	rm -rf examples/demo/build examples/demo/.dbci_cache examples/demo/dbci-report
	$(BIN)/dbci --project examples/demo build
	$(BIN)/dbci --project examples/demo check
	$(BIN)/dbci --project examples/demo migrate
	$(BIN)/dbci --project examples/demo info

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

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) examples/demo/build examples/demo/.dbci_cache examples/demo/dbci-report
