# Helpdesk — the two commands a new developer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HELPDESK_PORT ?= 5000
FLASK := $(BIN)/flask --app helpdesk
DEMO_TICKETS ?= 300

.PHONY: run test mailservers nginx lint e2e bench bench-smoke wrk loadtest clean

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
	@echo 'Serving on http://127.0.0.1:$(HELPDESK_PORT) with the background worker (Ctrl-C stops both).'
	$(BIN)/python -m helpdesk.launcher --host 127.0.0.1 --port $(HELPDESK_PORT)

test: $(VENV)/.installed mailservers nginx
	$(BIN)/python -m pytest

# The IMAP tests run their own Dovecot (tests/mailservers.py); install it when missing (apt-get,
# as root). Where that is impossible the IMAP tests are skipped, with a warning at the end.
mailservers:
	@test -x /usr/sbin/dovecot || .ci/install-dovecot || \
	  echo "make: WARNING: no Dovecot, the IMAP tests will be skipped" >&2

# tests/test_ops_nginx.py runs deploy/nginx.conf in its own nginx; install it when missing
# (apt-get as root, no system nginx started). Without it those tests are skipped.
nginx:
	@test -x /usr/sbin/nginx || .ci/install-nginx || \
	  echo "make: WARNING: no nginx, the nginx tests will be skipped" >&2

# Browser tests (tests/e2e): Playwright driving Debian's Chromium, axe-core from npm.
# Installs whatever is missing first: the `e2e` extra, node_modules/axe-core, chromium
# (apt-get, as CI's root). Screenshots and axe reports go to $(E2E_ARTIFACTS).
E2E_ARTIFACTS ?= instance/e2e
e2e: $(VENV)/.installed
	@$(BIN)/python -c 'import playwright' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[test,e2e]'
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund || npm install --no-audit --no-fund
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	E2E_ARTIFACTS=$(E2E_ARTIFACTS) $(BIN)/python -m pytest tests/e2e -p no:cacheprovider -o addopts= -v -ra --durations=10

# Benchmark (issue 14): wrk against gunicorn (2 sync workers) on cached databases of
# 1k/100k/1M tickets (bench/cache/, PostgreSQL databases helpdesk_bench_<N>), with a
# bare Flask hello world as the floor. Prints a table, writes bench/results/<time>.json.
# Override e.g. `make bench SIZES=1000,100000 DATABASES=sqlite PAGES=queue,search`.
SIZES ?= 1000,100000,1000000
DATABASES ?= sqlite,postgresql
PAGES ?= default
DURATION ?= 10
UNLOADED_DURATION ?= 5
PASSES ?= 3
BENCH_TIME_LIMIT ?= 240
bench: $(VENV)/.installed wrk
	$(BIN)/python bench/run.py --sizes $(SIZES) --databases $(DATABASES) --pages $(PAGES) \
	  --duration $(DURATION) --unloaded-duration $(UNLOADED_DURATION) --passes $(PASSES) \
	  --time-limit $(BENCH_TIME_LIMIT)

# CI smoke test: 1k tickets on SQLite, 1-second runs, one pass. Fails when a page
# answers 5xx or the run breaks; the figures are never asserted.
bench-smoke: $(VENV)/.installed wrk
	$(BIN)/python bench/run.py --sizes 1000 --databases sqlite --duration 1 \
	  --unloaded-duration 1 --passes 1 --time-limit 10

wrk:
	@test -x /usr/bin/wrk || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }

# A 5-minute locust run against a real deployment on this machine (bench/loadtest/README.md):
# PostgreSQL and Redis on localhost, the rest started and stopped by the runner.
LOAD_DURATION ?= 5m
LOAD_USERS ?= 40
loadtest: $(VENV)/.installed
	@$(BIN)/python -c 'import locust, moto' 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[test,load]'
	$(BIN)/python bench/loadtest/run.py --duration $(LOAD_DURATION) --users $(LOAD_USERS)

lint: $(VENV)/.installed
	$(BIN)/ruff check helpdesk tests
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) *.egg-info
