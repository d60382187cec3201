# ssbx — two commands from a clean clone: `make run` and `make test`.
# Every target sets up the virtual environment when it is missing and never reinstalls when present.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.ssbx-installed
CASE  ?= cases/default.toml
NP    ?= 2
# serial tests run in NJOBS worker processes (pytest-xdist; one test module per worker at a time,
# the slowest modules first: tests/module_costs.json, refreshed with `make test-costs`)
NJOBS ?= 2
export OMP_NUM_THREADS ?= 1

# Find a Python >= 3.12 by itself: python3.13, python3.12, python3, then pyenv's installs.
# (A pyenv shim may exist but refuse to run, so each candidate is actually executed.)
define FIND_PYTHON
for c in "$$SSBX_PYTHON" python3.13 python3.12 python3 \
         $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
  [ -n "$$c" ] || continue; \
  if "$$c" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
    echo "$$c"; exit 0; fi; \
done; exit 1
endef

.PHONY: help venv run test test-serial test-mpi test-costs bench mutation lint format clean viz-deps

help:
	@echo "make run    - set up (if needed) and run the default case ($(CASE)) into runs/default"
	@echo "make test   - set up (if needed) and run the whole test suite (serial + mpirun -n $(NP))"
	@echo "make test-costs - time every serial test module into tests/module_costs.json (the order"
	@echo "               in which make test hands modules to its workers: the slowest first)"
	@echo "make bench  - run the benchmarks in benchmarks/ (JSON into bench-results/)"
	@echo "make mutation - mutation testing of solver/physics (cosmic-ray; slow, not in make test/CI;"
	@echo "               MUTATION_ARGS=\"--n 30\" to sample fewer; report in mutation-results/)"
	@echo "make lint   - ruff check + format check"
	@echo "make venv   - only create $(VENV) and install ssbx (editable) with the test extra"
	@echo "make viz-deps - Debian/Ubuntu as root: apt-get install paraview xvfb chromium when missing"
	@echo "               (the ParaView and report tests skip, with the reason, without them)"
	@echo "make clean  - remove $(VENV), runs/, caches"

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ ! -x "$(PY)" ]; then \
	  PYBIN=$$( $(FIND_PYTHON) ) || { echo "ssbx: no Python >= 3.12 found (tried python3.13, python3.12, python3, pyenv versions). Install one or set SSBX_PYTHON=/path/to/python3.12+" >&2; exit 1; }; \
	  echo "ssbx: creating $(VENV) with $$PYBIN ($$($$PYBIN --version))"; \
	  "$$PYBIN" -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	rm -rf runs/default
	$(VENV)/bin/ssbx run $(CASE) -o runs/default

test: $(STAMP)
	$(MAKE) --no-print-directory test-serial
	$(MAKE) --no-print-directory test-mpi

viz-deps:
	@if command -v pvpython >/dev/null && command -v xvfb-run >/dev/null && command -v chromium >/dev/null; then \
	  echo "ssbx: pvpython, xvfb-run and chromium are installed"; \
	else \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    paraview xvfb xauth chromium; \
	fi

test-serial: $(STAMP)
	$(PY) -m pytest -q tests -m "not mpi" -n $(NJOBS) --dist loadscope --no-loadscope-reorder --durations=25

test-mpi: $(STAMP)
	$(VENV)/bin/mpirun -n $(NP) $(PY) -m pytest -q -p no:cacheprovider tests -m mpi --durations=10

# the per-module costs that order the serial suite (a full serial run, ~16 min on two cores)
test-costs: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider tests -m "not mpi" -n $(NJOBS) --dist loadscope \
	  --no-loadscope-reorder --junitxml=$(VENV)/test-costs.xml
	$(PY) tools/test_costs.py $(VENV)/test-costs.xml > tests/module_costs.json

bench: $(STAMP)
	@mkdir -p bench-results
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b --out bench-results || exit 1; done

# Mutation testing (docs/validation.md): outside `make test` and CI; installs the extra on demand.
MUTATION_ARGS ?=
mutation: $(STAMP)
	$(PY) -m pip install --quiet -e ".[mutation]"
	$(PY) tools/mutation.py $(MUTATION_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check solver meshes tests benchmarks tools
	$(VENV)/bin/ruff format --check solver meshes tests benchmarks tools

format: $(STAMP)
	$(VENV)/bin/ruff format solver meshes tests benchmarks tools
	$(VENV)/bin/ruff check --fix solver meshes tests benchmarks tools

clean:
	rm -rf $(VENV) runs bench-results mutation-results .pytest_cache .ruff_cache *.egg-info build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
