# BAN replication book. Two commands from a fresh clone: `make book` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.banlib-installed
OUT    ?= build
PROFILE ?= quick
SEED   ?= 0
export OMP_NUM_THREADS ?= 2
export PYTHONHASHSEED := 0
export MPLBACKEND := module://matplotlib_inline.backend_inline

.PHONY: env data book test unit e2e bench clean

# The environment: every version pinned by requirements/lock.txt (pip constraints).
$(STAMP): requirements/base.in requirements/lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24"
	$(BIN)/pip install -q -c requirements/lock.txt -r requirements/base.in
	# tinysoundfont declares pyaudio (unbuildable here, unused for offline rendering)
	$(BIN)/pip install -q --no-deps -c requirements/lock.txt tinysoundfont
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

env: $(STAMP)

data: env
	$(BIN)/banlib twin --profile $(PROFILE) --seed $(SEED)

book: env
	$(BIN)/banlib book --data-source twin --profile $(PROFILE) --seed $(SEED) --out $(OUT)

# Unit tests, the papermill end-to-end run of every notebook on the quick twin, the strict book build.
test: env
	$(BIN)/python -m pytest -p no:cacheprovider -ra tests

bench: env
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(OUT) .pytest_cache
