# StockPulse: `make demo` runs the system, `make test` runs every test against real services.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: venv services test-tools test demo demo-ledger bench lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[all,test]'
	touch $@

venv: $(VENV)/.installed

services:
	bash deploy/ensure_services.sh

test-tools:
	bash deploy/ensure_test_tools.sh

# ruff, then mypy (its files and strictness are in pyproject.toml's [tool.mypy])
lint: venv
	$(PY) -m ruff check .
	$(PY) -m mypy

test: venv services test-tools lint
	bash deploy/run_tests.sh $(PY)

# The whole system with embedded defaults (PostgreSQL, broker, hub, emulators, edge, picker).
demo: venv
	bash deploy/ensure_mosquitto.sh
	$(PY) -m deploy.demo_system

# Only the ledger: embedded PostgreSQL, sample moves applied, stock printed.
demo-ledger: venv
	$(PY) -m cloud_hub demo

bench: venv services
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
