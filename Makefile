# The two commands: `make run` (set up, build the demo warehouse on first run, serve the cockpit)
# and `make test` (set up, install the browser and fonts the tests need, run the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test system-deps

run: $(VENV)/.installed
	$(BIN)/python app.py

test: system-deps $(VENV)/.installed-dev
	$(BIN)/python -m pytest

$(VENV)/.installed: requirements.txt
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# Debian's headless browser, its driver, and CJK fonts so Chinese renders in screenshots.
system-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	    && fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then :; else \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium chromium-driver fonts-noto-cjk; \
	fi
