# Helpdesk — the two commands a new developer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HELPDESK_PORT ?= 5000
FLASK := $(BIN)/flask --app helpdesk
DEMO_TICKETS ?= 300

.PHONY: run test mailservers lint e2e bench clean

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

test: $(VENV)/.installed mailservers
	$(BIN)/python -m pytest

# The IMAP tests run their own Dovecot (tests/mailservers.py); install it when missing (apt-get,
# as root). Where that is impossible the IMAP tests are skipped, with a warning at the end.
mailservers:
	@test -x /usr/sbin/dovecot || .ci/install-dovecot || \
	  echo "make: WARNING: no Dovecot, the IMAP tests will be skipped" >&2

# Browser tests (tests/e2e): Playwright driving Debian's Chromium, axe-core from npm.
# Installs whatever is missing first: the `e2e` extra, node_modules/axe-core, chromium
# (apt-get, as CI's root). Screenshots and axe reports go to $(E2E_ARTIFACTS).
E2E_ARTIFACTS ?= instance/e2e
e2e: $(VENV)/.installed
	@$(BIN)/python -c 'import playwright' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[test,e2e]'
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund || npm install --no-audit --no-fund
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	E2E_ARTIFACTS=$(E2E_ARTIFACTS) $(BIN)/python -m pytest tests/e2e -p no:cacheprovider -o addopts= -v -ra --durations=10

lint: $(VENV)/.installed
	$(BIN)/ruff check helpdesk tests
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) *.egg-info
