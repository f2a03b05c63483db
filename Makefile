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

# Debian's headless browser, its driver, and CJK fonts so Chinese renders in screenshots (and in
# the briefings, which the same browser prints); poppler-utils, whose pdftotext reads them back; nginx,
# which a test runs in front of the cockpit with the install kit's site file (deploy/nginx/), as its
# own process (the package's service is not used); PostgreSQL and Redis, which the state tests
# start as their own servers on free ports in temporary folders (tests/servers.py; the packages'
# services are not used either).
system-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	    && fc-list 2>/dev/null | grep -q "Noto Sans CJK" && [ -x /usr/sbin/nginx ] \
	    && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -x /usr/bin/redis-server ] \
	    && command -v pdftotext >/dev/null; then :; else \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium chromium-driver fonts-noto-cjk nginx \
	    postgresql redis-server poppler-utils; \
	fi

# Analysts' notebooks (notebooks/README.md): JupyterLab on this machine only (127.0.0.1), opened
# in notebooks/ with the repository importable by its kernels. It fetches nothing: no news feed,
# no update check, no extension store; notebooks/.jupyter/labconfig turns off the news prompt and
# the "build recommended" dialog (Dash ships a source extension that would need Node to build).
# --allow-root: like `make test`, it may run as root.
.PHONY: notebooks
notebooks: $(VENV)/.installed-notebooks
	PYTHONPATH="$(CURDIR)" JUPYTER_CONFIG_PATH="$(CURDIR)/notebooks/.jupyter" \
	  $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=notebooks \
	  --LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	  --LabApp.extension_manager=readonly --allow-root

$(VENV)/.installed-notebooks: $(VENV)/.installed requirements-jupyterlab.txt requirements-notebooks.txt
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-jupyterlab.txt
	touch $@

# requirements-dev.txt includes requirements-notebooks.txt (tests/notebooks runs the notebooks
# with their kernel; JupyterLab is not needed for that)
$(VENV)/.installed-dev: requirements-notebooks.txt
