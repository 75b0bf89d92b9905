# nn.Module from the inside: set-up, tests, and notebook builds.
#   make lab        a learner's JupyterLab on START_HERE.ipynb (creates .venv and installs on first use;
#                   copies the exercises into my-work/ once); ARGS="--ip=0.0.0.0 --no-browser" go to jupyter lab
#   make instructor JupyterLab with nbgrader's Formgrader and Create Assignment, every file shown
#   make handout    what students get, without answers or hidden tests: dist/handout/ and dist/handout.zip
#   make test       the whole test suite, as CI runs it
#   make notebooks  rebuild lessons/ and solutions/ from src/
#   make lessons    re-execute lessons/ and store their outputs
#   make exercises  regenerate exercises/ from solutions/ with nbgrader
#   make site       the course as a static website in _site/ (from the notebooks' stored outputs)
#   make gpu-check  every exercise and lesson on every device here (docs/devices.md); gpu-wheels: for a GPU machine
# LESSONS="01_module_construction 02_containers" limits the last three to some lessons.
# TORCH=cpu installs PyTorch's CPU-only build of the pinned torch (from PyTorch's CPU wheel index) instead
# of PyPI's torch, which on Linux x86_64 is the CUDA build with several GB of NVIDIA packages.

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
TORCH  ?=
STAMP  := $(VENV)/.installed$(if $(TORCH),-torch-$(TORCH))
# -qq: errors only (this keeps the output free of warnings that a machine's own pip configuration
# prints, such as "Location ... is ignored"); the course's own install steps raise no warning.
PIP    := $(BIN)/python -m pip install -qq
TORCH_INDEX := https://download.pytorch.org/whl/$(TORCH)
TORCH_PIN   := $(shell grep -i '^torch==' requirements.lock)
SITE_STAMP := $(VENV)/.installed-site
export PATH := $(BIN):$(PATH)

CHROMIUM ?= /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install lab instructor handout test notebooks lessons exercises check clean bench browser sandbox site

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(PIP) --upgrade pip
ifneq ($(TORCH),)
	$(PIP) --no-deps --index-url $(TORCH_INDEX) "$(TORCH_PIN)+$(TORCH)"
endif
	$(PIP) -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	$(BIN)/python -m nnmodule_course.lab --kernel >/dev/null
	touch $(STAMP)

install: $(STAMP)

# The website's packages (Sphinx, myst-nb, the book theme), pinned; -c keeps every package that
# requirements.lock pins at its version.
$(SITE_STAMP): $(STAMP) requirements-site.lock
	$(PIP) -r requirements-site.lock -c requirements.lock
	touch $(SITE_STAMP)

site: $(SITE_STAMP)
	$(BIN)/python tools/site.py

lab: install
	$(BIN)/python -m nnmodule_course.lab $(ARGS)

instructor: install
	$(BIN)/python -m nnmodule_course.lab --instructor $(ARGS)

handout: install
	$(BIN)/python tools/handout.py dist/handout

# Debian's bubblewrap: the sandbox every graded notebook runs in (python -m autograder grade).
sandbox:
	@command -v bwrap >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq bubblewrap >/dev/null; }

# Debian's Chromium for the real-browser test (Playwright drives it; nothing is downloaded by Playwright).
browser:
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: install sandbox browser $(SITE_STAMP)
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
	rm -rf $(VENV) gradebook.db submitted autograded feedback grading

bench: install sandbox
	$(BIN)/python tools/bench.py $(BENCH_ARGS)

# The proof on every device (docs/devices.md): every answer's test cell on cpu/cuda/mps, every lesson,
# timings. gpu-wheels fetches what a GPU machine lacks (CPython 3.12, manylinux x86_64) into .whl/.
.PHONY: gpu-check gpu-wheels
GPU_WHEEL_PLATFORMS := manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64

gpu-check: install
	$(BIN)/python tools/gpu_check.py $(if $(LESSONS),--lessons $(LESSONS) --out artifacts/gpu-check)

gpu-wheels: install
	rm -rf .whl
	$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
	  $(addprefix --platform ,$(GPU_WHEEL_PLATFORMS)) -d .whl -r tools/gpu-wheels.txt
	@du -ch .whl/*.whl | tail -1
