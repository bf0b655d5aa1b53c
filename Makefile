# Set-up and everyday commands. `make run` and `make test` work on a fresh machine.
VENV ?= .venv
PY := $(VENV)/bin/python
# python3.12 may be a pyenv shim that refuses to run when 3.12 is not the active version,
# so try the name first and then the interpreters pyenv keeps on disk.
PYTHON312 ?= $(shell for c in python3.12 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 2>/dev/null) /usr/bin/python3.12 /usr/local/bin/python3.12; do \
	"$$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1 && { command -v "$$c" || echo "$$c"; } && break; done)
SCENARIO ?= baseline
ARGS ?=

.PHONY: run test lint venv clean docs bench bench-sobol

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON312)" || { echo "python3.12 not found: install Python 3.12 or set PYTHON312=/path/to/python3.12" >&2; exit 2; }
	@test -x $(PY) || $(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,cluster]'
	@touch $@

venv: $(VENV)/.installed

run: venv
	$(VENV)/bin/sovai run --scenario $(SCENARIO) $(ARGS)

# Three test processes on a 2-core machine: the real-component tests (Slurm's time-limit checks,
# Chromium sessions, killed and resumed sweeps) spend much of their time waiting, and with two the
# cores sat idle about half the suite (30 Nov: 290-389 s with two, 268 s with three, same machine).
test: venv
	$(PY) -m pytest -q -n 3 $(ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

docs: venv
	$(VENV)/bin/sovai params --format markdown > docs/parameters.md

# Benchmarks (benchmarks/README.md): one script per line, each prints its table and writes
# results/bench/<script>.json; tests/benchmarks runs each at a tiny size.
bench: venv
	$(PY) benchmarks/model_bench.py
	$(PY) benchmarks/sweep_bench.py --real
	$(PY) benchmarks/ui_bench.py

# The 5,120-run levers Sobol' study end to end (longer than `make bench`).
bench-sobol: venv
	$(PY) benchmarks/sobol_bench.py

clean:
	rm -rf $(VENV) results .pytest_cache
