# The README names two commands: `make demo` (main job) and `make test` (the suite).
# Both set up a virtual environment first. torch is installed before the package,
# pinned to a CPU-friendly build, so that resolving the package's own `torch>=2.2`
# installs nothing more. GPU users override it, e.g.
#   make install TORCH_SPEC="torch==2.13.0" TORCH_PIP_ARGS="--index-url <your CUDA wheel index>"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install demo test lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)" $(TORCH_PIP_ARGS)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

demo: install
	$(VENV)/bin/sknn-hep fit

test: install
	$(PY) -m ruff check sknn_hep tests examples benchmarks
	$(PY) -m ruff format --check sknn_hep tests examples benchmarks
	$(PY) -m pytest -n 2 --durations=15 $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check sknn_hep tests examples benchmarks
	$(PY) -m ruff format --check sknn_hep tests examples benchmarks

bench: install
	$(PY) benchmarks/bench_throughput.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
