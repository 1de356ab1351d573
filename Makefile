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

.PHONY: install demo test docs lint bench bench-quality bench-defaults bench-memory clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)" $(TORCH_PIP_ARGS)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

demo: install
	$(VENV)/bin/sknn-hep fit

LINTED := sknn_hep tests examples benchmarks docs/conf.py docs/sphinxext
# The docs build with warnings as errors; the examples run in `make docs` only
# (their fast modes run in the tests).
SPHINX := $(PY) -m sphinx -W --keep-going -q -b html

test: install
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)
	$(PY) -m pytest -n 2 --durations=15 $(PYTEST_ARGS)
	$(SPHINX) -D plot_gallery=0 docs docs/_build/html

docs: install
	$(SPHINX) docs docs/_build/html

lint: install
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)

bench: install
	$(PY) benchmarks/bench_throughput.py

# the recipe against XGBoost, LightGBM, MLPClassifier and skorch (~8 min);
# the table goes to benchmarks/README.md (shown in the docs too)
bench-quality: install
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) benchmarks/bench_quality.py --write benchmarks/README.md

# the package's default NeuralClassifier/NeuralRegressor against XGBoost,
# LightGBM and MLPClassifier/MLPRegressor on five real physics data sets (long;
# results cached in benchmarks/results/); the table goes to benchmarks/README.md
bench-defaults: install
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) benchmarks/bench_defaults.py --write benchmarks/README.md

# peak memory of fit and predict_proba above the data, 0.5M to 5M rows x 30
# (a fresh process per size and step; ~25 min on 2 cores)
bench-memory: install
	$(PY) benchmarks/bench_memory.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
	rm -rf docs/_build docs/generated docs/auto_examples docs/sg_execution_times.rst
