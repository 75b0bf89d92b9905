# nn.Module from the inside: set-up, tests, and notebook builds.
#   make lab        JupyterLab on the course (creates .venv and installs on first use)
#   make test       the whole test suite, as CI runs it
#   make notebooks  rebuild lessons/ and solutions/ from src/
#   make lessons    re-execute lessons/ and store their outputs
#   make exercises  regenerate exercises/ from solutions/ with nbgrader
# LESSONS="01_module_construction 02_containers" limits the last three to some lessons.

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(BIN):$(PATH)

CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ROOTFLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: install lab test notebooks lessons exercises check clean bench browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader >/dev/null
	$(BIN)/jupyter server extension enable --sys-prefix nbgrader.server_extensions.validate_assignment >/dev/null
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) $(ROOTFLAG) START_HERE.ipynb

# Debian's Chromium for the real-browser test (Playwright drives it; nothing is downloaded by Playwright).
browser:
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/python -m pytest -n 2 --dist loadfile --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg tests lessons

notebooks: install
	$(BIN)/python tools/notebooks.py build $(LESSONS)

lessons: notebooks
	$(BIN)/python tools/notebooks.py execute $(LESSONS)

exercises: notebooks
	$(BIN)/python tools/notebooks.py release $(LESSONS)

check: install
	$(BIN)/python tools/notebooks.py check

clean:
	rm -rf $(VENV) gradebook.db submitted autograded feedback

bench: install
	$(BIN)/python tools/bench.py $(BENCH_ARGS)
