# BAN replication book. Two commands from a fresh clone: `make book` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.banlib-installed
OUT    ?= build
PROFILE ?= quick
SEED   ?= 0
# Where the book is published (one place; all empty by default: no repository/Binder/Colab buttons, and
# figure citations name files instead of URLs). banlib.publishing reads the BANLIB_* variables;
# e.g. make book REPOSITORY_URL=https://github.com/OWNER/REPO
REPOSITORY_URL    ?= $(BANLIB_REPOSITORY_URL)
REPOSITORY_BRANCH ?= $(or $(BANLIB_REPOSITORY_BRANCH),main)
PAGES_URL         ?= $(BANLIB_PAGES_URL)
export BANLIB_REPOSITORY_URL := $(REPOSITORY_URL)
export BANLIB_REPOSITORY_BRANCH := $(REPOSITORY_BRANCH)
export BANLIB_PAGES_URL := $(PAGES_URL)
export OMP_NUM_THREADS ?= 2
export PYTHONHASHSEED := 0
export MPLBACKEND := module://matplotlib_inline.backend_inline

.PHONY: env data book test unit e2e bench clean

# The environment: every version pinned by requirements/lock.txt (pip constraints).
$(STAMP): requirements/base.in requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24"
	$(BIN)/pip install -q -c requirements/lock.txt -r requirements/base.in
	# tinysoundfont declares pyaudio (unbuildable here, unused for offline rendering); cffconvert declares
	# jsonschema<4 (the book needs 4; cffconvert's validate works with it); antspyx declares numpy<2.4 and scipy<1.16
	# (works with the pinned 2.4 and 1.17); their other dependencies are in base.in
	$(BIN)/pip install -q --no-deps -c requirements/lock.txt tinysoundfont cffconvert antspyx
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

env: $(STAMP)

data: env
	$(BIN)/banlib twin --profile $(PROFILE) --seed $(SEED)

book: env
	$(BIN)/banlib book --data-source twin --profile $(PROFILE) --seed $(SEED) --out $(OUT)

# Unit tests, the papermill end-to-end run of every notebook on the quick twin, the strict book build.
test: env
	$(BIN)/python -m pytest -p no:cacheprovider -ra --durations=25 tests

bench: env
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(OUT) .pytest_cache
