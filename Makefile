# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
RELANCE := $(VENV)/bin/relance
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 8000

.PHONY: demo test lint bench install clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The demo's messages carry debtor-portal links to this server (unless RELANCE_PUBLIC_URL says otherwise).
demo: export RELANCE_PUBLIC_URL ?= http://$(DEMO_HOST):$(DEMO_PORT)
demo: $(VENV)/.installed
	$(RELANCE) init
	$(RELANCE) demo --login
	$(RELANCE) aging
	$(RELANCE) run
	@echo
	@echo "Relance is serving on http://$(DEMO_HOST):$(DEMO_PORT)/  (login: demo, with the password printed above)"
	@echo "The e-mails sent are in var/outbox/; their debtor-portal links open on this server."
	@echo "Stop with Ctrl-C."
	RELANCE_DEBUG=1 $(RELANCE) serve --host $(DEMO_HOST) --port $(DEMO_PORT)

test: $(VENV)/.test-installed
	scripts/run-tests

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy src

# Every benchmark but bench/web.py (which seeds PostgreSQL with 1,000,000 invoices: run it alone).
bench: $(VENV)/.test-installed
	$(PY) bench/import_ledger.py
	$(PY) bench/aging.py
	$(PY) bench/daily_pass.py
	$(PY) bench/dispatch.py
	$(PY) bench/letters.py
	$(PY) bench/matching.py
	$(PY) bench/peer_shape.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
