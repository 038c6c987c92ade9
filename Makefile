# Helpdesk — the two commands a new developer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HELPDESK_PORT ?= 5000
FLASK := $(BIN)/flask --app helpdesk
DEMO_TICKETS ?= 300

.PHONY: run test lint e2e bench clean

# The virtual environment is rebuilt only when the package metadata changes.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --tickets $(DEMO_TICKETS)
	$(FLASK) run --host 127.0.0.1 --port $(HELPDESK_PORT)

test: $(VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check helpdesk tests

clean:
	rm -rf $(VENV) *.egg-info
